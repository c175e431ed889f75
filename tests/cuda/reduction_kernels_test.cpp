// The CUDA reduction, softmax and nll_loss kernels against the CPU's: the same inputs (fixed
// seed, built on the CPU) through both devices, forward and backward. Shapes cover both layouts
// of Note [CUDA reduction layouts] (kernels/cuda/reduce.cuh): rows (inner == 1) and columns
// (inner > 1), sizes around the warp and block sizes, zero sizes, non-contiguous inputs, the
// two-pass split of long runs, and > 2^31 elements. Runs only with a GPU (skipped otherwise).
#include <cmath>
#include <vector>

#include "axon/cuda.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::same_values;

class CudaReductionKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
    manual_seed(0);
  }
};

// Both devices accumulate floating sums in double, so float32 results differ by rounding only.
// (same_values: dtypes must match too, and an infinity matches the same infinity.)
constexpr double kF32Rtol = 1e-5, kF32Atol = 1e-5;
constexpr double kF64Rtol = 1e-12, kF64Atol = 1e-12;

double rtol_of(DType dtype) { return dtype == kFloat32 ? kF32Rtol : kF64Rtol; }
double atol_of(DType dtype) { return dtype == kFloat32 ? kF32Atol : kF64Atol; }

// Odd sizes around the warp (32), the block (512) and the chunk sizes, in both layouts.
const std::vector<std::vector<int64_t>>& shapes() {
  static const std::vector<std::vector<int64_t>> kShapes = {
      {},         {1},      {7},       {255},     {257},       {1025},       {4097},
      {7, 255},   {257, 3}, {1025, 1}, {1, 4097}, {3, 7, 257}, {2, 1025, 5}, {5, 31, 33},
      {4, 32, 2}, {0},      {0, 7},    {7, 0},    {3, 0, 5}};
  return kShapes;
}

// Every single dim, every dim, and (for 3-d) a non-adjacent pair, which core permutes.
std::vector<std::vector<int64_t>> dim_lists(int64_t ndim) {
  std::vector<std::vector<int64_t>> lists = {{}};
  for (int64_t d = 0; d < ndim; ++d) lists.push_back({d});
  if (ndim == 3) lists.push_back({0, 2});
  return lists;
}

std::string describe(IntArrayRef shape, IntArrayRef dims) {
  return fmt::format("shape {} dims {}", shape, dims);
}

// Uniform in [-2, 2): signs, and values far from the float32 spacing.
Tensor sample(IntArrayRef shape, DType dtype = kFloat32) {
  return (rand(shape, TensorOptions(kFloat64)) * 4 - 2).to(dtype);
}

TEST_F(CudaReductionKernels, SumMeanProdMatchTheCpu) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const auto& shape : shapes()) {
      const Tensor x = sample(shape, dtype);
      const Tensor xc = x.cuda();
      // Products of values near 1, so that long ones neither overflow nor vanish.
      const Tensor p = sample(shape, dtype) * 0.05 + 1;
      const Tensor pc = p.cuda();
      for (const auto& dims : dim_lists(x.dim())) {
        SCOPED_TRACE(describe(shape, dims) + fmt::format(" {}", dtype));
        const double rtol = rtol_of(dtype), atol = atol_of(dtype);
        EXPECT_TRUE(same_values(xc.sum(dims).cpu(), x.sum(dims), rtol, atol));
        EXPECT_TRUE(same_values(xc.sum(dims, true).cpu(), x.sum(dims, true), rtol, atol));
        EXPECT_TRUE(same_values(xc.mean(dims).cpu(), x.mean(dims), rtol, atol));
        if (dims.size() <= 1) {
          const Tensor got = dims.empty() ? pc.prod() : pc.prod(dims[0]);
          const Tensor want = dims.empty() ? p.prod() : p.prod(dims[0]);
          EXPECT_TRUE(same_values(got.cpu(), want, rtol, atol));
        }
      }
    }
  }
}

TEST_F(CudaReductionKernels, IntegerAndBoolReductionsAreExact) {
  for (const auto& shape : shapes()) {
    const Tensor ints = randint(-50, 50, shape, TensorOptions(kInt64));
    const Tensor bytes = randint(0, 256, shape, TensorOptions(kUInt8));
    const Tensor bools = randint(0, 2, shape, TensorOptions(kInt64)) > 0;
    // Products of -1, 1 and 2 stay far inside int64.
    const Tensor factors = randint(-1, 3, shape, TensorOptions(kInt64)).clamp_min(-1);
    for (const auto& dims : dim_lists(ints.dim())) {
      SCOPED_TRACE(describe(shape, dims));
      for (const Tensor& t : {ints, bytes, bools}) {
        EXPECT_TRUE(same_values(t.cuda().sum(dims).cpu(), t.sum(dims)));
        // Wrap-around in uint8 and any/all for bool, on both devices.
        EXPECT_TRUE(
            same_values(t.cuda().sum(dims, false, t.dtype()).cpu(), t.sum(dims, false, t.dtype())));
      }
      if (dims.size() == 1) {
        EXPECT_TRUE(same_values(factors.cuda().prod(dims[0]).cpu(), factors.prod(dims[0])));
        EXPECT_TRUE(same_values(bools.cuda().prod(dims[0], false, kBool).cpu(),
                                bools.prod(dims[0], false, kBool)));
      }
      if (ints.numel() == 0) continue;  // max/min of nothing is an error on both devices
      for (const Tensor& t : {ints, bytes, bools}) {
        EXPECT_TRUE(same_values(t.cuda().amax(dims).cpu(), t.amax(dims)));
        EXPECT_TRUE(same_values(t.cuda().amin(dims).cpu(), t.amin(dims)));
      }
    }
    EXPECT_TRUE(same_values(bools.cuda().any().cpu(), bools.any()));
    EXPECT_TRUE(same_values(bools.cuda().all().cpu(), bools.all()));
  }
}

// Values from a few integers, so that ties are everywhere and the first occurrence must win;
// NaNs in some slices, which win over everything (the first NaN's index).
TEST_F(CudaReductionKernels, MaxMinAndArgReductionsMatchTheCpuExactly) {
  for (DType dtype : {kFloat32, kFloat64, kInt64, kUInt8, kBool}) {
    for (const auto& shape : shapes()) {
      Tensor x = randint(0, 4, shape, TensorOptions(kInt64)).to(dtype);
      if (is_floating_point(dtype) && x.numel() > 3) {
        x.view({-1}).index_put_({x.numel() / 3}, NAN);
        x.view({-1}).index_put_({x.numel() - 1}, NAN);
      }
      const Tensor xc = x.cuda();
      for (int64_t d = 0; d < std::max<int64_t>(x.dim(), 1); ++d) {
        if (x.dim() > 0 && x.size(d) == 0) continue;
        SCOPED_TRACE(describe(shape, {d}) + fmt::format(" {}", dtype));
        for (bool keepdim : {false, true}) {
          auto [values, indices] = max(xc, d, keepdim);
          auto [want_values, want_indices] = max(x, d, keepdim);
          EXPECT_TRUE(same_values(values.cpu(), want_values));
          EXPECT_TRUE(same_values(indices.cpu(), want_indices));
          auto [min_values, min_indices] = min(xc, d, keepdim);
          auto [want_min_values, want_min_indices] = min(x, d, keepdim);
          EXPECT_TRUE(same_values(min_values.cpu(), want_min_values));
          EXPECT_TRUE(same_values(min_indices.cpu(), want_min_indices));
          EXPECT_TRUE(same_values(xc.argmax(d, keepdim).cpu(), x.argmax(d, keepdim)));
          EXPECT_TRUE(same_values(xc.argmin(d, keepdim).cpu(), x.argmin(d, keepdim)));
        }
      }
      if (x.numel() == 0) continue;
      EXPECT_TRUE(same_values(xc.max().cpu(), x.max()));
      EXPECT_TRUE(same_values(xc.min().cpu(), x.min()));
      EXPECT_TRUE(same_values(xc.argmax().cpu(), x.argmax()));
      EXPECT_TRUE(same_values(xc.argmin().cpu(), x.argmin()));
    }
  }
}

TEST_F(CudaReductionKernels, VarStdLogsumexpMatchTheCpu) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const auto& shape : shapes()) {
      const Tensor x = sample(shape, dtype);
      const Tensor xc = x.cuda();
      for (const auto& dims : dim_lists(x.dim())) {
        SCOPED_TRACE(describe(shape, dims) + fmt::format(" {}", dtype));
        const double rtol = 10 * rtol_of(dtype), atol = 10 * atol_of(dtype);
        for (bool unbiased : {true, false}) {
          EXPECT_TRUE(same_values(xc.var(dims, unbiased).cpu(), x.var(dims, unbiased), rtol, atol));
          EXPECT_TRUE(same_values(xc.std(dims, unbiased).cpu(), x.std(dims, unbiased), rtol, atol));
        }
        if (!dims.empty()) {
          EXPECT_TRUE(same_values(logsumexp(xc, dims).cpu(), logsumexp(x, dims), rtol, atol));
        }
      }
    }
  }
}

TEST_F(CudaReductionKernels, ReductionGradientsMatchTheCpu) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{{7, 255}, {3, 257, 5}, {1025}}) {
    const Tensor x = sample(shape, kFloat64);
    const Tensor near_one = x * 0.05 + 1;
    for (int64_t d = 0; d < x.dim(); ++d) {
      const std::vector<int64_t> dims = {d};
      SCOPED_TRACE(describe(shape, dims));
      auto grads = [&](const Tensor& input, bool product) {
        Tensor leaf = input.detach().requires_grad_();
        const Tensor y = product ? leaf.prod(d)
                                 : leaf.sum(dims) + leaf.mean(dims) * 2 + leaf.var(dims) +
                                       std::get<0>(leaf.max(d)) + leaf.amin(dims);
        y.sum().backward();
        return leaf.grad();
      };
      EXPECT_TRUE(same_values(grads(x.cuda(), false).cpu(), grads(x, false), kF64Rtol, kF64Atol));
      EXPECT_TRUE(same_values(grads(near_one.cuda(), true).cpu(), grads(near_one, true), kF64Rtol,
                              kF64Atol));
    }
  }
}

// Transposed, strided, expanded and offset views: core makes them contiguous or permutes them
// before the kernel, so CUDA must agree with the CPU on each.
TEST_F(CudaReductionKernels, NonContiguousInputs) {
  const Tensor base = sample({33, 260});
  const Tensor gpu = base.cuda();
  const std::vector<std::pair<Tensor, Tensor>> views = {
      {base.t(), gpu.t()},
      {base.slice(1, 1, 260, 3), gpu.slice(1, 1, 260, 3)},
      {base.narrow(0, 5, 20).narrow(1, 7, 200), gpu.narrow(0, 5, 20).narrow(1, 7, 200)},
      {base.select(1, 9).unsqueeze(1).expand({33, 40}),
       gpu.select(1, 9).unsqueeze(1).expand({33, 40})},
      {base.view({3, 11, 260}).permute({2, 0, 1}), gpu.view({3, 11, 260}).permute({2, 0, 1})}};
  for (const auto& [x, xc] : views) {
    for (const auto& dims : dim_lists(x.dim())) {
      SCOPED_TRACE(describe(x.sizes(), dims));
      EXPECT_TRUE(same_values(xc.sum(dims).cpu(), x.sum(dims), kF32Rtol, kF32Atol));
      EXPECT_TRUE(same_values(xc.amax(dims).cpu(), x.amax(dims)));
    }
    for (int64_t d = 0; d < x.dim(); ++d) {
      SCOPED_TRACE(describe(x.sizes(), {d}));
      EXPECT_TRUE(same_values(xc.argmax(d).cpu(), x.argmax(d)));
      EXPECT_TRUE(same_values(xc.softmax(d).cpu(), x.softmax(d), kF32Rtol, kF32Atol));
      EXPECT_TRUE(same_values(xc.log_softmax(d).cpu(), x.log_softmax(d), kF32Rtol, kF32Atol));
    }
  }
}

TEST_F(CudaReductionKernels, ZeroSizeReductionsGiveIdentitiesAndEmptyResults) {
  const Tensor empty_rows = zeros({3, 0, 5}, TensorOptions(kCUDA));
  EXPECT_TRUE(same_values(empty_rows.sum({1}).cpu(), zeros({3, 5})));
  EXPECT_TRUE(same_values(empty_rows.prod(1).cpu(), ones({3, 5})));
  EXPECT_TRUE(same_values(empty_rows.to(kInt64).sum({1}).cpu(), zeros({3, 5}, kInt64)));
  EXPECT_TRUE(std::isnan(empty_rows.mean().item<double>()));
  EXPECT_EQ(empty_rows.amax({0}).sizes(), IntArrayRef({0, 5}));
  EXPECT_EQ(empty_rows.argmax(2).sizes(), IntArrayRef({3, 0}));
  EXPECT_EQ(empty_rows.softmax(1).sizes(), IntArrayRef({3, 0, 5}));
  EXPECT_AXON_ERROR(empty_rows.amax({1}), "amax");
  EXPECT_AXON_ERROR(empty_rows.argmax(1), "argmax");
  EXPECT_FALSE(zeros({0}, TensorOptions(kCUDA).dtype(kBool)).any().item<bool>());
}

// Long runs take the two-pass path: partial results per chunk, then a second reduction of them.
TEST_F(CudaReductionKernels, LongRowsAndColumnsTakeTheTwoPassPath) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{
           {1, 1000003}, {3, 300007}, {1000003, 2}, {2, 300007, 3}, {20011, 1}}) {
    const Tensor x = sample(shape);
    const Tensor xc = x.cuda();
    for (int64_t d = 0; d < x.dim(); ++d) {
      SCOPED_TRACE(describe(shape, {d}));
      EXPECT_TRUE(same_values(xc.sum({d}).cpu(), x.sum({d}), kF32Rtol, kF32Atol));
      EXPECT_TRUE(same_values(xc.amax({d}).cpu(), x.amax({d})));
      EXPECT_TRUE(same_values(xc.argmin(d).cpu(), x.argmin(d)));
    }
  }
  // The first of two equal maxima in different chunks, and the first of two NaNs.
  Tensor row = zeros({1000003});
  row.index_put_({700001}, 5.0);
  row.index_put_({300001}, 5.0);
  EXPECT_EQ(row.cuda().argmax().item<int64_t>(), 300001);
  row.index_put_({900001}, NAN);
  row.index_put_({800001}, NAN);
  EXPECT_EQ(row.cuda().argmax().item<int64_t>(), 800001);
  EXPECT_EQ(row.cuda().argmin().item<int64_t>(), 800001);
  EXPECT_TRUE(std::isnan(row.cuda().amax().item<double>()));
  Tensor columns = zeros({500000, 2});
  columns.index_put_({499999, 1}, 3.0);
  columns.index_put_({123, 1}, 3.0);
  EXPECT_TRUE(same_values(columns.cuda().argmax(0).cpu(), tensor({0, 123}, TensorOptions(kInt64))));
  // 2^24 + 2 float32 ones: a float32 running sum would stop at 2^24.
  EXPECT_EQ(ones({(int64_t{1} << 24) + 2}, TensorOptions(kCUDA)).sum().item<double>(), 16777218.0);
}

TEST_F(CudaReductionKernels, SoftmaxForwardAndBackwardMatchTheCpu) {
  const std::vector<std::vector<int64_t>> softmax_shapes = {
      {1},       {7},       {1, 1},      {2, 31},     {5, 32},  {3, 33},
      {7, 1025}, {4097, 3}, {3, 257, 5}, {2, 100003}, {6, 4, 7}};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const auto& shape : softmax_shapes) {
      const Tensor x = sample(shape, dtype) * 5;
      const Tensor g = sample(shape, dtype);
      for (int64_t d = 0; d < x.dim(); ++d) {
        for (bool log : {false, true}) {
          SCOPED_TRACE(describe(shape, {d}) + fmt::format(" {} log {}", dtype, log));
          auto run = [&](const Tensor& input, const Tensor& grad) {
            Tensor leaf = input.detach().requires_grad_();
            const Tensor y = log ? leaf.log_softmax(d) : leaf.softmax(d);
            y.backward(grad);
            return std::pair{y.detach(), leaf.grad()};
          };
          const auto [y, dx] = run(x.cuda(), g.cuda());
          const auto [want_y, want_dx] = run(x, g);
          EXPECT_TRUE(same_values(y.cpu(), want_y, rtol_of(dtype), atol_of(dtype)));
          EXPECT_TRUE(same_values(dx.cpu(), want_dx, 10 * rtol_of(dtype), 10 * atol_of(dtype)));
        }
      }
    }
  }
}

// Rows holding -inf, +inf or NaN, in the block layout (64 wide) and the thread layout (over dim 0).
TEST_F(CudaReductionKernels, SoftmaxOfInfinitiesAndNaNIsTheCpus) {
  Tensor x = sample({4, 64});
  x.index_put_({0, 3}, -INFINITY);
  x.index_put_({1, 5}, INFINITY);
  x.index_put_({2, 7}, NAN);
  x.select(0, 3).fill_(-INFINITY);
  for (int64_t d : {0, 1}) {
    EXPECT_TRUE(same_values(x.cuda().softmax(d).cpu(), x.softmax(d), kF32Rtol, kF32Atol));
    EXPECT_TRUE(same_values(x.cuda().log_softmax(d).cpu(), x.log_softmax(d), kF32Rtol, kF32Atol));
  }
}

// nll_loss and cross_entropy on both devices: every reduction, with and without class weights
// (contiguous and strided), the default and a custom ignore_index, spatial inputs, and batches
// long enough for the two-pass sum.
TEST_F(CudaReductionKernels, NllLossAndCrossEntropyMatchTheCpu) {
  struct Case {
    std::vector<int64_t> input_shape;
    int64_t classes;
  };
  const std::vector<Case> cases = {
      {{0, 5}, 5},       {{1, 1}, 1},     {{257, 7}, 7}, {{33, 1025}, 1025},
      {{4, 3, 5, 6}, 3}, {{20011, 4}, 4}, {{6}, 6}};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : cases) {
      const Tensor logits = sample(c.input_shape, dtype) * 3;
      std::vector<int64_t> target_shape;
      if (c.input_shape.size() > 1) {
        target_shape.push_back(c.input_shape[0]);
        for (size_t d = 2; d < c.input_shape.size(); ++d) target_shape.push_back(c.input_shape[d]);
      }
      const Tensor classes = randint(0, c.classes, target_shape, TensorOptions(kInt64));
      const Tensor strided_weight =
          (sample({2 * c.classes}, dtype) + 3).slice(0, 0, 2 * c.classes, 2);
      for (const Tensor& weight : {Tensor(), strided_weight.contiguous(), strided_weight}) {
        for (auto reduction : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
          // The default ignore_index (-100), and one that is also a class (0).
          for (int64_t ignore_index : {int64_t{-100}, int64_t{0}}) {
            Tensor target = classes.clone();
            if (target.numel() > 2) target.view({-1}).index_put_({1}, ignore_index);
            SCOPED_TRACE(fmt::format("input {} {} weight {} reduction {} ignore {}",
                                     IntArrayRef(c.input_shape), dtype, weight.defined(),
                                     static_cast<int>(reduction), ignore_index));
            auto run = [&](const Device& device, bool cross_entropy) {
              // A copy even on the CPU, so that logits stays a plain tensor for every run.
              Tensor leaf = logits.to(device, dtype, false, /*copy=*/true).requires_grad_();
              const Tensor w = weight.defined() ? weight.to(device, dtype) : Tensor();
              const Tensor t = target.to(device, kInt64);
              const Tensor loss = cross_entropy
                                      ? cross_entropy_loss(leaf, t, w, reduction, ignore_index)
                                      : nll_loss(leaf.log_softmax(c.input_shape.size() > 1 ? 1 : 0),
                                                 t, w, reduction, ignore_index);
              loss.backward(ones_like(loss));
              return std::pair{loss.detach(), leaf.grad()};
            };
            for (bool cross_entropy : {false, true}) {
              const auto [loss, grad] = run(Device(kCUDA), cross_entropy);
              const auto [want_loss, want_grad] = run(Device(kCPU), cross_entropy);
              EXPECT_TRUE(same_values(loss.cpu(), want_loss, rtol_of(dtype), atol_of(dtype)));
              EXPECT_TRUE(same_values(grad.cpu(), want_grad, rtol_of(dtype), atol_of(dtype)));
            }
          }
        }
      }
    }
  }
}

// The check runs on the device and surfaces at the next synchronisation (here item()), not as a
// host wait inside the call.
TEST_F(CudaReductionKernels, NllLossTargetOutOfRangeIsAnError) {
  const Tensor log_probs = zeros({3, 4}, TensorOptions(kCUDA));
  for (int64_t bad : {4, -1, 1000}) {
    const Tensor target = tensor({int64_t{0}, bad, int64_t{2}}, TensorOptions(kInt64)).cuda();
    Tensor loss;
    EXPECT_NO_THROW(loss = nll_loss(log_probs, target));
    EXPECT_AXON_ERROR(loss.item<float>(), "nll_loss: target " + std::to_string(bad) +
                                              " is out of bounds for 4 classes");
    // Reported once: the next read is clean.
    EXPECT_NO_THROW(cuda::synchronize());
  }
  // ignore_index is not a class, and not out of range.
  const Tensor target = tensor({0, 9, 2}, TensorOptions(kInt64)).cuda();
  EXPECT_NO_THROW(nll_loss(log_probs, target, {}, Reduction::Mean, 9).item<float>());
  // A failed check also surfaces at cuda::synchronize().
  (void)nll_loss(log_probs, tensor({0, 7, 2}, TensorOptions(kInt64)).cuda());
  EXPECT_AXON_ERROR(cuda::synchronize(), "nll_loss: target 7 is out of bounds for 4 classes");
}

// ---- > 2^31 elements: 32-bit indexing would wrap ------------------------------------------

// Whether the GPU can hold `bytes` more now (tried, then handed back to the driver).
bool gpu_has_free(int64_t bytes) {
  try {
    empty({bytes}, TensorOptions(kCUDA).dtype(kUInt8));
  } catch (const Error&) {
    cuda::empty_cache();
    return false;
  }
  cuda::empty_cache();
  return true;
}

constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t k2Pow31 = int64_t{1} << 31;

TEST_F(CudaReductionKernels, MoreThanTwoToThe31ElementsInRowsAndColumns) {
  if (!gpu_has_free(16 * kGiB)) GTEST_SKIP() << "needs 16 GiB of free GPU memory";
  const int64_t n = k2Pow31 + 3;
  Tensor x = zeros({n}, TensorOptions(kCUDA).dtype(kUInt8));
  x.narrow(0, n - 2, 2).fill_(9);  // two maxima past 2^31: the first one wins
  EXPECT_EQ(x.amax().item<int64_t>(), 9);
  EXPECT_EQ(x.argmax().item<int64_t>(), n - 2);
  EXPECT_EQ(x.argmin().item<int64_t>(), 0);
  // The first 2^31 elements as 2^30 rows of 2, reduced over the rows (the column layout).
  Tensor columns = x.narrow(0, 0, k2Pow31).view({k2Pow31 / 2, 2});
  columns.narrow(0, k2Pow31 / 2 - 2, 1).select(1, 0).fill_(7);
  columns.narrow(0, k2Pow31 / 2 - 1, 1).select(1, 1).fill_(8);
  EXPECT_TRUE(same_values(columns.argmax(0).cpu(),
                          tensor({k2Pow31 / 2 - 2, k2Pow31 / 2 - 1}, TensorOptions(kInt64))));
  EXPECT_TRUE(same_values(columns.amax({0}).cpu(), tensor({7, 8}, TensorOptions(kUInt8))));
  // Over 2^31 bytes of float32 ones (a count float32 represents): the mean is exactly 1.
  EXPECT_EQ(ones({k2Pow31 / 4 + 64}, TensorOptions(kCUDA)).mean().item<double>(), 1.0);
}

TEST_F(CudaReductionKernels, SoftmaxAndNllLossOverMoreThanTwoToThe31Elements) {
  if (!gpu_has_free(24 * kGiB)) GTEST_SKIP() << "needs 24 GiB of free GPU memory";
  const int64_t rows = (int64_t{1} << 22) + 1, classes = 512;  // 2^31 + 512 elements
  {
    // Rows of equal logits: softmax is exactly 1/512 and log_softmax exactly -log(512) in float.
    const Tensor logits = ones({rows, classes}, TensorOptions(kCUDA));
    const Tensor p = logits.softmax(1);
    EXPECT_EQ(p.amax().item<double>(), 1.0 / 512);
    EXPECT_EQ(p.amin().item<double>(), 1.0 / 512);
    const Tensor logp = logits.log_softmax(1);
    EXPECT_EQ(logp.amin().item<double>(),
              -static_cast<double>(static_cast<float>(std::log(512.0))));
    EXPECT_EQ(logp.amax().item<double>(), logp.amin().item<double>());
  }
  // log-probabilities of -1: the mean loss is exactly 1 and each target's gradient -1 / rows.
  Tensor log_probs = full({rows, classes}, -1.0, TensorOptions(kCUDA)).requires_grad_();
  std::vector<int64_t> targets(static_cast<size_t>(rows));
  for (int64_t m = 0; m < rows; ++m) targets[static_cast<size_t>(m)] = m * 7 % classes;
  const Tensor target = tensor(targets, {rows}, TensorOptions(kInt64)).cuda();
  const Tensor loss = nll_loss(log_probs, target);
  EXPECT_EQ(loss.item<double>(), 1.0);
  loss.backward();
  const Tensor grad = log_probs.grad();
  EXPECT_EQ(grad.amin().item<double>(), -static_cast<double>(1.0f / static_cast<float>(rows)));
  EXPECT_EQ(grad.amax().item<double>(), 0.0);
  EXPECT_NEAR(grad.sum().item<double>(), -1.0, 1e-5);
  // The last row's target column holds the gradient.
  EXPECT_EQ(grad.select(0, rows - 1).argmin().item<int64_t>(), ((rows - 1) * 7) % classes);
}

}  // namespace
}  // namespace axon
