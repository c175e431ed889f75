// The CUDA fused optimizer steps (kernels/cuda/optimizer.cu) against the CPU's: five steps of
// SGD, Adam, AdamW and amsgrad on parameters of odd sizes, one spanning several chunks, an empty
// one, a strided one (with a strided gradient) and more parameters than one launch takes. Both
// devices run the same host-device update with the same IEEE roundings (no contraction), so
// parameters and state must agree exactly. Runs only with a GPU (skipped otherwise);
// tests/optim/fused_optimizer_test.cpp checks the CPU kernel against the op sequences.
#include <functional>
#include <memory>
#include <vector>

#include "axon/cuda.h"
#include "axon/optim.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::same;

class CudaOptimizer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
  }
};

// A strided leaf with the values of `base`'s transpose, on `device`.
Tensor strided_leaf(const Tensor& base, Device device) {
  return base.to(device).t().detach().requires_grad_();
}

// The same parameters on the CPU and on CUDA: odd sizes (not multiples of a block or a vector),
// one of 3 chunks and a bit (a chunk is 8192 elements), an empty one, a 0-d one, a strided one
// last, and 40 small ones, more than the 32 one launch takes.
struct Params {
  std::vector<Tensor> cpu, cuda;
};
Params make_params(DType dtype) {
  manual_seed(11);
  std::vector<Tensor> values = {randn({37}), randn({5, 7}), randn({3 * 8192 + 5}), randn({0}),
                                randn({})};
  for (int i = 0; i < 40; ++i) values.push_back(randn({i + 1}));
  Params p;
  for (const Tensor& v : values) {
    p.cpu.push_back(v.to(dtype).detach().requires_grad_());
    p.cuda.push_back(v.to(Device(kCUDA), dtype).detach().requires_grad_());
  }
  const Tensor base = randn({6, 9}).to(dtype);
  p.cpu.push_back(strided_leaf(base, Device(kCPU)));
  p.cuda.push_back(strided_leaf(base, Device(kCUDA)));
  EXPECT_FALSE(p.cuda.back().is_contiguous());
  return p;
}

// Gives both sets step k's gradients (the strided parameter's strided too).
void set_grads(Params& p, int k) {
  manual_seed(1000 + k);
  for (size_t i = 0; i < p.cpu.size(); ++i) {
    const bool strided = i + 1 == p.cpu.size();
    const Tensor& param = p.cpu[i];
    Tensor g = strided ? randn({param.size(1), param.size(0)}).to(param.dtype())
                       : randn(param.sizes()).to(param.dtype());
    p.cpu[i].mutable_grad() = strided ? g.t() : g;
    p.cuda[i].mutable_grad() = strided ? g.to(Device(kCUDA)).t() : g.to(Device(kCUDA));
  }
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

// Five steps on both devices; parameters and every state tensor must agree exactly.
void check_matches_cpu(const MakeOptimizer& make, DType dtype) {
  Params p = make_params(dtype);
  std::unique_ptr<optim::Optimizer> on_cpu = make(p.cpu);
  std::unique_ptr<optim::Optimizer> on_cuda = make(p.cuda);
  for (int k = 0; k < 5; ++k) {
    set_grads(p, k);
    on_cpu->step();
    on_cuda->step();
    for (size_t i = 0; i < p.cpu.size(); ++i) {
      ASSERT_TRUE(p.cuda[i].is_cuda());
      ASSERT_TRUE(same(p.cuda[i].detach().cpu(), p.cpu[i].detach()))
          << "step " << k << ", parameter " << i;
      auto cpu_it = on_cpu->state().find(p.cpu[i].unsafeGetTensorImpl());
      auto cuda_it = on_cuda->state().find(p.cuda[i].unsafeGetTensorImpl());
      ASSERT_EQ(cpu_it == on_cpu->state().end(), cuda_it == on_cuda->state().end());
      if (cpu_it == on_cpu->state().end()) continue;  // SGD without momentum keeps no state
      auto cpu_state = cpu_it->second->fields();
      auto cuda_state = cuda_it->second->fields();
      for (size_t f = 0; f < cpu_state.size(); ++f) {
        if (cpu_state[f].tensor == nullptr || !cpu_state[f].tensor->defined()) continue;
        ASSERT_TRUE(cuda_state[f].tensor->is_cuda());
        ASSERT_TRUE(same(cuda_state[f].tensor->cpu(), *cpu_state[f].tensor))
            << "step " << k << ", parameter " << i << ", " << cpu_state[f].name;
      }
    }
  }
  EXPECT_FALSE(p.cuda.back().is_contiguous());
}

TEST_F(CudaOptimizer, SGDMatchesTheCPU) {
  const optim::SGDOptions variants[] = {
      optim::SGDOptions(0.1), optim::SGDOptions(0.1).weight_decay(0.01),
      optim::SGDOptions(0.05).momentum(0.9),
      optim::SGDOptions(0.05).momentum(0.9).dampening(0.25).weight_decay(0.003),
      optim::SGDOptions(0.05).momentum(0.8).nesterov(true).weight_decay(0.02)};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const optim::SGDOptions& options : variants) {
      SCOPED_TRACE(::testing::Message() << dtype << " momentum " << options.momentum()
                                        << " nesterov " << options.nesterov());
      check_matches_cpu(
          [&](std::vector<Tensor> params) {
            return std::make_unique<optim::SGD>(std::move(params), options);
          },
          dtype);
    }
  }
}

TEST_F(CudaOptimizer, AdamAndAdamWMatchTheCPU) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (double weight_decay : {0.0, 0.04}) {
      for (bool amsgrad : {false, true}) {
        SCOPED_TRACE(::testing::Message()
                     << dtype << " weight_decay " << weight_decay << " amsgrad " << amsgrad);
        check_matches_cpu(
            [&](std::vector<Tensor> params) {
              return std::make_unique<optim::Adam>(
                  std::move(params),
                  optim::AdamOptions(0.01).weight_decay(weight_decay).amsgrad(amsgrad));
            },
            dtype);
        check_matches_cpu(
            [&](std::vector<Tensor> params) {
              return std::make_unique<optim::AdamW>(std::move(params),
                                                    optim::AdamWOptions(0.01)
                                                        .betas({0.8, 0.99})
                                                        .weight_decay(weight_decay)
                                                        .amsgrad(amsgrad));
            },
            dtype);
      }
    }
  }
}

// One group with float32 and float64 parameters (two kernel calls) and one without a gradient.
TEST_F(CudaOptimizer, MixedDtypesAndSkippedParameters) {
  const Device gpu(kCUDA);
  Tensor a = ones({5}).requires_grad_(), b = ones({3}, kFloat64).requires_grad_();
  Tensor c = ones({2}).requires_grad_();
  Tensor ga = a.to(gpu).detach().requires_grad_(), gb = b.to(gpu).detach().requires_grad_();
  Tensor gc = c.to(gpu).detach().requires_grad_();
  optim::Adam on_cpu({a, b, c}, optim::AdamOptions(0.1));
  optim::Adam on_cuda({ga, gb, gc}, optim::AdamOptions(0.1));
  for (int k = 0; k < 3; ++k) {
    a.mutable_grad() = full({5}, 0.5 * (k + 1));
    b.mutable_grad() = full({3}, -0.25 * (k + 1), kFloat64);
    ga.mutable_grad() = a.grad().to(gpu);
    gb.mutable_grad() = b.grad().to(gpu);
    on_cpu.step();
    on_cuda.step();
  }
  EXPECT_TRUE(same(ga.detach().cpu(), a.detach()));
  EXPECT_TRUE(same(gb.detach().cpu(), b.detach()));
  EXPECT_TRUE(same(gc.detach().cpu(), ones({2})));
  EXPECT_EQ(on_cuda.state().count(gc.unsafeGetTensorImpl()), 0u);
}

TEST_F(CudaOptimizer, GradientOnAnotherDeviceIsAnError) {
  Tensor w = ones({3}, TensorOptions(kCUDA)).requires_grad_();
  w.mutable_grad() = ones({3});
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  EXPECT_AXON_ERROR(opt.step(), "has a gradient of shape [3] (float32 on cpu)");
}

// More than 2^31 elements: 32-bit indexing would wrap. Needs about 17 GiB of GPU memory.
TEST_F(CudaOptimizer, StepsPast2To31Elements) {
  const int64_t n = (int64_t{1} << 31) + 5;
  Tensor w;
  try {
    w = full({n}, 1.0f, TensorOptions(kCUDA)).requires_grad_();
    w.mutable_grad() = full({n}, 2.0f, TensorOptions(kCUDA));
  } catch (const Error& e) {
    GTEST_SKIP() << "not enough GPU memory for two float32 tensors of " << n
                 << " elements: " << e.what();
  }
  optim::SGD opt({w}, optim::SGDOptions(0.25));
  opt.step();  // 1 - 0.25 * 2 = 0.5 everywhere
  EXPECT_TRUE(same(w.detach().slice(0, 0, 1000).cpu(), full({1000}, 0.5f)));
  EXPECT_TRUE(same(w.detach().slice(0, n - 1000, n).cpu(), full({1000}, 0.5f)));
}

}  // namespace
}  // namespace axon
