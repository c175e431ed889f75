#include "options.h"

#include <CLI/CLI.hpp>
#include <set>
#include <sstream>

#include "common/checks.h"

namespace axon::bench {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) items.push_back(item);
  return items;
}

// A comma-separated list whose items are all in `allowed`, each once.
CLI::Validator list_of(std::set<std::string> allowed) {
  std::string names;
  for (const std::string& name : allowed) names += (names.empty() ? "" : ", ") + name;
  return CLI::Validator(
      [allowed, names](std::string& text) -> std::string {
        std::set<std::string> seen;
        const std::vector<std::string> items = split(text);
        if (items.empty()) return "needs at least one of " + names;
        for (const std::string& item : items) {
          if (!allowed.count(item)) return "\"" + item + "\" is not one of " + names;
          if (!seen.insert(item).second) return "\"" + item + "\" is listed twice";
        }
        return {};
      },
      "LIST");
}

// A comma-separated list of positive integers.
const CLI::Validator kPositiveList(
    [](std::string& text) -> std::string {
      const std::vector<std::string> items = split(text);
      if (items.empty()) return "needs at least one batch size";
      for (const std::string& item : items) {
        try {
          size_t used = 0;
          const long long value = std::stoll(item, &used);
          if (used == item.size() && value > 0) continue;
        } catch (const std::exception&) {
        }
        return "batch sizes must be positive integers, got \"" + item + "\"";
      }
      return {};
    },
    "N,N,...");

CLI::Validator at_least(int64_t low) {
  return CLI::Validator(
      [low](std::string& text) -> std::string {
        try {
          size_t used = 0;
          const long long value = std::stoll(text, &used);
          if (used == text.size() && value >= low) return {};
        } catch (const std::exception&) {
        }
        return "must be an integer >= " + std::to_string(low) + ", got " + text;
      },
      ">= " + std::to_string(low));
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

}  // namespace

ParseResult parse_options(int argc, char** argv) {
  BenchOptions o;
  std::string models = joined(o.models), devices, batch_sizes = "64,256,1024";
  CLI::App app{
      "axon-bench: training and inference throughput, step times, per-phase breakdown and peak "
      "memory of axon's models on the CPU and the GPU."};
  app.get_formatter()->column_width(34);
  // A flag given twice takes the last value, so scripts can pass defaults that users override.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--models", models,
                 "comma-separated: mlp, lenet5, cifar-cnn, cifar-cnn-bn (with BatchNorm)")
      ->check(list_of({"mlp", "lenet5", "cifar-cnn", "cifar-cnn-bn"}))
      ->capture_default_str();
  app.add_option("--batch-sizes", batch_sizes, "comma-separated batch sizes")
      ->check(kPositiveList)
      ->capture_default_str();
  app.add_option("--devices", devices,
                 "comma-separated: cpu, cuda (default: cpu, and cuda when "
                 "there is a GPU)")
      ->check(list_of({"cpu", "cuda"}));
  app.add_option("--warmup", o.warmup, "untimed steps before each timed region")
      ->check(at_least(0))
      ->capture_default_str();
  app.add_option("--steps", o.steps, "timed steps per repeat")
      ->check(at_least(1))
      ->capture_default_str();
  app.add_option("--repeats", o.repeats, "timed repeats; throughputs are their median")
      ->check(at_least(1))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: axon's default)")
      ->check(at_least(0))
      ->capture_default_str();
  app.add_option("--optimizer", o.optimizer, "sgd (momentum 0.9) or adam")
      ->check(CLI::IsMember({"sgd", "adam"}))
      ->capture_default_str();
  app.add_option("--lr", o.lr, "learning rate")->capture_default_str();
  app.add_option("--dataset", o.dataset,
                 "synthetic (random images of each model's shape), or mnist, fashion-mnist, "
                 "cifar10 read through the DataLoader")
      ->check(CLI::IsMember({"synthetic", "mnist", "fashion-mnist", "cifar10"}))
      ->capture_default_str();
  app.add_option("--data", o.data, "the real dataset's folder (default: axon-train's)");
  app.add_option("--workers", o.workers, "DataLoader threads for a real dataset")
      ->check(at_least(0))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the weights and the synthetic data")
      ->capture_default_str();
  app.add_option("--json", o.json, "write every figure, the machine and the commit here");
  app.add_flag("--cuda-graph", o.cuda_graph,
               "GPU rows: capture the training step and the inference forward in CUDA graphs "
               "and replay them (SGD only)");
  app.add_flag("--tf32", o.tf32,
               "GPU rows: let matrix products and convolutions round float32 to TF32 on tensor "
               "cores (axon::set_allow_tf32; PyTorch's default for cuDNN convolutions)");
  app.add_flag("--quiet", o.quiet, "the table only, no progress lines");
  app.add_option("--profile", o.profile,
                 "after each row, profile this many eager training steps (axon::profiler) and "
                 "print the time of each kernel and autograd node over those steps, per row")
      ->check(at_least(0))
      ->capture_default_str();
  ParseResult result;
  result.exit_status = apps::parse_command_line(app, argc, argv);
  if (result.exit_status) return result;
  o.models = split(models);
  o.batch_sizes.clear();
  for (const std::string& item : split(batch_sizes)) o.batch_sizes.push_back(std::stoll(item));
  if (!devices.empty()) o.devices = split(devices);
  result.options = o;
  return result;
}

}  // namespace axon::bench
