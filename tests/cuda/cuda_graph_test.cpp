// cuda::CUDAGraph: a captured training step replays to the same weights as the eager steps, the
// capture's memory is the graph's alone while it lives, what cannot be captured is refused with
// a clear error that leaves the device usable, and nll_loss's target check runs at each replay.
// The GPU cases run only with a GPU (skipped otherwise); the first case runs everywhere.
#include <vector>

#include "axon/axon.h"
#include "axon/cuda.h"
#include "test_utils.h"

namespace axon {
namespace {

namespace F = nn::functional;
using testing::approx;
using testing::same;

TEST(CudaGraphWithoutGpu, CaptureIsAClearError) {
  if (cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  cuda::CUDAGraph graph;
  EXPECT_AXON_ERROR(graph.capture_begin(), "CUDA is not available");
  EXPECT_AXON_ERROR(graph.replay(), "replay");
  EXPECT_FALSE(cuda::is_current_stream_capturing());
  graph.reset();
}

class CudaGraph : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
    cuda::synchronize();
  }
  TensorOptions on_gpu() const { return TensorOptions(kCUDA); }
};

TEST_F(CudaGraph, ReplayRepeatsTheCapturedWorkOnNewInputs) {
  Tensor x = full({1000}, 3.0, on_gpu());
  Tensor warm = x * 2 + 1;  // eager first, as a capture should be preceded by
  cuda::CUDAGraph graph;
  graph.capture_begin();
  EXPECT_TRUE(cuda::is_current_stream_capturing());
  Tensor y = x * 2 + 1;
  graph.capture_end();
  EXPECT_FALSE(cuda::is_current_stream_capturing());
  graph.replay();
  EXPECT_TRUE(same(y, full({1000}, 7.0)));
  x.copy_(arange(1000, TensorOptions(kFloat32)).to(kCUDA));
  graph.replay();
  EXPECT_TRUE(same(y, arange(1000, TensorOptions(kFloat32)) * 2 + 1));
}

TEST_F(CudaGraph, TheCaptureMemoryIsNotHandedToEagerWork) {
  Tensor x = rand({1 << 16}, on_gpu());
  Tensor warm = (x * 2).exp();
  void* scratch = nullptr;
  cuda::CUDAGraph graph;
  graph.capture_begin();
  Tensor y;
  {
    Tensor doubled = x * 2;  // freed during the capture: its block stays the graph's
    scratch = doubled.data_ptr();
    y = doubled.exp();
  }
  graph.capture_end();
  // Eager tensors of the same size, filled with something else, never get that block ...
  std::vector<Tensor> eager;
  for (int i = 0; i < 8; ++i) {
    eager.push_back(full({1 << 16}, -1.0, on_gpu()));
    EXPECT_NE(eager.back().data_ptr(), scratch) << "eager tensor " << i;
  }
  // ... so replays still compute from x alone.
  graph.replay();
  const Tensor expected = (x * 2).exp();
  EXPECT_TRUE(approx(y, expected, 1e-6, 0));
  // empty_cache keeps the graph's free block (`doubled`'s; y is in use) while the graph lives;
  // after reset it is the allocator's, and empty_cache returns exactly it to the driver.
  cuda::empty_cache();
  const size_t reserved = cuda::memory_reserved();
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_reserved(), reserved);
  graph.reset();
  cuda::empty_cache();
  EXPECT_EQ(reserved - cuda::memory_reserved(), size_t{1} << 18);
}

struct SmallNetImpl : nn::Module {
  SmallNetImpl() {
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)));
    fc = register_module("fc", nn::Linear(4 * 7 * 7, 10));
  }
  Tensor forward(Tensor x) {
    x = F::max_pool2d(F::relu(conv(x)), F::MaxPool2dFuncOptions(2));
    return fc(flatten(x, 1));
  }
  nn::Conv2d conv{nullptr};
  nn::Linear fc{nullptr};
};
AXON_MODULE(SmallNet);

struct Step {
  Tensor images, labels;
};

std::vector<Step> make_steps(int count) {
  manual_seed(5);
  std::vector<Step> steps;
  for (int i = 0; i < count; ++i) {
    steps.push_back({randn({16, 1, 14, 14}).to(kCUDA), randint(0, 10, {16}).to(kCUDA)});
  }
  return steps;
}

// The same SGD-momentum training, eagerly and as one eager step followed by replays of a captured
// step: the same kernels on the same data, so the same weights.
TEST_F(CudaGraph, ACapturedTrainingStepTrainsAsTheEagerStepsDo) {
  const std::vector<Step> steps = make_steps(6);
  manual_seed(0);
  SmallNet eager_net;
  eager_net->to(kCUDA);
  manual_seed(0);
  SmallNet graph_net;
  graph_net->to(kCUDA);
  optim::SGD eager_sgd(eager_net->parameters(), optim::SGDOptions(0.05).momentum(0.9));
  optim::SGD graph_sgd(graph_net->parameters(), optim::SGDOptions(0.05).momentum(0.9));

  std::vector<double> eager_losses;
  for (const Step& s : steps) {
    eager_sgd.zero_grad();
    Tensor loss = F::cross_entropy(eager_net->forward(s.images), s.labels);
    loss.backward();
    eager_sgd.step();
    eager_losses.push_back(loss.item<double>());
  }

  Tensor static_images = steps[0].images.clone();
  Tensor static_labels = steps[0].labels.clone();
  auto step = [&] {
    Tensor loss = F::cross_entropy(graph_net->forward(static_images), static_labels);
    loss.backward();
    graph_sgd.step();
    return loss;
  };
  graph_sgd.zero_grad();
  std::vector<double> graph_losses{step().item<double>()};
  graph_sgd.zero_grad();
  cuda::CUDAGraph graph;
  graph.capture_begin();
  Tensor loss = step();
  graph.capture_end();
  for (size_t i = 1; i < steps.size(); ++i) {
    static_images.copy_(steps[i].images);
    static_labels.copy_(steps[i].labels);
    graph.replay();
    graph_losses.push_back(loss.item<double>());
  }
  ASSERT_EQ(graph_losses.size(), eager_losses.size());
  for (size_t i = 0; i < eager_losses.size(); ++i) {
    EXPECT_NEAR(graph_losses[i], eager_losses[i], 1e-6 * std::abs(eager_losses[i])) << "step " << i;
  }
  EXPECT_NE(eager_losses.front(), eager_losses.back()) << "the runs must train";
  const auto eager_params = eager_net->parameters();
  const auto graph_params = graph_net->parameters();
  for (size_t i = 0; i < eager_params.size(); ++i) {
    EXPECT_TRUE(approx(graph_params[i], eager_params[i], 1e-6, 1e-6)) << "parameter " << i;
  }
  // The captured gradients are the parameters' .grad, rewritten by each replay.
  EXPECT_TRUE(graph_params[0].grad().defined());
}

TEST_F(CudaGraph, AHostWaitDuringTheCaptureIsRefusedAndTheDeviceStaysUsable) {
  Tensor x = full({8}, 2.0, on_gpu());
  Tensor warm = x + 1;
  cuda::CUDAGraph graph;
  graph.capture_begin();
  Tensor y = x + 1;
  EXPECT_AXON_ERROR((void)y.item<float>(), "while this thread captures a CUDA graph");
  EXPECT_AXON_ERROR(cuda::synchronize(), "cuda::synchronize");
  EXPECT_AXON_ERROR(y.copy_(ones({8})), "from the host");
  EXPECT_AXON_ERROR(graph.capture_end(), "was refused");
  EXPECT_FALSE(cuda::is_current_stream_capturing());
  EXPECT_AXON_ERROR(graph.replay(), "nothing captured");
  // Eager work runs again, and the graph can capture afresh.
  EXPECT_TRUE(same(x * 3, full({8}, 6.0)));
  graph.capture_begin();
  Tensor z = x * 5;
  graph.capture_end();
  graph.replay();
  EXPECT_TRUE(same(z, full({8}, 10.0)));
}

TEST_F(CudaGraph, RandomFillsAreRefused) {
  cuda::CUDAGraph graph;
  graph.capture_begin();
  EXPECT_AXON_ERROR((void)rand({4}, on_gpu()), "repeat the same numbers");
  graph.reset();
  EXPECT_FALSE(cuda::is_current_stream_capturing());
  EXPECT_EQ(rand({4}, on_gpu()).cpu().numel(), 4);
}

TEST_F(CudaGraph, TheTargetCheckRunsAtEveryReplay) {
  Tensor logits = randn({4, 10}, on_gpu());
  Tensor labels = tensor({1, 2, 3, 4}, TensorOptions(kInt64)).to(kCUDA);
  Tensor warm = F::cross_entropy(logits, labels);
  cuda::synchronize();
  cuda::CUDAGraph graph;
  graph.capture_begin();
  Tensor loss = F::cross_entropy(logits, labels);
  graph.capture_end();
  graph.replay();
  EXPECT_NO_THROW(cuda::synchronize());
  labels.copy_(tensor({1, 12, 3, 4}, TensorOptions(kInt64)).to(kCUDA));
  graph.replay();
  EXPECT_AXON_ERROR(cuda::synchronize(), "target 12 is out of bounds for 10 classes");
  labels.copy_(tensor({0, 9, 3, 4}, TensorOptions(kInt64)).to(kCUDA));
  graph.replay();
  EXPECT_NO_THROW(cuda::synchronize());
}

TEST_F(CudaGraph, ACaptureMustBeResetBeforeTheNext) {
  Tensor x = ones({4}, on_gpu());
  Tensor warm = x + 1;
  cuda::CUDAGraph graph;
  graph.capture_begin();
  Tensor y = x + 1;
  EXPECT_AXON_ERROR(cuda::CUDAGraph().capture_begin(), "already capturing");
  graph.capture_end();
  EXPECT_AXON_ERROR(graph.capture_begin(), "reset()");
  EXPECT_AXON_ERROR(graph.capture_end(), "no capture");
  graph.reset();
  graph.capture_begin();
  Tensor z = x + 2;
  graph.capture_end();
  graph.replay();
  EXPECT_TRUE(same(z, full({4}, 3.0)));
}

}  // namespace
}  // namespace axon
