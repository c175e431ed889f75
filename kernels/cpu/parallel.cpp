// Thread count for CPU kernels: OpenMP loops and OpenBLAS share it.
#include <cblas.h>
#include <omp.h>

#include "axon/error.h"
#include "axon/functions.h"

namespace axon {

void set_num_threads(int n) {
  AXON_CHECK(n > 0, "set_num_threads: expected a positive number of threads, got {}", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace axon
