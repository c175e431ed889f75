// A LeNet-5 training step on the CPU, timed: batch of 1x28x28 images (conv1 padding 2),
// cross-entropy, SGD with momentum. bench/bench_lenet.py times the same step in PyTorch and
// bench/compare_lenet.sh runs the two alternately.
//
//   bench_lenet [--threads 2] [--batch 64] [--steps 200] [--warmup 20] [--repeats 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "axon/axon.h"
#include "axon/optim.h"

namespace nn = axon::nn;

struct LeNet5Impl : nn::Module {
  LeNet5Impl() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)));
    conv2 = register_module("conv2", nn::Conv2d(6, 16, 5));
    fc1 = register_module("fc1", nn::Linear(400, 120));
    fc2 = register_module("fc2", nn::Linear(120, 84));
    fc3 = register_module("fc3", nn::Linear(84, 10));
  }
  axon::Tensor forward(const axon::Tensor& input) {
    axon::Tensor x = axon::max_pool2d(axon::relu(conv1->forward(input)), {2, 2});
    x = axon::max_pool2d(axon::relu(conv2->forward(x)), {2, 2});
    x = x.flatten(1);
    x = axon::relu(fc1->forward(x));
    x = axon::relu(fc2->forward(x));
    return fc3->forward(x);
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
AXON_MODULE(LeNet5);

int main(int argc, char** argv) {
  int threads = 2, batch = 64, steps = 200, warmup = 20, repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (!std::strcmp(flag, "--threads"))
      threads = value;
    else if (!std::strcmp(flag, "--batch"))
      batch = value;
    else if (!std::strcmp(flag, "--steps"))
      steps = value;
    else if (!std::strcmp(flag, "--warmup"))
      warmup = value;
    else if (!std::strcmp(flag, "--repeats"))
      repeats = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag);
      return 2;
    }
  }
  axon::set_num_threads(threads);
  axon::manual_seed(0);
  LeNet5 model;
  axon::optim::SGD optimizer(model->parameters(), axon::optim::SGDOptions(0.01).momentum(0.9));
  const axon::Tensor images = axon::rand({batch, 1, 28, 28});
  const axon::Tensor labels = axon::randint(0, 10, {batch});
  auto step = [&] {
    optimizer.zero_grad();
    axon::Tensor loss = axon::cross_entropy_loss(model->forward(images), labels);
    loss.backward();
    optimizer.step();
  };
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> per_step_ms;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    per_step_ms.push_back(elapsed.count() / steps);
  }
  std::sort(per_step_ms.begin(), per_step_ms.end());
  const double median = per_step_ms[per_step_ms.size() / 2];
  std::printf(
      "axon lenet5 train step: batch %d, %d threads: median %.3f ms/step (%.0f images/s), "
      "min %.3f, max %.3f over %d repeats of %d steps\n",
      batch, threads, median, batch / median * 1e3, per_step_ms.front(), per_step_ms.back(),
      repeats, steps);
  return 0;
}
