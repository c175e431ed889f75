#include "axon/nn/checkpoint.h"

#include <set>

#include "axon/autograd/grad_mode.h"

namespace axon {
namespace nn {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  return out;
}

}  // namespace

serialize::TensorDict state_dict(const Module& module) {
  serialize::TensorDict out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

void load_state_dict(Module& module, const serialize::TensorDict& state, bool strict,
                     const std::string& source) {
  serialize::TensorDict own = state_dict(module);
  std::set<std::string> own_names, given_names;
  for (const auto& [name, t] : own) own_names.insert(name);
  std::vector<std::string> missing, unexpected;
  for (const auto& [name, t] : state) {
    given_names.insert(name);
    if (!own_names.count(name)) unexpected.push_back(name);
  }
  for (const auto& [name, t] : own) {
    if (!given_names.count(name)) missing.push_back(name);
  }
  if (strict && (!missing.empty() || !unexpected.empty())) {
    std::string message = "Error(s) in loading state_dict for " + module.name() + " from " + source;
    if (!missing.empty()) message += "\n\tMissing key(s) in state_dict: " + quoted_list(missing);
    if (!unexpected.empty()) {
      message += "\n\tUnexpected key(s) in state_dict: " + quoted_list(unexpected);
    }
    AXON_ERROR("{}", message);
  }
  // Check everything before writing anything, so a bad file leaves the module untouched.
  std::vector<std::pair<Tensor, Tensor>> copies;
  for (const auto& [name, target] : own) {
    for (const auto& [given_name, value] : state) {
      if (given_name != name) continue;
      AXON_CHECK(value.defined(), "load_state_dict ({}): the tensor given for {} is undefined",
                 source, name);
      AXON_CHECK(value.sizes() == target.sizes(),
                 "load_state_dict ({}): size mismatch for {}: copying a param with shape {}, the "
                 "shape in the current model is {}",
                 source, name, value.sizes(), target.sizes());
      AXON_CHECK(value.dtype() == target.dtype(),
                 "load_state_dict ({}): dtype mismatch for {}: the checkpoint has {}, the model {}",
                 source, name, value.dtype(), target.dtype());
      copies.emplace_back(target, value);
    }
  }
  NoGradGuard no_grad;
  for (auto& [target, value] : copies) target.copy_(value);
}

}  // namespace nn

void save(const nn::Module& module, const std::string& path) {
  serialize::save_safetensors(nn::state_dict(module), path,
                              {{"format", "pt"}, {"axon.module", module.name()}});
}

void load(nn::Module& module, const std::string& path, bool strict) {
  nn::load_state_dict(module, serialize::load_safetensors(path).tensors, strict, path);
}

}  // namespace axon
