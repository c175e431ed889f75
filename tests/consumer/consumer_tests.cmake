# Two ctest tests that build tests/consumer/ (a tiny user project) the ways a user would:
#   consumer_find_package      cmake --install this build into a prefix, then find_package(axon)
#   consumer_add_subdirectory  add_subdirectory(<axon source dir>) (CUDA, tests, apps, bench OFF)
# run_consumer.cmake drives the steps and names the one that failed. They compile (the second
# compiles the library again), so they run alone (RUN_SERIAL) with a generous timeout;
# `ctest -LE consumer` leaves them out.
set(_axon_consumer_common
  -DCONSUMER_DIR=${CMAKE_CURRENT_LIST_DIR}
  -DAXON_SOURCE_DIR=${PROJECT_SOURCE_DIR}
  -DAXON_BINARY_DIR=${PROJECT_BINARY_DIR}
  -DGENERATOR=${CMAKE_GENERATOR}
  -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
  -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
  -DCONFIG=$<CONFIG>)

add_test(NAME consumer_find_package
  COMMAND ${CMAKE_COMMAND} -DMODE=find_package ${_axon_consumer_common}
          -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer/find_package
          -P ${CMAKE_CURRENT_LIST_DIR}/run_consumer.cmake)
add_test(NAME consumer_add_subdirectory
  COMMAND ${CMAKE_COMMAND} -DMODE=add_subdirectory ${_axon_consumer_common}
          -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer/add_subdirectory
          -P ${CMAKE_CURRENT_LIST_DIR}/run_consumer.cmake)
set_tests_properties(consumer_find_package PROPERTIES
  TIMEOUT 900 RUN_SERIAL TRUE LABELS consumer)
set_tests_properties(consumer_add_subdirectory PROPERTIES
  TIMEOUT 2400 RUN_SERIAL TRUE LABELS consumer)
unset(_axon_consumer_common)
