#pragma once
// axon-train's checkpoint: one safetensors file (written atomically) holding everything a run
// needs to continue exactly where it stopped: the model ("model.<name>", PyTorch's state_dict
// names after the prefix), the optimizer ("optimizer.<name>"), the generator's state, the
// number of epochs done, the scheduler's position and the metrics so far.

#include <axon/axon.h>

#include <cstdint>
#include <string>
#include <vector>

#include "options.h"
#include "report.h"

namespace axon::train {

struct TrainingState {
  int64_t epochs_done = 0;
  int64_t scheduler_steps = 0;
  std::vector<EpochMetrics> history;
};

void save_checkpoint(const std::string& path, const TrainOptions& options, const nn::Module& model,
                     const optim::Optimizer& optimizer, const TrainingState& state);

// The run's state saved in `path`, after checking that the file comes from the same model,
// dataset, optimizer, batch size and schedule as `options` name (an axon::Error says which
// differs).
TrainingState read_checkpoint_state(const std::string& path, const TrainOptions& options);

// Restores model, optimizer and generator from `path` (each checked before it is changed).
void restore_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& optimizer);

}  // namespace axon::train
