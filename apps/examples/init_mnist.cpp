// The course's weight-initialisation exercise on MNIST (Deep Learning from Scratch, ch. 6,
// weight_init_compare) in axon: three 784-100-100-100-100-10 ReLU nets whose weights start with
// std 0.01, Xavier and He, trained side by side with SGD lr 0.01 on the same minibatches of 128
// (drawn with replacement, as np.random.choice) for 2000 iterations; the loss of each every 100
// iterations and a plot of the three loss curves. It checks the lesson (exit code 1 when a check
// fails): std 0.01 does not learn, Xavier and He do.
//
//   init_mnist [--data DIR] [--fast] [--plot DIR] [--device cpu|cuda]
//
// --fast: 300 iterations on the first 1000 training images.

#include <axon/axon.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "common/checks.h"
#include "common/course_data.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::take_rows;

constexpr int64_t kInputs = 784, kHidden = 100, kHiddenLayers = 4, kClasses = 10, kBatch = 128;
constexpr double kLearningRate = 0.01;

// One initialisation: how a Linear layer's weight is drawn (biases start at zero, as the
// book's). The book scales each weight by its layer's fan-in n: Xavier is std sqrt(1 / n) and He
// std sqrt(2 / n), which are kaiming_normal_ with the gain of a linear layer (1) and of ReLU
// (sqrt 2). (PyTorch's xavier_normal_ uses sqrt(2 / (fan_in + fan_out)): the same on the
// 100 x 100 layers, not on the first and last.)
struct Init {
  std::string name;
  std::function<void(Tensor&)> weight;
};

const std::vector<Init>& inits() {
  static const std::vector<Init> all = {
      {"std=0.01", [](Tensor& w) { axon::nn::init::normal_(w, 0, 0.01); }},
      {"Xavier",
       [](Tensor& w) { axon::nn::init::kaiming_normal_(w, 0, axon::kFanIn, axon::kLinear); }},
      {"He", [](Tensor& w) { axon::nn::init::kaiming_normal_(w, 0, axon::kFanIn, axon::kReLU); }},
  };
  return all;
}

axon::nn::Sequential make_net(const Init& init) {
  axon::nn::Sequential net;
  int64_t in = kInputs;
  for (int64_t i = 0; i < kHiddenLayers; ++i) {
    net->push_back(axon::nn::Linear(in, kHidden));
    net->push_back(axon::nn::ReLU());
    in = kHidden;
  }
  net->push_back(axon::nn::Linear(in, kClasses));
  for (const auto& module : net->modules(/*include_self=*/false)) {
    if (auto* linear = module->as<axon::nn::LinearImpl>()) {
      init.weight(linear->weight);
      axon::nn::init::zeros_(linear->bias);
    }
  }
  return net;
}

// The book plots its losses through an 11-point window; a plain centred mean here.
std::vector<double> smooth(const std::vector<double>& y) {
  constexpr int64_t kHalf = 5;
  const int64_t n = static_cast<int64_t>(y.size());
  std::vector<double> out(y.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t lo = std::max<int64_t>(0, i - kHalf), hi = std::min(n, i + kHalf + 1);
    double sum = 0;
    for (int64_t j = lo; j < hi; ++j) sum += y[j];
    out[i] = sum / static_cast<double>(hi - lo);
  }
  return out;
}

// The mean of the last `count` values.
double tail_mean(const std::vector<double>& y, size_t count) {
  count = std::min(count, y.size());
  double sum = 0;
  for (size_t i = y.size() - count; i < y.size(); ++i) sum += y[i];
  return sum / static_cast<double>(count);
}

void compare(Checks& checks, const ExampleOptions& options, const std::string& data_dir) {
  const axon::Device device = axon::apps::resolve_device(options.device);
  const axon::apps::MnistArrays mnist = axon::apps::load_mnist_arrays(
      data_dir, options.fast ? 1000 : 0, /*max_test=*/1);  // no test images used
  const Tensor images = mnist.train_images.to(device), labels = mnist.train_labels.to(device);
  const int64_t train_size = images.size(0);
  const int64_t iterations = options.fast ? 300 : 2000;

  axon::manual_seed(0);
  std::vector<axon::nn::Sequential> nets;
  std::vector<axon::optim::SGD> optimizers;
  for (const Init& init : inits()) {
    nets.push_back(make_net(init));
    nets.back()->to(device);
    optimizers.emplace_back(nets.back()->parameters(), kLearningRate);
  }
  std::vector<std::vector<double>> losses(nets.size());
  for (int64_t i = 0; i < iterations; ++i) {
    const Tensor batch_mask = axon::randint(0, train_size, {kBatch});
    const Tensor x = take_rows(images, batch_mask), t = take_rows(labels, batch_mask);
    const bool report = i % 100 == 0;
    if (report) fmt::print("===========iteration:{}===========\n", i);
    for (size_t k = 0; k < nets.size(); ++k) {
      Tensor loss = axon::nn::functional::cross_entropy(nets[k]->forward(x), t);
      // The curves take the loss of each batch before its update; the book computes it again
      // after the update, which costs a forward pass: here only for the loss it prints.
      losses[k].push_back(loss.item<double>());
      optimizers[k].zero_grad();
      loss.backward();
      optimizers[k].step();
      if (report) {
        axon::NoGradGuard no_grad;
        fmt::print("{}:{}\n", inits()[k].name,
                   axon::nn::functional::cross_entropy(nets[k]->forward(x), t).item<double>());
      }
    }
  }

  // Each net's loss over its last 100 iterations.
  std::vector<double> final_loss;
  for (const auto& l : losses) final_loss.push_back(tail_mean(l, 100));
  fmt::print(
      "\nmean loss over the last 100 iterations: std=0.01 {:.4f}, Xavier {:.4f}, He {:.4f}\n",
      final_loss[0], final_loss[1], final_loss[2]);

  // std 0.01 shrinks the signal 0.07-fold per layer: the outputs stay near 0, and the loss at
  // ln 10, the loss of a uniform guess (only the last bias learns noticeably, and the classes are
  // nearly balanced).
  const double ln10 = std::log(10.0);
  checks.expect(std::abs(final_loss[0] - ln10) < 0.02,
                fmt::format("std=0.01: the loss stays at ln 10 = {:.4f} (it ends at {:.4f})", ln10,
                            final_loss[0]));
  // Xavier learns, He (which keeps the signal's spread through the ReLUs) faster.
  checks.expect(final_loss[1] < final_loss[0] - 0.05,
                fmt::format("Xavier: the final loss {:.4f} is below std=0.01's {:.4f}",
                            final_loss[1], final_loss[0]));
  checks.expect(final_loss[2] < final_loss[1],
                fmt::format("He: the final loss {:.4f} is below Xavier's {:.4f}", final_loss[2],
                            final_loss[1]));

  const std::string path = axon::apps::plot_path(options, "init_mnist_loss.png");
  if (!path.empty()) {
    axon::apps::Panel panel{
        "MNIST, 5 layers of ReLU: loss per iteration (11-point mean)", "iterations", "loss", {}};
    for (size_t k = 0; k < nets.size(); ++k) {
      panel.series.push_back({inits()[k].name, axon::apps::steps(iterations), smooth(losses[k])});
    }
    panel.extra = "set yrange [0:2.5]";
    axon::apps::plot_panel(path, panel);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's weight initialisation on MNIST (std 0.01, Xavier, He) in axon"};
  ExampleOptions options;
  std::string data_dir;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  axon::apps::add_mnist_data_option(app, data_dir);
  return axon::apps::run_example(app, argc, argv,
                                 [&](Checks& checks) { compare(checks, options, data_dir); });
}
