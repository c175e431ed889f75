// conv2d: forward and gradients against PyTorch (conv_golden.json, written by
// tests/reference/generate_conv_golden.py), gradcheck of the backward and of the double
// backward, non-contiguous inputs, and every argument error.
#include <vector>

#include "reference/conv_golden.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::approx;
using testing::check_golden_case;
using testing::golden_cases;
using testing::int_list;
using testing::json;
using testing::same;

class ConvTest : public testing::DeviceTest {
 protected:
  // Deterministic, irregular float64 values: sin(0.7 * i + seed), as a leaf.
  Tensor values(IntArrayRef shape, double seed, DType dtype = kFloat64) const {
    return (arange(product(shape), options(kFloat64)) * 0.7 + seed)
        .sin()
        .reshape(shape)
        .to(dtype)
        .requires_grad_();
  }
};

std::vector<Tensor> run_conv2d(const std::vector<Tensor>& x, const json& a) {
  return {conv2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), int_list(a, "stride", {1}),
                 int_list(a, "padding", {0}), int_list(a, "dilation", {1}),
                 a.value("groups", int64_t{1}))};
}

TEST_P(ConvTest, MatchesPyTorch) {
  const std::vector<json> cases = golden_cases("conv2d");
  ASSERT_EQ(cases.size(), 16u);
  for (const json& c : cases) check_golden_case(c, device(), run_conv2d);
}

TEST_P(ConvTest, RecordsConvolutionBackward) {
  Tensor x = values({1, 2, 4, 4}, 0.1), w = values({3, 2, 3, 3}, 0.2);
  Tensor out = conv2d(x, w);
  ASSERT_TRUE(out.grad_fn());
  EXPECT_EQ(out.grad_fn()->name(), "ConvolutionBackward0");
  EXPECT_EQ(out.sizes().vec(), (testing::Shape{1, 3, 2, 2}));
  NoGradGuard no_grad;
  EXPECT_FALSE(conv2d(x, w).requires_grad());
}

// Only the gradients asked for are computed: the images of a first layer need none.
TEST_P(ConvTest, ComputesOnlyTheGradientsNeeded) {
  Tensor x = values({2, 1, 5, 5}, 0.1).detach(), w = values({2, 1, 3, 3}, 0.2);
  Tensor b = values({2}, 0.3);
  conv2d(x, w, b, 1, 1).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  ASSERT_TRUE(w.grad().defined());
  // d sum(out) / d b = the number of output pixels per image, times the batch.
  EXPECT_TRUE(same(b.grad(), tensor({50.0, 50.0})));
  Tensor w2 = values({2, 1, 3, 3}, 0.2).detach();
  conv2d(x, w2, b, 1, 1).sum().backward();
  EXPECT_TRUE(same(b.grad(), tensor({100.0, 100.0})));
}

TEST_P(ConvTest, Gradcheck) {
  using Shape = testing::Shape;
  struct Case {
    Shape x, w;
    bool bias;
    Shape stride, padding, dilation;
    int64_t groups;
  };
  const std::vector<Case> cases = {
      {{3, 2, 5, 4}, {3, 2, 3, 2}, true, {1}, {0}, {1}, 1},
      {{1, 2, 6, 7}, {2, 2, 3, 3}, true, {2, 3}, {1, 2}, {1, 2}, 1},
      {{2, 4, 4, 4}, {4, 2, 2, 2}, false, {1}, {1}, {1}, 2},
      {{1, 3, 4, 3}, {3, 1, 3, 3}, true, {1}, {1}, {1}, 3},
      {{2, 3, 3, 3}, {2, 3, 1, 1}, true, {1}, {0}, {1}, 1},
      {{1, 2, 3, 4}, {3, 2, 1, 1}, true, {1}, {2, 1}, {1}, 1},  // 1x1 with padding
      // Output rows of 8 or more, at stride 1 with padding (wide rows) and in plain im2col
      // (stride 2 down the rows).
      {{1, 2, 4, 11}, {2, 2, 2, 3}, true, {1}, {0, 1}, {1}, 1},
      {{1, 2, 5, 12}, {2, 2, 2, 3}, true, {2, 1}, {1, 0}, {1}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "x " << IntArrayRef(c.x) << " w " << IntArrayRef(c.w));
    variable_list in = {values(c.x, 0.3), values(c.w, 0.5)};
    if (c.bias) in.push_back(values({c.w[0]}, 0.7));
    auto f = [&](const variable_list& v) {
      return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), c.stride, c.padding, c.dilation,
                    c.groups);
    };
    EXPECT_TRUE(gradcheck(f, in));
    // The double backward (create_graph): the gradients as functions of x, w, b and the
    // upstream gradient.
    Tensor grad_out = values(f(in).sizes(), 0.9);
    variable_list with_grad = in;
    with_grad.push_back(grad_out);
    auto first_order = [&](const variable_list& v) {
      AutoGradMode enable_grad(true);  // gradcheck evaluates without grad mode
      variable_list inputs(v.begin(), v.end() - 1);
      return autograd::grad({f(inputs)}, inputs, {v.back()}, true, true);
    };
    EXPECT_TRUE(gradcheck(first_order, with_grad));
  }
}

// The CPU weight gradient is summed over images in per-thread buffers (kernels/cpu/conv.cpp,
// backward_weight): over a batch of 37, on 1 and on 2 threads, it must be the sum of each
// image's own, in every column layout: wide rows with padding, plain im2col (stride 2), groups,
// and 1x1 kernels with and without padding.
TEST_P(ConvTest, WeightGradientOfManyImagesIsTheSumOverImages) {
  using Shape = testing::Shape;
  struct Case {
    Shape x, w, stride, padding;
    int64_t groups;
  };
  const std::vector<Case> cases = {
      {{37, 2, 6, 7}, {3, 2, 3, 3}, {1}, {1, 2}, 1},
      {{37, 2, 7, 6}, {3, 2, 3, 2}, {2, 1}, {0, 1}, 1},
      {{37, 4, 5, 5}, {4, 2, 2, 3}, {1}, {1}, 2},
      {{37, 3, 4, 4}, {2, 3, 1, 1}, {1}, {0}, 1},
      {{37, 3, 4, 4}, {2, 3, 1, 1}, {1}, {1}, 1},
  };
  const int threads = get_num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message()
                   << t << " threads, x " << IntArrayRef(c.x) << " w " << IntArrayRef(c.w));
      Tensor x = values(c.x, 0.3).detach(), w = values(c.w, 0.5), b = values({c.w[0]}, 0.7);
      auto gradients = [&](const Tensor& images, const Tensor& grad_out) {
        Tensor out = conv2d(images, w, b, c.stride, c.padding, {1}, c.groups);
        return autograd::grad({out}, {w, b}, {grad_out});
      };
      // An upstream gradient that differs per output element, so every image weighs differently.
      Tensor grad_out = values(conv2d(x, w, b, c.stride, c.padding, {1}, c.groups).sizes(), 0.9);
      const variable_list whole = gradients(x, grad_out.detach());
      Tensor w_sum = zeros_like(w), b_sum = zeros_like(b);
      for (int64_t n = 0; n < c.x[0]; ++n) {
        const variable_list one =
            gradients(x.slice(0, n, n + 1), grad_out.slice(0, n, n + 1).detach());
        w_sum = w_sum + one[0];
        b_sum = b_sum + one[1];
      }
      EXPECT_TRUE(testing::same_values(whole[0], w_sum, 1e-11, 1e-11));
      EXPECT_TRUE(testing::same_values(whole[1], b_sum, 1e-11, 1e-11));
    }
  }
  set_num_threads(threads);
}

// Stride 1 builds its column matrix from whole shifted planes (Note [Wide rows] in
// kernels/cpu/conv.cpp): the forward against a plain loop over the definition, for kernels,
// paddings, dilations and groups that make the runs cross planes, end past the image, and skip
// the column matrix (1x1).
TEST_P(ConvTest, StrideOneMatchesAPlainLoop) {
  using Shape = testing::Shape;
  struct Case {
    Shape x, w, padding, dilation;
    int64_t groups;
  };
  const std::vector<Case> cases = {
      {{2, 3, 7, 9}, {4, 3, 3, 5}, {0, 0}, {1, 1}, 1},
      {{1, 2, 6, 5}, {3, 2, 3, 2}, {2, 1}, {1, 2}, 1},
      {{2, 4, 5, 6}, {6, 2, 2, 3}, {1, 2}, {2, 1}, 2},
      {{1, 3, 4, 5}, {2, 3, 1, 1}, {1, 2}, {1, 1}, 1},
      {{1, 1, 28, 28}, {6, 1, 5, 5}, {2, 2}, {1, 1}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "x " << IntArrayRef(c.x) << " w " << IntArrayRef(c.w));
    Tensor x = values(c.x, 0.1).detach(), w = values(c.w, 0.2).detach();
    Tensor b = values({c.w[0]}, 0.3).detach();
    Tensor out = conv2d(x, w, b, 1, c.padding, c.dilation, c.groups);
    const int64_t oh_n = c.x[2] + 2 * c.padding[0] - c.dilation[0] * (c.w[2] - 1);
    const int64_t ow_n = c.x[3] + 2 * c.padding[1] - c.dilation[1] * (c.w[3] - 1);
    ASSERT_EQ(out.sizes().vec(), (Shape{c.x[0], c.w[0], oh_n, ow_n}));
    const std::vector<double> xv = testing::values<double>(x), wv = testing::values<double>(w),
                              bv = testing::values<double>(b);
    const int64_t c_in = c.w[1], c_out_g = c.w[0] / c.groups;
    std::vector<double> want;
    for (int64_t n = 0; n < c.x[0]; ++n) {
      for (int64_t co = 0; co < c.w[0]; ++co) {
        for (int64_t oh = 0; oh < oh_n; ++oh) {
          for (int64_t ow = 0; ow < ow_n; ++ow) {
            double sum = bv[static_cast<size_t>(co)];
            for (int64_t ci = 0; ci < c_in; ++ci) {
              const int64_t channel = co / c_out_g * c_in + ci;
              for (int64_t i = 0; i < c.w[2]; ++i) {
                for (int64_t j = 0; j < c.w[3]; ++j) {
                  const int64_t y = oh - c.padding[0] + i * c.dilation[0];
                  const int64_t xx = ow - c.padding[1] + j * c.dilation[1];
                  if (y < 0 || y >= c.x[2] || xx < 0 || xx >= c.x[3]) continue;
                  sum +=
                      wv[static_cast<size_t>(((co * c_in + ci) * c.w[2] + i) * c.w[3] + j)] *
                      xv[static_cast<size_t>(((n * c.x[1] + channel) * c.x[2] + y) * c.x[3] + xx)];
                }
              }
            }
            want.push_back(sum);
          }
        }
      }
    }
    EXPECT_TRUE(testing::same_values(out, tensor(want, out.sizes(), kFloat64), 1e-12, 1e-12));
  }
}

// float32 convolutions against the same ones in float64, on 1 and 2 threads. On the CPU, thin
// float32 stride-1 convolutions run direct kernels where the processor has AVX-512 (Note
// [Direct convolution kernels] in kernels/cpu/conv_direct.cpp) and float64 runs im2col + GEMM,
// so this compares the two paths. The cases cross the direct kernels' edges: output channels
// that split into tiles of 4 and a rest (5, 7) or of 3 (6), kernels wider than a tile (7), one
// kernel row, rows longer than 16 lanes, padding, dilation, groups, batches larger than one
// block of images, one image; the last case (3x3, 32 channels) takes the GEMM path in both.
TEST_P(ConvTest, Float32MatchesFloat64) {
  using Shape = testing::Shape;
  struct Case {
    Shape x, w, padding, dilation;
    int64_t groups;
  };
  const std::vector<Case> cases = {
      {{64, 1, 28, 28}, {6, 1, 5, 5}, {2, 2}, {1, 1}, 1},     // LeNet-5's conv1
      {{64, 6, 14, 14}, {16, 6, 5, 5}, {0, 0}, {1, 1}, 1},    // conv2
      {{20, 3, 32, 32}, {6, 3, 5, 5}, {0, 0}, {1, 1}, 1},     // the CIFAR CNN's conv1
      {{3, 2, 9, 23}, {7, 2, 3, 7}, {1, 3}, {2, 1}, 1},
      {{2, 4, 6, 9}, {10, 2, 2, 5}, {0, 2}, {1, 2}, 2},
      {{1, 3, 5, 40}, {5, 3, 1, 5}, {1, 0}, {1, 1}, 1},
      {{2, 1, 8, 8}, {16, 1, 5, 5}, {2, 2}, {1, 1}, 1},
      {{2, 1, 4, 4}, {32, 1, 3, 3}, {1, 1}, {1, 1}, 1},
  };
  const int threads = get_num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message()
                   << t << " threads, x " << IntArrayRef(c.x) << " w " << IntArrayRef(c.w));
      auto run = [&](DType dtype) {
        Tensor x = values(c.x, 0.3, dtype), w = values(c.w, 0.5, dtype);
        Tensor b = values({c.w[0]}, 0.7, dtype);
        Tensor out = conv2d(x, w, b, 1, c.padding, c.dilation, c.groups);
        const variable_list grads =
            autograd::grad({out}, {x, w, b}, {values(out.sizes(), 0.9, dtype).detach()});
        return std::vector<Tensor>{out, grads[0], grads[1], grads[2]};
      };
      const std::vector<Tensor> single = run(kFloat32), twice = run(kFloat64);
      const char* names[] = {"output", "input gradient", "weight gradient", "bias gradient"};
      for (size_t i = 0; i < single.size(); ++i) {
        // Sums of up to ~50,000 float32 products of values within [-1, 1]: the tolerance is
        // relative to the largest magnitude, far below what one wrong term adds.
        const double scale = twice[i].abs().max().item<double>();
        EXPECT_TRUE(testing::same_values(single[i].to(kFloat64), twice[i], 0, 1e-5 * scale))
            << names[i];
      }
    }
  }
  set_num_threads(threads);
}

TEST_P(ConvTest, NonContiguousInputsGiveTheSameResults) {
  Tensor x = values({2, 3, 6, 5}, 0.1, kFloat32), w = values({4, 3, 3, 2}, 0.2, kFloat32);
  Tensor b = values({4}, 0.3, kFloat32);
  Tensor out = conv2d(x, w, b, {2, 1}, 1);
  Tensor g = values(out.sizes(), 0.4, kFloat32).detach();
  out.backward(g);
  // The same values laid out NHWC and as a transposed weight, seen through permuted views.
  Tensor xt = x.detach().permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
  Tensor wt = w.detach().transpose(2, 3).contiguous().transpose(2, 3);
  xt.requires_grad_(), wt.requires_grad_();
  ASSERT_FALSE(xt.is_contiguous());
  ASSERT_FALSE(wt.is_contiguous());
  Tensor out2 = conv2d(xt, wt, b.detach(), {2, 1}, 1);
  out2.backward(g.transpose(2, 3).contiguous().transpose(2, 3));
  EXPECT_TRUE(same(out2, out));
  EXPECT_TRUE(same(xt.grad(), x.grad()));
  EXPECT_TRUE(same(wt.grad(), w.grad()));
}

TEST_P(ConvTest, EmptyBatch) {
  Tensor out = conv2d(zeros({0, 2, 5, 5}, options()), ones({3, 2, 3, 3}, options()));
  EXPECT_EQ(out.sizes().vec(), (testing::Shape{0, 3, 3, 3}));
}

TEST_P(ConvTest, Errors) {
  Tensor x = zeros({2, 3, 8, 8}, options()), w = zeros({6, 3, 3, 3}, options());
  EXPECT_AXON_ERROR(conv2d(zeros({3, 8}, options()), w),
                    "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                    "size: [3, 8]");
  EXPECT_AXON_ERROR(conv2d(x, zeros({6, 3, 3}, options())), "4-D weight");
  EXPECT_AXON_ERROR(conv2d(x, zeros({6, 2, 3, 3}, options())),
                    "Given groups=1, weight of size [6, 2, 3, 3], expected input[2, 3, 8, 8] to "
                    "have 2 channels, but got 3 channels instead");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 1, 0, 1, 2), "expected input[2, 3, 8, 8] to have 6 channels");
  EXPECT_AXON_ERROR(
      conv2d(zeros({2, 4, 8, 8}, options()), zeros({3, 2, 3, 3}, options()), {}, 1, 0, 1, 2),
      "Given groups=2, expected weight to be at least 2 and divisible by 2");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 1, 0, 1, 0), "non-positive groups is not supported");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 0), "non-positive stride is not supported");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, {1, -1}), "non-positive stride is not supported, got [1, -1]");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 1, -1), "negative padding is not supported");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 1, 0, 0), "non-positive dilation is not supported");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, {1, 1, 1}),
                    "expected stride to be a single integer value or a list of 2 values");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 1, std::vector<int64_t>{}),
                    "expected padding to be a single integer value");
  EXPECT_AXON_ERROR(conv2d(x, zeros({6, 3, 9, 9}, options())),
                    "Calculated padded input size per channel: (8 x 8). Kernel size: (9 x 9). "
                    "Kernel size can't be greater than actual input size");
  EXPECT_AXON_ERROR(conv2d(x, w, {}, 1, 0, 4),
                    "Calculated padded input size per channel: (8 x 8). Kernel size: (9 x 9)");
  EXPECT_AXON_ERROR(conv2d(x, w, zeros({5}, options())),
                    "expected bias to be 1-dimensional with 6 elements, but got bias of size [5]");
  EXPECT_AXON_ERROR(conv2d(x, w, zeros({6, 1}, options())), "expected bias to be 1-dimensional");
  EXPECT_AXON_ERROR(conv2d(x, w.to(kFloat64)),
                    "expected input and weight to have the same dtype, but got float32 and "
                    "float64");
  EXPECT_AXON_ERROR(conv2d(x, w, zeros({6}, options(kFloat64))),
                    "expected input and bias to have the same dtype, but got float32 and float64");
  EXPECT_AXON_ERROR(conv2d(x.to(kInt64), w.to(kInt64)), "conv2d: not implemented for int64");
  EXPECT_AXON_ERROR(conv2d(Tensor(), w), "conv2d: input is an undefined tensor");
  EXPECT_AXON_ERROR(conv2d(x, Tensor()), "conv2d: weight is an undefined tensor");
}

// Tensors on two devices (only where a second device exists).
TEST_P(ConvTest, DeviceMismatch) {
  if (device().type() == kCPU) GTEST_SKIP() << "needs a second device";
  Tensor x = zeros({1, 1, 4, 4}, options()), w = zeros({1, 1, 3, 3});
  EXPECT_AXON_ERROR(conv2d(x, w), "expected all tensors to be on the same device");
  EXPECT_AXON_ERROR(conv2d(x, w.to(device()), zeros({1})),
                    "expected all tensors to be on the same device");
}

AXON_INSTANTIATE_DEVICE_TEST(ConvTest);

}  // namespace
}  // namespace axon
