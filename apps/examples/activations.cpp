// The course's activations exercise in axon: step (sign), sigmoid, tanh and ReLU on 200 points
// from -5 to 5, their derivatives by central differences (eps 1e-6) and by autograd, and a
// two-panel plot (the functions; their derivatives). In float64, as the course's numpy: in
// float32, x +- 1e-6 rounds and the differences mean little. It checks what it shows (exit
// code 1 when a check fails).
//
//   activations [--fast] [--plot DIR]
//
// Nothing here trains, so --fast changes nothing.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/checks.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;
using axon::apps::py_bool;

constexpr double kEps = 1e-6;

struct Activation {
  std::string name;
  std::function<Tensor(const Tensor&)> f;
};

std::vector<double> to_vector(const Tensor& t) {
  Tensor c = t.detach().contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

void activations(Checks& checks, const ExampleOptions& options) {
  const std::vector<Activation> all = {
      {"step", [](const Tensor& x) { return axon::sign(x); }},
      {"sigmoid", [](const Tensor& x) { return axon::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return axon::tanh(x); }},
      {"relu", [](const Tensor& x) { return axon::relu(x); }},
  };
  // 200 points from -5 to 5: the step is 10/199, so none is 0, where step and ReLU have a kink.
  Tensor x = axon::linspace(-5, 5, 200, axon::kFloat64);
  fmt::print("x: {} points from {} to {}\n", x.numel(), x[0].item<double>(), x[-1].item<double>());

  axon::apps::Panel functions{"activations", "x", "f(x)", {}, false, "top left"};
  axon::apps::Panel derivatives{"derivatives: autograd (lines), central differences (points)",
                                "x",
                                "f'(x)",
                                {},
                                false,
                                "top left"};
  const std::vector<double> xs = to_vector(x);
  for (const Activation& a : all) {
    print_section(a.name);
    Tensor y = a.f(x);
    Tensor numeric = (a.f(x + kEps) - a.f(x - kEps)) / (2 * kEps);
    Tensor xg = x.clone().requires_grad_();
    a.f(xg).sum().backward();  // each y_i depends on x_i only, so this is the elementwise f'
    Tensor autograd = xg.grad();
    // Every 50th point, to show a few numbers.
    auto some = [](const Tensor& t) { return t.slice(0, 0, std::nullopt, 50); };
    fmt::print("x        = {}\n{}(x) = {}\ncentral  = {}\nautograd = {}\n", some(x), a.name,
               some(y), some(numeric), some(autograd));
    // Central differences err by eps^2 f'''/6 plus rounding ~1e-16/eps: both well under 1e-6.
    const bool agree = axon::allclose(numeric, autograd, 1e-5, 1e-6);
    fmt::print("central differences equal autograd: {}\n", py_bool(agree));
    checks.expect(agree, a.name + ": central differences equal autograd");
    // The same colour for a function, its derivative and its differences (no key entry).
    const std::string color = fmt::format(" lc {}", functions.series.size() + 1);
    functions.series.push_back({a.name, xs, to_vector(y), "lines" + color});
    derivatives.series.push_back({a.name, xs, to_vector(autograd), "lines" + color});
    derivatives.series.push_back({"", xs, to_vector(numeric), "points pt 7 ps 0.4" + color});
  }

  // A value known in closed form: sigmoid'(x) = s(1 - s) with s = sigmoid(x).
  Tensor five = axon::tensor({5.0}, axon::kFloat64).requires_grad_();
  axon::sigmoid(five).sum().backward();
  const double s = 1 / (1 + std::exp(-5.0));
  checks.expect(std::abs(five.grad().item<double>() - s * (1 - s)) < 1e-12,
                "sigmoid'(5) = s(1 - s)");

  const std::string path = axon::apps::plot_path(options, "activations.png");
  if (!path.empty()) axon::apps::plot_panels(path, {functions, derivatives}, 1, 2);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's activations exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/false);
  return axon::apps::run_example(app, argc, argv,
                                 [&](Checks& checks) { activations(checks, options); });
}
