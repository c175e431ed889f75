#include "axon/optim/checkpoint.h"

#include <charconv>
#include <cmath>
#include <map>
#include <vector>

#include "axon/error.h"
#include "axon/serialize.h"
#include "nn/optim/state_dict_keys.h"

namespace axon {
namespace {

using optim::detail::parse_index;
using optim::detail::split_indexed_key;

constexpr const char* kTypeKey = "axon.optimizer";

// The shortest decimal form that reads back to the same double.
std::string exact_decimal(double value) { return fmt::format("{}", value); }

double parse_decimal(const std::string& path, const std::string& key, const std::string& text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  AXON_CHECK(!text.empty() && ec == std::errc() && end == text.data() + text.size(),
             "load: {}: metadata '{}' should be a number, got '{}'", path, key, text);
  return value;
}

// Checks that the file's groups and parameters line up with the optimizer's, and that every
// state tensor has its parameter's shape and dtype; load_state_dict checks the rest (options,
// keys, step counts) and converts nothing silently that got past here.
void check_layout(const optim::Optimizer& optimizer, const optim::OptimizerStateDict& dict,
                  const std::string& path) {
  const std::vector<optim::OptimizerParamGroup>& groups = optimizer.param_groups();
  size_t file_groups = 0;
  std::map<size_t, size_t> params_per_group;
  std::map<size_t, Tensor> param_by_id;
  for (const auto& [key, value] : dict.scalars) {
    size_t g = 0, k = 0;
    std::string_view rest;
    if (!split_indexed_key(key, "param_groups.", &g, &rest)) continue;
    file_groups = std::max(file_groups, g + 1);
    if (rest.substr(0, 7) != "params." || !parse_index(rest.substr(7), &k)) continue;
    ++params_per_group[g];
    if (g < groups.size() && k < groups[g].params().size() && value >= 0 && value < 1e15 &&
        value == std::floor(value)) {
      param_by_id.emplace(static_cast<size_t>(value), groups[g].params()[k]);
    }
  }
  AXON_CHECK(file_groups == groups.size(),
             "load: {} holds {} parameter groups, but the {} optimizer has {}", path, file_groups,
             optimizer.name(), groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    AXON_CHECK(params_per_group[g] == groups[g].params().size(),
               "load: {}: parameter group {} holds {} parameters, but the optimizer's has {}", path,
               g, params_per_group[g], groups[g].params().size());
  }
  for (const auto& [key, value] : dict.tensors) {
    size_t id = 0;
    std::string_view rest;
    if (!split_indexed_key(key, "state.", &id, &rest)) continue;
    auto it = param_by_id.find(id);
    if (it == param_by_id.end()) continue;
    const Tensor& param = it->second;
    AXON_CHECK(value.sizes() == param.sizes(),
               "load: {}: '{}' has shape {}, but its parameter has shape {}", path, key,
               value.sizes(), param.sizes());
    AXON_CHECK(value.dtype() == param.dtype(), "load: {}: '{}' is {}, but its parameter is {}",
               path, key, value.dtype(), param.dtype());
  }
}

}  // namespace

serialize::SafetensorsFile optimizer_checkpoint(const optim::Optimizer& optimizer) {
  optim::OptimizerStateDict dict = optimizer.state_dict();
  serialize::SafetensorsFile file;
  file.tensors = std::move(dict.tensors);
  file.metadata.emplace(kTypeKey, optimizer.name());
  for (const auto& [key, value] : dict.scalars) file.metadata.emplace(key, exact_decimal(value));
  return file;
}

void load_optimizer_checkpoint(optim::Optimizer& optimizer, serialize::SafetensorsFile file,
                               const std::string& path) {
  auto type = file.metadata.find(kTypeKey);
  AXON_CHECK(type != file.metadata.end(),
             "load: {} is not an optimizer checkpoint: its metadata has no '{}'", path, kTypeKey);
  AXON_CHECK(type->second == optimizer.name(),
             "load: {} holds the state of an optimizer of type {}, which cannot be loaded into one "
             "of type {}",
             path, type->second, optimizer.name());
  optim::OptimizerStateDict dict;
  dict.tensors = std::move(file.tensors);
  for (const auto& [key, text] : file.metadata) {
    if (key != kTypeKey) dict.scalars.emplace_back(key, parse_decimal(path, key, text));
  }
  check_layout(optimizer, dict, path);
  try {
    optimizer.load_state_dict(dict);
  } catch (const Error& e) {
    AXON_ERROR("load: {}: {}", path, e.message());
  }
}

void save(const optim::Optimizer& optimizer, const std::string& path) {
  serialize::SafetensorsFile file = optimizer_checkpoint(optimizer);
  serialize::save_safetensors(file.tensors, path, file.metadata);
}

void load(optim::Optimizer& optimizer, const std::string& path) {
  load_optimizer_checkpoint(optimizer, serialize::load_safetensors(path), path);
}

}  // namespace axon
