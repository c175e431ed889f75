#include "checkpoint.h"

#include <nlohmann/json.hpp>

namespace axon::train {
namespace {

constexpr const char* kModel = "model.";
constexpr const char* kOptimizer = "optimizer.";
constexpr const char* kRng = "rng_state";
constexpr const char* kRun = "axon.train";

// What must agree between the run that saved and the run that resumes.
nlohmann::json run_identity(const TrainOptions& o) {
  return {{"model", o.model},           {"dataset", o.dataset},       {"optimizer", o.optimizer},
          {"batch_norm", o.batch_norm}, {"batch_size", o.batch_size}, {"scheduler", o.scheduler}};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

void save_checkpoint(const std::string& path, const TrainOptions& options, const nn::Module& model,
                     const optim::Optimizer& optimizer, const TrainingState& state) {
  serialize::TensorDict tensors;
  for (auto& [name, t] : nn::state_dict(model)) tensors.emplace_back(kModel + name, t);
  serialize::SafetensorsFile opt = optimizer_checkpoint(optimizer);
  for (auto& [name, t] : opt.tensors) tensors.emplace_back(kOptimizer + name, t);
  tensors.emplace_back(kRng, get_rng_state());
  std::map<std::string, std::string> metadata;
  for (auto& [key, value] : opt.metadata) metadata.emplace(kOptimizer + key, value);
  nlohmann::json history = nlohmann::json::array();
  for (const EpochMetrics& m : state.history) {
    history.push_back({m.epoch, m.lr, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy,
                       m.seconds, m.images_per_second});
  }
  nlohmann::json run = {{"identity", run_identity(options)},
                        {"epochs_done", state.epochs_done},
                        {"scheduler_steps", state.scheduler_steps},
                        {"history", history}};
  metadata.emplace(kRun, run.dump());
  serialize::save_safetensors(tensors, path, metadata);
}

TrainingState read_checkpoint_state(const std::string& path, const TrainOptions& options) {
  serialize::SafetensorsFile file = serialize::load_safetensors(path);
  auto run_text = file.metadata.find(kRun);
  AXON_CHECK(run_text != file.metadata.end(),
             "--resume: {} is not an axon-train checkpoint (its metadata has no \"{}\")", path,
             kRun);
  nlohmann::json run = nlohmann::json::parse(run_text->second, nullptr, /*allow_exceptions=*/false);
  AXON_CHECK(run.is_object() && run.contains("identity") && run.contains("epochs_done") &&
                 run.contains("scheduler_steps") && run.contains("history"),
             "--resume: {}: its \"{}\" metadata is damaged", path, kRun);
  const nlohmann::json want = run_identity(options);
  for (const auto& [key, value] : want.items()) {
    AXON_CHECK(run["identity"].contains(key) && run["identity"][key] == value,
               "--resume: {} was saved by a run with {} = {}, this run has {}", path, key,
               run["identity"].value(key, nlohmann::json()).dump(), value.dump());
  }
  TrainingState state;
  try {
    state.epochs_done = run["epochs_done"].get<int64_t>();
    state.scheduler_steps = run["scheduler_steps"].get<int64_t>();
    for (const auto& row : run["history"]) {
      EpochMetrics m;
      m.epoch = row.at(0).get<int64_t>();
      m.lr = row.at(1).get<double>();
      m.train_loss = row.at(2).get<double>();
      m.train_accuracy = row.at(3).get<double>();
      m.test_loss = row.at(4).get<double>();
      m.test_accuracy = row.at(5).get<double>();
      m.seconds = row.at(6).get<double>();
      m.images_per_second = row.at(7).get<double>();
      state.history.push_back(m);
    }
  } catch (const nlohmann::json::exception& e) {
    AXON_ERROR("--resume: {}: its \"{}\" metadata is damaged ({})", path, kRun, e.what());
  }
  AXON_CHECK(state.epochs_done >= 0 && state.scheduler_steps >= 0,
             "--resume: {}: its \"{}\" metadata is damaged (negative counts)", path, kRun);
  return state;
}

void restore_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& optimizer) {
  serialize::SafetensorsFile file = serialize::load_safetensors(path);
  serialize::TensorDict model_state;
  serialize::SafetensorsFile opt;
  Tensor rng;
  for (auto& [name, t] : file.tensors) {
    if (starts_with(name, kModel)) {
      model_state.emplace_back(name.substr(std::string(kModel).size()), t);
    } else if (starts_with(name, kOptimizer)) {
      opt.tensors.emplace_back(name.substr(std::string(kOptimizer).size()), t);
    } else if (name == kRng) {
      rng = t;
    }
  }
  for (auto& [key, value] : file.metadata) {
    if (starts_with(key, kOptimizer)) {
      opt.metadata.emplace(key.substr(std::string(kOptimizer).size()), value);
    }
  }
  AXON_CHECK(rng.defined(), "--resume: {} has no generator state ('{}')", path, kRng);
  // Each load checks its part before changing it; a failure ends the run, so a model restored
  // while its optimizer's state was refused is never trained.
  nn::load_state_dict(model, model_state, /*strict=*/true, path);
  load_optimizer_checkpoint(optimizer, std::move(opt), path);
  set_rng_state(rng);
}

}  // namespace axon::train
