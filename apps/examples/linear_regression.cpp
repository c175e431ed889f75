// The course's linear regression exercise in axon: hours studied (1, 2, 3) -> points (2, 4, 6)
// with W and b and SGD; the simpler H = Wx with the gradient written by hand and then with the
// optimizer; five students' three quiz scores -> final score with matmul; the same as a module
// with one Linear(3, 1) and mse_loss. It checks what it shows (exit code 1 when a check fails).
//
//   linear_regression [--fast] [--plot DIR] [--device cpu|cuda]
//
// Every part is tiny, so --fast runs the same epochs (the checks need them).

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

// H = xW + b from zero, SGD lr 0.01, 1000 epochs; then the prediction for 4 hours.
void hours_to_points(Checks& checks, const ExampleOptions& options, axon::Device device) {
  print_section("H = xW + b: hours (1, 2, 3) -> points (2, 4, 6)");
  Tensor x_train = axon::tensor({{1.0}, {2.0}, {3.0}}).to(device);
  Tensor y_train = axon::tensor({{2.0}, {4.0}, {6.0}}).to(device);
  Tensor W = axon::zeros({1}, axon::TensorOptions().device(device)).requires_grad_();
  Tensor b = axon::zeros({1}, axon::TensorOptions().device(device)).requires_grad_();
  axon::optim::SGD optimizer({W, b}, 0.01);

  constexpr int kEpochs = 1000;
  std::vector<double> costs;
  for (int epoch = 0; epoch <= kEpochs; ++epoch) {
    Tensor hypothesis = x_train * W + b;
    Tensor cost = axon::mean(axon::pow(hypothesis - y_train, 2));
    optimizer.zero_grad();
    cost.backward();
    optimizer.step();
    costs.push_back(cost.item<double>());
    if (epoch % 100 == 0) {
      fmt::print("Epoch {:4d}/{} W: {:.3f}, b: {:.3f} Cost: {:.6f}\n", epoch, kEpochs,
                 W.item<double>(), b.item<double>(), cost.item<double>());
    }
  }

  Tensor new_var = axon::tensor({{4.0}}).to(device);
  Tensor pred_y = new_var * W + b;
  fmt::print("prediction for 4 hours: {}\n", pred_y);
  // The data lie on y = 2x, so gradient descent heads for W = 2, b = 0 and 8 points.
  checks.expect(
      std::abs(pred_y.item<double>() - 8) < 0.2,
      fmt::format("the prediction for 4 hours ({}) is close to 8", pred_y.item<double>()));
  checks.expect(costs.back() < 1e-3 * costs.front(), "the cost of H = xW + b fell 1000-fold");

  const std::string path = axon::apps::plot_path(options, "linear_regression.png");
  if (path.empty()) return;
  axon::apps::Panel cost_panel{"cost of H = xW + b",
                               "epoch",
                               "mean squared error",
                               {{"cost", axon::apps::steps(kEpochs + 1), costs}}};
  cost_panel.log_y = true;
  axon::apps::Series line{"H = xW + b", {0, 4}, {}};
  for (double x : line.x) line.y.push_back(x * W.item<double>() + b.item<double>());
  axon::apps::Panel fit_panel{"hours -> points",
                              "hours",
                              "points",
                              {{"data", {1, 2, 3}, {2, 4, 6}, "points pt 7 ps 1.5"}, line},
                              false,
                              "top left"};
  axon::apps::plot_panels(path, {cost_panel, fit_panel}, 1, 2);
}

// H = Wx with the gradient of the cost written by hand, and then the same with the optimizer:
// the cost mean((Wx - y)^2) has gradient 2/3 sum((Wx - y)x), so lr 0.15 on it takes the same
// steps as lr 0.1 on sum((Wx - y)x), the course's hand-written "gradient".
void without_bias(Checks& checks, axon::Device device) {
  constexpr int kEpochs = 10;
  Tensor x_train = axon::tensor({{1.0}, {2.0}, {3.0}}).to(device);
  Tensor y_train = axon::tensor({{2.0}, {4.0}, {6.0}}).to(device);

  print_section("H = Wx, the gradient by hand (lr 0.1)");
  Tensor W = axon::zeros({1}, axon::TensorOptions().device(device));
  constexpr double kLr = 0.1;
  std::vector<double> by_hand;
  for (int epoch = 0; epoch <= kEpochs; ++epoch) {
    Tensor hypothesis = x_train * W;
    Tensor cost = axon::mean(axon::pow(hypothesis - y_train, 2));
    Tensor gradient = axon::sum((W * x_train - y_train) * x_train);
    fmt::print("Epoch {:4d}/{} W: {:.3f}, Cost: {:.6f}\n", epoch, kEpochs, W.item<double>(),
               cost.item<double>());
    by_hand.push_back(W.item<double>());
    W -= kLr * gradient;
  }

  print_section("H = Wx with optim::SGD (lr 0.15)");
  W = axon::zeros({1}, axon::TensorOptions().device(device)).requires_grad_();
  axon::optim::SGD optimizer({W}, 0.15);
  std::vector<double> by_optimizer;
  for (int epoch = 0; epoch <= kEpochs; ++epoch) {
    Tensor hypothesis = x_train * W;
    Tensor cost = axon::mean(axon::pow(hypothesis - y_train, 2));
    fmt::print("Epoch {:4d}/{} W: {:.3f} Cost: {:.6f}\n", epoch, kEpochs, W.item<double>(),
               cost.item<double>());
    by_optimizer.push_back(W.item<double>());
    optimizer.zero_grad();
    cost.backward();
    optimizer.step();
  }

  // Each step multiplies W - 2 by 1 - 0.1 * 14 = -0.4, so after 10 steps |W - 2| = 2 * 0.4^10.
  checks.expect(std::abs(by_hand.back() - 2) < 1e-3, "H = Wx by hand: W reached 2");
  bool same = true;
  for (size_t i = 0; i < by_hand.size(); ++i) same &= std::abs(by_hand[i] - by_optimizer[i]) < 1e-5;
  fmt::print("the two ways take the same steps: {}\n", axon::apps::py_bool(same));
  checks.expect(same, "H = Wx: the hand-written gradient and optim::SGD take the same steps");
}

Tensor quiz_scores() {
  return axon::tensor({{73.0, 80.0, 75.0},
                       {93.0, 88.0, 93.0},
                       {89.0, 91.0, 90.0},
                       {96.0, 98.0, 100.0},
                       {73.0, 66.0, 70.0}});
}
Tensor final_scores() { return axon::tensor({{152.0}, {185.0}, {180.0}, {196.0}, {142.0}}); }

// Five students' three quiz scores -> the final score, H = xW + b with matmul.
void multivariate(Checks& checks, axon::Device device) {
  print_section("Multivariate: H = x.matmul(W) + b (lr 1e-5)");
  Tensor x_train = quiz_scores().to(device);
  Tensor y_train = final_scores().to(device);
  Tensor W = axon::zeros({3, 1}, axon::TensorOptions().device(device)).requires_grad_();
  Tensor b = axon::zeros({1}, axon::TensorOptions().device(device)).requires_grad_();
  axon::optim::SGD optimizer({W, b}, 1e-5);

  constexpr int kEpochs = 20;
  double first = 0, last = 0;
  for (int epoch = 0; epoch <= kEpochs; ++epoch) {
    Tensor hypothesis = x_train.matmul(W) + b;
    Tensor cost = axon::mean(axon::pow(hypothesis - y_train, 2));
    optimizer.zero_grad();
    cost.backward();
    optimizer.step();
    fmt::print("Epoch {:4d}/{} hypothesis: {} Cost: {:.6f}\n", epoch, kEpochs,
               hypothesis.squeeze().detach(), cost.item<double>());
    (epoch == 0 ? first : last) = cost.item<double>();
  }
  // From zero the first cost is the mean of the squared finals (29661.8); the scores are near
  // proportional to the finals, so 20 small steps along them bring it to a few points squared.
  checks.expect(last < 0.01 * first, "multivariate: the cost fell 100-fold in 20 epochs");
}

// The same as a module: one Linear(3, 1) and mse_loss.
struct MultivariateLinearRegressionModelImpl : axon::nn::Module {
  MultivariateLinearRegressionModelImpl()
      : linear(register_module("linear", axon::nn::Linear(3, 1))) {}
  Tensor forward(const Tensor& x) { return linear->forward(x); }
  axon::nn::Linear linear;
};
AXON_MODULE(MultivariateLinearRegressionModel);

void multivariate_module(Checks& checks, axon::Device device) {
  print_section("Multivariate as a module: Linear(3, 1) and mse_loss (lr 1e-5)");
  axon::manual_seed(1);
  Tensor x_train = quiz_scores().to(device);
  Tensor y_train = final_scores().to(device);
  MultivariateLinearRegressionModel model;
  model->to(device);
  axon::optim::SGD optimizer(model->parameters(), 1e-5);

  constexpr int kEpochs = 20;
  double first = 0, last = 0;
  for (int epoch = 0; epoch <= kEpochs; ++epoch) {
    Tensor prediction = model->forward(x_train);
    Tensor cost = axon::nn::functional::mse_loss(prediction, y_train);
    optimizer.zero_grad();
    cost.backward();
    optimizer.step();
    fmt::print("Epoch {:4d}/{} Cost: {:.6f}\n", epoch, kEpochs, cost.item<double>());
    (epoch == 0 ? first : last) = cost.item<double>();
  }
  Tensor pred_y = model->forward(axon::tensor({{73.0, 80.0, 75.0}}).to(device));
  fmt::print("prediction for quiz scores (73, 80, 75): {}\n", pred_y);
  checks.expect(last < 0.01 * first, "module: the cost fell 100-fold in 20 epochs");
  checks.expect(std::abs(pred_y.item<double>() - 152) < 10,
                fmt::format("module: the prediction for (73, 80, 75) ({}) is near 152",
                            pred_y.item<double>()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's linear regression exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    const axon::Device device = axon::apps::resolve_device(options.device);
    hours_to_points(checks, options, device);
    without_bias(checks, device);
    multivariate(checks, device);
    multivariate_module(checks, device);
  });
}
