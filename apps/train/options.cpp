#include "options.h"

#include <CLI/CLI.hpp>

#include "common/checks.h"

namespace axon::train {
namespace {

// CLI11's own number checks print their range with 300 digits; these say it plainly.
CLI::Validator number_check(const char* what, bool (*ok)(double)) {
  return CLI::Validator(
      [what, ok](std::string& text) -> std::string {
        try {
          size_t used = 0;
          const double value = std::stod(text, &used);
          if (used == text.size() && ok(value)) return {};
        } catch (const std::exception&) {
        }
        return "must be " + std::string(what) + ", got " + text;
      },
      what);
}
const CLI::Validator kPositive = number_check("positive", [](double v) { return v > 0; });
const CLI::Validator kNonNegative = number_check("non-negative", [](double v) { return v >= 0; });
const CLI::Validator kFraction =
    number_check("in [0, 1]", [](double v) { return v >= 0 && v <= 1; });

}  // namespace

std::string default_data_dir(const std::string& dataset) {
  if (dataset == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (dataset == "mnist") return "data/mnist";
  return "data/cifar-10-batches-bin";
}

ParseResult parse_options(int argc, char** argv) {
  TrainOptions o;
  CLI::App app{
      "axon-train: trains an image classifier (mlp, lenet5, cifar-cnn) on MNIST, Fashion-MNIST "
      "or CIFAR-10 and reports loss, accuracy, per-class accuracy and a confusion matrix."};
  app.get_formatter()->column_width(34);
  // A flag given twice takes the last value, so scripts can pass defaults that users override.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--model", o.model, "the network: mlp (784-128-64-10), lenet5, cifar-cnn")
      ->check(CLI::IsMember({"mlp", "lenet5", "cifar-cnn"}))
      ->capture_default_str();
  app.add_option("--dataset", o.dataset, "mnist, fashion-mnist (same IDX format) or cifar10")
      ->check(CLI::IsMember({"mnist", "fashion-mnist", "cifar10"}))
      ->capture_default_str();
  app.add_option("--data", o.data,
                 "folder holding the dataset's files (default: /usr/share/datasets/fashion-mnist "
                 "for fashion-mnist, data/mnist for mnist, data/cifar-10-batches-bin for "
                 "cifar10)");
  app.add_option("--device", o.device, "auto (CUDA when there is a GPU), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--epochs", o.epochs, "passes over the training set")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "images per training step")
      ->check(kPositive)
      ->capture_default_str();
  app.add_option("--lr", o.lr, "learning rate")->check(kPositive)->capture_default_str();
  app.add_option("--optimizer", o.optimizer, "sgd, adam or adamw")
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  app.add_option("--momentum", o.momentum, "SGD momentum")->check(kFraction)->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "L2 penalty (decoupled for adamw)")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--scheduler", o.scheduler,
                 "learning-rate schedule: none, step (x0.1 every third of the epochs), cosine, "
                 "onecycle")
      ->check(CLI::IsMember({"none", "step", "cosine", "onecycle"}))
      ->capture_default_str();
  app.add_flag("--augment", o.augment,
               "random horizontal flips (CIFAR-10 only) and random crops with padding");
  app.add_flag("--batch-norm", o.batch_norm, "BatchNorm2d after each conv (cifar-cnn)");
  app.add_option("--seed", o.seed, "seed of every random draw (init, shuffling, augmentation)")
      ->capture_default_str();
  app.add_option("--workers", o.workers, "data-loading threads (0: load in the training thread)")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--checkpoint", o.checkpoint,
                 "save model, optimizer, scheduler, RNG and epoch here after every epoch "
                 "(safetensors, replaced atomically)");
  app.add_option("--resume", o.resume, "continue the run saved in this checkpoint");
  app.add_option("--metrics", o.metrics, "write a CSV file with one row per epoch");
  app.add_option("--plot", o.plot,
                 "folder for loss.png, accuracy.png (needs gnuplot) and predictions.png");
  app.add_option("--resident-data", o.resident_data,
                 "keep the dataset on the GPU and gather each batch there: auto (on a GPU, "
                 "without --augment, when it fits in half the free memory), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  app.add_flag("--cuda-graph", o.cuda_graph,
               "on a GPU, capture the training step in a CUDA graph once per learning rate and "
               "replay it for every full batch (SGD; not with --scheduler onecycle)");
  app.add_flag("--quiet", o.quiet, "no progress output; the epoch lines and results only");
  app.add_option("--stop-after", o.stop_after,
                 "stop after this epoch, as if interrupted (0: train all --epochs); with "
                 "--checkpoint, --resume continues the run")
      ->check(kNonNegative)
      ->capture_default_str();
  app.add_option("--max-batches", o.max_batches,
                 "stop each epoch after this many batches (0: all); for quick looks")
      ->check(kNonNegative)
      ->capture_default_str();
  ParseResult result;
  result.exit_status = apps::parse_command_line(app, argc, argv);
  if (result.exit_status) return result;
  if (o.data.empty()) o.data = default_data_dir(o.dataset);
  result.options = o;
  return result;
}

}  // namespace axon::train
