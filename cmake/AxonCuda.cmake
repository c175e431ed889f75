# The CUDA backend: AXON_CUDA=AUTO builds it when nvcc is found, ON requires it, OFF skips it.
# Sets AXON_WITH_CUDA and defines axon_add_cuda(target) which links the CUDA libraries.
set(AXON_WITH_CUDA OFF)
if(NOT AXON_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Hopper (H100/H200) only unless told otherwise: nvcc is slow on small machines.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 does not know nvcc's C++20 flag; nvcc 12+ accepts -std=c++20.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    find_library(AXON_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
    find_path(AXON_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
    if(NOT AXON_CUDNN_LIBRARY OR NOT AXON_CUDNN_INCLUDE_DIR)
      message(FATAL_ERROR "axon: the CUDA backend needs cuDNN 9 (cudnn.h and libcudnn)")
    endif()
    set(AXON_WITH_CUDA ON)
  elseif(AXON_CUDA STREQUAL "ON")
    message(FATAL_ERROR "axon: AXON_CUDA=ON but no CUDA compiler (nvcc) was found")
  endif()
endif()
if(AXON_WITH_CUDA)
  message(STATUS "axon: CUDA backend ON (architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "axon: CUDA backend OFF")
endif()

function(axon_add_cuda target)
  target_link_libraries(${target} PRIVATE CUDA::cudart CUDA::cublas ${AXON_CUDNN_LIBRARY})
  target_include_directories(${target} PRIVATE ${AXON_CUDNN_INCLUDE_DIR})
  # fmt 9 turns constexpr off under nvcc but keeps its C++20 constexpr functions, which then
  # call non-constexpr ones; keeping constexpr on is consistent and compiles.
  target_compile_definitions(${target} PRIVATE AXON_WITH_CUDA=1
    $<$<COMPILE_LANGUAGE:CUDA>:FMT_USE_CONSTEXPR=1>)
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
endfunction()
