#pragma once
// Scales the lr linearly from start_factor to end_factor of the initial lr over total_iters
// epochs, as torch.optim.lr_scheduler.LinearLR.

#include <cstdint>
#include <vector>

#include "axon/optim/schedulers/lr_scheduler.h"

namespace axon::optim {

class LinearLR : public LRScheduler {
 public:
  explicit LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
                    int64_t total_iters = 5);

 private:
  std::vector<double> get_lrs() override;
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

}  // namespace axon::optim
