#pragma once
// Reduces the lr when a metric stops improving, as LibTorch's ReduceLROnPlateauScheduler and
// torch.optim.lr_scheduler.ReduceLROnPlateau:
//
//   axon::optim::ReduceLROnPlateauScheduler scheduler(optimizer);
//   for (...) { train(); scheduler.step(validation_loss); }

#include <cstdint>
#include <vector>

#include "axon/optim/optimizer.h"

namespace axon::optim {

class ReduceLROnPlateauScheduler {
 public:
  enum SchedulerMode { min, max };
  enum ThresholdMode { rel, abs };

  // min_lr: empty (0 for every group), one value for every group, or one per group.
  explicit ReduceLROnPlateauScheduler(Optimizer& optimizer, SchedulerMode mode = min,
                                      double factor = 0.1, int64_t patience = 10,
                                      double threshold = 1e-4, ThresholdMode threshold_mode = rel,
                                      int64_t cooldown = 0, const std::vector<double>& min_lr = {},
                                      double eps = 1e-8);
  virtual ~ReduceLROnPlateauScheduler() = default;

  // Records one epoch's metric; after more than `patience` epochs without improvement, each
  // group's lr becomes max(lr * factor, min_lr) (unless that changes it by eps or less).
  void step(double metric);
  // Every group's lr after the last step.
  const std::vector<double>& get_last_lr() const { return last_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }

 private:
  bool is_better(double a, double best) const;
  void reduce_lr();

  Optimizer& optimizer_;
  SchedulerMode mode_;
  double factor_;
  int64_t patience_;
  double threshold_;
  ThresholdMode threshold_mode_;
  int64_t cooldown_;
  std::vector<double> min_lrs_;
  double eps_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lrs_;
};

// PyTorch's name.
using ReduceLROnPlateau = ReduceLROnPlateauScheduler;

}  // namespace axon::optim
