#pragma once
// axon::save / axon::load for modules (and, in axon/optim/checkpoint.h, optimizers): safetensors
// files holding the module's parameters and buffers under PyTorch's state_dict names
// (conv1.weight, bn1.running_mean, ...), so that a torch model of the same structure loads
// them with load_state_dict(safetensors.torch.load_file(path), strict=True), and the reverse.
//
//   axon::save(model, "model.safetensors");
//   axon::load(model, "model.safetensors");            // strict: names must match exactly

#include <memory>
#include <string>

#include "axon/nn/module.h"
#include "axon/nn/pimpl.h"
#include "axon/serialize.h"

namespace axon {

namespace nn {
// The module's state as PyTorch's state_dict(): parameters and buffers, dotted names.
serialize::TensorDict state_dict(const Module& module);
// Copies `state` into the module's tensors (keeping their devices). Every tensor present in
// both must agree in shape and dtype; with `strict`, the names must match exactly, and the
// error lists the missing and the unexpected ones.
void load_state_dict(Module& module, const serialize::TensorDict& state, bool strict = true,
                     const std::string& source = "state_dict");
}  // namespace nn

void save(const nn::Module& module, const std::string& path);
void load(nn::Module& module, const std::string& path, bool strict = true);

template <typename M>
void save(const std::shared_ptr<M>& module, const std::string& path) {
  AXON_CHECK(module != nullptr, "save: the module is empty (nullptr)");
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename M>
void save(const nn::ModuleHolder<M>& module, const std::string& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename M>
void load(const std::shared_ptr<M>& module, const std::string& path, bool strict = true) {
  AXON_CHECK(module != nullptr, "load: the module is empty (nullptr)");
  load(static_cast<nn::Module&>(*module), path, strict);
}
template <typename M>
void load(nn::ModuleHolder<M>& module, const std::string& path, bool strict = true) {
  load(static_cast<nn::Module&>(*module), path, strict);
}

}  // namespace axon
