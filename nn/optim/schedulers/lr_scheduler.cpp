#include "axon/optim/schedulers/lr_scheduler.h"

#include "axon/error.h"

namespace axon::optim {

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lrs_(get_current_lrs()) {}

std::vector<double> LRScheduler::get_current_lrs() const {
  std::vector<double> lrs;
  for (const OptimizerParamGroup& group : optimizer_.param_groups()) {
    lrs.push_back(group.options().get_lr());
  }
  return lrs;
}

void LRScheduler::step() {
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  // The schedules keep per-group values from construction (base_lrs_, ...).
  AXON_CHECK(groups.size() == base_lrs_.size(),
             "LRScheduler: the optimizer has {} parameter groups, but had {} when the scheduler "
             "was made",
             groups.size(), base_lrs_.size());
  ++step_count_;
  ++last_epoch_;
  std::vector<double> lrs = get_lrs();
  AXON_CHECK(lrs.size() == groups.size(),
             "LRScheduler: the schedule gave {} learning rates for {} parameter groups", lrs.size(),
             groups.size());
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lrs[i]);
  last_lrs_ = std::move(lrs);
}

}  // namespace axon::optim
