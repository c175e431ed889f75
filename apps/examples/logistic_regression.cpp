// The course's logistic regression exercise in axon: six students' (lecture hours, lab hours)
// -> pass; the sigmoid written out and then axon::sigmoid, binary cross-entropy written out and
// then binary_cross_entropy; SGD lr 1 for 1000 epochs, the cost every 100, and the accuracy.
// It checks what it shows (exit code 1 when a check fails).
//
//   logistic_regression [--fast] [--plot DIR] [--device cpu|cuda]
//
// --fast trains 200 epochs instead of 1000: enough to separate the six students.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <vector>

#include "common/checks.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;

Tensor bce_written_out(const Tensor& hypothesis, const Tensor& y) {
  return -(y * axon::log(hypothesis) + (1 - y) * axon::log(1 - hypothesis));
}

void logistic_regression(Checks& checks, const ExampleOptions& options, axon::Device device) {
  Tensor x_train =
      axon::tensor({{1.0, 2.0}, {2.0, 3.0}, {3.0, 1.0}, {4.0, 3.0}, {5.0, 3.0}, {6.0, 2.0}})
          .to(device);
  Tensor y_train = axon::tensor({{0.0}, {0.0}, {0.0}, {1.0}, {1.0}, {1.0}}).to(device);
  Tensor W = axon::zeros({2, 1}, axon::TensorOptions().device(device)).requires_grad_();
  Tensor b = axon::zeros({1}, axon::TensorOptions().device(device)).requires_grad_();

  print_section("The hypothesis: sigmoid written out, then axon::sigmoid");
  Tensor hypothesis_by_hand = 1 / (1 + axon::exp(-(x_train.matmul(W) + b)));
  fmt::print("{}\n", hypothesis_by_hand);
  Tensor hypothesis = axon::sigmoid(x_train.matmul(W) + b);
  fmt::print("{}\n", hypothesis);
  checks.expect(axon::allclose(hypothesis_by_hand, hypothesis),
                "1 / (1 + exp(-z)) equals sigmoid(z)");

  print_section("The cost: binary cross-entropy written out, then binary_cross_entropy");
  Tensor losses = bce_written_out(hypothesis, y_train);
  fmt::print("{}\n", losses);
  Tensor cost = losses.mean();
  fmt::print("{}\n", cost);
  Tensor bce = axon::nn::functional::binary_cross_entropy(hypothesis, y_train);
  fmt::print("{}\n", bce);
  checks.expect(axon::allclose(cost, bce), "the written-out cost equals binary_cross_entropy");
  // With W = 0 and b = 0 every hypothesis is 1/2, so every loss is ln 2.
  checks.expect(std::abs(cost.item<double>() - std::log(2.0)) < 1e-6, "the first cost is ln 2");

  print_section("Training: SGD lr 1");
  axon::optim::SGD optimizer({W, b}, 1.0);
  const int epochs = options.fast ? 200 : 1000;
  std::vector<double> costs;
  for (int epoch = 0; epoch <= epochs; ++epoch) {
    hypothesis = axon::sigmoid(x_train.matmul(W) + b);
    cost = bce_written_out(hypothesis, y_train).mean();
    optimizer.zero_grad();
    cost.backward();
    optimizer.step();
    costs.push_back(cost.item<double>());
    if (epoch % 100 == 0) {
      fmt::print("Epoch {:4d}/{} Cost: {:.6f}\n", epoch, epochs, cost.item<double>());
    }
  }
  checks.expect(costs.back() < 0.2 * costs.front(), "the cost fell 5-fold");

  print_section("Accuracy on the training set");
  hypothesis = axon::sigmoid(x_train.matmul(W) + b);
  fmt::print("{}\n", hypothesis);
  Tensor prediction = hypothesis >= axon::tensor({0.5}).to(device);
  fmt::print("{}\n", prediction);
  Tensor correct_prediction = prediction.to(axon::kFloat32) == y_train;
  fmt::print("{}\n", correct_prediction);
  const double accuracy =
      correct_prediction.sum().item<double>() / static_cast<double>(correct_prediction.size(0));
  fmt::print("The model has an accuracy of {:2.2f}% for the training set.\n", accuracy * 100);
  // The two groups are separable (x1 + x2 <= 5 fails, >= 7 passes), so training gets all six.
  checks.expect(accuracy == 1.0, fmt::format("the final accuracy ({}) is 1.0", accuracy));

  const std::string path = axon::apps::plot_path(options, "logistic_regression.png");
  if (!path.empty()) {
    axon::apps::Panel panel{"binary cross-entropy, SGD lr 1",
                            "epoch",
                            "cost",
                            {{"cost", axon::apps::steps(epochs + 1), costs}}};
    panel.log_y = true;
    axon::apps::plot_panel(path, panel);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's logistic regression exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    logistic_regression(checks, options, axon::apps::resolve_device(options.device));
  });
}
