// bench_conv [threads]: LeNet-5's convolution and pooling layers at batch 64 on 2 threads (or
// the number given), forward alone
// and forward + backward, as a training step runs them. bench/compare_conv.py times the same
// in PyTorch. As in the training step, conv1's input (the images) does not require grad.
//
// Every figure is the median over repeated timed runs of `iters` calls, after a warm-up.
#include <axon/axon.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double time_us(const std::function<void()>& fn, int iters, int repeats = 15) {
  for (int i = 0; i < std::max(3, iters / 5); ++i) fn();
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < iters; ++i) fn();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                      iters);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

void bench_case(const char* name, const std::function<axon::Tensor()>& forward,
                const std::vector<axon::Tensor>& inputs, int iters) {
  const axon::Tensor grad = axon::randn_like(forward());
  const double fwd = time_us(
      [&] {
        axon::NoGradGuard no_grad;
        forward();
      },
      iters);
  const double fwd_bwd = time_us(
      [&] {
        for (const axon::Tensor& t : inputs) t.mutable_grad() = axon::Tensor();
        forward().backward(grad);
      },
      iters);
  fmt::print("{:8s} {:10.1f} {:12.1f}\n", name, fwd, fwd_bwd);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  if (argc > 2 || threads < 1) {
    fmt::print(stderr, "usage: bench_conv [threads]   (a positive number; default 2)\n");
    return 2;
  }
  axon::set_num_threads(threads);
  axon::manual_seed(0);
  const int64_t n = 64;
  auto leaf = [](axon::IntArrayRef shape) { return axon::randn(shape).requires_grad_(); };
  const axon::Tensor x1 = axon::randn({n, 1, 28, 28});
  const axon::Tensor w1 = leaf({6, 1, 5, 5}), b1 = leaf({6});
  // The pools take a different input at each call: over one input again and again, the branch
  // predictor learns the data, which a training step never lets it do (docs/BENCHMARKS.md).
  auto ring = [&](axon::IntArrayRef shape) {
    std::vector<axon::Tensor> inputs;
    for (int i = 0; i < 8; ++i) inputs.push_back(leaf(shape));
    return inputs;
  };
  const std::vector<axon::Tensor> p1 = ring({n, 6, 28, 28});
  const axon::Tensor x2 = leaf({n, 6, 14, 14});
  const axon::Tensor w2 = leaf({16, 6, 5, 5}), b2 = leaf({16});
  const std::vector<axon::Tensor> p2 = ring({n, 16, 10, 10});
  size_t call = 0;
  fmt::print("axon, {} threads, batch {}\n", axon::get_num_threads(), n);
  fmt::print("{:8s} {:>10s} {:>12s}\n", "op", "fwd_us", "fwd+bwd_us");
  bench_case(
      "conv1", [&] { return axon::conv2d(x1, w1, b1, 1, 2); }, {w1, b1}, 200);
  bench_case(
      "pool1", [&] { return axon::max_pool2d(p1[++call % p1.size()], 2); }, p1, 200);
  bench_case(
      "conv2", [&] { return axon::conv2d(x2, w2, b2); }, {x2, w2, b2}, 200);
  bench_case(
      "pool2", [&] { return axon::max_pool2d(p2[++call % p2.size()], 2); }, p2, 400);
}
