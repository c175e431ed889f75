// The course's two-layer network exercise in axon (N=64, D_in=1000, H=100, D_out=10, random
// data): (a) a module with two Linear layers, sum-reduced MSE, SGD lr 1e-4, 500 steps printing
// the step and the loss, and a loss plot; (b) the same network fed by a DataLoader over a
// TensorDataset, batch 8, 20 epochs, SGD lr 1e-2, with the loss of each batch plotted per
// epoch. It checks what it shows (exit code 1 when a check fails).
//
//   two_layer_net [--fast] [--plot DIR] [--device cpu|cuda]
//
// --fast: 100 steps in (a) and 4 epochs in (b).

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/checks.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;

constexpr int64_t kN = 64, kDimIn = 1000, kHidden = 100, kDimOut = 10;

struct TwoLayerNetImpl : axon::nn::Module {
  TwoLayerNetImpl()
      : linear1(register_module("linear1", axon::nn::Linear(kDimIn, kHidden))),
        linear2(register_module("linear2", axon::nn::Linear(kHidden, kDimOut))) {}
  Tensor forward(const Tensor& x) { return linear2->forward(axon::relu(linear1->forward(x))); }
  axon::nn::Linear linear1, linear2;
};
AXON_MODULE(TwoLayerNet);

// (a) The whole batch at every step.
void full_batch(Checks& checks, const ExampleOptions& options, axon::Device device) {
  print_section("(a) Two Linear layers, MSE (sum), SGD lr 1e-4, the whole batch");
  axon::manual_seed(0);
  Tensor x = axon::randn({kN, kDimIn}).to(device);
  Tensor y = axon::randn({kN, kDimOut}).to(device);
  TwoLayerNet model;
  model->to(device);
  fmt::print("{}\n", [&] {
    std::ostringstream s;
    s << *model;
    return s.str();
  }());
  axon::nn::MSELoss loss_fn(axon::nn::MSELossOptions().reduction(axon::kSum));
  axon::optim::SGD optimizer(model->parameters(), 1e-4);

  const int64_t steps = options.fast ? 100 : 500;
  std::vector<double> losses;
  for (int64_t t = 0; t < steps; ++t) {
    Tensor loss = loss_fn->forward(model->forward(x), y);
    losses.push_back(loss.item<double>());
    if (t % 100 == 99) fmt::print("{} {}\n", t, loss.item<double>());
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  // 100 hidden units and 64 examples: the network can fit the noise, and does.
  checks.expect(
      losses.back() < 0.01 * losses.front(),
      fmt::format("(a) the loss fell 100-fold ({} -> {})", losses.front(), losses.back()));

  const std::string path = axon::apps::plot_path(options, "two_layer_net_loss.png");
  if (!path.empty()) {
    axon::apps::Panel panel{"(a) MSE (sum) per step, SGD lr 1e-4",
                            "step",
                            "loss",
                            {{"loss", axon::apps::steps(steps), losses}}};
    panel.log_y = true;
    axon::apps::plot_panel(path, panel);
  }
}

// (b) Minibatches of 8 from a DataLoader over a TensorDataset.
void minibatches(Checks& checks, const ExampleOptions& options, axon::Device device) {
  print_section("(b) The same with a DataLoader: batch 8, SGD lr 1e-2, MSE (mean)");
  axon::manual_seed(0);
  Tensor x = axon::randn({kN, kDimIn});
  Tensor y = axon::randn({kN, kDimOut});
  auto loader = axon::data::make_data_loader(
      axon::data::datasets::TensorDataset(x, y).map(axon::data::transforms::Stack<>()),
      axon::data::DataLoaderOptions().batch_size(8));
  TwoLayerNet model;
  model->to(device);
  axon::optim::SGD optimizer(model->parameters(), 1e-2);

  const int epochs = options.fast ? 4 : 20;
  std::vector<axon::apps::Panel> panels;
  std::vector<double> epoch_means;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::vector<double> losses;
    for (auto& batch : *loader) {
      // The course's mean-reduced loss here: lr 1e-2 on the sum over 8 x 10 would diverge.
      Tensor loss = axon::nn::functional::mse_loss(model->forward(batch.data.to(device)),
                                                   batch.target.to(device));
      losses.push_back(loss.item<double>());
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    double mean = 0;
    for (double l : losses) mean += l / static_cast<double>(losses.size());
    fmt::print("epoch {:2d}: mean batch loss {:.6f}\n", epoch + 1, mean);
    epoch_means.push_back(mean);
    panels.push_back(
        {fmt::format("epoch {}", epoch + 1),
         "batch",
         "loss",
         {{"loss", axon::apps::steps(static_cast<int64_t>(losses.size())), losses, "linespoints"}},
         false,
         "off"});
  }
  bool fell = true;
  for (size_t e = 1; e < epoch_means.size(); ++e) fell &= epoch_means[e] < epoch_means[e - 1];
  checks.expect(fell, "(b) the mean batch loss fell in every epoch");

  const std::string path = axon::apps::plot_path(options, "two_layer_net_epochs.png");
  if (!path.empty()) {
    const int cols = std::min(epochs, 5);
    axon::apps::plot_panels(path, panels, (epochs + cols - 1) / cols, cols, 360, 260);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's two-layer network exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    const axon::Device device = axon::apps::resolve_device(options.device);
    full_batch(checks, options, device);
    minibatches(checks, options, device);
  });
}
