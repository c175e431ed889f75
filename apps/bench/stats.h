#pragma once
// Order statistics of timings: the median and percentiles that axon-bench reports.

#include <axon/error.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace axon::bench {

// The q-quantile (q in [0, 1]) with linear interpolation between the two nearest ranks, as
// numpy.percentile's default, so that the PyTorch side computes the same figure.
inline double quantile(std::vector<double> values, double q) {
  AXON_CHECK(!values.empty(), "quantile: no values");
  AXON_CHECK(q >= 0 && q <= 1, "quantile: q must be in [0, 1], got {}", q);
  std::sort(values.begin(), values.end());
  const double rank = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (rank - static_cast<double>(below)) * (values[above] - values[below]);
}

inline double median(std::vector<double> values) { return quantile(std::move(values), 0.5); }

}  // namespace axon::bench
