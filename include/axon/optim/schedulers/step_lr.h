#pragma once
// Multiplies the lr by gamma every step_size epochs, as torch.optim.lr_scheduler.StepLR.

#include <cstdint>
#include <vector>

#include "axon/optim/schedulers/lr_scheduler.h"

namespace axon::optim {

class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  std::vector<double> get_lrs() override;
  int64_t step_size_;
  double gamma_;
};

}  // namespace axon::optim
