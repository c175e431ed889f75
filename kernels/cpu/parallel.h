#pragma once
// parallel_for over an index range with OpenMP, serial below `grain` elements (entering a
// parallel region costs microseconds, more than small ops take).

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace axon::cpu {

// Elements per thread below which elementwise loops stay on one thread.
inline constexpr int64_t kElementwiseGrain = 32768;

template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int max_threads = omp_get_max_threads();
  if (n <= grain || max_threads == 1 || omp_in_parallel()) {
    f(begin, end);
    return;
  }
  const int64_t tasks = std::min<int64_t>(max_threads, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast <int>(tasks))
  {
    const int64_t nt = omp_get_num_threads();
    const int64_t tid = omp_get_thread_num();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t b = begin + tid * chunk;
    const int64_t e = std::min(end, b + chunk);
    if (b < e) f(b, e);
  }
}

}  // namespace axon::cpu
