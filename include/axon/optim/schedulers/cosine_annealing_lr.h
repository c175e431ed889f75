#pragma once
// Cosine annealing from the initial lr to eta_min over T_max epochs (and back up over the next
// T_max), as torch.optim.lr_scheduler.CosineAnnealingLR in its chainable (recursive) form.

#include <cstdint>
#include <vector>

#include "axon/optim/schedulers/lr_scheduler.h"

namespace axon::optim {

class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 private:
  std::vector<double> get_lrs() override;
  int64_t T_max_;
  double eta_min_;
};

}  // namespace axon::optim
