# Finds OpenBLAS and defines OpenBLAS::OpenBLAS.
#
# The OpenMP build of OpenBLAS (Debian: libopenblas-openmp-dev) is preferred: it runs on the
# same OpenMP thread pool as axon's own kernels. With the pthread build, OpenBLAS's idle workers
# and OpenMP's idle workers spin against each other and a small training step on 2 cores ran
# three times slower. Both builds share one soname, so the library directory also goes into the
# RUNPATH (CMake adds it for a library linked by full path outside the system directories).
set(_axon_openblas_dirs
  /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp)
find_library(OpenBLAS_LIBRARY NAMES openblas PATHS ${_axon_openblas_dirs} NO_DEFAULT_PATH)
if(OpenBLAS_LIBRARY)
  set(OpenBLAS_VARIANT openmp)
  find_path(OpenBLAS_INCLUDE_DIR cblas.h NO_DEFAULT_PATH
    PATHS /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/aarch64-linux-gnu/openblas-openmp)
else()
  find_library(OpenBLAS_LIBRARY NAMES openblas)
  set(OpenBLAS_VARIANT default)
endif()
find_path(OpenBLAS_INCLUDE_DIR cblas.h
  PATH_SUFFIXES openblas openblas-pthread
  HINTS /usr/include/x86_64-linux-gnu /usr/include/aarch64-linux-gnu)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLAS REQUIRED_VARS OpenBLAS_LIBRARY OpenBLAS_INCLUDE_DIR)
if(OpenBLAS_FOUND AND NOT TARGET OpenBLAS::OpenBLAS)
  add_library(OpenBLAS::OpenBLAS UNKNOWN IMPORTED)
  set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
    IMPORTED_LOCATION "${OpenBLAS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIR}")
  if(NOT OpenBLAS_VARIANT STREQUAL "openmp")
    message(WARNING "axon: using the pthread build of OpenBLAS (${OpenBLAS_LIBRARY}); install "
                    "libopenblas-openmp-dev so OpenBLAS and axon share one thread pool")
  endif()
endif()
mark_as_advanced(OpenBLAS_INCLUDE_DIR OpenBLAS_LIBRARY)
