#include "axon/optim/schedulers/multi_step_lr.h"

#include <cmath>

namespace axon::optim {

MultiStepLR::MultiStepLR(Optimizer& optimizer, const std::vector<int64_t>& milestones, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  for (int64_t milestone : milestones) ++milestone_counts_[milestone];
  initial_step();
}

std::vector<double> MultiStepLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  auto it = milestone_counts_.find(last_epoch_);
  if (it == milestone_counts_.end()) return lrs;
  const double factor = std::pow(gamma_, static_cast<double>(it->second));
  for (double& lr : lrs) lr *= factor;
  return lrs;
}

}  // namespace axon::optim
