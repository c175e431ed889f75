// The course's MNIST MLP exercise in axon: 784-128-64-10 with ReLU (or, by flag, LogSigmoid)
// activations, cross-entropy, SGD lr 0.5, shuffled minibatches of 512 from a DataLoader over a
// TensorDataset; the train loss, test loss and test accuracy every epoch, and a plot of them.
// It checks that the losses fell and the accuracy is well above chance (exit code 1 when a
// check fails).
//
//   mnist_mlp [--data DIR] [--epochs N] [--activation relu|logsigmoid] [--fast] [--plot DIR]
//             [--device cpu|cuda]
//
// --epochs: the course ran 100 (the default); --fast: 10 epochs on at most 4096 training and
// 1000 test images.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/checks.h"
#include "common/course_data.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;

namespace F = axon::nn::functional;

constexpr int64_t kBatch = 512;
constexpr double kLearningRate = 0.5;

axon::nn::AnyModule activation(const std::string& name) {
  if (name == "logsigmoid") return axon::nn::LogSigmoid();
  return axon::nn::ReLU();
}

axon::nn::Sequential make_model(const std::string& act) {
  return axon::nn::Sequential({{"fc1", axon::nn::Linear(784, 128)},
                               {"act1", activation(act)},
                               {"fc2", axon::nn::Linear(128, 64)},
                               {"act2", activation(act)},
                               {"fc3", axon::nn::Linear(64, 10)}});
}

struct Evaluation {
  double loss, accuracy;
};

Evaluation evaluate(axon::nn::Sequential& model, const Tensor& images, const Tensor& labels) {
  axon::NoGradGuard no_grad;
  const Tensor logits = model->forward(images);
  return {F::cross_entropy(logits, labels).item<double>(),
          (logits.argmax(1) == labels).to(axon::kFloat64).mean().item<double>()};
}

void train(Checks& checks, const ExampleOptions& options, const axon::apps::MnistArrays& data,
           const std::string& act, int64_t epochs) {
  const axon::Device device = axon::apps::resolve_device(options.device);
  axon::manual_seed(0);
  axon::nn::Sequential model = make_model(act);
  model->to(device);
  fmt::print("{}\n", [&] {
    std::ostringstream s;
    s << *model;
    return s.str();
  }());
  axon::optim::SGD optimizer(model->parameters(), kLearningRate);
  auto loader = axon::data::make_data_loader(  // a RandomSampler: shuffled every epoch
      axon::data::datasets::TensorDataset(data.train_images, data.train_labels)
          .map(axon::data::transforms::Stack<>()),
      axon::data::DataLoaderOptions().batch_size(kBatch));
  const Tensor test_x = data.test_images.to(device), test_y = data.test_labels.to(device);

  print_section(fmt::format("Training: {} epochs, batch {}, SGD lr {}, {} activations", epochs,
                            kBatch, kLearningRate, act));
  const Evaluation before = evaluate(model, test_x, test_y);
  fmt::print("before training:  test loss {:.4f}  accuracy {:.4f}\n", before.loss, before.accuracy);
  std::vector<double> train_losses, test_losses, accuracies;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    model->train();
    double loss_sum = 0;
    int64_t seen = 0;
    for (auto& batch : *loader) {
      const Tensor x = batch.data.to(device), y = batch.target.to(device);
      const Tensor loss = F::cross_entropy(model->forward(x), y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(x.size(0));
      seen += x.size(0);
    }
    model->eval();
    const Evaluation test = evaluate(model, test_x, test_y);
    train_losses.push_back(loss_sum / static_cast<double>(seen));
    test_losses.push_back(test.loss);
    accuracies.push_back(test.accuracy);
    fmt::print("epoch {:3d}/{}  train loss {:.4f}  test loss {:.4f}  accuracy {:.4f}\n", epoch,
               epochs, train_losses.back(), test.loss, test.accuracy);
  }

  checks.expect(test_losses.back() < before.loss,
                fmt::format("the test loss fell ({:.4f} before training, {:.4f} after)",
                            before.loss, test_losses.back()));
  if (epochs > 1) {
    checks.expect(train_losses.back() < train_losses.front(),
                  fmt::format("the train loss fell ({:.4f} in epoch 1, {:.4f} in epoch {})",
                              train_losses.front(), train_losses.back(), epochs));
  }
  // Chance is 0.1 with ten balanced classes.
  checks.expect(
      accuracies.back() > 0.5,
      fmt::format("test accuracy {:.4f} is well above chance (> 0.5)", accuracies.back()));

  const std::string path = axon::apps::plot_path(options, fmt::format("mnist_mlp_{}.png", act));
  if (path.empty()) return;
  std::vector<double> x = axon::apps::steps(epochs);
  for (double& e : x) e += 1;
  axon::apps::Panel loss_panel{fmt::format("cross-entropy, {}", act),
                               "epoch",
                               "loss",
                               {{"train loss", x, train_losses}, {"test loss", x, test_losses}}};
  axon::apps::Panel accuracy_panel{
      "test accuracy", "epoch", "accuracy", {{"accuracy", x, accuracies}}, false, "bottom right"};
  axon::apps::plot_panels(path, {loss_panel, accuracy_panel}, 1, 2);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's MNIST MLP exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  std::string data_dir;
  axon::apps::add_mnist_data_option(app, data_dir);
  int64_t epochs = 100;
  app.add_option("--epochs", epochs, "training epochs (the course ran 100; --fast: 10)")
      ->check(CLI::PositiveNumber);
  std::string act = "relu";
  app.add_option("--activation", act, "the hidden layers' activation")
      ->check(CLI::IsMember({"relu", "logsigmoid"}))
      ->capture_default_str();
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    const axon::apps::MnistArrays data =
        axon::apps::load_mnist_arrays(data_dir, options.fast ? 4096 : 0, options.fast ? 1000 : 0);
    AXON_CHECK(data.train_images.size(0) > 0 && data.test_images.size(0) > 0,
               "--data {}: no images in the training or the test split", data_dir);
    if (options.fast && app.count("--epochs") == 0) epochs = 10;
    train(checks, options, data, act, epochs);
  });
}
