// The CUDA pooling and batch-norm kernels (kernels/cuda/pooling.cu, kernels/cuda/batch_norm.cu).
//
// Three parts:
// - KernelBodiesOnCpu runs everywhere: what the CUDA kernels compute per element that the CPU
//   kernels do not (pooling's gather backward, batch norm's Welford/Chan reduction) is made of
//   host-device functions, run here on the CPU against the CPU kernels.
// - BatchNormStrided (CPU and CUDA): per-channel vectors of any stride.
// - PoolNormCuda compares CUDA with the CPU, forward and backward; it skips without a GPU.
#include <functional>
#include <optional>
#include <vector>

#include "axon/cuda.h"
#include "kernels/common/batch_norm.h"
#include "kernels/common/pooling.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::all_close;
using testing::Shape;

// ---- the geometries -----------------------------------------------------------------------------

struct PoolCase {
  const char* name;
  Shape input, kernel, stride, padding, dilation;
  bool ceil_mode = false;
};

// Odd sizes, padding, dilation, ceil_mode, overlapping and disjoint windows, an unbatched input.
const std::vector<PoolCase> kMaxCases = {
    {"k3s2_overlapping_padded", {2, 3, 9, 11}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
    {"k3s2_ceil_mode", {2, 3, 10, 7}, {3, 3}, {2, 2}, {0, 0}, {1, 1}, true},
    {"dilated_rectangular_ceil", {1, 2, 13, 7}, {3, 2}, {2, 1}, {1, 1}, {2, 3}, true},
    {"dilated_padded", {2, 2, 12, 12}, {4, 3}, {3, 2}, {2, 1}, {2, 3}, true},
    {"stride_over_kernel", {2, 2, 11, 9}, {2, 2}, {3, 3}, {1, 0}, {1, 1}},
    {"lenet_2x2", {4, 6, 28, 28}, {2, 2}, {}, {0, 0}, {1, 1}},
    {"stride1_dense_overlap", {1, 3, 8, 9}, {4, 4}, {1, 1}, {2, 2}, {1, 1}},
    {"unbatched", {3, 9, 11}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
};

struct AvgCase {
  PoolCase geometry;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = std::nullopt;
};

const std::vector<AvgCase> kAvgCases = {
    {{"k3s2_padded", {2, 3, 9, 11}, {3, 3}, {2, 2}, {1, 1}, {1, 1}}},
    {{"k3s2_padded_ceil_exclude_pad", {2, 3, 9, 11}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true}, false},
    {{"rectangular_divisor", {2, 3, 9, 11}, {3, 2}, {2, 1}, {1, 1}, {1, 1}, true}, true, 5},
    {{"k2_default_stride", {2, 3, 10, 7}, {2, 2}, {}, {0, 0}, {1, 1}}},
    {{"stride1_overlap", {1, 2, 7, 8}, {4, 3}, {1, 1}, {2, 1}, {1, 1}}, false},
    {{"unbatched", {3, 8, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true}},
};

struct AdaptiveCase {
  const char* name;
  Shape input, output;
};

const std::vector<AdaptiveCase> kAdaptiveCases = {
    {"shrink_uneven", {2, 3, 9, 11}, {4, 5}},
    {"grow", {2, 3, 5, 3}, {7, 4}},
    {"global", {1, 2, 17, 13}, {1, 1}},
    {"empty_output", {2, 3, 6, 6}, {0, 3}},
};

// The kernel parameters core derives for x -> y (both 3-D or both 4-D).
kernels::Pool2dParams params_of(const Tensor& x, const Tensor& y, const PoolCase& c) {
  kernels::Pool2dParams p;
  p.planes = x.numel() / (x.size(-1) * x.size(-2));
  p.in_h = x.size(-2), p.in_w = x.size(-1), p.out_h = y.size(-2), p.out_w = y.size(-1);
  p.kernel_h = c.kernel[0], p.kernel_w = c.kernel[1];
  const Shape stride = c.stride.empty() ? c.kernel : c.stride;
  p.stride_h = stride[0], p.stride_w = stride[1];
  p.pad_h = c.padding[0], p.pad_w = c.padding[1];
  p.dilation_h = c.dilation[0], p.dilation_w = c.dilation[1];
  return p;
}

Tensor max_pool(const Tensor& x, const PoolCase& c) {
  return max_pool2d(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
}

Tensor avg_pool(const Tensor& x, const AvgCase& c) {
  const PoolCase& g = c.geometry;
  return avg_pool2d(x, g.kernel, g.stride, g.padding, g.ceil_mode, c.count_include_pad,
                    c.divisor_override);
}

// ---- the CUDA kernels' per-element bodies, on the CPU
// --------------------------------------------

// grad_input of every position by the CUDA gather `at(plane, h, w)`, shaped like x.
Tensor gather_grad(const Tensor& x, const kernels::Pool2dParams& p,
                   const std::function<double(int64_t, int64_t, int64_t)>& at) {
  Tensor out = empty({p.planes * p.in_h * p.in_w}, kFloat64);
  double* dst = out.data_ptr<double>();
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    for (int64_t h = 0; h < p.in_h; ++h) {
      for (int64_t w = 0; w < p.in_w; ++w) *dst++ = at(plane, h, w);
    }
  }
  return out.view(x.sizes());
}

// The gather sums the same terms in the same order as the CPU's scatter: the same bits.
TEST(KernelBodiesOnCpu, MaxPoolGatherBackwardEqualsCpuScatter) {
  manual_seed(1);
  for (const PoolCase& c : kMaxCases) {
    SCOPED_TRACE(c.name);
    Tensor x = randn(c.input, kFloat64).requires_grad_();
    auto [y, indices] =
        max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    Tensor g = randn(y.sizes(), kFloat64);
    Tensor expected = autograd::grad({y}, {x}, {g})[0];
    const kernels::Pool2dParams p = params_of(x, y, c);
    const int64_t out_plane = p.out_h * p.out_w;
    const double* go = g.data_ptr<double>();
    const int64_t* idx = indices.data_ptr<int64_t>();
    Tensor gathered = gather_grad(x, p, [&](int64_t plane, int64_t h, int64_t w) {
      return kernels::max_pool_grad_at(go + plane * out_plane, idx + plane * out_plane, h, w, p);
    });
    EXPECT_TRUE(equal(gathered, expected)) << gathered << "\nvs\n" << expected;
  }
}

TEST(KernelBodiesOnCpu, AvgPoolGatherBackwardEqualsCpuScatter) {
  manual_seed(2);
  auto check = [](const Tensor& x, const Tensor& y, bool adaptive, const kernels::Pool2dParams& p) {
    Tensor g = randn(y.sizes(), kFloat64);
    Tensor expected = autograd::grad({y}, {x}, {g})[0];
    const double* go = g.data_ptr<double>();
    Tensor gathered = gather_grad(x, p, [&](int64_t plane, int64_t h, int64_t w) {
      return kernels::avg_pool_grad_at(adaptive, go + plane * p.out_h * p.out_w, h, w, p);
    });
    EXPECT_TRUE(equal(gathered, expected)) << gathered << "\nvs\n" << expected;
  };
  for (const AvgCase& c : kAvgCases) {
    SCOPED_TRACE(c.geometry.name);
    Tensor x = randn(c.geometry.input, kFloat64).requires_grad_();
    Tensor y = avg_pool(x, c);
    kernels::Pool2dParams p = params_of(x, y, c.geometry);
    p.count_include_pad = c.count_include_pad;
    p.divisor_override = c.divisor_override.value_or(0);
    check(x, y, false, p);
  }
  for (const AdaptiveCase& c : kAdaptiveCases) {
    SCOPED_TRACE(c.name);
    Tensor x = randn(c.input, kFloat64).requires_grad_();
    Tensor y = adaptive_avg_pool2d(x, c.output);
    check(x, y, true, params_of(x, y, {"", {}, {1, 1}, {1, 1}, {0, 0}, {1, 1}}));
  }
}

// An empty side (a thread with no values) leaves the other side unchanged, bit for bit.
TEST(KernelBodiesOnCpu, WelfordCombineWithEmptyIsIdentity) {
  const kernels::WelfordStats a{7, 1e4 + 0.25, 3.5}, none{0, 0, 0};
  for (const kernels::WelfordStats& r :
       {kernels::welford_combine(a, none), kernels::welford_combine(none, a)}) {
    EXPECT_EQ(r.count, a.count);
    EXPECT_EQ(r.mean, a.mean);
    EXPECT_EQ(r.m2, a.m2);
  }
  const kernels::WelfordStats both_empty = kernels::welford_combine(none, none);
  EXPECT_EQ(both_empty.count, 0);
}

// The CUDA statistics pass, on the CPU: each of `blocks` * 256 threads runs Welford over every
// (blocks * 256)-th value of the channel, blocks combine their threads in a halving tree, and the
// channel combines its blocks. On values around 1e4 with unit noise it must agree with the CPU's
// two-pass double statistics.
TEST(KernelBodiesOnCpu, WelfordChanStatisticsMatchTwoPassForALargeMean) {
  manual_seed(3);
  const int64_t n = 8, c = 3, s = 1001, threads = 256, blocks = 5;
  Tensor x = randn({n, c, s}, kFloat64) + 1e4;
  Tensor rm = zeros({c}, kFloat64), rv = ones({c}, kFloat64);
  auto [y, mean, invstd] = native_batch_norm(x, Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);
  const double* px = x.data_ptr<double>();
  const int64_t count = n * s, step = threads * blocks;
  for (int64_t ch = 0; ch < c; ++ch) {
    std::vector<kernels::WelfordStats> partials;
    for (int64_t b = 0; b < blocks; ++b) {
      std::vector<kernels::WelfordStats> tree(threads, kernels::WelfordStats{0, 0, 0});
      for (int64_t t = 0; t < threads; ++t) {
        for (int64_t j = b * threads + t; j < count; j += step) {
          kernels::welford_add(tree[t], px[(j / s * c + ch) * s + j % s]);
        }
      }
      for (int64_t half = threads / 2; half > 0; half /= 2) {
        for (int64_t t = 0; t < half; ++t)
          tree[t] = kernels::welford_combine(tree[t], tree[t + half]);
      }
      partials.push_back(tree[0]);
    }
    kernels::WelfordStats total{0, 0, 0};
    for (const kernels::WelfordStats& part : partials)
      total = kernels::welford_combine(total, part);
    ASSERT_EQ(total.count, count);
    double m = 0, is = 0, running_mean = 0, running_var = 1;
    kernels::store_channel_stats(total.mean, total.m2, total.count, 0.1, 1e-5, &m, &is,
                                 &running_mean, &running_var);
    EXPECT_NEAR(m, mean.data_ptr<double>()[ch], 1e-12 * 1e4);
    EXPECT_NEAR(is, invstd.data_ptr<double>()[ch], 1e-10 * is);
    EXPECT_NEAR(running_mean, rm.data_ptr<double>()[ch], 1e-12 * 1e4);
    EXPECT_NEAR(running_var, rv.data_ptr<double>()[ch], 1e-10);
  }
}

// ---- strided per-channel vectors, on every device -----------------------------------------------

class BatchNormStrided : public testing::DeviceTest {};

// weight and running statistics as every other element of a longer vector, bias expanded from one
// element: the same results as contiguous copies, and the running statistics' other elements stay.
TEST_P(BatchNormStrided, ChannelVectorsOfAnyStride) {
  manual_seed(4);
  const int64_t c = 5;
  Tensor x = randn({6, c, 7}).to(device());
  Tensor weight_base = randn({2 * c}).to(device()).requires_grad_();
  Tensor bias_base = randn({1}).to(device()).requires_grad_();
  Tensor rm_base = randn({2 * c}).to(device()), rv_base = (rand({2 * c}) + 0.5).to(device());
  const Tensor rm_before = rm_base.clone(), rv_before = rv_base.clone();
  Tensor weight = weight_base.slice(0, 0, 2 * c, 2), bias = bias_base.expand({c});
  Tensor rm = rm_base.slice(0, 0, 2 * c, 2), rv = rv_base.slice(0, 0, 2 * c, 2);

  Tensor weight_ref = weight.detach().contiguous().requires_grad_();
  Tensor bias_ref = bias.detach().contiguous().requires_grad_();
  Tensor rm_ref = rm_before.slice(0, 0, 2 * c, 2).contiguous();
  Tensor rv_ref = rv_before.slice(0, 0, 2 * c, 2).contiguous();

  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "training" : "eval");
    Tensor y = batch_norm(x, weight, bias, rm, rv, training, 0.1, 1e-5, false);
    Tensor y_ref = batch_norm(x, weight_ref, bias_ref, rm_ref, rv_ref, training, 0.1, 1e-5, false);
    EXPECT_TRUE(all_close(y, y_ref, 0, 0));
    EXPECT_TRUE(all_close(rm, rm_ref, 0, 0));
    EXPECT_TRUE(all_close(rv, rv_ref, 0, 0));
    EXPECT_TRUE(equal(rm_base.slice(0, 1, 2 * c, 2).cpu(), rm_before.slice(0, 1, 2 * c, 2).cpu()));
    EXPECT_TRUE(equal(rv_base.slice(0, 1, 2 * c, 2).cpu(), rv_before.slice(0, 1, 2 * c, 2).cpu()));
    Tensor dy = randn(y.sizes()).to(device());
    auto grads = autograd::grad({y}, {weight_base, bias_base}, {dy});
    auto grads_ref = autograd::grad({y_ref}, {weight_ref, bias_ref}, {dy});
    EXPECT_TRUE(all_close(grads[0].slice(0, 0, 2 * c, 2), grads_ref[0], 0, 0));
    EXPECT_TRUE(all_close(grads[1], grads_ref[1].sum({0}, true), 1e-6, 1e-6));
  }
}

AXON_INSTANTIATE_DEVICE_TEST(BatchNormStrided);

// ---- CUDA against the CPU ----------------------------------------------------------------------

class PoolNormCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
    manual_seed(0);
  }
};

double rtol_for(DType dtype) { return dtype == kFloat64 ? 1e-12 : 1e-5; }
double atol_for(DType dtype) { return dtype == kFloat64 ? 1e-12 : 1e-6; }

// The results of a pooling op on one device: the output, the input's gradient and the gradient's
// gradient with respect to the output's gradient (the double backward). `view` makes the input
// from a leaf on that device (the identity, or a non-contiguous view).
struct PoolRun {
  Tensor out, grad_input, grad_grad;
};

PoolRun run_pool(const Tensor& base, const Tensor& grad, const Tensor& grad_grad, Device device,
                 const std::function<Tensor(const Tensor&)>& view,
                 const std::function<Tensor(const Tensor&)>& op) {
  // Copies, even to the CPU: base and grad are shared by both runs and must stay leaves.
  Tensor leaf = base.to(device, base.dtype(), false, /*copy=*/true).requires_grad_();
  Tensor out = op(view(leaf));
  Tensor g = grad.to(device, grad.dtype(), false, /*copy=*/true).requires_grad_();
  Tensor gi = autograd::grad({out}, {leaf}, {g}, true, true)[0];
  Tensor gg = autograd::grad({gi}, {g}, {grad_grad.to(device)})[0];
  return {out.detach().cpu(), gi.detach().cpu(), gg.detach().cpu()};
}

void expect_pool_matches(
    const Shape& input, const std::function<Tensor(const Tensor&)>& op, DType dtype,
    const std::function<Tensor(const Tensor&)>& view = [](const Tensor& t) { return t; }) {
  Tensor base = randn(input, TensorOptions(dtype));
  const Shape out_shape = op(view(base)).sizes().vec();
  Tensor grad = randn(out_shape, TensorOptions(dtype));
  Tensor grad_grad = randn(input, TensorOptions(dtype));
  const PoolRun cpu = run_pool(base, grad, grad_grad, Device(kCPU), view, op);
  const PoolRun gpu = run_pool(base, grad, grad_grad, Device(kCUDA), view, op);
  const double rtol = rtol_for(dtype), atol = atol_for(dtype);
  EXPECT_TRUE(all_close(gpu.out, cpu.out, rtol, atol)) << "forward";
  EXPECT_TRUE(all_close(gpu.grad_input, cpu.grad_input, rtol, atol)) << "backward";
  EXPECT_TRUE(all_close(gpu.grad_grad, cpu.grad_grad, rtol, atol)) << "double backward";
}

TEST_F(PoolNormCuda, MaxPoolMatchesCpu) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const PoolCase& c : kMaxCases) {
      SCOPED_TRACE(::testing::Message() << c.name << " " << dtype);
      Tensor x = randn(c.input, TensorOptions(dtype));
      auto [cpu_out, cpu_idx] =
          max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
      auto [gpu_out, gpu_idx] =
          max_pool2d_with_indices(x.cuda(), c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
      EXPECT_TRUE(equal(gpu_out.cpu(), cpu_out));
      EXPECT_TRUE(equal(gpu_idx.cpu(), cpu_idx));
      expect_pool_matches(
          c.input, [&](const Tensor& t) { return max_pool(t, c); }, dtype);
    }
  }
}

// NaN wins a window (the last one), -inf and +inf compare as numbers; the gradient follows.
TEST_F(PoolNormCuda, MaxPoolNanAndInfinity) {
  const double nan = testing::kNaN, inf = testing::kInf;
  Tensor x = tensor({1.0, nan, 3.0, -inf, nan, 2.0, inf, 0.0, -inf, -inf, -inf, -inf}, kFloat32)
                 .view({1, 1, 3, 4});
  for (const PoolCase& c : {PoolCase{"k2s1", {}, {2, 2}, {1, 1}, {0, 0}, {1, 1}},
                            PoolCase{"k3s2p1", {}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true}}) {
    SCOPED_TRACE(c.name);
    auto [cpu_out, cpu_idx] =
        max_pool2d_with_indices(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    auto [gpu_out, gpu_idx] =
        max_pool2d_with_indices(x.cuda(), c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
    EXPECT_TRUE(testing::same_values(gpu_out.cpu(), cpu_out));
    EXPECT_TRUE(equal(gpu_idx.cpu(), cpu_idx));
  }
}

TEST_F(PoolNormCuda, AvgPoolMatchesCpu) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const AvgCase& c : kAvgCases) {
      SCOPED_TRACE(::testing::Message() << c.geometry.name << " " << dtype);
      expect_pool_matches(
          c.geometry.input, [&](const Tensor& t) { return avg_pool(t, c); }, dtype);
    }
  }
}

TEST_F(PoolNormCuda, AdaptiveAvgPoolMatchesCpu) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const AdaptiveCase& c : kAdaptiveCases) {
      SCOPED_TRACE(::testing::Message() << c.name << " " << dtype);
      expect_pool_matches(
          c.input, [&](const Tensor& t) { return adaptive_avg_pool2d(t, c.output); }, dtype);
    }
  }
}

// Inputs that are views: transposed spatial dims, and every other channel.
TEST_F(PoolNormCuda, NonContiguousInputs) {
  const PoolCase& c = kMaxCases[0];
  const AvgCase& a = kAvgCases[1];
  const auto transposed = [](const Tensor& t) { return t.transpose(2, 3); };
  const auto every_other_channel = [](const Tensor& t) { return t.slice(1, 0, t.size(1), 2); };
  for (const auto& view : {std::function<Tensor(const Tensor&)>(transposed),
                           std::function<Tensor(const Tensor&)>(every_other_channel)}) {
    expect_pool_matches(
        {2, 5, 11, 9}, [&](const Tensor& t) { return max_pool(t, c); }, kFloat32, view);
    expect_pool_matches(
        {2, 5, 11, 9}, [&](const Tensor& t) { return avg_pool(t, a); }, kFloat32, view);
    expect_pool_matches(
        {2, 5, 11, 9},
        [](const Tensor& t) {
          return adaptive_avg_pool2d(t, {4, 3});
        },
        kFloat32, view);
  }
}

TEST_F(PoolNormCuda, ZeroBatch) {
  const Shape empty_batch = {0, 3, 8, 8};
  expect_pool_matches(
      empty_batch,
      [](const Tensor& t) {
        return max_pool2d(t, {3, 3}, {2, 2});
      },
      kFloat32);
  expect_pool_matches(
      empty_batch,
      [](const Tensor& t) {
        return avg_pool2d(t, {2, 2});
      },
      kFloat32);
  expect_pool_matches(
      empty_batch,
      [](const Tensor& t) {
        return adaptive_avg_pool2d(t, {3, 3});
      },
      kFloat32);
}

// ---- batch norm ---------------------------------------------------------------------------------

struct BatchNormRun {
  Tensor out, mean, invstd, running_mean, running_var, grad_input, grad_weight, grad_bias;
};

// native_batch_norm on `device` from the same CPU values, and its gradients (those of `wanted`:
// input, weight, bias) for the output gradient `dy`.
BatchNormRun run_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const Tensor& rm, const Tensor& rv, const Tensor& dy, bool training,
                            Device device, std::vector<bool> wanted = {true, true, true}) {
  auto on = [&](const Tensor& t, bool grad) {
    if (!t.defined()) return Tensor();
    Tensor moved = t.to(device).clone();
    return grad ? moved.requires_grad_() : moved;
  };
  Tensor xd = on(x, wanted[0]), wd = on(weight, wanted[1]), bd = on(bias, wanted[2]);
  Tensor rmd = on(rm, false), rvd = on(rv, false);
  auto [out, mean, invstd] = native_batch_norm(xd, wd, bd, rmd, rvd, training, 0.1, 1e-5);
  variable_list inputs;
  for (const Tensor& t : {xd, wd, bd}) {
    if (t.defined() && t.requires_grad()) inputs.push_back(t);
  }
  variable_list grads = autograd::grad({out}, inputs, {dy.to(device)});
  BatchNormRun run{out.detach().cpu(),
                   mean.cpu(),
                   invstd.cpu(),
                   rmd.defined() ? rmd.cpu() : Tensor(),
                   rvd.defined() ? rvd.cpu() : Tensor(),
                   Tensor(),
                   Tensor(),
                   Tensor()};
  size_t next = 0;
  Tensor* slots[] = {&run.grad_input, &run.grad_weight, &run.grad_bias};
  for (int i = 0; i < 3; ++i) {
    const Tensor& t = i == 0 ? xd : i == 1 ? wd : bd;
    if (t.defined() && t.requires_grad()) *slots[i] = grads[next++].cpu();
  }
  return run;
}

void expect_same_run(const BatchNormRun& gpu, const BatchNormRun& cpu, double rtol, double atol) {
  const std::pair<const Tensor*, const Tensor*> pairs[] = {{&gpu.out, &cpu.out},
                                                           {&gpu.mean, &cpu.mean},
                                                           {&gpu.invstd, &cpu.invstd},
                                                           {&gpu.running_mean, &cpu.running_mean},
                                                           {&gpu.running_var, &cpu.running_var},
                                                           {&gpu.grad_input, &cpu.grad_input},
                                                           {&gpu.grad_weight, &cpu.grad_weight},
                                                           {&gpu.grad_bias, &cpu.grad_bias}};
  const char* names[] = {"out",         "mean",       "invstd",      "running_mean",
                         "running_var", "grad_input", "grad_weight", "grad_bias"};
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(pairs[i].first->defined(), pairs[i].second->defined()) << names[i];
    if (pairs[i].first->defined()) {
      EXPECT_TRUE(all_close(*pairs[i].first, *pairs[i].second, rtol, atol)) << names[i];
    }
  }
}

// 2-D and 4-D inputs, odd sizes, several blocks per channel, more channels than a grid dimension.
TEST_F(PoolNormCuda, BatchNormMatchesCpu) {
  const std::vector<Shape> shapes = {{13, 5}, {5, 3, 7, 9}, {8, 2, 50001}, {4, 70000}, {2, 4, 1}};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Shape& shape : shapes) {
      for (bool affine : {false, true}) {
        for (bool training : {true, false}) {
          SCOPED_TRACE(::testing::Message()
                       << ::testing::PrintToString(shape) << " " << dtype
                       << (affine ? " affine" : "") << (training ? " training" : " eval"));
          const TensorOptions opts(dtype);
          const int64_t c = shape[1];
          Tensor x = randn(shape, opts) * 2 + 0.5;
          Tensor w = affine ? randn({c}, opts) + 1 : Tensor();
          Tensor b = affine ? randn({c}, opts) : Tensor();
          Tensor rm = randn({c}, opts), rv = rand({c}, opts) + 0.5;
          Tensor dy = randn(shape, opts);
          const BatchNormRun cpu = run_batch_norm(x, w, b, rm, rv, dy, training, Device(kCPU));
          const BatchNormRun gpu = run_batch_norm(x, w, b, rm, rv, dy, training, Device(kCUDA));
          expect_same_run(gpu, cpu, dtype == kFloat64 ? 1e-10 : 1e-4,
                          dtype == kFloat64 ? 1e-10 : 1e-5);
        }
      }
    }
  }
}

// Each gradient alone (the others not asked for), in training and in eval.
TEST_F(PoolNormCuda, BatchNormGradientsOneAtATime) {
  Tensor x = randn({6, 3, 5, 4}), w = randn({3}) + 1, b = randn({3});
  Tensor rm = randn({3}), rv = rand({3}) + 0.5, dy = randn({6, 3, 5, 4});
  for (bool training : {true, false}) {
    for (int which = 0; which < 3; ++which) {
      SCOPED_TRACE(::testing::Message() << (training ? "training " : "eval ") << which);
      std::vector<bool> wanted = {which == 0, which == 1, which == 2};
      const BatchNormRun cpu = run_batch_norm(x, w, b, rm, rv, dy, training, Device(kCPU), wanted);
      const BatchNormRun gpu = run_batch_norm(x, w, b, rm, rv, dy, training, Device(kCUDA), wanted);
      expect_same_run(gpu, cpu, 1e-4, 1e-5);
    }
  }
}

// Values around 1e4 with unit noise: a one-pass sum of squares in float would lose the variance.
// CUDA's invstd is within 1e-4 (relative) of the CPU's double two-pass one.
TEST_F(PoolNormCuda, BatchNormLargeMean) {
  Tensor x = randn({64, 4, 257}) + 1e4;
  Tensor rm = zeros({4}), rv = ones({4}), dy = randn({64, 4, 257});
  const BatchNormRun cpu = run_batch_norm(x, Tensor(), Tensor(), rm, rv, dy, true, Device(kCPU));
  const BatchNormRun gpu = run_batch_norm(x, Tensor(), Tensor(), rm, rv, dy, true, Device(kCUDA));
  EXPECT_TRUE(all_close(gpu.invstd, cpu.invstd, 1e-4, 0));
  // The means may round to neighbouring floats (an ulp at 1e4 is 1e-3, and y = x * alpha + beta
  // cancels down from 1e4): hence the output's tolerance.
  EXPECT_TRUE(all_close(gpu.mean, cpu.mean, 1e-6, 0));
  EXPECT_TRUE(all_close(gpu.running_mean, cpu.running_mean, 1e-6, 0));
  EXPECT_TRUE(all_close(gpu.running_var, cpu.running_var, 1e-4, 0));
  EXPECT_TRUE(all_close(gpu.out, cpu.out, 1e-3, 3e-3));
  EXPECT_TRUE(all_close(gpu.grad_input, cpu.grad_input, 1e-3, 1e-4));
}

// Running statistics after a training step, then eval with them.
TEST_F(PoolNormCuda, BatchNormRunningStatsThenEval) {
  Tensor x = randn({7, 3, 11}) * 3 - 2, w = randn({3}), b = randn({3});
  Tensor rm = randn({3}), rv = rand({3}) + 0.5, dy = randn({7, 3, 11});
  Tensor rm_cuda = rm.cuda(), rv_cuda = rv.cuda();
  batch_norm(x, w, b, rm, rv, true, 0.3, 1e-5, false);
  batch_norm(x.cuda(), w.cuda(), b.cuda(), rm_cuda, rv_cuda, true, 0.3, 1e-5, false);
  EXPECT_TRUE(all_close(rm_cuda, rm, 1e-5, 1e-6));
  EXPECT_TRUE(all_close(rv_cuda, rv, 1e-5, 1e-6));
  Tensor y = batch_norm(x, w, b, rm, rv, false, 0.3, 1e-5, false);
  Tensor y_cuda =
      batch_norm(x.cuda(), w.cuda(), b.cuda(), rm_cuda, rv_cuda, false, 0.3, 1e-5, false);
  EXPECT_TRUE(all_close(y_cuda, y, 1e-5, 1e-5));
}

// An empty batch in eval: an empty output, and zero weight and bias gradients.
TEST_F(PoolNormCuda, BatchNormZeroBatch) {
  Tensor x = randn({0, 3, 4}), w = randn({3}), b = randn({3});
  Tensor rm = randn({3}), rv = rand({3}) + 0.5, dy = randn({0, 3, 4});
  const BatchNormRun cpu = run_batch_norm(x, w, b, rm, rv, dy, false, Device(kCPU));
  const BatchNormRun gpu = run_batch_norm(x, w, b, rm, rv, dy, false, Device(kCUDA));
  expect_same_run(gpu, cpu, 0, 0);
  EXPECT_TRUE(equal(gpu.grad_weight, zeros({3})));
}

// ---- more than 2^31 elements: 32-bit indexing would wrap
// ------------------------------------------

// Whether the GPU can hold `gib` GiB more now (tried, then handed back to the driver).
bool gpu_has_free_gib(int64_t gib) {
  bool ok = true;
  try {
    empty({gib << 30}, TensorOptions(kUInt8).device(kCUDA));
  } catch (const Error&) {
    ok = false;
  }
  cuda::empty_cache();
  return ok;
}

// A batch of k copies of `sample` ([1, ...]) built on the GPU: every copy has the small case's
// results, and the stats of the whole are the sample's (k times over).
Tensor repeated_on_gpu(const Tensor& sample, int64_t k) {
  Shape shape = sample.sizes().vec();
  shape[0] = k;
  return sample.cuda().expand(shape).contiguous();
}

TEST_F(PoolNormCuda, MaxPoolMoreThan2To31Elements) {
  if (!gpu_has_free_gib(32)) GTEST_SKIP() << "needs 32 GiB of free GPU memory";
  const int64_t k = 12000;  // 12000 * 3 * 61 * 1001 > 2^31 elements
  Tensor sample = randn({1, 3, 61, 1001});
  auto [out, indices] = max_pool2d_with_indices(sample.requires_grad_(), {3, 3}, {2, 2}, {1, 1});
  Tensor g = randn(out.sizes());
  Tensor gi = autograd::grad({out}, {sample}, {g})[0];

  Tensor x = repeated_on_gpu(sample.detach(), k).requires_grad_();
  ASSERT_GT(x.numel(), int64_t{1} << 31);
  auto [big_out, big_indices] = max_pool2d_with_indices(x, {3, 3}, {2, 2}, {1, 1});
  Tensor big_gi = autograd::grad({big_out}, {x}, {repeated_on_gpu(g, k)})[0];
  for (int64_t n : {int64_t{0}, k / 2, k - 1}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(equal(big_out.select(0, n).cpu(), out.detach().select(0, 0)));
    EXPECT_TRUE(equal(big_indices.select(0, n).cpu(), indices.select(0, 0)));
    EXPECT_TRUE(all_close(big_gi.select(0, n).cpu(), gi.select(0, 0), 1e-6, 1e-7));
  }
}

TEST_F(PoolNormCuda, BatchNormMoreThan2To31Elements) {
  if (!gpu_has_free_gib(32)) GTEST_SKIP() << "needs 32 GiB of free GPU memory";
  const int64_t k = 1100;  // 1100 * 2 * 1000003 > 2^31 elements
  Tensor sample = randn({1, 2, 1000003}) * 2 + 3;
  Tensor w = randn({2}) + 1, b = randn({2});
  Tensor xs = sample.clone().requires_grad_(), ws = w.clone().requires_grad_();
  Tensor bs = b.clone().requires_grad_();
  auto [y, mean, invstd] = native_batch_norm(xs, ws, bs, zeros({2}), ones({2}), true, 0.1, 1e-5);
  variable_list grads = autograd::grad({y}, {xs, ws, bs}, {sample});

  Tensor x = repeated_on_gpu(sample, k).requires_grad_();
  ASSERT_GT(x.numel(), int64_t{1} << 31);
  Tensor wg = w.cuda().requires_grad_(), bg = b.cuda().requires_grad_();
  Tensor rm = zeros({2}).cuda(), rv = ones({2}).cuda();
  auto [big_y, big_mean, big_invstd] = native_batch_norm(x, wg, bg, rm, rv, true, 0.1, 1e-5);
  EXPECT_TRUE(all_close(big_mean, mean, 1e-6, 1e-6));
  EXPECT_TRUE(all_close(big_invstd, invstd, 1e-5, 0));
  EXPECT_TRUE(all_close(rm, mean * 0.1, 1e-6, 1e-6));
  variable_list big_grads = autograd::grad({big_y}, {x, wg, bg}, {x.detach()});
  for (int64_t n : {int64_t{0}, k - 1}) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(all_close(big_y.select(0, n).cpu(), y.detach().select(0, 0), 1e-5, 1e-5));
    EXPECT_TRUE(all_close(big_grads[0].select(0, n).cpu(), grads[0].select(0, 0), 1e-4, 1e-5));
  }
  EXPECT_TRUE(all_close(big_grads[1], grads[1] * static_cast<double>(k), 1e-4, 1e-3));
  EXPECT_TRUE(all_close(big_grads[2], grads[2] * static_cast<double>(k), 1e-4, 1e-3));
}

}  // namespace
}  // namespace axon
