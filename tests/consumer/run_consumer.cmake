# Driver for the consumer tests (consumer_tests.cmake): cmake -DMODE=find_package|add_subdirectory
# -DCONSUMER_DIR= -DAXON_SOURCE_DIR= -DAXON_BINARY_DIR= -DWORK_DIR= -DGENERATOR= -DMAKE_PROGRAM=
# -DCXX_COMPILER= [-DCONFIG=] -P run_consumer.cmake
# Each step runs in turn; the first that fails stops the test with its name.
cmake_minimum_required(VERSION 3.25)

foreach(var MODE CONSUMER_DIR AXON_SOURCE_DIR AXON_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()
cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)

function(step name)
  message(STATUS "consumer_${MODE}: ${name}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "consumer_${MODE}: FAILED at step '${name}' (exit ${rc}):\n  ${command}")
  endif()
endfunction()

set(build_dir ${WORK_DIR}/build)
set(configure_args -S ${CONSUMER_DIR} -B ${build_dir} -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=${CONFIG} -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

if(MODE STREQUAL "find_package")
  # From scratch each time (one file to compile), so that nothing stale is found or cached.
  set(prefix ${WORK_DIR}/prefix)
  file(REMOVE_RECURSE ${WORK_DIR})
  step("install axon into ${prefix}"
    ${CMAKE_COMMAND} --install ${AXON_BINARY_DIR} --prefix ${prefix} --config ${CONFIG})
  step("configure the consumer with find_package(axon)"
    ${CMAKE_COMMAND} ${configure_args} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DAXON_CONSUMER_SOURCE_DIR=)
elseif(MODE STREQUAL "add_subdirectory")
  step("configure the consumer with add_subdirectory(${AXON_SOURCE_DIR})"
    ${CMAKE_COMMAND} ${configure_args} -DAXON_CONSUMER_SOURCE_DIR=${AXON_SOURCE_DIR}
    -DAXON_CUDA=OFF -DAXON_BUILD_TESTS=OFF -DAXON_BUILD_APPS=OFF -DAXON_BUILD_BENCH=OFF)
else()
  message(FATAL_ERROR "run_consumer.cmake: MODE must be find_package or add_subdirectory")
endif()

step("build the consumer" ${CMAKE_COMMAND} --build ${build_dir} --config ${CONFIG} --parallel ${jobs})

# Single-config generators put the program in the build dir, multi-config ones in a subdir.
set(program ${build_dir}/consumer)
if(NOT EXISTS ${program})
  set(program ${build_dir}/${CONFIG}/consumer)
endif()
step("run the consumer" ${program})
