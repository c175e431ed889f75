#pragma once
// The 1cycle policy, as torch.optim.lr_scheduler.OneCycleLR: the lr anneals from
// max_lr / div_factor up to max_lr over pct_start of total_steps, then down to
// max_lr / div_factor / final_div_factor (three_phase: back to the initial lr first). With
// cycle_momentum the momentum (SGD's, RMSprop's) or beta1 (Adam's, AdamW's) moves inversely
// between max_momentum and base_momentum. Step it once per batch, total_steps times at most.

#include <cstdint>
#include <vector>

#include "axon/optim/schedulers/lr_scheduler.h"

namespace axon::optim {

class OneCycleLR : public LRScheduler {
 public:
  enum AnnealStrategy { cos, linear };

  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps, double pct_start = 0.3,
             AnnealStrategy anneal_strategy = cos, bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95, double div_factor = 25.0,
             double final_div_factor = 1e4, bool three_phase = false);
  // One max_lr per parameter group.
  OneCycleLR(Optimizer& optimizer, const std::vector<double>& max_lrs, int64_t total_steps,
             double pct_start = 0.3, AnnealStrategy anneal_strategy = cos,
             bool cycle_momentum = true, double base_momentum = 0.85, double max_momentum = 0.95,
             double div_factor = 25.0, double final_div_factor = 1e4, bool three_phase = false);

 private:
  // Where a phase ends and which per-group values it anneals between.
  enum Level { kInitial, kMax, kMin, kBase };
  struct Phase {
    double end_step;
    Level start_lr, end_lr, start_momentum, end_momentum;
  };
  struct GroupLevels {
    double initial_lr, max_lr, min_lr, base_momentum, max_momentum;
    double lr(Level level) const;
    double momentum(Level level) const;
  };

  std::vector<double> get_lrs() override;
  double anneal(double start, double end, double pct) const;

  int64_t total_steps_;
  AnnealStrategy anneal_strategy_;
  bool cycle_momentum_;
  std::vector<Phase> phases_;
  std::vector<GroupLevels> groups_;
};

}  // namespace axon::optim
