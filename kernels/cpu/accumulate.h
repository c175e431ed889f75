#pragma once
// Sums in double of many terms, as PyTorch's CPU kernels accumulate float reductions (batch
// norm's statistics, conv's bias gradient).

#include <cstdint>

namespace axon::cpu {

// The sum of term(i) for i in [0, n), in double, over 8 interleaved partial sums. One running
// sum is a chain of dependent additions, 4 cycles each: in LeNet-5's conv bias gradient and in
// batch norm it took 10-40% of a training step. In double, the order moves a float result only
// where the exact sum lies within ~1e-16 of the float's rounding boundary.
template <typename F>
double sum_in_double(int64_t n, const F& term) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(term(i + l));
  }
  for (; i < n; ++i) lanes[0] += static_cast<double>(term(i));
  double sum = 0;
  for (double lane : lanes) sum += lane;
  return sum;
}

}  // namespace axon::cpu
