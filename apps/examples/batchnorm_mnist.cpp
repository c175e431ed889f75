// The course's batch-normalisation exercise on MNIST (Deep Learning from Scratch, ch. 6,
// batch_norm_test) in axon: a 784-100-100-100-100-100-10 ReLU net with and without a BatchNorm1d
// after each hidden Linear layer, trained side by side on the first 1000 training images (SGD lr
// 0.01, minibatches of 100 drawn with replacement, as np.random.choice) for 20 epochs, for each
// of 16 weight scales (the std of every weight) spaced logarithmically from 1 to 1e-4; the
// training accuracy of both after each epoch, and both curves per scale in a 4 x 4 grid. It
// checks the lesson (exit code 1 when a check fails): at small scales the plain net does not
// learn and the one with batch norm does.
//
//   batchnorm_mnist [--data DIR] [--fast] [--plot DIR] [--device cpu|cuda]
//
// --fast: 4 scales (1, 0.046, 0.0022, 1e-4), 16 epochs, the first 500 images.

#include <axon/axon.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "common/checks.h"
#include "common/course_data.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::take_rows;

constexpr int64_t kInputs = 784, kHidden = 100, kHiddenLayers = 5, kClasses = 10, kBatch = 100;
constexpr double kLearningRate = 0.01;

// Every weight drawn with std `scale`, biases zero, as the book's MultiLayerNetExtend; batch
// norm (gamma 1, beta 0, running statistics with momentum 0.1, as the book's 0.9 decay) between
// each hidden Linear layer and its ReLU. The book's batch norm adds 1e-6 to the variance, where
// PyTorch's default eps is 1e-5; at the smallest scales that eps is larger than the variance it
// normalises, so the book's value is kept.
axon::nn::Sequential make_net(double scale, bool batch_norm) {
  axon::nn::Sequential net;
  int64_t in = kInputs;
  for (int64_t i = 0; i < kHiddenLayers; ++i) {
    net->push_back(axon::nn::Linear(in, kHidden));
    if (batch_norm)
      net->push_back(axon::nn::BatchNorm1d(axon::nn::BatchNorm1dOptions(kHidden).eps(1e-6)));
    net->push_back(axon::nn::ReLU());
    in = kHidden;
  }
  net->push_back(axon::nn::Linear(in, kClasses));
  for (const auto& module : net->modules(/*include_self=*/false)) {
    if (auto* linear = module->as<axon::nn::LinearImpl>()) {
      axon::nn::init::normal_(linear->weight, 0, scale);
      axon::nn::init::zeros_(linear->bias);
    }
  }
  return net;
}

// The fraction of `images` that `net` classifies right, in eval mode (batch norm on its running
// statistics, as the book's predict(train_flg=False)).
double accuracy(axon::nn::Sequential& net, const Tensor& images, const Tensor& labels) {
  axon::NoGradGuard no_grad;
  net->eval();
  const Tensor right = net->forward(images).argmax(1).eq(labels);
  net->train();
  return right.to(axon::kFloat64).mean().item<double>();
}

// Python's str() of a float: the shortest repr, with ".0" on whole numbers.
std::string py_float(double value) {
  std::string s = fmt::format("{}", value);
  if (std::isfinite(value) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

struct Curves {
  std::vector<double> plain, batch_norm;  // training accuracy per epoch
};

// Trains both nets for one weight scale, printing the accuracies of each epoch.
Curves train(double scale, int epochs, const Tensor& images, const Tensor& labels,
             axon::Device device) {
  axon::nn::Sequential bn_net = make_net(scale, true), net = make_net(scale, false);
  bn_net->to(device);
  net->to(device);
  axon::optim::SGD bn_optimizer(bn_net->parameters(), kLearningRate);
  axon::optim::SGD optimizer(net->parameters(), kLearningRate);

  const int64_t train_size = images.size(0);
  // The book measures at every iter_per_epoch-th iteration, from the first on.
  const int64_t iter_per_epoch = std::max<int64_t>(train_size / kBatch, 1);
  Curves curves;
  for (int64_t i = 0; static_cast<int>(curves.plain.size()) < epochs; ++i) {
    const Tensor batch_mask = axon::randint(0, train_size, {kBatch});
    const Tensor x = take_rows(images, batch_mask), t = take_rows(labels, batch_mask);
    for (auto [model, opt] : {std::pair{&bn_net, &bn_optimizer}, std::pair{&net, &optimizer}}) {
      Tensor loss = axon::nn::functional::cross_entropy((*model)->forward(x), t);
      opt->zero_grad();
      loss.backward();
      opt->step();
    }
    if (i % iter_per_epoch == 0) {
      curves.plain.push_back(accuracy(net, images, labels));
      curves.batch_norm.push_back(accuracy(bn_net, images, labels));
      fmt::print("epoch:{} | {} - {}\n", curves.plain.size() - 1, py_float(curves.plain.back()),
                 py_float(curves.batch_norm.back()));
    }
  }
  return curves;
}

void compare(Checks& checks, const ExampleOptions& options, const std::string& data_dir) {
  const axon::Device device = axon::apps::resolve_device(options.device);
  const axon::apps::MnistArrays mnist = axon::apps::load_mnist_arrays(
      data_dir, options.fast ? 500 : 1000, /*max_test=*/1);  // no test images used
  const Tensor images = mnist.train_images.to(device), labels = mnist.train_labels.to(device);
  const int scale_count = options.fast ? 4 : 16, epochs = options.fast ? 16 : 20;

  axon::manual_seed(0);
  // np.logspace(0, -4, 16): 1 down to 1e-4.
  std::vector<double> scales;
  for (int i = 0; i < scale_count; ++i)
    scales.push_back(std::pow(10.0, -4.0 * i / (scale_count - 1)));

  std::vector<Curves> results;
  for (int i = 0; i < scale_count; ++i) {
    fmt::print("============== {}/{} ==============\n", i + 1, scale_count);
    results.push_back(train(scales[i], epochs, images, labels, device));
  }

  // Below std 0.01 the plain net's signal fades through its 6 layers and it stays at chance;
  // batch norm restores the signal's spread at every layer, so it learns at every scale.
  int small = 0, bn_ahead = 0;
  std::string finals;
  for (int i = 0; i < scale_count; ++i) {
    const double plain = results[i].plain.back(), bn = results[i].batch_norm.back();
    finals += fmt::format("  W:{:.3g}  {:.3f} - {:.3f}\n", scales[i], plain, bn);
    if (scales[i] >= 0.01) continue;
    ++small;
    bn_ahead += bn > plain + 0.1;
  }
  fmt::print("\nfinal training accuracy, without - with batch norm:\n{}", finals);
  checks.expect(4 * bn_ahead >= 3 * small,
                fmt::format("below std 0.01, batch norm ends 0.1 or more ahead at {} of the {} "
                            "scales (at least 3/4 expected)",
                            bn_ahead, small));
  const double smallest = results.back().plain.back();
  checks.expect(smallest < 0.2,
                fmt::format("W:{:.3g} without batch norm: the accuracy stays near chance ({})",
                            scales.back(), smallest));

  const std::string path = axon::apps::plot_path(options, "batchnorm_mnist_accuracy.png");
  if (!path.empty()) {
    const int cols = options.fast ? 2 : 4;
    std::vector<axon::apps::Panel> panels;
    for (int i = 0; i < scale_count; ++i) {
      axon::apps::Panel panel{
          fmt::format("W:{:.3g}", scales[i]),
          "epochs",
          "accuracy",
          {{"Batch Normalization", axon::apps::steps(epochs), results[i].batch_norm},
           {"Normal(without BatchNorm)", axon::apps::steps(epochs), results[i].plain,
            "lines dt 2"}}};
      panel.key = i == scale_count - 1 ? "top left" : "off";
      panel.extra = "set yrange [0:1]";
      panels.push_back(panel);
    }
    axon::apps::plot_panels(path, panels, (scale_count + cols - 1) / cols, cols, 400, 300);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's batch normalisation on MNIST over 16 weight scales in axon"};
  ExampleOptions options;
  std::string data_dir;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  axon::apps::add_mnist_data_option(app, data_dir);
  return axon::apps::run_example(app, argc, argv,
                                 [&](Checks& checks) { compare(checks, options, data_dir); });
}
