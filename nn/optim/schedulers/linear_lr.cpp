#include "axon/optim/schedulers/linear_lr.h"

#include "axon/error.h"

namespace axon::optim {

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor,
                   int64_t total_iters)
    : LRScheduler(optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  // A start factor of 0 would divide by zero in the recursive form (PyTorch 2 refuses it too).
  AXON_CHECK(start_factor > 0 && start_factor <= 1,
             "LinearLR: start_factor expected to be greater than 0 and at most 1, got {}",
             start_factor);
  AXON_CHECK(end_factor >= 0 && end_factor <= 1,
             "LinearLR: end_factor expected to be between 0 and 1, got {}", end_factor);
  AXON_CHECK(total_iters >= 0, "LinearLR: total_iters must not be negative, got {}", total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double delta = end_factor_ - start_factor_;
  const double factor = 1. + delta / (static_cast<double>(total_iters_) * start_factor_ +
                                      static_cast<double>(last_epoch_ - 1) * delta);
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

}  // namespace axon::optim
