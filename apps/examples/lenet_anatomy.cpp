// The course's LeNet anatomy exercise in axon (PyTorch's "Neural Networks" tutorial): the LeNet
// for 1x32x32 input; print it; count its parameter tensors and print the first one's size;
// forward a random input; backward a random gradient; an MSE loss against a random target and
// its grad_fn chain; conv1's bias gradient before and after backward; a manual SGD update over
// the parameters; the same with optim::SGD. It checks what it shows (exit code 1 when a check
// fails).
//
//   lenet_anatomy [--fast] [--device cpu|cuda]
//
// One input and one step: --fast changes nothing. The course drew no plot here.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/checks.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::print_section;
using axon::apps::py_bool;

namespace F = axon::nn::functional;

struct NetImpl : axon::nn::Module {
  NetImpl()
      : conv1(register_module("conv1", axon::nn::Conv2d(1, 6, 5))),
        conv2(register_module("conv2", axon::nn::Conv2d(6, 16, 5))),
        fc1(register_module("fc1", axon::nn::Linear(16 * 5 * 5, 120))),
        fc2(register_module("fc2", axon::nn::Linear(120, 84))),
        fc3(register_module("fc3", axon::nn::Linear(84, 10))) {}

  Tensor forward(Tensor x) {
    x = axon::max_pool2d(axon::relu(conv1->forward(x)), {2, 2});  // 6x28x28 -> 6x14x14
    x = axon::max_pool2d(axon::relu(conv2->forward(x)), {2});     // 16x10x10 -> 16x5x5
    x = axon::flatten(x, 1);
    x = axon::relu(fc1->forward(x));
    x = axon::relu(fc2->forward(x));
    return fc3->forward(x);
  }

  axon::nn::Conv2d conv1, conv2;
  axon::nn::Linear fc1, fc2, fc3;
};
AXON_MODULE(Net);

// Python prints an undefined gradient as None.
std::string grad_repr(const Tensor& grad) {
  return grad.defined() ? fmt::format("{}", grad) : std::string("None");
}

void lenet_anatomy(Checks& checks, axon::Device device) {
  axon::manual_seed(0);
  Net net;
  net->to(device);
  std::ostringstream printed;
  printed << *net;
  fmt::print("{}\n", printed.str());

  print_section("Parameters");
  std::vector<Tensor> params = net->parameters();
  fmt::print("{}\n{}\n", params.size(), params[0].sizes());
  // Weight and bias of two convolutions and three linear layers.
  checks.expect(params.size() == 10, "LeNet has 10 parameter tensors");
  checks.expect(params[0].sizes() == std::vector<int64_t>{6, 1, 5, 5},
                fmt::format("the first parameter is [6, 1, 5, 5], got {}", params[0].sizes()));

  print_section("Forward a random 1x1x32x32 input");
  Tensor input = axon::randn({1, 1, 32, 32}, axon::TensorOptions().device(device));
  Tensor out = net->forward(input);
  fmt::print("{}\n", out);
  checks.expect(out.sizes() == std::vector<int64_t>{1, 10}, "the output is [1, 10]");

  print_section("Backward a random gradient");
  net->zero_grad();
  out.backward(axon::randn({1, 10}, axon::TensorOptions().device(device)));
  bool all_have_grad = true;
  for (const Tensor& p : net->parameters()) all_have_grad &= p.grad().defined();
  fmt::print("every parameter has a gradient: {}\n", py_bool(all_have_grad));
  checks.expect(all_have_grad, "out.backward(gradient) reaches every parameter");

  print_section("An MSE loss against a random target");
  Tensor output = net->forward(input);
  Tensor target = axon::randn({10}, axon::TensorOptions().device(device)).view({1, -1});
  axon::nn::MSELoss criterion;
  Tensor loss = criterion->forward(output, target);
  fmt::print("{}\n", loss);
  // The first edges back from the loss. PyTorch shows MseLossBackward0, AddmmBackward0 and
  // AccumulateGrad; axon builds mse_loss and linear from smaller ops, so it shows those.
  std::shared_ptr<axon::autograd::Node> node = loss.grad_fn();
  for (int depth = 0; depth < 3 && node != nullptr; ++depth) {
    fmt::print("<{}>\n", node->name());
    node = node->next_edges().empty() ? nullptr : node->next_edge(0).function;
  }

  print_section("conv1's bias gradient before and after backward");
  net->zero_grad();
  fmt::print("conv1.bias.grad before backward\n{}\n", grad_repr(net->conv1->bias.grad()));
  const bool before_is_none = !net->conv1->bias.grad().defined();
  loss.backward();
  fmt::print("conv1.bias.grad after backward\n{}\n", grad_repr(net->conv1->bias.grad()));
  checks.expect(before_is_none, "zero_grad() leaves conv1.bias.grad None");
  checks.expect(
      net->conv1->bias.grad().defined() && net->conv1->bias.grad().abs().sum().item<double>() > 0,
      "loss.backward() gives conv1.bias a non-zero gradient");

  print_section("A manual SGD update: p -= learning_rate * p.grad");
  constexpr double kLearningRate = 0.01;
  std::vector<Tensor> expected;
  for (const Tensor& p : net->parameters())
    expected.push_back(p.detach() - kLearningRate * p.grad());
  {
    axon::NoGradGuard no_grad;
    for (const Tensor& p : net->parameters()) p.sub_(p.grad() * kLearningRate);
  }
  bool manual_ok = true;
  for (size_t i = 0; i < expected.size(); ++i) {
    manual_ok &= axon::equal(params[i].detach(), expected[i]);
  }
  fmt::print("every parameter moved by -0.01 * its gradient: {}\n", py_bool(manual_ok));
  checks.expect(manual_ok, "the manual update moved every parameter by -lr * grad");

  print_section("The same with optim::SGD (lr 0.01)");
  axon::optim::SGD optimizer(net->parameters(), kLearningRate);
  optimizer.zero_grad();
  output = net->forward(input);
  loss = criterion->forward(output, target);
  loss.backward();
  expected.clear();
  for (const Tensor& p : net->parameters())
    expected.push_back(p.detach() - kLearningRate * p.grad());
  optimizer.step();
  bool sgd_ok = true;
  for (size_t i = 0; i < expected.size(); ++i) {
    // SGD without momentum computes p - lr * grad too, perhaps fused: allow rounding.
    sgd_ok &= axon::allclose(params[i].detach(), expected[i], 1e-6, 1e-7);
  }
  const double new_loss = criterion->forward(net->forward(input), target).item<double>();
  fmt::print("loss before the step {:.6f}, after {:.6f}\n", loss.item<double>(), new_loss);
  fmt::print("optim::SGD made the same update: {}\n", py_bool(sgd_ok));
  checks.expect(sgd_ok, "optim::SGD moved every parameter by -lr * grad");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's LeNet anatomy exercise in axon"};
  axon::apps::ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    lenet_anatomy(checks, axon::apps::resolve_device(options.device));
  });
}
