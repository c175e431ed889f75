// cuBLAS matrix products and cuDNN convolutions against the CPU: mm, bmm, matmul, linear and
// conv2d, forward and backward, on the same inputs (seeded), plus the gemm kernel's alpha/beta
// and the TF32 switch. The CUDA cases run only with a GPU (skipped otherwise); the switch's own
// cases run everywhere.
//
// The two backends sum in different orders, so results are compared normwise:
// max |cuda - cpu| <= tol * max(1, max |cpu|), with tol 1e-5 in float32 (1e-2 with TF32 allowed)
// and 1e-10 in float64. A wrong layout or a missed element is an error of order 1.
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/cuda_hooks.h"
#include "kernels/common/gemm.h"
#include "test_utils.h"

namespace axon {
namespace {

constexpr double kF32Tol = 1e-5;
constexpr double kF64Tol = 1e-10;
constexpr double kTf32Tol = 1e-2;

double tol_for(DType dtype) { return dtype == kFloat64 ? kF64Tol : kF32Tol; }

// Restores the TF32 switch when a test ends, whatever it set.
class Tf32Scope {
 public:
  explicit Tf32Scope(bool allow) : saved_(allow_tf32()) { set_allow_tf32(allow); }
  ~Tf32Scope() { set_allow_tf32(saved_); }
  Tf32Scope(const Tf32Scope&) = delete;
  Tf32Scope& operator=(const Tf32Scope&) = delete;

 private:
  bool saved_;
};

::testing::AssertionResult near(const Tensor& actual, const Tensor& expected, double tol) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "the tensor is undefined";
  if (!actual.is_cuda()) return ::testing::AssertionFailure() << "not computed on CUDA";
  double scale = 1;
  for (double v : testing::values<double>(expected.detach().to(kFloat64))) {
    scale = std::max(scale, std::abs(v));
  }
  return testing::all_close(actual, expected, 0, tol * scale);
}

using Inputs = std::vector<Tensor>;
using Op = std::function<Tensor(const Inputs&)>;

// Runs `op` on CPU leaves and on CUDA copies of them, and compares the outputs and the gradients
// of sum(out * seed) for a random seed.
void expect_cuda_matches_cpu(const Inputs& inputs, const Op& op, double tol) {
  Inputs cpu, gpu;
  for (const Tensor& t : inputs) {
    cpu.push_back(t.detach().clone().requires_grad_());
    gpu.push_back(t.detach().cuda().requires_grad_());
  }
  Tensor expected = op(cpu);
  Tensor actual = op(gpu);
  ASSERT_TRUE(actual.is_cuda());
  EXPECT_TRUE(near(actual, expected, tol)) << "forward";
  Tensor seed = randn(expected.sizes(), TensorOptions(expected.dtype()));
  expected.backward(seed);
  actual.backward(seed.cuda());
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(near(gpu[i].grad(), cpu[i].grad(), tol)) << "gradient of input " << i;
  }
}

// ---- the TF32 switch (every build) ------------------------------------------------------------

TEST(AllowTf32, IsOffByDefaultAndRoundTrips) {
  EXPECT_FALSE(allow_tf32());
  {
    Tf32Scope scope(true);
    EXPECT_TRUE(allow_tf32());
    set_allow_tf32(false);
    EXPECT_FALSE(allow_tf32());
    set_allow_tf32(true);
    EXPECT_TRUE(allow_tf32());
  }
  EXPECT_FALSE(allow_tf32());
}

TEST(AllowTf32, DoesNotChangeCpuResults) {
  manual_seed(1);
  Tensor a = randn({17, 129}), b = randn({129, 3});
  Tensor x = randn({2, 3, 9, 9}), w = randn({4, 3, 3, 3});
  Tensor product = mm(a, b), convolution = conv2d(x, w);
  Tf32Scope scope(true);
  EXPECT_TRUE(testing::same(mm(a, b), product));
  EXPECT_TRUE(testing::same(conv2d(x, w), convolution));
}

// ---- CUDA ---------------------------------------------------------------------------------------

class CudaBlasDnn : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
    manual_seed(0);
  }
  // Whether the GPU can hold `gib` GiB more (a probe allocation, given back at once).
  static bool has_free_memory(int64_t gib) {
    bool ok = true;
    try {
      Tensor probe = empty({gib << 30}, TensorOptions(kUInt8).device(kCUDA));
    } catch (const Error&) {
      ok = false;
    }
    cuda::empty_cache();
    return ok;
  }
};

// ---- matrix products ----------------------------------------------------------------------------

// x itself, or the same values in column-major memory (a non-contiguous view) when `transposed`.
// Built from the leaf inside the op, so that the gradient still reaches the leaf.
Tensor laid_out(const Tensor& x, bool transposed) {
  return transposed ? x.t().contiguous().t() : x;
}

TEST_F(CudaBlasDnn, MmOfOddSizesAndLayouts) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (int64_t n : {1, 3, 17, 129}) {
      for (int64_t k : {1, 3, 17, 129}) {
        for (int64_t m : {1, 3, 17, 129}) {
          for (int layout = 0; layout < 4; ++layout) {
            SCOPED_TRACE(::testing::Message() << dtype << " [" << n << ", " << k << "] @ [" << k
                                              << ", " << m << "], layout " << layout);
            expect_cuda_matches_cpu(
                {randn({n, k}, dtype), randn({k, m}, dtype)},
                [&](const Inputs& x) {
                  return mm(laid_out(x[0], layout & 1), laid_out(x[1], layout & 2));
                },
                tol_for(dtype));
          }
        }
      }
    }
  }
}

TEST_F(CudaBlasDnn, MmOfEmptyMatrices) {
  const Op op = [](const Inputs& x) { return mm(x[0], x[1]); };
  for (DType dtype : {kFloat32, kFloat64}) {
    // k = 0: zeros (an empty sum), and empty gradients.
    expect_cuda_matches_cpu({randn({2, 0}, dtype), randn({0, 3}, dtype)}, op, tol_for(dtype));
    expect_cuda_matches_cpu({randn({0, 3}, dtype), randn({3, 4}, dtype)}, op, tol_for(dtype));
    expect_cuda_matches_cpu({randn({5, 3}, dtype), randn({3, 0}, dtype)}, op, tol_for(dtype));
  }
  Tensor zero_k = mm(ones({2, 0}, TensorOptions(kCUDA)), ones({0, 3}, TensorOptions(kCUDA)));
  EXPECT_TRUE(testing::same(zero_k, zeros({2, 3})));
}

TEST_F(CudaBlasDnn, BmmWithStridedAndExpandedBatches) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    const double tol = tol_for(dtype);
    // Each matrix column-major; the batch not outermost; a batch expanded from one matrix.
    expect_cuda_matches_cpu(
        {randn({4, 17, 3}, dtype), randn({17, 4, 129}, dtype)},
        [](const Inputs& x) {
          return bmm(x[0].transpose(1, 2), x[1].permute({1, 0, 2}));
        },
        tol);
    expect_cuda_matches_cpu(
        {randn({1, 3, 17}, dtype), randn({6, 17, 1}, dtype)},
        [](const Inputs& x) {
          return bmm(x[0].expand({6, 3, 17}), x[1]);
        },
        tol);
    expect_cuda_matches_cpu(
        {randn({0, 3, 4}, dtype), randn({0, 4, 2}, dtype)},
        [](const Inputs& x) { return bmm(x[0], x[1]); }, tol);
  }
}

TEST_F(CudaBlasDnn, MatmulBroadcastsBatchesAndVectors) {
  const Op op = [](const Inputs& x) { return matmul(x[0], x[1]); };
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    const double tol = tol_for(dtype);
    expect_cuda_matches_cpu({randn({2, 1, 5, 3}, dtype), randn({4, 3, 6}, dtype)}, op, tol);
    expect_cuda_matches_cpu({randn({3, 17, 129}, dtype), randn({129, 3}, dtype)}, op, tol);
    expect_cuda_matches_cpu({randn({3, 17}, dtype), randn({17}, dtype)}, op, tol);
    expect_cuda_matches_cpu({randn({17}, dtype), randn({2, 17, 3}, dtype)}, op, tol);
    expect_cuda_matches_cpu({randn({129}, dtype), randn({129}, dtype)}, op, tol);
  }
}

TEST_F(CudaBlasDnn, LinearWithAndWithoutBias) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    const double tol = tol_for(dtype);
    expect_cuda_matches_cpu(
        {randn({4, 7, 33}, dtype), randn({17, 33}, dtype), randn({17}, dtype)},
        [](const Inputs& x) { return linear(x[0], x[1], x[2]); }, tol);
    expect_cuda_matches_cpu(
        {randn({1, 129}, dtype), randn({3, 129}, dtype)},
        [](const Inputs& x) { return linear(x[0], x[1]); }, tol);
  }
}

TEST_F(CudaBlasDnn, Int64ProductsAreExact) {
  // Small integers, so every product is exact on both backends.
  const TensorOptions ints(kInt64);
  Tensor a = randint(-4, 5, {3, 17, 5}, ints), b = randint(-4, 5, {3, 5, 129}, ints);
  EXPECT_TRUE(testing::same(bmm(a.cuda(), b.cuda()), bmm(a, b)));
  Tensor on_gpu = a.cuda();  // transposed on the device: the kernel reads it column-major
  EXPECT_TRUE(testing::same(mm(on_gpu[1].t(), on_gpu[2]), mm(a[1].t(), a[2])));
  Tensor big = tensor({{(int64_t{1} << 31) + 1}}, ints);
  EXPECT_TRUE(testing::same(mm(big.cuda(), big.cuda()), mm(big, big)));
}

// The kernel itself, as core never calls it: alpha and beta (C read back in), k = 0 (C = beta * C),
// and every transpose combination, against the CPU kernel.
TEST_F(CudaBlasDnn, GemmKernelScalesLikeTheCpu) {
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    for (int64_t k : {0, 5}) {
      for (int layout = 0; layout < 4; ++layout) {
        SCOPED_TRACE(::testing::Message() << dtype << " k=" << k << " layout " << layout);
        const bool trans_a = layout & 1, trans_b = layout & 2;
        const int64_t batch = 2, m = 3, n = 4;
        const TensorOptions options(dtype);
        auto sample = [&](IntArrayRef shape) {
          return dtype == kInt64 ? randint(-4, 5, shape, options) : randn(shape, options);
        };
        // Stored as the kernel reads them: op(A) = A^T reads A as [k, m].
        Tensor a = trans_a ? sample({batch, k, m}) : sample({batch, m, k});
        Tensor b = trans_b ? sample({batch, n, k}) : sample({batch, k, n});
        Tensor c = sample({batch, m, n});
        auto run = [&](Device device) {
          // c.to(kCPU) would be c itself, which the CPU run would overwrite: copy.
          Tensor da = a.to(device), db = b.to(device), dc = c.clone().to(device);
          kernels::GemmArgs g;
          g.dtype = dtype;
          g.device = device.is_cuda() ? 0 : -1;
          g.trans_a = trans_a;
          g.trans_b = trans_b;
          g.batch = batch;
          g.m = m;
          g.n = n;
          g.k = k;
          g.alpha = 2;
          g.beta = dtype == kInt64 ? 3 : 0.5;
          g.a = da.data_ptr();
          g.lda = std::max<int64_t>(trans_a ? m : k, 1);
          g.stride_a = a[0].numel();
          g.b = db.data_ptr();
          g.ldb = std::max<int64_t>(trans_b ? k : n, 1);
          g.stride_b = b[0].numel();
          g.c = dc.data_ptr();
          g.ldc = n;
          g.stride_c = m * n;
          kernels::gemm_kernel(device)(g);
          return dc;
        };
        Tensor expected = run(kCPU), actual = run(Device(kCUDA, 0));
        if (dtype == kInt64) {
          EXPECT_TRUE(testing::same(actual, expected));
        } else {
          EXPECT_TRUE(near(actual, expected, tol_for(dtype)));
        }
      }
    }
  }
}

TEST_F(CudaBlasDnn, Tf32SwitchForMatrixProducts) {
  Tensor a = randn({256, 512}), b = randn({512, 384});
  Tensor expected = mm(a, b);
  {
    Tf32Scope scope(false);
    EXPECT_TRUE(near(mm(a.cuda(), b.cuda()), expected, kF32Tol));
  }
  {
    Tf32Scope scope(true);
    EXPECT_TRUE(near(mm(a.cuda(), b.cuda()), expected, kTf32Tol));
    // float64 never uses TF32.
    Tensor a64 = a.to(kFloat64), b64 = b.to(kFloat64);
    EXPECT_TRUE(near(mm(a64.cuda(), b64.cuda()), mm(a64, b64), kF64Tol));
  }
}

// C of more than 2^31 elements (8 GiB): the last matrix lands past every 32-bit offset.
TEST_F(CudaBlasDnn, BmmWithMoreThan2To31Elements) {
  if (!has_free_memory(12)) GTEST_SKIP() << "needs 12 GiB of free GPU memory";
  const int64_t batch = 32769;  // 32769 * 256 * 256 > 2^31
  Tensor a = randn({1, 256, 256}), b = randn({1, 256, 256});
  Tensor out = bmm(a.cuda().expand({batch, 256, 256}), b.cuda().expand({batch, 256, 256}));
  ASSERT_GT(out.numel(), int64_t{1} << 31);
  Tensor expected = mm(a[0], b[0]);
  EXPECT_TRUE(near(out[batch - 1], expected, kF32Tol));
  EXPECT_TRUE(near(out[batch / 2], expected, kF32Tol));
}

// ---- convolutions -------------------------------------------------------------------------------

struct ConvCase {
  std::vector<int64_t> input;   // N, C, H, W
  std::vector<int64_t> weight;  // C_out, C / groups, kH, kW
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
  bool bias;
};

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {{2, 3, 17, 17}, {8, 3, 3, 3}, {1}, {1}, {1}, 1, true},
      {{3, 4, 13, 11}, {6, 4, 3, 3}, {2}, {0}, {1}, 1, false},
      {{2, 3, 15, 12}, {5, 3, 3, 2}, {2, 1}, {1, 2}, {2, 1}, 1, true},
      {{2, 4, 9, 9}, {6, 2, 3, 3}, {1}, {1}, {1}, 2, true},
      {{2, 8, 11, 7}, {8, 1, 3, 3}, {1}, {1}, {1}, 8, true},     // depthwise
      {{1, 8, 10, 10}, {16, 1, 5, 5}, {2}, {2}, {1}, 8, false},  // depthwise, multiplier 2
      {{2, 5, 7, 9}, {3, 5, 1, 1}, {1}, {0}, {1}, 1, true},      // 1x1: no im2col on the CPU
      {{2, 5, 7, 9}, {3, 5, 1, 1}, {2}, {0}, {1}, 1, false},
      {{3, 2, 1, 1}, {4, 2, 3, 3}, {1}, {1}, {1}, 1, true},  // kernel larger than the image
      {{1, 3, 1, 129}, {2, 3, 1, 4}, {1, 3}, {0, 1}, {1, 2}, 1, true},
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {1}, {0}, {1}, 1, true},
  };
  return cases;
}

Tensor run_conv(const Inputs& x, const ConvCase& c) {
  return conv2d(x[0], x[1], c.bias ? x[2] : Tensor(), c.stride, c.padding, c.dilation, c.groups);
}

Inputs conv_inputs(const ConvCase& c, DType dtype) {
  const TensorOptions options(dtype);
  Inputs inputs = {randn(c.input, options), randn(c.weight, options)};
  if (c.bias) inputs.push_back(randn({c.weight[0]}, options));
  return inputs;
}

TEST_F(CudaBlasDnn, Conv2dMatchesCpu) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (size_t i = 0; i < conv_cases().size(); ++i) {
      SCOPED_TRACE(::testing::Message() << dtype << " case " << i);
      const ConvCase& c = conv_cases()[i];
      expect_cuda_matches_cpu(
          conv_inputs(c, dtype), [&](const Inputs& x) { return run_conv(x, c); }, tol_for(dtype));
    }
  }
}

TEST_F(CudaBlasDnn, Conv2dOfNonContiguousInputs) {
  // NHWC memory and a transposed weight: core hands cuDNN contiguous copies.
  expect_cuda_matches_cpu(
      {randn({2, 6, 5, 3}), randn({4, 3, 2, 3})},
      [](const Inputs& x) {
        return conv2d(x[0].permute({0, 3, 1, 2}), x[1].transpose(2, 3), {}, {2, 1}, 1);
      },
      kF32Tol);
}

TEST_F(CudaBlasDnn, Conv2dThatSumsOverNothing) {
  // An empty batch; no input channels (the output is the bias); an empty image read only through
  // padding (the output is the bias, the weight's gradient 0).
  const std::vector<ConvCase> cases = {
      {{0, 2, 5, 5}, {3, 2, 3, 3}, {1}, {0}, {1}, 1, true},
      {{2, 0, 5, 5}, {4, 0, 3, 3}, {1}, {1}, {1}, 2, true},
      {{2, 3, 0, 4}, {4, 3, 1, 1}, {1}, {1}, {1}, 1, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "case " << i);
    const ConvCase& c = cases[i];
    expect_cuda_matches_cpu(
        conv_inputs(c, kFloat32), [&](const Inputs& x) { return run_conv(x, c); }, kF32Tol);
  }
}

TEST_F(CudaBlasDnn, Conv2dReusesItsAlgorithmChoices) {
  // A shape no other test uses, so its first call must search.
  const ConvCase c = {{3, 5, 19, 23}, {7, 5, 3, 5}, {1, 2}, {2, 1}, {1}, 1, true};
  const Op op = [&](const Inputs& x) { return run_conv(x, c); };
  Tf32Scope scope(false);
  const int64_t before = detail::cudnn_algorithm_searches();
  expect_cuda_matches_cpu(conv_inputs(c, kFloat32), op, kF32Tol);
  const int64_t after_first = detail::cudnn_algorithm_searches();
  EXPECT_EQ(after_first - before, 3) << "forward, backward data and backward filter";
  expect_cuda_matches_cpu(conv_inputs(c, kFloat32), op, kF32Tol);
  EXPECT_EQ(detail::cudnn_algorithm_searches(), after_first) << "the same shape searched again";
  // TF32 selects other plans; switching back finds the first ones.
  set_allow_tf32(true);
  expect_cuda_matches_cpu(conv_inputs(c, kFloat32), op, kTf32Tol);
  EXPECT_EQ(detail::cudnn_algorithm_searches(), after_first + 3);
  set_allow_tf32(false);
  expect_cuda_matches_cpu(conv_inputs(c, kFloat32), op, kF32Tol);
  EXPECT_EQ(detail::cudnn_algorithm_searches(), after_first + 3);
}

TEST_F(CudaBlasDnn, Tf32SwitchForConvolutions) {
  const ConvCase c = {{4, 32, 28, 28}, {64, 32, 3, 3}, {1}, {1}, {1}, 1, true};
  const Op op = [&](const Inputs& x) { return run_conv(x, c); };
  {
    Tf32Scope scope(true);
    expect_cuda_matches_cpu(conv_inputs(c, kFloat32), op, kTf32Tol);
  }
  expect_cuda_matches_cpu(conv_inputs(c, kFloat32), op, kF32Tol);
}

// Input, output and output gradient of more than 2^31 elements each (8.3 GiB): cuDNN runs in
// slices of images, and the filter and bias gradients add up across the slices. The image and
// the output gradient are 0 outside one 64 x 64 corner, so the expected sums are short and exact
// enough in float32.
TEST_F(CudaBlasDnn, Conv2dWithMoreThan2To31Elements) {
  if (!has_free_memory(40)) GTEST_SKIP() << "needs 40 GiB of free GPU memory";
  const int64_t batch = 33, size = 4096, corner = 64;  // 33 * 4 * 4096^2 > 2^31
  Tensor image = zeros({1, 4, size, size}), mask = zeros({1, 4, size, size});
  image.slice(2, size - corner, size).slice(3, size - corner, size).copy_(rand({1, 4, 64, 64}));
  mask.slice(2, size - corner, size).slice(3, size - corner, size).fill_(1);
  Tensor weight = randn({4, 4, 1, 1}), bias = randn({4});
  Tensor w = weight.cuda().requires_grad_(), b = bias.cuda().requires_grad_();
  Tensor out = conv2d(image.cuda().expand({batch, 4, size, size}), w, b);
  ASSERT_GT(out.numel(), int64_t{1} << 31);
  Tensor expected = conv2d(image, weight, bias)[0];
  EXPECT_TRUE(near(out[0], expected, kF32Tol));
  EXPECT_TRUE(near(out[batch - 1], expected, kF32Tol));
  out.backward(mask.cuda().expand({batch, 4, size, size}));
  // d/dw[o, i] = batch * sum(image[i]) (the mask is 1 wherever the image is not 0);
  // d/db[o] = batch * 64 * 64.
  Tensor per_channel = image[0].to(kFloat64).sum({1, 2}) * static_cast<double>(batch);
  Tensor expected_w = per_channel.view({1, 4, 1, 1}).expand({4, 4, 1, 1});
  EXPECT_TRUE(testing::all_close(w.grad().cpu(), expected_w, 1e-4, 0));
  EXPECT_TRUE(testing::all_close(b.grad().cpu(),
                                 full({4}, static_cast<double>(batch * corner * corner)), 1e-6, 0));
}

}  // namespace
}  // namespace axon
