#pragma once
// Multiplies the lr by gamma every epoch, as torch.optim.lr_scheduler.ExponentialLR.

#include <vector>

#include "axon/optim/schedulers/lr_scheduler.h"

namespace axon::optim {

class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  std::vector<double> get_lrs() override;
  double gamma_;
};

}  // namespace axon::optim
