#pragma once
// axon::save / axon::load for optimizers, beside the modules' ones in axon/nn/checkpoint.h: a
// safetensors file holding the state tensors under Optimizer::state_dict()'s names
// ("state.0.exp_avg", ...) and its scalars (each group's options and parameter indices, the step
// counts) in the metadata, as decimal strings that read back to the same double, plus
// "axon.optimizer": the optimizer's type (Optimizer::name()), which load checks.
//
//   axon::save(model, "model.safetensors");
//   axon::save(optimizer, "optimizer.safetensors");
//   ...                                       // later, with a model and optimizer built alike:
//   axon::load(model, "model.safetensors");
//   axon::load(optimizer, "optimizer.safetensors");  // training continues exactly

#include <string>

#include "axon/optim/optimizer.h"
#include "axon/serialize.h"

namespace axon {

void save(const optim::Optimizer& optimizer, const std::string& path);
// Checks the file against the optimizer (its type, the number of groups and of parameters in
// each, every state tensor's shape and dtype against its parameter's) before changing anything;
// a mismatch is an axon::Error naming the file. State tensors go to the parameters' devices.
void load(optim::Optimizer& optimizer, const std::string& path);

// The same content in memory, for callers that store an optimizer beside other things in one
// file (axon-train's checkpoints prefix its names): what save writes, and what load reads,
// `source` naming the file in errors.
serialize::SafetensorsFile optimizer_checkpoint(const optim::Optimizer& optimizer);
void load_optimizer_checkpoint(optim::Optimizer& optimizer, serialize::SafetensorsFile file,
                               const std::string& source);

}  // namespace axon
