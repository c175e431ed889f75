// The course's weight-initialisation exercise in axon: 1000 random inputs of 100 features
// through 5 hidden layers of 100 units with sigmoid (then ReLU and tanh), the weights drawn
// with std 1, std 0.01, Xavier (1/sqrt(n)) and He (sqrt(2/n)); one histogram of the
// activations per layer per setting, as PNG. It checks the lesson the histograms show (exit
// code 1 when a check fails).
//
//   weight_init_histograms [--fast] [--plot DIR]
//
// --fast: 200 inputs instead of 1000.

#include <axon/axon.h>
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/checks.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;

constexpr int64_t kNodes = 100, kLayers = 5;

struct Activation {
  std::string name;
  std::function<Tensor(const Tensor&)> f;
  double lo, hi;  // the histograms' range
};

struct Scale {
  std::string name;
  double std;
};

std::vector<double> to_vector(const Tensor& t) {
  Tensor c = t.contiguous().to(axon::kFloat64);
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// The activations of each layer for one setting.
std::vector<Tensor> forward(const Tensor& input, const Activation& activation, double std) {
  std::vector<Tensor> activations;
  Tensor x = input;
  for (int64_t i = 0; i < kLayers; ++i) {
    Tensor w = axon::randn({kNodes, kNodes}) * std;
    x = activation.f(x.matmul(w));
    activations.push_back(x);
  }
  return activations;
}

// The fraction of sigmoid outputs within 0.1 of 0 or 1, where its gradient vanishes.
double saturated(const Tensor& z) {
  return ((z < 0.1).logical_or(z > 0.9)).to(axon::kFloat64).mean().item<double>();
}

void weight_init(Checks& checks, const ExampleOptions& options) {
  axon::manual_seed(0);
  const int64_t samples = options.fast ? 200 : 1000;
  const Tensor input = axon::randn({samples, kNodes});
  const std::vector<Activation> activations = {
      {"sigmoid", [](const Tensor& a) { return axon::sigmoid(a); }, 0, 1},
      {"relu", [](const Tensor& a) { return axon::relu(a); }, 0, 1},
      {"tanh", [](const Tensor& a) { return axon::tanh(a); }, -1, 1},
  };
  const std::vector<Scale> scales = {{"std 1", 1.0},
                                     {"std 0.01", 0.01},
                                     {"Xavier", 1 / std::sqrt(static_cast<double>(kNodes))},
                                     {"He", std::sqrt(2.0 / static_cast<double>(kNodes))}};

  // Layer-5 statistics per (activation, scale), for the checks.
  std::map<std::string, double> last_std, first_std, last_saturated;
  for (const Activation& activation : activations) {
    print_section(activation.name);
    for (const Scale& scale : scales) {
      const std::vector<Tensor> layers = forward(input, activation, scale.std);
      std::vector<axon::apps::Panel> panels;
      std::string means, stds;
      for (int64_t i = 0; i < kLayers; ++i) {
        const Tensor& z = layers[i];
        means += fmt::format(" {:>9.3g}", z.mean().item<double>());
        stds += fmt::format(" {:>9.3g}", z.std().item<double>());
        axon::apps::Panel panel{
            fmt::format("{}-layer", i + 1),
            "",
            "",
            {axon::apps::histogram("", to_vector(z), 30, activation.lo, activation.hi)}};
        panel.key = "off";
        panel.extra =
            fmt::format("set xrange [{}:{}]\nset yrange [0:*]\nset xtics {}", activation.lo,
                        activation.hi, (activation.hi - activation.lo) / 2);
        panels.push_back(panel);
      }
      fmt::print("{}, layers 1-5\n  mean {}\n  std  {}\n", scale.name, means, stds);
      const std::string key = activation.name + ", " + scale.name;
      first_std[key] = layers.front().std().item<double>();
      last_std[key] = layers.back().std().item<double>();
      last_saturated[key] = saturated(layers.back());

      const std::string file = fmt::format("weight_init_{}_{}.png", activation.name,
                                           scale.name == "std 1"      ? "std1"
                                           : scale.name == "std 0.01" ? "std001"
                                                                      : scale.name);
      const std::string path = axon::apps::plot_path(options, file);
      if (!path.empty()) axon::apps::plot_panels(path, panels, 1, kLayers, 300, 300);
    }
  }

  // Sigmoid: std 1 drives the units to 0 and 1 (vanishing gradients); std 0.01 makes them all
  // alike, near 0.5 (no expressive power); Xavier keeps them spread and unsaturated.
  checks.expect(last_saturated["sigmoid, std 1"] > 0.5,
                "sigmoid, std 1: most layer-5 units saturate");
  checks.expect(last_std["sigmoid, std 0.01"] < 0.02,
                "sigmoid, std 0.01: layer-5 units are all near 0.5");
  checks.expect(last_std["sigmoid, Xavier"] > 2 * last_std["sigmoid, std 0.01"] &&
                    last_saturated["sigmoid, Xavier"] < 0.5 * last_saturated["sigmoid, std 1"],
                "sigmoid, Xavier: wider than std 0.01 and less saturated than std 1");
  // ReLU: each std-0.01 layer scales the spread by 0.01 sqrt(100 / 2) = 0.07, so it fades;
  // He keeps it (within a factor of 2 over 4 layers).
  checks.expect(last_std["relu, std 0.01"] < 1e-3 * first_std["relu, std 0.01"],
                "relu, std 0.01: the activations fade layer by layer");
  const double he_ratio = last_std["relu, He"] / first_std["relu, He"];
  checks.expect(he_ratio > 0.5 && he_ratio < 2,
                fmt::format("relu, He: layer 5 keeps layer 1's spread (ratio {})", he_ratio));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's weight-initialisation histograms in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/false);
  return axon::apps::run_example(app, argc, argv,
                                 [&](Checks& checks) { weight_init(checks, options); });
}
