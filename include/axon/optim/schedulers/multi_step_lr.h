#pragma once
// Multiplies the lr by gamma at each milestone epoch (by gamma^k for a milestone listed k
// times), as torch.optim.lr_scheduler.MultiStepLR.

#include <cstdint>
#include <map>
#include <vector>

#include "axon/optim/schedulers/lr_scheduler.h"

namespace axon::optim {

class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, const std::vector<int64_t>& milestones, double gamma = 0.1);

 private:
  std::vector<double> get_lrs() override;
  std::map<int64_t, int64_t> milestone_counts_;
  double gamma_;
};

}  // namespace axon::optim
