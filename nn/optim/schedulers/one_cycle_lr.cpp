#include "axon/optim/schedulers/one_cycle_lr.h"

#include <cmath>
#include <numbers>

#include "axon/error.h"

namespace axon::optim {

namespace {

std::vector<double> one_per_group(const Optimizer& optimizer, double value) {
  return std::vector<double>(optimizer.param_groups().size(), value);
}

}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start,
                       AnnealStrategy anneal_strategy, bool cycle_momentum, double base_momentum,
                       double max_momentum, double div_factor, double final_div_factor,
                       bool three_phase)
    : OneCycleLR(optimizer, one_per_group(optimizer, max_lr), total_steps, pct_start,
                 anneal_strategy, cycle_momentum, base_momentum, max_momentum, div_factor,
                 final_div_factor, three_phase) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, const std::vector<double>& max_lrs,
                       int64_t total_steps, double pct_start, AnnealStrategy anneal_strategy,
                       bool cycle_momentum, double base_momentum, double max_momentum,
                       double div_factor, double final_div_factor, bool three_phase)
    : LRScheduler(optimizer),
      total_steps_(total_steps),
      anneal_strategy_(anneal_strategy),
      cycle_momentum_(cycle_momentum) {
  AXON_CHECK(total_steps > 0, "OneCycleLR: expected positive integer total_steps, but got {}",
             total_steps);
  AXON_CHECK(pct_start >= 0 && pct_start <= 1,
             "OneCycleLR: expected float between 0 and 1 pct_start, but got {}", pct_start);
  AXON_CHECK(anneal_strategy == cos || anneal_strategy == linear,
             "OneCycleLR: anneal_strategy must be cos or linear, got {}",
             static_cast<int>(anneal_strategy));
  std::vector<OptimizerParamGroup>& groups = optimizer.param_groups();
  AXON_CHECK(max_lrs.size() == groups.size(), "OneCycleLR: expected {} values for max_lr, got {}",
             groups.size(), max_lrs.size());
  const double steps = static_cast<double>(total_steps);
  if (three_phase) {
    phases_ = {{pct_start * steps - 1, kInitial, kMax, kMax, kBase},
               {2 * pct_start * steps - 2, kMax, kInitial, kBase, kMax},
               {steps - 1, kInitial, kMin, kMax, kMax}};
  } else {
    phases_ = {{pct_start * steps - 1, kInitial, kMax, kMax, kBase},
               {steps - 1, kMax, kMin, kBase, kMax}};
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    const double initial_lr = max_lrs[i] / div_factor;
    groups_.push_back(
        {initial_lr, max_lrs[i], initial_lr / final_div_factor, base_momentum, max_momentum});
  }
  if (cycle_momentum_) {
    for (OptimizerParamGroup& group : groups) {
      AXON_CHECK(group.options().has_momentum(),
                 "OneCycleLR: optimizer must support momentum with `cycle_momentum` option "
                 "enabled");
      group.options().set_momentum(max_momentum);
    }
  }
  initial_step();
}

double OneCycleLR::GroupLevels::lr(Level level) const {
  return level == kInitial ? initial_lr : level == kMax ? max_lr : min_lr;
}

double OneCycleLR::GroupLevels::momentum(Level level) const {
  return level == kMax ? max_momentum : base_momentum;
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (anneal_strategy_ == linear) return (end - start) * pct + start;
  const double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

std::vector<double> OneCycleLR::get_lrs() {
  AXON_CHECK(last_epoch_ <= total_steps_,
             "OneCycleLR: tried to step {} times. The specified number of total steps is {}",
             last_epoch_ + 1, total_steps_);
  const double step_num = static_cast<double>(last_epoch_);
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  std::vector<double> lrs;
  for (size_t g = 0; g < groups.size(); ++g) {
    const GroupLevels& levels = groups_[g];
    double start_step = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& phase = phases_[i];
      if (step_num <= phase.end_step || i == phases_.size() - 1) {
        const double pct = (step_num - start_step) / (phase.end_step - start_step);
        lrs.push_back(anneal(levels.lr(phase.start_lr), levels.lr(phase.end_lr), pct));
        if (cycle_momentum_) {
          groups[g].options().set_momentum(anneal(levels.momentum(phase.start_momentum),
                                                  levels.momentum(phase.end_momentum), pct));
        }
        break;
      }
      start_step = phase.end_step;
    }
  }
  return lrs;
}

}  // namespace axon::optim
