# AXON_SANITIZE=address,undefined (or any list -fsanitize takes) instruments every target of the
# build, the library, the tests and the programs alike, so that one report stops the test that
# caused it (no recovery). scripts/sanitize.sh builds and runs the suite this way.
set(AXON_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined (empty: none)")
if(AXON_SANITIZE)
  # GCC's -Wmaybe-uninitialized and -Wstringop-overflow see the instrumentation and report what
  # is not there (in std::function, std::optional, std::vector at -O3); the normal build keeps
  # both warnings as errors.
  foreach(flag -fsanitize=${AXON_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer
               -Wno-maybe-uninitialized -Wno-stringop-overflow)
    add_compile_options($<$<COMPILE_LANGUAGE:CXX>:${flag}>)
  endforeach()
  add_link_options(-fsanitize=${AXON_SANITIZE})
endif()
