#include "axon/optim/schedulers/cosine_annealing_lr.h"

#include <cmath>
#include <numbers>

#include "axon/error.h"

namespace axon::optim {

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  AXON_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got {}", T_max);
  initial_step();
}

// PyTorch's get_lr, term for term: the recursive form, with the restart branch at the bottom
// of each cosine.
std::vector<double> CosineAnnealingLR::get_lrs() {
  using std::numbers::pi;
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) return lrs;
  const double t_max = static_cast<double>(T_max_);
  const double epoch = static_cast<double>(last_epoch_);
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
    for (size_t i = 0; i < lrs.size(); ++i) {
      lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
    }
    return lrs;
  }
  for (double& lr : lrs) {
    lr = (1 + std::cos(pi * epoch / t_max)) / (1 + std::cos(pi * (epoch - 1) / t_max)) *
             (lr - eta_min_) +
         eta_min_;
  }
  return lrs;
}

}  // namespace axon::optim
