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

namespace axon {

void save(const optim::Optimizer& optimizer, const std::string& path);
// Checks the file against the optimizer (its type, the number of groups and of parameters in
// each, every state tensor's shape and dtype against its parameter's) before changing anything;
// a mismatch is an axon::Error naming the file. State tensors go to the parameters' devices.
void load(optim::Optimizer& optimizer, const std::string& path);

}  // namespace axon
