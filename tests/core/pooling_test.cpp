// max_pool2d, avg_pool2d and adaptive_avg_pool2d: forward, indices and gradients against
// PyTorch (conv_golden.json, written by tests/reference/generate_conv_golden.py), gradcheck of
// the backward and of the double backward, non-contiguous inputs, and every argument error.
#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "reference/conv_golden.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::check_golden_case;
using testing::golden_cases;
using testing::int_list;
using testing::json;
using testing::same;
using testing::Shape;

class PoolingTest : public testing::DeviceTest {
 protected:
  // Irregular float64 values 1/8 apart, as a leaf: i -> (37 i + 11) mod n permutes 0..n-1
  // when n is not a multiple of 37 (true of every max-pooling input here), so max pooling has
  // no ties and a gradcheck step cannot change a window's maximum.
  Tensor distinct(IntArrayRef shape, DType dtype = kFloat64) const {
    const int64_t n = product(shape);
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      v[static_cast<size_t>(i)] = static_cast<double>((i * 37 + 11) % n) / 8 - 3;
    }
    return tensor(v, shape, options(dtype)).requires_grad_();
  }
};

std::vector<Tensor> run_max_pool(const std::vector<Tensor>& x, const json& a) {
  auto [out, indices] = max_pool2d_with_indices(
      x[0], int_list(a, "kernel_size", {}), int_list(a, "stride", {}), int_list(a, "padding", {0}),
      int_list(a, "dilation", {1}), a.value("ceil_mode", false));
  return {out, indices};
}

std::vector<Tensor> run_avg_pool(const std::vector<Tensor>& x, const json& a) {
  std::optional<int64_t> divisor;
  if (a.contains("divisor_override")) divisor = a.at("divisor_override").get<int64_t>();
  return {avg_pool2d(x[0], int_list(a, "kernel_size", {}), int_list(a, "stride", {}),
                     int_list(a, "padding", {0}), a.value("ceil_mode", false),
                     a.value("count_include_pad", true), divisor)};
}

std::vector<Tensor> run_adaptive(const std::vector<Tensor>& x, const json& a) {
  return {adaptive_avg_pool2d(x[0], int_list(a, "output_size", {}))};
}

TEST_P(PoolingTest, MaxPoolMatchesPyTorch) {
  const std::vector<json> cases = golden_cases("max_pool2d_with_indices");
  ASSERT_EQ(cases.size(), 9u);
  for (const json& c : cases) check_golden_case(c, device(), run_max_pool);
}

TEST_P(PoolingTest, AvgPoolMatchesPyTorch) {
  const std::vector<json> cases = golden_cases("avg_pool2d");
  ASSERT_EQ(cases.size(), 9u);
  for (const json& c : cases) check_golden_case(c, device(), run_avg_pool);
}

TEST_P(PoolingTest, AdaptiveAvgPoolMatchesPyTorch) {
  const std::vector<json> cases = golden_cases("adaptive_avg_pool2d");
  ASSERT_EQ(cases.size(), 5u);
  for (const json& c : cases) check_golden_case(c, device(), run_adaptive);
}

TEST_P(PoolingTest, MaxPoolWithoutIndicesAgreesAndRecords) {
  Tensor x = distinct({2, 3, 6, 5});
  Tensor out = max_pool2d(x, 3, 2, 1, 1, true);
  auto [out2, indices] = max_pool2d_with_indices(x, 3, 2, 1, 1, true);
  EXPECT_TRUE(same(out, out2));
  EXPECT_EQ(indices.dtype(), kInt64);
  ASSERT_TRUE(out.grad_fn());
  EXPECT_EQ(out.grad_fn()->name(), "MaxPool2DWithIndicesBackward0");
  EXPECT_EQ(avg_pool2d(x, 2).grad_fn()->name(), "AvgPool2DBackward0");
  EXPECT_EQ(adaptive_avg_pool2d(x, {2, 2}).grad_fn()->name(), "AdaptiveAvgPool2DBackward0");
}

// NaN is the maximum (the last NaN of a window, since PyTorch's test is v > max || isnan(v)),
// and a window of -inf points at its first element inside the input, as in PyTorch.
TEST_P(PoolingTest, MaxPoolNanAndInfinity) {
  const double nan = testing::kNaN, inf = testing::kInf;
  Tensor x = tensor({{{1.0, nan, 2.0, 2.5}, {-inf, nan, 3.0, 0.0}},
                     {{-inf, -inf, 0.5, 0.25}, {-inf, -inf, 0.75, 1.0}}},
                    options(kFloat64))
                 .view({1, 2, 2, 4});
  auto [out, indices] = max_pool2d_with_indices(x, 2);  // the 2x2 path
  EXPECT_TRUE(
      testing::same_values(out, tensor({nan, 3.0, -inf, 1.0}, kFloat64).view({1, 2, 1, 2})));
  EXPECT_EQ(testing::values<int64_t>(indices), testing::longs({5, 6, 0, 7}));
  std::tie(out, indices) = max_pool2d_with_indices(x, {2, 3}, 1, {0, 1});  // the general path
  EXPECT_TRUE(testing::same_values(
      out, tensor({nan, nan, nan, 3.0, -inf, 0.75, 1.0, 1.0}, kFloat64).view({1, 2, 1, 4})));
  EXPECT_EQ(testing::values<int64_t>(indices), testing::longs({5, 5, 5, 6, 0, 6, 7, 7}));
}

// 2x2 windows at stride 2 with ties, NaNs and infinities, in both float dtypes, over rows of 18
// outputs (the CPU's float vectors of 8: two blocks and one moved back), 5 (vectors of 4) and 3
// (the scalar loop); ceil_mode on odd sizes, whose last windows stick out of the input, must clip
// them. The expected values come from a plain loop over the windows with max_pool2d's rule: a
// later element takes the window when it is larger or NaN.
TEST_P(PoolingTest, MaxPool2x2MatchesAPlainLoop) {
  const double nan = testing::kNaN, inf = testing::kInf;
  const double specials[] = {nan, inf, -inf, 0.5, 0.5};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (bool ceil_mode : {false, true}) {
      for (int64_t w : {37, 11, 6}) {
        const int64_t planes = 3, h = 7;
        std::vector<double> v(static_cast<size_t>(planes * h * w));
        for (size_t i = 0; i < v.size(); ++i) {
          // Four values, so that windows often hold ties (as ReLU's zeros do).
          const uint64_t hash = (i * 2654435761u) >> 7;
          v[i] = i % 11 == 3 ? specials[(i / 11) % 5] : static_cast<double>(hash % 4) / 4;
        }
        Tensor x = tensor(v, {1, planes, h, w}, options(dtype));
        auto [out, indices] = max_pool2d_with_indices(x, 2, 2, 0, 1, ceil_mode);
        const int64_t oh_n = ceil_mode ? (h + 1) / 2 : h / 2,
                      ow_n = ceil_mode ? (w + 1) / 2 : w / 2;
        ASSERT_EQ(out.sizes(), (Shape{1, planes, oh_n, ow_n}));
        std::vector<double> want;
        std::vector<int64_t> want_idx;
        for (int64_t c = 0; c < planes; ++c) {
          for (int64_t oh = 0; oh < oh_n; ++oh) {
            for (int64_t ow = 0; ow < ow_n; ++ow) {
              int64_t best = 2 * oh * w + 2 * ow;
              for (int64_t y = 2 * oh; y < std::min(2 * oh + 2, h); ++y) {
                for (int64_t xx = 2 * ow; xx < std::min(2 * ow + 2, w); ++xx) {
                  const double e = v[static_cast<size_t>(c * h * w + y * w + xx)];
                  const double m = v[static_cast<size_t>(c * h * w + best)];
                  if (e > m || std::isnan(e)) best = y * w + xx;
                }
              }
              want.push_back(v[static_cast<size_t>(c * h * w + best)]);
              want_idx.push_back(best);
            }
          }
        }
        SCOPED_TRACE(::testing::Message() << dtype << " ceil_mode " << ceil_mode << " w " << w);
        EXPECT_TRUE(
            testing::same_values(out, tensor(want, {1, planes, oh_n, ow_n}, kFloat64).to(dtype)));
        EXPECT_EQ(testing::values<int64_t>(indices), want_idx);
        EXPECT_TRUE(testing::same_values(max_pool2d(x, 2, 2, 0, 1, ceil_mode), out));
      }
    }
  }
}

TEST_P(PoolingTest, Gradcheck) {
  using Fn = std::function<Tensor(const variable_list&)>;
  const std::vector<std::pair<Shape, Fn>> cases = {
      {{1, 2, 5, 6}, [](const variable_list& v) { return max_pool2d(v[0], 2); }},
      {{2, 1, 6, 5},
       [](const variable_list& v) {
         return max_pool2d(v[0], {3, 2}, {2, 1}, 1, {1, 2}, true);
       }},
      {{1, 2, 5, 6}, [](const variable_list& v) { return avg_pool2d(v[0], 3, 2, 1, true); }},
      {{1, 2, 5, 6}, [](const variable_list& v) { return avg_pool2d(v[0], 3, 2, 1, true, false); }},
      {{1, 2, 5, 6},
       [](const variable_list& v) {
         return avg_pool2d(v[0], {2, 3}, 1, {1, 0}, false, true, 4);
       }},
      {{2, 2, 5, 7},
       [](const variable_list& v) {
         return adaptive_avg_pool2d(v[0], {3, 4});
       }},
      {{2, 6, 7},
       [](const variable_list& v) {
         return adaptive_avg_pool2d(v[0], {4, 2});
       }},
  };
  for (const auto& [shape, f] : cases) {
    SCOPED_TRACE(::testing::Message() << "input " << IntArrayRef(shape));
    Tensor x = distinct(shape);
    EXPECT_TRUE(gradcheck(f, {x}));
    // The double backward (create_graph): the input gradient as a function of x and of the
    // upstream gradient.
    Tensor grad_out = distinct(f({x}).sizes());
    auto first_order = [&](const variable_list& v) {
      AutoGradMode enable_grad(true);  // gradcheck evaluates without grad mode
      return autograd::grad({f({v[0]})}, {v[0]}, {v[1]}, true, true);
    };
    EXPECT_TRUE(gradcheck(first_order, {x, grad_out}));
  }
}

TEST_P(PoolingTest, NonContiguousInputsGiveTheSameResults) {
  Tensor x = distinct({2, 3, 7, 6}, kFloat32);
  Tensor xt = x.detach().transpose(2, 3).contiguous().transpose(2, 3).requires_grad_();
  ASSERT_FALSE(xt.is_contiguous());
  using Fn = std::function<Tensor(const Tensor&)>;
  const std::vector<Fn> ops = {
      [](const Tensor& t) { return max_pool2d(t, 3, 2, 1); },
      [](const Tensor& t) { return avg_pool2d(t, 3, 2, 1, true, false); },
      [](const Tensor& t) {
        return adaptive_avg_pool2d(t, {3, 4});
      },
  };
  for (const Fn& op : ops) {
    x.mutable_grad() = Tensor(), xt.mutable_grad() = Tensor();
    Tensor out = op(x), out2 = op(xt);
    EXPECT_TRUE(same(out2, out));
    Tensor g = distinct(out.sizes(), kFloat32).detach();
    out.backward(g);
    out2.backward(g);
    EXPECT_TRUE(same(xt.grad(), x.grad()));
  }
}

TEST_P(PoolingTest, EmptyBatchAndEmptyOutput) {
  EXPECT_EQ(max_pool2d(zeros({0, 3, 8, 8}, options()), 2).sizes().vec(), (Shape{0, 3, 4, 4}));
  EXPECT_EQ(avg_pool2d(zeros({0, 3, 8, 8}, options()), 2).sizes().vec(), (Shape{0, 3, 4, 4}));
  EXPECT_EQ(adaptive_avg_pool2d(zeros({0, 3, 5, 4}, options()), {3, 3}).sizes().vec(),
            (Shape{0, 3, 3, 3}));
  // An output size of 0 gives an empty output and a zero gradient, as in PyTorch.
  Tensor x = ones({1, 2, 4, 4}, options()).requires_grad_();
  Tensor out = adaptive_avg_pool2d(x, {0, 3});
  EXPECT_EQ(out.sizes().vec(), (Shape{1, 2, 0, 3}));
  out.sum().backward();
  EXPECT_TRUE(same(x.grad(), zeros({1, 2, 4, 4})));
}

TEST_P(PoolingTest, Errors) {
  Tensor x = zeros({2, 3, 8, 8}, options());
  // max_pool2d and avg_pool2d share their window checks.
  EXPECT_AXON_ERROR(max_pool2d(x, 0), "max_pool2d: kernel size should be greater than zero");
  EXPECT_AXON_ERROR(avg_pool2d(x, {2, 0}),
                    "avg_pool2d: kernel size should be greater than zero, but got kH: 2 kW: 0");
  EXPECT_AXON_ERROR(max_pool2d(x, 2, 0), "stride should be greater than zero, but got dH: 0 dW: 0");
  EXPECT_AXON_ERROR(max_pool2d(x, 2, 2, -1), "pad must be non-negative, but got padH: -1");
  EXPECT_AXON_ERROR(
      max_pool2d(x, 2, 2, 2),
      "pad should be at most half of kernel size, but got padH = 2, padW = 2, kH = 2, kW = 2");
  EXPECT_AXON_ERROR(avg_pool2d(x, 3, 1, {1, 2}), "pad should be at most half of kernel size");
  EXPECT_AXON_ERROR(max_pool2d(x, 2, 2, 0, 0),
                    "dilation should be greater than zero, but got dilationH: 0 dilationW: 0");
  EXPECT_AXON_ERROR(
      max_pool2d(x, 9),
      "Given input size: (3x8x8). Calculated output size: (3x0x0). Output size is too small");
  EXPECT_AXON_ERROR(avg_pool2d(x, 9), "Output size is too small");
  EXPECT_AXON_ERROR(max_pool2d(x, {2, 2, 2}),
                    "max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
  EXPECT_AXON_ERROR(max_pool2d(x, 2, {1, 1, 1}),
                    "stride must either be omitted, a single int, or a tuple of two ints");
  EXPECT_AXON_ERROR(max_pool2d(x, 2, 2, {0, 0, 0}), "padding must either be a single int");
  EXPECT_AXON_ERROR(max_pool2d(x, 2, 2, 0, {1, 1, 1}), "dilation must either be a single int");
  EXPECT_AXON_ERROR(max_pool2d(zeros({8, 8}, options()), 2),
                    "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                    "input, but got: [8, 8]");
  EXPECT_AXON_ERROR(max_pool2d(zeros({2, 0, 8, 8}, options()), 2), "but got: [2, 0, 8, 8]");
  EXPECT_AXON_ERROR(max_pool2d(x.to(kInt64), 2), "max_pool2d: not implemented for int64");
  EXPECT_AXON_ERROR(avg_pool2d(x.to(kInt64), 2), "avg_pool2d: not implemented for int64");
  EXPECT_AXON_ERROR(avg_pool2d(x, 2, 2, 0, false, true, 0), "avg_pool2d: divisor must be not zero");
  EXPECT_AXON_ERROR(max_pool2d(Tensor(), 2), "max_pool2d: self is an undefined tensor");
  // adaptive_avg_pool2d
  EXPECT_AXON_ERROR(adaptive_avg_pool2d(x, {3}), "adaptive_avg_pool2d: output_size must be 2");
  EXPECT_AXON_ERROR(
      adaptive_avg_pool2d(x, {-1, 3}),
      "elements of output_size must be greater than or equal to 0 but received [-1, 3]");
  EXPECT_AXON_ERROR(adaptive_avg_pool2d(zeros({2, 3, 0, 4}, options()), {3, 3}),
                    "adaptive_avg_pool2d: Expected 3D or 4D (batch mode) tensor");
  EXPECT_AXON_ERROR(adaptive_avg_pool2d(zeros({8, 8}, options()), {3, 3}), "but got: [8, 8]");
  EXPECT_AXON_ERROR(adaptive_avg_pool2d(x.to(kInt64), {3, 3}),
                    "adaptive_avg_pool2d: not implemented for int64");
}

AXON_INSTANTIATE_DEVICE_TEST(PoolingTest);

}  // namespace
}  // namespace axon
