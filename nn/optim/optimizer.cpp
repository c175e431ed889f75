#include "axon/optim/optimizer.h"

#include <charconv>
#include <map>
#include <set>
#include <unordered_set>

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"

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

std::string group_key(size_t group, std::string_view name) {
  return "param_groups." + std::to_string(group) + "." + std::string(name);
}

std::string state_key(size_t param, std::string_view name) {
  return "state." + std::to_string(param) + "." + std::string(name);
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
          dict.tensors.emplace_back(
              state_key(index, field.name),
              full({}, static_cast<double>(*field.count), TensorOptions(kFloat32)));
        } else if (field.tensor->defined()) {
          dict.tensors.emplace_back(state_key(index, field.name), *field.tensor);
        }
      }
    }
  }
  return dict;
}

namespace {

// Splits "prefix.<number>.rest" into number and rest; false if the key does not have that form.
bool split_indexed_key(std::string_view key, std::string_view prefix, size_t* index,
                       std::string_view* rest) {
  if (key.substr(0, prefix.size()) != prefix) return false;
  key.remove_prefix(prefix.size());
  size_t dot = key.find('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  auto [end, ec] = std::from_chars(key.data(), key.data() + dot, *index);
  if (ec != std::errc() || end != key.data() + dot) return false;
  *rest = key.substr(dot + 1);
  return true;
}

}  // namespace

void Optimizer::load_state_dict(const OptimizerStateDict& state_dict) {
  const char* who = name_.c_str();
  std::map<std::string, double> scalars;
  for (const auto& [key, value] : state_dict.scalars) {
    AXON_CHECK(scalars.emplace(key, value).second, "{}.load_state_dict: duplicate key '{}'", who,
               key);
  }
  for (const auto& [key, value] : scalars) {
    size_t g = 0;
    std::string_view rest;
    AXON_CHECK(split_indexed_key(key, "param_groups.", &g, &rest),
               "{}.load_state_dict: unexpected key '{}'", who, key);
    AXON_CHECK(g < param_groups_.size(),
               "{}.load_state_dict: key '{}' names parameter group {}, but the optimizer has {} "
               "groups",
               who, key, g, param_groups_.size());
  }
  auto take_scalar = [&](const std::string& key) {
    auto it = scalars.find(key);
    AXON_CHECK(it != scalars.end(), "{}.load_state_dict: missing key '{}'", who, key);
    double value = it->second;
    scalars.erase(it);
    return value;
  };

  // New group options, and a map from the saved parameter ids to this optimizer's parameters.
  std::vector<std::unique_ptr<OptimizerOptions>> options;
  std::map<size_t, std::pair<Tensor, size_t>> params_by_id;  // id -> (parameter, group)
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
      AXON_CHECK(id >= 0 && id == static_cast<double>(static_cast<size_t>(id)),
                 "{}.load_state_dict: '{}' should be a parameter index, got {}", who, key, id);
      AXON_CHECK(
          params_by_id.emplace(static_cast<size_t>(id), std::pair(group.params()[k], g)).second,
          "{}.load_state_dict: parameter index {} appears twice ('{}')", who, id, key);
    }
  }
  // What is left names a parameter the group does not have, or an option it does not know.
  AXON_CHECK(scalars.empty(),
             "{}.load_state_dict: unexpected key '{}' (the saved groups do not match this "
             "optimizer's: a different parameter count or option)",
             who, scalars.empty() ? std::string() : scalars.begin()->first);

  // The state entries, grouped by parameter id.
  std::map<size_t, std::map<std::string, Tensor, std::less<>>> entries;
  for (const auto& [key, tensor] : state_dict.tensors) {
    size_t id = 0;
    std::string_view name;
    AXON_CHECK(split_indexed_key(key, "state.", &id, &name),
               "{}.load_state_dict: unexpected key '{}'", who, key);
    AXON_CHECK(params_by_id.count(id) != 0,
               "{}.load_state_dict: key '{}' names parameter {}, which no group has", who, key, id);
    AXON_CHECK(tensor.defined(), "{}.load_state_dict: '{}' is an undefined tensor", who, key);
    AXON_CHECK(entries[id].emplace(std::string(name), tensor).second,
               "{}.load_state_dict: duplicate key '{}'", who, key);
  }

  std::unordered_map<void*, std::unique_ptr<OptimizerParamState>> new_state;
  for (auto& [id, named] : entries) {
    const auto& [param, g] = params_by_id.at(id);
    std::vector<std::string> expected = state_keys(*options[g]);
    for (const std::string& key : expected) {
      AXON_CHECK(named.count(key) != 0, "{}.load_state_dict: missing key '{}'", who,
                 state_key(id, key));
    }
    std::unique_ptr<OptimizerParamState> state = make_param_state();
    for (const StateField& field : state->fields()) {
      auto it = named.find(field.name);
      if (it == named.end()) continue;
      const std::string key = state_key(id, field.name);
      AXON_CHECK(std::find(expected.begin(), expected.end(), it->first) != expected.end(),
                 "{}.load_state_dict: unexpected key '{}' for the group's options", who, key);
      const Tensor& value = it->second;
      if (field.count != nullptr) {
        AXON_CHECK(value.numel() == 1,
                   "{}.load_state_dict: '{}' should hold one number, got "
                   "shape {}",
                   who, key, value.sizes());
        double count = value.item<double>();
        AXON_CHECK(count >= 0 && count == static_cast<double>(static_cast<int64_t>(count)),
                   "{}.load_state_dict: '{}' should be a step count, got {}", who, key, count);
        *field.count = static_cast<int64_t>(count);
      } else {
        AXON_CHECK(value.sizes() == param.sizes(),
                   "{}.load_state_dict: '{}' has shape {}, but the parameter has shape {}", who,
                   key, value.sizes(), param.sizes());
        AXON_CHECK(value.is_floating_point(),
                   "{}.load_state_dict: '{}' should be a floating-point tensor, got {}", who, key,
                   value.dtype());
        NoGradGuard no_grad;
        *field.tensor = value.to(param.device(), param.dtype(), false, true);
      }
      named.erase(it);
    }
    AXON_CHECK(named.empty(), "{}.load_state_dict: unexpected key '{}'", who,
               named.empty() ? std::string() : state_key(id, named.begin()->first));
    new_state.emplace(param.unsafeGetTensorImpl(), std::move(state));
  }

  // Everything checked: commit.
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    param_groups_[g].set_options(std::move(options[g]));
  }
  state_ = std::move(new_state);
}

}  // namespace axon::optim
