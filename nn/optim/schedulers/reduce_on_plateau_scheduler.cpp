#include "axon/optim/schedulers/reduce_on_plateau_scheduler.h"

#include <algorithm>
#include <limits>

#include "axon/error.h"

namespace axon::optim {

ReduceLROnPlateauScheduler::ReduceLROnPlateauScheduler(
    Optimizer& optimizer, SchedulerMode mode, double factor, int64_t patience, double threshold,
    ThresholdMode threshold_mode, int64_t cooldown, const std::vector<double>& min_lr, double eps)
    : optimizer_(optimizer),
      mode_(mode),
      factor_(factor),
      patience_(patience),
      threshold_(threshold),
      threshold_mode_(threshold_mode),
      cooldown_(cooldown),
      eps_(eps) {
  AXON_CHECK(factor < 1.0, "ReduceLROnPlateau: factor should be < 1.0, got {}", factor);
  AXON_CHECK(mode == min || mode == max, "ReduceLROnPlateau: unknown mode {}",
             static_cast<int>(mode));
  AXON_CHECK(threshold_mode == rel || threshold_mode == abs,
             "ReduceLROnPlateau: unknown threshold mode {}", static_cast<int>(threshold_mode));
  const size_t groups = optimizer.param_groups().size();
  if (min_lr.size() <= 1) {
    min_lrs_.assign(groups, min_lr.empty() ? 0.0 : min_lr[0]);
  } else {
    AXON_CHECK(min_lr.size() == groups, "ReduceLROnPlateau: expected {} min_lrs, got {}", groups,
               min_lr.size());
    min_lrs_ = min_lr;
  }
  best_ = mode == min ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
  for (const OptimizerParamGroup& group : optimizer.param_groups()) {
    last_lrs_.push_back(group.options().get_lr());
  }
}

bool ReduceLROnPlateauScheduler::is_better(double a, double best) const {
  if (mode_ == min && threshold_mode_ == rel) return a < best * (1. - threshold_);
  if (mode_ == min) return a < best - threshold_;
  if (threshold_mode_ == rel) return a > best * (threshold_ + 1.);
  return a > best + threshold_;
}

void ReduceLROnPlateauScheduler::step(double metric) {
  AXON_CHECK(optimizer_.param_groups().size() == min_lrs_.size(),
             "ReduceLROnPlateau: the optimizer has {} parameter groups, but had {} when the "
             "scheduler was made",
             optimizer_.param_groups().size(), min_lrs_.size());
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > patience_) {
    reduce_lr();
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lrs_.clear();
  for (const OptimizerParamGroup& group : optimizer_.param_groups()) {
    last_lrs_.push_back(group.options().get_lr());
  }
}

void ReduceLROnPlateauScheduler::reduce_lr() {
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    const double old_lr = groups[i].options().get_lr();
    const double new_lr = std::max(old_lr * factor_, min_lrs_[i]);
    if (old_lr - new_lr > eps_) groups[i].options().set_lr(new_lr);
  }
}

}  // namespace axon::optim
