#include "axon/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"
#include "nn/optim/state_dict_keys.h"

namespace axon::optim {

double OptimizerOptions::get_momentum() const {
  AXON_ERROR("this optimizer has no momentum to cycle");
}
void OptimizerOptions::set_momentum(double /*momentum*/) {
  AXON_ERROR("this optimizer has no momentum to cycle");
}

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.options_ ? other.options_->clone() : nullptr) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.options_ ? other.options_->clone() : nullptr;
  }
  return *this;
}

OptimizerOptions& OptimizerParamGroup::options() {
  AXON_CHECK(options_ != nullptr, "this parameter group has no options");
  return *options_;
}
const OptimizerOptions& OptimizerParamGroup::options() const {
  AXON_CHECK(options_ != nullptr, "this parameter group has no options");
  return *options_;
}

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : Optimizer("Optimizer", std::move(param_groups), std::move(defaults)) {}

Optimizer::Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults)
    : Optimizer("Optimizer", std::vector<OptimizerParamGroup>{std::move(parameters)},
                std::move(defaults)) {}

Optimizer::Optimizer(std::string name, std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {
  AXON_CHECK(defaults_ != nullptr, "{}: the default options are null", name_);
  bool empty =
      param_groups.empty() || (param_groups.size() == 1 && param_groups[0].params().empty());
  AXON_CHECK(!empty, "{}: optimizer got an empty parameter list", name_);
  for (const OptimizerParamGroup& group : param_groups) add_group_unchecked(group);
}

void Optimizer::check_new_params(const std::vector<Tensor>& params, size_t group_index) const {
  std::unordered_set<const void*> seen;
  for (const OptimizerParamGroup& group : param_groups_) {
    for (const Tensor& p : group.params()) seen.insert(p.unsafeGetTensorImpl());
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    AXON_CHECK(p.defined(), "{}: parameter {} of group {} is an undefined tensor", name_, i,
               group_index);
    AXON_CHECK(p.is_leaf() || p.retains_grad(),
               "{}: can't optimize a non-leaf Tensor (parameter {} of group {})", name_, i,
               group_index);
    // PyTorch only warns about a duplicate inside a group; it would be updated twice per step.
    AXON_CHECK(seen.insert(p.unsafeGetTensorImpl()).second,
               "{}: some parameters appear more than once in the parameter groups (parameter {} "
               "of group {})",
               name_, i, group_index);
  }
}

void Optimizer::add_group_unchecked(const OptimizerParamGroup& param_group) {
  check_new_params(param_group.params(), param_groups_.size());
  OptimizerParamGroup group(param_group.params());
  group.set_options(param_group.has_options() ? param_group.options().clone() : defaults_->clone());
  param_groups_.push_back(std::move(group));
}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  if (param_group.has_options()) check_options(param_group.options());
  add_group_unchecked(param_group);
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  check_new_params(parameters, 0);
  std::vector<Tensor>& first = param_groups_.at(0).params();
  first.insert(first.end(), parameters.begin(), parameters.end());
}

void Optimizer::check_options(const OptimizerOptions& options) const {
  AXON_CHECK(options.get_lr() >= 0, "{}: invalid learning rate: {}", name_, options.get_lr());
}

void Optimizer::zero_grad(bool set_to_none) {
  for (OptimizerParamGroup& group : param_groups_) {
    for (const Tensor& p : group.params()) {
      Tensor& grad = p.mutable_grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        grad = Tensor();
        continue;
      }
      if (grad.grad_fn()) {
        grad.detach_();
      } else {
        grad.requires_grad_(false);
      }
      grad.zero_();
    }
  }
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> all;
  for (const OptimizerParamGroup& group : param_groups_) {
    all.insert(all.end(), group.params().begin(), group.params().end());
  }
  return all;
}

size_t Optimizer::size() const noexcept {
  size_t n = 0;
  for (const OptimizerParamGroup& group : param_groups_) n += group.params().size();
  return n;
}

void Optimizer::throw_wrong_options() const {
  AXON_ERROR("{}: a parameter group has options of another optimizer", name_);
}

Tensor Optimizer::run_closure(const LossClosure& closure) {
  if (!closure) return Tensor();
  AutoGradMode enable_grad(true);
  return closure();
}

OptimizerParamState* Optimizer::find_state(const Tensor& param) const {
  auto it = state_.find(param.unsafeGetTensorImpl());
  return it == state_.end() ? nullptr : it->second.get();
}

// ---- state_dict -----------------------------------------------------------------------------

namespace {

using detail::group_key;
using detail::split_indexed_key;
using detail::state_key;

// True if `value` is a whole number in [0, limit].
bool is_count(double value, double limit) {
  return value >= 0 && value <= limit && value == std::floor(value);
}

}  // namespace

OptimizerStateDict Optimizer::state_dict() const {
  OptimizerStateDict dict;
  size_t index = 0;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const OptimizerParamGroup& group = param_groups_[g];
    // fields() hands out pointers for reading and writing; only reads happen here.
    for (const OptionField& field : const_cast<OptimizerOptions&>(group.options()).fields()) {
      dict.scalars.emplace_back(group_key(g, field.name),
                                field.number ? *field.number : (*field.flag ? 1.0 : 0.0));
    }
    for (size_t k = 0; k < group.params().size(); ++k, ++index) {
      dict.scalars.emplace_back(group_key(g, "params." + std::to_string(k)),
                                static_cast<double>(index));
      OptimizerParamState* state = find_state(group.params()[k]);
      if (state == nullptr) continue;
      for (const StateField& field : state->fields()) {
        if (field.count != nullptr) {
          dict.scalars.emplace_back(state_key(index, field.name),
                                    static_cast<double>(*field.count));
        } else if (field.tensor->defined()) {
          dict.tensors.emplace_back(state_key(index, field.name), *field.tensor);
        }
      }
    }
  }
  return dict;
}

// One saved parameter's entries: its tensors and its step counts, by key.
struct Optimizer::SavedParamState {
  std::map<std::string, Tensor, std::less<>> tensors;
  std::map<std::string, double, std::less<>> counts;
};

std::vector<std::unique_ptr<OptimizerOptions>> Optimizer::load_group_options(
    std::map<std::string, double>& group_scalars,
    std::map<size_t, std::pair<Tensor, size_t>>* params_by_id) const {
  const char* who = name_.c_str();
  auto take_scalar = [&](const std::string& key) {
    auto it = group_scalars.find(key);
    AXON_CHECK(it != group_scalars.end(), "{}.load_state_dict: missing key '{}'", who, key);
    double value = it->second;
    group_scalars.erase(it);
    return value;
  };
  std::vector<std::unique_ptr<OptimizerOptions>> options;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const OptimizerParamGroup& group = param_groups_[g];
    std::unique_ptr<OptimizerOptions> loaded = group.options().clone();
    for (const OptionField& field : loaded->fields()) {
      double value = take_scalar(group_key(g, field.name));
      if (field.number != nullptr) {
        *field.number = value;
      } else {
        AXON_CHECK(value == 0 || value == 1, "{}.load_state_dict: '{}' is a flag, got {}", who,
                   group_key(g, field.name), value);
        *field.flag = value != 0;
      }
    }
    check_options(*loaded);
    options.push_back(std::move(loaded));
    for (size_t k = 0; k < group.params().size(); ++k) {
      std::string key = group_key(g, "params." + std::to_string(k));
      double id = take_scalar(key);
      AXON_CHECK(is_count(id, 1e15), "{}.load_state_dict: '{}' should be a parameter index, got {}",
                 who, key, id);
      AXON_CHECK(
          params_by_id->emplace(static_cast<size_t>(id), std::pair(group.params()[k], g)).second,
          "{}.load_state_dict: parameter index {} appears twice ('{}')", who, id, key);
    }
  }
  // What is left names a parameter the group does not have, or an option it does not know.
  AXON_CHECK(group_scalars.empty(),
             "{}.load_state_dict: unexpected key '{}' (the saved groups do not match this "
             "optimizer's: a different parameter count or option)",
             who, group_scalars.empty() ? std::string() : group_scalars.begin()->first);
  return options;
}

std::unique_ptr<OptimizerParamState> Optimizer::load_param_state(size_t id, const Tensor& param,
                                                                 const OptimizerOptions& options,
                                                                 SavedParamState& saved) const {
  const char* who = name_.c_str();
  std::vector<std::string> expected = state_keys(options);
  for (const std::string& key : expected) {
    AXON_CHECK(saved.tensors.count(key) != 0 || saved.counts.count(key) != 0,
               "{}.load_state_dict: missing key '{}'", who, state_key(id, key));
  }
  std::unique_ptr<OptimizerParamState> state = make_param_state();
  for (const StateField& field : state->fields()) {
    const std::string key = state_key(id, field.name);
    const bool given = saved.tensors.count(field.name) != 0 || saved.counts.count(field.name) != 0;
    if (!given) continue;
    AXON_CHECK(std::find(expected.begin(), expected.end(), field.name) != expected.end(),
               "{}.load_state_dict: unexpected key '{}' for the group's options", who, key);
    if (field.count != nullptr) {
      auto it = saved.counts.find(field.name);
      AXON_CHECK(it != saved.counts.end(),
                 "{}.load_state_dict: '{}' should be a step count (a scalar), got a tensor", who,
                 key);
      // Counts beyond 2^53 would not have come through a double exactly.
      AXON_CHECK(is_count(it->second, 9007199254740992.0),
                 "{}.load_state_dict: '{}' should be a step count, got {}", who, key, it->second);
      *field.count = static_cast<int64_t>(it->second);
      saved.counts.erase(it);
      continue;
    }
    auto it = saved.tensors.find(field.name);
    AXON_CHECK(it != saved.tensors.end(),
               "{}.load_state_dict: '{}' should be a tensor, got the scalar {}", who, key,
               saved.counts.find(field.name)->second);
    const Tensor& value = it->second;
    AXON_CHECK(value.sizes() == param.sizes(),
               "{}.load_state_dict: '{}' has shape {}, but the parameter has shape {}", who, key,
               value.sizes(), param.sizes());
    AXON_CHECK(value.is_floating_point(),
               "{}.load_state_dict: '{}' should be a floating-point tensor, got {}", who, key,
               value.dtype());
    NoGradGuard no_grad;
    *field.tensor = value.to(param.device(), param.dtype(), false, true);
    saved.tensors.erase(it);
  }
  const std::string left = !saved.tensors.empty()  ? saved.tensors.begin()->first
                           : !saved.counts.empty() ? saved.counts.begin()->first
                                                   : std::string();
  AXON_CHECK(left.empty(), "{}.load_state_dict: unexpected key '{}'", who, state_key(id, left));
  return state;
}

void Optimizer::load_state_dict(const OptimizerStateDict& state_dict) {
  const char* who = name_.c_str();
  // Sort the entries: group options, and each saved parameter's state.
  std::map<std::string, double> group_scalars;
  std::map<size_t, SavedParamState> saved;
  std::set<std::string> seen;
  auto check_unique = [&](const std::string& key) {
    AXON_CHECK(seen.insert(key).second, "{}.load_state_dict: duplicate key '{}'", who, key);
  };
  for (const auto& [key, value] : state_dict.scalars) {
    check_unique(key);
    size_t index = 0;
    std::string_view rest;
    if (split_indexed_key(key, "state.", &index, &rest)) {
      saved[index].counts.emplace(std::string(rest), value);
      continue;
    }
    AXON_CHECK(split_indexed_key(key, "param_groups.", &index, &rest),
               "{}.load_state_dict: unexpected key '{}'", who, key);
    AXON_CHECK(index < param_groups_.size(),
               "{}.load_state_dict: key '{}' names parameter group {}, but the optimizer has {} "
               "groups",
               who, key, index, param_groups_.size());
    group_scalars.emplace(key, value);
  }
  for (const auto& [key, tensor] : state_dict.tensors) {
    check_unique(key);
    size_t id = 0;
    std::string_view rest;
    AXON_CHECK(split_indexed_key(key, "state.", &id, &rest),
               "{}.load_state_dict: unexpected key '{}'", who, key);
    AXON_CHECK(tensor.defined(), "{}.load_state_dict: '{}' is an undefined tensor", who, key);
    saved[id].tensors.emplace(std::string(rest), tensor);
  }

  std::map<size_t, std::pair<Tensor, size_t>> params_by_id;  // id -> (parameter, group)
  std::vector<std::unique_ptr<OptimizerOptions>> options =
      load_group_options(group_scalars, &params_by_id);
  std::unordered_map<void*, std::unique_ptr<OptimizerParamState>> new_state;
  for (auto& [id, entries] : saved) {
    auto it = params_by_id.find(id);
    AXON_CHECK(it != params_by_id.end(),
               "{}.load_state_dict: key '{}' names parameter {}, which no group has", who,
               state_key(id, entries.tensors.empty() ? entries.counts.begin()->first
                                                     : entries.tensors.begin()->first),
               id);
    const auto& [param, g] = it->second;
    new_state.emplace(param.unsafeGetTensorImpl(),
                      load_param_state(id, param, *options[g], entries));
  }

  // Everything checked: commit.
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    param_groups_[g].set_options(std::move(options[g]));
  }
  state_ = std::move(new_state);
}

}  // namespace axon::optim
