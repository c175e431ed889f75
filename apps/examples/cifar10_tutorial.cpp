// The course's CIFAR-10 exercise in axon: PyTorch's "Training a classifier" tutorial. Images
// normalised with mean and std 0.5 per channel, the tutorial's CNN, cross-entropy, SGD lr 0.001
// momentum 0.9, batch 4, 2 epochs, the running loss every 2000 mini-batches, then the accuracy
// on the test images overall and per class, and a grid of test images with truth and prediction.
// The course's variants by flag: the deeper conv stack, Adam, random horizontal flips,
// BatchNorm after each conv, NLLLoss on the raw outputs (which turns nan: NLLLoss wants
// log-probabilities) or after LogSoftmax, and weight decay. It checks what it shows (exit code 1
// when a check fails).
//
//   cifar10_tutorial --data DIR [--arch tutorial|deep] [--optimizer sgd|adam] [--augment]
//                    [--batch-norm] [--loss cross-entropy|nll-raw|nll-log-softmax]
//                    [--weight-decay W] [--epochs N] [--batch-size B]
//                    [--fast] [--plot DIR] [--device cpu|cuda]
//
// --data: CIFAR-10's binary version (cifar-10-binary.tar.gz unpacked): the folder holding
// cifar-10-batches-bin, or that folder itself. --fast: the first 2000 training and 1000 test
// images, the running loss every 100 mini-batches. The course's variants: --arch deep (conv
// 3->32 3x3, conv 32->32 3x3, max-pool, twice, then the tutorial's fully connected layers),
// --optimizer adam (lr 0.001, eps 1e-3), --augment (RandomHorizontalFlip), --batch-norm,
// --loss nll-raw and nll-log-softmax, --weight-decay 1e-6.

#include <axon/axon.h>
#include <axon/data.h>
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common/checks.h"
#include "common/image_grid.h"
#include "common/models.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
namespace nn = axon::nn;
namespace transforms = axon::data::transforms;

// The tutorial's names, in label order.
const std::vector<std::string> kClasses = {"plane", "car",  "bird",  "cat",  "deer",
                                           "dog",   "frog", "horse", "ship", "truck"};
constexpr int64_t kFastTrain = 2000, kFastTest = 1000, kFastPrintEvery = 100;
constexpr int64_t kGridImages = 32;

struct Options {
  axon::apps::ExampleOptions common;
  std::string data, arch = "tutorial", optimizer = "sgd", loss = "cross-entropy";
  bool augment = false, batch_norm = false;
  double weight_decay = 0;
  int64_t epochs = 2, batch_size = 4;
};

// The course's deeper stack: (conv 3x3, conv 3x3, max-pool) twice with 32 channels, each conv
// followed by BatchNorm2d when asked, then the tutorial's fully connected layers. Without
// padding 32 -> 30 -> 28 -> 14 -> 12 -> 10 -> 5, so fc1 takes 32 x 5 x 5.
class DeepNetImpl : public axon::train::Classifier {
 public:
  explicit DeepNetImpl(bool batch_norm) {
    for (size_t i = 0; i < convs_.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      convs_[i] =
          register_module("conv" + n, nn::Conv2d(nn::Conv2dOptions(i == 0 ? 3 : 32, 32, 3)));
      if (batch_norm) norms_[i] = register_module("bn" + n, nn::BatchNorm2d(32));
    }
    pool_ = register_module("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    fc1_ = register_module("fc1", nn::Linear(32 * 5 * 5, 120));
    fc2_ = register_module("fc2", nn::Linear(120, 84));
    fc3_ = register_module("fc3", nn::Linear(84, 10));
  }
  Tensor forward(Tensor x) override {
    for (size_t i = 0; i < convs_.size(); ++i) {
      x = convs_[i](x);
      if (norms_[i]) x = norms_[i](x);
      x = axon::relu(x);
      if (i % 2 == 1) x = pool_(x);
    }
    x = axon::relu(fc1_(x.flatten(1)));
    x = axon::relu(fc2_(x));
    return fc3_(x);
  }

 private:
  std::array<nn::Conv2d, 4> convs_{nullptr, nullptr, nullptr, nullptr};
  std::array<nn::BatchNorm2d, 4> norms_{nullptr, nullptr, nullptr, nullptr};
  nn::MaxPool2d pool_{nullptr};
  nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};

// transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), after RandomHorizontalFlip with
// --augment, as one transform on whole stacked batches.
class Preprocess : public transforms::TensorTransform<> {
 public:
  explicit Preprocess(bool flip) : normalize_({0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}), flip_(flip) {}
  Tensor operator()(Tensor image) override { return normalize_(flip_ ? flipper_(image) : image); }
  Tensor apply_stacked(Tensor batch) override {
    return normalize_.apply_stacked(flip_ ? flipper_.apply_stacked(batch) : batch);
  }

 private:
  transforms::Normalize<> normalize_;
  bool flip_;
  transforms::RandomHorizontalFlip<> flipper_;
};

// A split as CIFAR10 reads it: images [N, 3, 32, 32] in [0, 1], int64 labels [N].
struct Split {
  Tensor images, labels;
};

// The training and the test split in `dir`; with --fast, their first kFastTrain and kFastTest
// images.
std::array<Split, 2> load_cifar10(const std::string& dir, bool fast) {
  using axon::data::datasets::CIFAR10;
  AXON_CHECK(!dir.empty(),
             "--data: no CIFAR-10 folder given. Download CIFAR-10's binary version "
             "(https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz), unpack it (tar xzf "
             "cifar-10-binary.tar.gz) and pass --data with the folder holding "
             "cifar-10-batches-bin, or that folder itself");
  try {
    std::array<Split, 2> splits;
    for (CIFAR10::Mode mode : {CIFAR10::Mode::kTrain, CIFAR10::Mode::kTest}) {
      CIFAR10 dataset(dir, mode);
      const int64_t limit = mode == CIFAR10::Mode::kTrain ? kFastTrain : kFastTest;
      const int64_t n = fast ? std::min(limit, dataset.images().size(0)) : dataset.images().size(0);
      splits[mode == CIFAR10::Mode::kTrain ? 0 : 1] = {dataset.images().slice(0, 0, n),
                                                       dataset.targets().slice(0, 0, n)};
    }
    return splits;
  } catch (const axon::Error& e) {
    AXON_ERROR("--data {}: {}", dir, e.message());
  }
}

template <typename Sampler>
auto make_loader(const Split& split, bool flip, Sampler sampler, int64_t batch_size) {
  return axon::data::make_data_loader(
      axon::data::datasets::TensorDataset(split.images, split.labels)
          .map(Preprocess(flip))
          .map(transforms::Stack<>()),
      std::move(sampler),
      axon::data::DataLoaderOptions().batch_size(static_cast<size_t>(batch_size)));
}

// The loss the chosen criterion should give, recomputed here in double from the outputs: the
// mean over the batch of -log softmax(output)[label] (cross-entropy, and NLLLoss after
// LogSoftmax), or of -output[label] (NLLLoss on raw outputs).
double expected_loss(const Tensor& outputs, const Tensor& labels, bool raw) {
  Tensor out = outputs.detach().cpu().to(axon::kFloat64).contiguous();
  Tensor lab = labels.cpu().contiguous();
  const int64_t n = out.size(0), classes = out.size(1);
  const double* o = out.data_ptr<double>();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* row = o + i * classes;
    double log_normaliser = 0;
    if (!raw) {
      double top = row[0];
      for (int64_t c = 1; c < classes; ++c) top = std::max(top, row[c]);
      double total = 0;
      for (int64_t c = 0; c < classes; ++c) total += std::exp(row[c] - top);
      log_normaliser = top + std::log(total);
    }
    sum += log_normaliser - row[lab.data_ptr<int64_t>()[i]];
  }
  return sum / static_cast<double>(n);
}

bool same_loss(double printed, double expected) {
  if (std::isnan(printed) || std::isnan(expected))
    return std::isnan(printed) && std::isnan(expected);
  if (std::isinf(printed) || std::isinf(expected)) return printed == expected;
  return std::abs(printed - expected) <= 1e-4 * std::max(1.0, std::abs(expected));
}

// The tutorial's ' '.join(f'{classes[labels[j]]:5s}' for j in range(batch_size)).
std::string class_list(const Tensor& labels) {
  std::string s;
  for (int64_t j = 0; j < labels.size(0); ++j) {
    s += fmt::format("{}{:5s}", j ? " " : "", kClasses.at(labels[j].item<int64_t>()));
  }
  return s;
}

void run(Checks& checks, const Options& o) {
  const axon::Device device = axon::apps::resolve_device(o.common.device);
  const auto [train, test] = load_cifar10(o.data, o.common.fast);
  const int64_t print_every = o.common.fast ? kFastPrintEvery : 2000;
  const bool raw = o.loss == "nll-raw", cross_entropy = o.loss == "cross-entropy";
  fmt::print(
      "{} training and {} test images; {} net{}, {} (lr 0.001, {}, weight decay {}), {}, batch "
      "{}, {} epoch(s){}\n",
      train.images.size(0), test.images.size(0), o.arch, o.batch_norm ? " with BatchNorm" : "",
      o.optimizer == "adam" ? "Adam" : "SGD", o.optimizer == "adam" ? "eps 1e-3" : "momentum 0.9",
      o.weight_decay,
      cross_entropy ? "CrossEntropyLoss"
                    : (raw ? "NLLLoss on the raw outputs" : "NLLLoss after LogSoftmax"),
      o.batch_size, o.epochs, o.augment ? ", RandomHorizontalFlip" : "");

  axon::manual_seed(0);
  std::shared_ptr<axon::train::Classifier> net;
  if (o.arch == "deep") {
    net = std::make_shared<DeepNetImpl>(o.batch_norm);
  } else {
    net = axon::train::make_model("cifar-cnn", 3, 32, 10, o.batch_norm);
  }
  net->to(device);
  nn::CrossEntropyLoss cross_entropy_loss;
  nn::NLLLoss nll_loss;
  nn::LogSoftmax log_softmax(1);
  auto criterion = [&](const Tensor& outputs, const Tensor& labels) {
    if (cross_entropy) return cross_entropy_loss(outputs, labels);
    return nll_loss(raw ? outputs : log_softmax(outputs), labels);
  };
  std::unique_ptr<axon::optim::Optimizer> optimizer;
  if (o.optimizer == "adam") {
    optimizer = std::make_unique<axon::optim::Adam>(
        net->parameters(), axon::optim::AdamOptions(0.001).eps(1e-3).weight_decay(o.weight_decay));
  } else {
    optimizer = std::make_unique<axon::optim::SGD>(
        net->parameters(),
        axon::optim::SGDOptions(0.001).momentum(0.9).weight_decay(o.weight_decay));
  }

  auto train_loader = make_loader(
      train, o.augment, axon::data::samplers::RandomSampler(train.images.size(0)), o.batch_size);
  double first_loss = 0, last_printed = 0, last_epoch_mean = 0, lowest = INFINITY;
  int64_t steps = 0, mismatches = 0;
  bool went_non_finite = false, printed = false;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    net->train();
    double running_loss = 0, epoch_loss = 0;
    int64_t i = 0;
    for (auto& batch : *train_loader) {
      Tensor inputs = batch.data.to(device), labels = batch.target.to(device);
      optimizer->zero_grad();
      Tensor outputs = net->forward(inputs);
      Tensor loss = criterion(outputs, labels);
      loss.backward();
      optimizer->step();

      const double value = loss.item<double>();
      if (!same_loss(value, expected_loss(outputs, labels, raw))) ++mismatches;
      if (steps++ == 0) first_loss = value;
      lowest = std::min(lowest, value);
      if (!std::isfinite(value) && !went_non_finite) {
        went_non_finite = true;
        fmt::print("[{}, {:5d}] this mini-batch's loss is {}\n", epoch + 1, i + 1, value);
      }
      running_loss += value;
      epoch_loss += value;
      if (i % print_every == print_every - 1) {
        last_printed = running_loss / static_cast<double>(print_every);
        printed = true;
        fmt::print("[{}, {:5d}] loss: {:.3f}\n", epoch + 1, i + 1, last_printed);
        running_loss = 0;
      }
      ++i;
    }
    last_epoch_mean = epoch_loss / static_cast<double>(std::max<int64_t>(i, 1));
  }
  fmt::print("Finished Training\n");

  checks.expect(
      mismatches == 0,
      fmt::format("every mini-batch's loss is the mean of {} ({} differ)",
                  raw ? "-output[label] (NLLLoss on raw outputs)" : "-log softmax(output)[label]",
                  mismatches));
  if (raw) {
    fmt::print(
        "NLLLoss takes log-probabilities. On raw outputs it is -output[label], which training "
        "drives down without bound until it overflows and turns nan.\n");
    checks.expect(went_non_finite || lowest < -10,
                  fmt::format("NLLLoss on raw outputs fell without bound or turned nan (lowest "
                              "mini-batch loss {})",
                              lowest));
  } else {
    // An untrained net guesses about uniformly, and guessing costs -log(1/10) = 2.303.
    const double guessing = std::log(10.0);
    checks.expect(std::abs(first_loss - guessing) < 0.5,
                  fmt::format("the first mini-batch's loss {:.3f} is near ln 10", first_loss));
    // The last running loss printed, or the last epoch's mean when there were too few
    // mini-batches to print one.
    const double trained = printed ? last_printed : last_epoch_mean;
    checks.expect(trained < guessing,
                  fmt::format("training brought the loss below ln 10 (to {:.3f})", trained));
  }

  // Testing: the test images in order, without gradients (and BatchNorm's running statistics).
  net->eval();
  axon::NoGradGuard no_grad;
  auto test_loader = make_loader(
      test, false, axon::data::samplers::SequentialSampler(test.images.size(0)), o.batch_size);
  std::array<int64_t, 10> correct_pred{}, total_pred{};
  std::vector<Tensor> predictions;
  for (auto& batch : *test_loader) {
    Tensor outputs = net->forward(batch.data.to(device));
    Tensor predicted = std::get<1>(outputs.max(1)).cpu();
    if (predictions.empty()) {
      fmt::print("GroundTruth:  {}\n", class_list(batch.target));
      fmt::print("Predicted:  {}\n", class_list(predicted));
    }
    predictions.push_back(predicted);
    const int64_t* truth = batch.target.contiguous().data_ptr<int64_t>();
    const int64_t* guess = predicted.contiguous().data_ptr<int64_t>();
    for (int64_t j = 0; j < batch.target.size(0); ++j) {
      total_pred[truth[j]] += 1;
      correct_pred[truth[j]] += truth[j] == guess[j];
    }
  }
  int64_t correct = 0, total = 0;
  for (int64_t c = 0; c < 10; ++c) {
    correct += correct_pred[c];
    total += total_pred[c];
  }
  fmt::print("Accuracy of the network on the {} test images: {} %\n", total,
             100 * correct / std::max<int64_t>(total, 1));
  for (int64_t c = 0; c < 10; ++c) {
    if (total_pred[c] == 0) {
      fmt::print("Accuracy for class: {:5s} has no test images\n", kClasses[c]);
    } else {
      fmt::print("Accuracy for class: {:5s} is {:.1f} %\n", kClasses[c],
                 100.0 * static_cast<double>(correct_pred[c]) / static_cast<double>(total_pred[c]));
    }
  }
  if (!raw) {
    checks.expect(10 * correct > total,
                  fmt::format("the test accuracy {} / {} beats guessing (10 %)", correct, total));
  }

  const std::string path = axon::apps::plot_path(o.common, "cifar10_predictions.png");
  if (!path.empty()) {
    const int64_t n = std::min(kGridImages, test.images.size(0));
    axon::apps::write_image_grid(path, test.images.slice(0, 0, n), test.labels.slice(0, 0, n),
                                 axon::cat(predictions).slice(0, 0, n), kClasses);
    fmt::print("test images with truth and prediction in {}\n", path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's CIFAR-10 exercise (PyTorch's classifier tutorial) in axon"};
  Options o;
  axon::apps::add_example_options(app, o.common, /*trains=*/true);
  app.add_option("--data", o.data,
                 "CIFAR-10's binary version: the folder holding cifar-10-batches-bin, or that "
                 "folder itself");
  app.add_option("--arch", o.arch, "tutorial: the tutorial's CNN; deep: (conv, conv, pool) x 2")
      ->check(CLI::IsMember({"tutorial", "deep"}))
      ->capture_default_str();
  app.add_option("--optimizer", o.optimizer,
                 "sgd (lr 0.001, momentum 0.9) or adam (lr 0.001, eps 1e-3)")
      ->check(CLI::IsMember({"sgd", "adam"}))
      ->capture_default_str();
  app.add_flag("--augment", o.augment, "RandomHorizontalFlip on the training images");
  app.add_flag("--batch-norm", o.batch_norm, "BatchNorm2d after each conv");
  app.add_option("--loss", o.loss,
                 "cross-entropy, nll-raw (NLLLoss on the raw outputs) or nll-log-softmax")
      ->check(CLI::IsMember({"cross-entropy", "nll-raw", "nll-log-softmax"}))
      ->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "L2 weight decay (the course tried 1e-6)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--epochs", o.epochs)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", o.batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) { run(checks, o); });
}
