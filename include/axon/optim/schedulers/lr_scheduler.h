#pragma once
// The learning-rate scheduler base, as LibTorch's torch::optim::LRScheduler, with PyTorch's
// semantics: construction performs step 0 (so a schedule such as LinearLR or OneCycleLR sets
// its first lr at once) and each step() after optimizer.step() advances one epoch. Schedules are
// PyTorch's chainable forms (each lr computed from the current one), so sequences match
// PyTorch's to the last bit.
//
//   axon::optim::StepLR scheduler(optimizer, /*step_size=*/30, /*gamma=*/0.1);
//   for (...) { ...; optimizer.step(); scheduler.step(); }

#include <cstdint>
#include <vector>

#include "axon/optim/optimizer.h"

namespace axon::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;

  // Advances one epoch and sets every group's lr.
  void step();
  // The lrs the last step set, one per parameter group.
  const std::vector<double>& get_last_lr() const { return last_lrs_; }
  // The epoch the last step reached (0 after construction).
  int64_t last_epoch() const { return last_epoch_; }

 protected:
  // The lrs for epoch last_epoch_, one per parameter group.
  virtual std::vector<double> get_lrs() = 0;
  // Performs step 0; a derived constructor calls it last, once its own members are set.
  void initial_step() { step(); }
  std::vector<double> get_current_lrs() const;

  Optimizer& optimizer_;
  // Each group's lr when the scheduler was made (PyTorch's base_lrs / initial_lr).
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  // How many times step() has run, the initial step included.
  int64_t step_count_ = 0;

 private:
  std::vector<double> last_lrs_;
};

}  // namespace axon::optim
