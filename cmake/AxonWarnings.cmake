# Warnings on for every target of ours: -Wall -Wextra, and -Werror with AXON_WARNINGS_AS_ERRORS.
function(axon_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow=local -Wnon-virtual-dtor>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${AXON_WARNINGS_AS_ERRORS}>>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${AXON_WARNINGS_AS_ERRORS}>>:-Werror=all-warnings>)
endfunction()
