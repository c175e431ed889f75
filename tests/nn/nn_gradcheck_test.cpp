// Gradient checks (float64 central differences against the analytic backward) for every nn
// layer and loss: Linear, Conv2d, the pooling layers, BatchNorm1d/2d, every activation, and each
// loss with each reduction. Inputs stay away from kinks (no zero differences for l1/relu, no
// |x - y| at beta/delta, no ties under max pooling), so that the finite differences are valid.
#include <functional>
#include <string>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

namespace F = nn::functional;
using Fn = std::function<Tensor(const variable_list&)>;
using testing::Shape;

constexpr Reduction::Reduction kReductions[] = {kNone, kMean, kSum};
const char* reduction_name(Reduction::Reduction r) {
  return r == kNone ? "none" : r == kMean ? "mean" : "sum";
}

// gradcheck with raise_exception, so that a failure says which element disagreed.
::testing::AssertionResult grad_ok(const Fn& fn, const variable_list& inputs) {
  GradcheckOptions options;
  options.raise_exception = true;
  try {
    if (gradcheck(fn, inputs, options)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "gradcheck returned false";
  } catch (const Error& e) {
    return ::testing::AssertionFailure() << e.what();
  }
}

class NNGradcheck : public testing::DeviceTest {
 protected:
  // Values uniform in [lo, hi) from a fixed seed, as a float64 leaf that requires grad.
  Tensor uniform(IntArrayRef shape, uint64_t seed, double lo = -2, double hi = 2) const {
    manual_seed(seed);
    return (rand(shape, options(kFloat64)) * (hi - lo) + lo).detach().requires_grad_();
  }
  // Values with 0.1 <= |x| < 2: away from the kink at 0 of relu, leaky_relu, elu and abs.
  Tensor nonzero(IntArrayRef shape, uint64_t seed) const {
    manual_seed(seed);
    const Tensor u = rand(shape, options(kFloat64)) * 3.8 - 1.9;
    return (u + sign(u) * 0.1).detach().requires_grad_();
  }
  // Distinct values (a permutation of multiples of 0.1): max pooling has no ties, and a 1e-6
  // step never changes which element is the maximum.
  Tensor distinct(IntArrayRef shape, uint64_t seed) const {
    manual_seed(seed);
    const int64_t n = product(shape);
    return ((randperm(n, options(kFloat64)) - n / 2) * 0.1).view(shape).detach().requires_grad_();
  }
  Tensor constant(const TensorData& data) const { return tensor(data, options(kFloat64)); }
  Tensor classes(const TensorData& data) const { return tensor(data, options(kInt64)); }
};

// ---- layers ---------------------------------------------------------------------------------

TEST_P(NNGradcheck, Linear) {
  nn::Linear linear(4, 3);
  linear->to(device(), kFloat64);
  const Fn fn = [&](const variable_list& v) { return linear(v[0]); };
  EXPECT_TRUE(grad_ok(fn, {uniform({2, 4}, 1), linear->weight, linear->bias}));
  EXPECT_TRUE(grad_ok(fn, {uniform({2, 3, 4}, 2), linear->weight, linear->bias}));  // batch dims
  nn::Linear no_bias(nn::LinearOptions(3, 2).bias(false));
  no_bias->to(device(), kFloat64);
  EXPECT_TRUE(grad_ok([&](const variable_list& v) { return no_bias(v[0]); },
                      {uniform({3}, 3), no_bias->weight}));  // unbatched
}

TEST_P(NNGradcheck, Conv2dWithStridePaddingDilationAndGroups) {
  struct Case {
    const char* name;
    Shape input, weight;
    Shape stride, padding, dilation;
    int64_t groups;
  };
  const Case cases[] = {
      {"plain", {2, 2, 5, 4}, {3, 2, 3, 2}, {1}, {0}, {1}, 1},
      {"stride (2, 1), padding (1, 2)", {1, 2, 5, 5}, {2, 2, 3, 3}, {2, 1}, {1, 2}, {1}, 1},
      {"dilation 2, padding 1", {1, 1, 6, 5}, {2, 1, 2, 3}, {1}, {1}, {2}, 1},
      {"groups 2, stride 2", {2, 4, 5, 4}, {4, 2, 2, 2}, {2}, {0}, {1}, 2},
      {"depthwise, all options", {1, 3, 6, 6}, {3, 1, 3, 2}, {2, 1}, {1, 1}, {2, 1}, 3},
      {"unbatched", {2, 4, 3}, {2, 2, 2, 2}, {1}, {0}, {1}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Tensor x = uniform(c.input, 10);
    const Tensor w = uniform(c.weight, 11);
    const Tensor b = uniform({c.weight[0]}, 12);
    EXPECT_TRUE(grad_ok(
        [&](const variable_list& v) {
          return F::conv2d(v[0], v[1],
                           F::Conv2dFuncOptions()
                               .bias(v[2])
                               .stride({c.stride[0], c.stride.back()})
                               .padding({c.padding[0], c.padding.back()})
                               .dilation({c.dilation[0], c.dilation.back()})
                               .groups(c.groups));
        },
        {x, w, b}));
  }
  nn::Conv2d conv(nn::Conv2dOptions(2, 4, {2, 3}).stride(2).padding(1).groups(2));
  conv->to(device(), kFloat64);
  EXPECT_TRUE(grad_ok([&](const variable_list& v) { return conv(v[0]); },
                      {uniform({1, 2, 4, 5}, 13), conv->weight, conv->bias}));
}

TEST_P(NNGradcheck, MaxPool2dWithoutTies) {
  const Tensor x = distinct({2, 2, 6, 5}, 20);
  nn::MaxPool2d pool(2);
  EXPECT_TRUE(grad_ok([&](const variable_list& v) { return pool(v[0]); }, {x}));
  nn::MaxPool2d overlapping(nn::MaxPool2dOptions(3).stride(2).padding(1).ceil_mode(true));
  EXPECT_TRUE(grad_ok([&](const variable_list& v) { return overlapping(v[0]); }, {x}));
  nn::MaxPool2d dilated(nn::MaxPool2dOptions({2, 3}).stride(1).dilation({2, 1}));
  EXPECT_TRUE(grad_ok([&](const variable_list& v) { return dilated(v[0]); }, {x}));
  EXPECT_TRUE(grad_ok([&](const variable_list& v) { return pool(v[0]); },
                      {distinct({3, 4, 4}, 21)}));  // unbatched
}

TEST_P(NNGradcheck, AvgPool2d) {
  const Tensor x = uniform({2, 2, 5, 6}, 30);
  const nn::AvgPool2dOptions variants[] = {
      nn::AvgPool2dOptions(2),
      nn::AvgPool2dOptions(3).stride(2).padding(1),
      nn::AvgPool2dOptions(3).stride(2).padding(1).count_include_pad(false).ceil_mode(true),
      nn::AvgPool2dOptions({2, 3}).stride({1, 2}).divisor_override(4),
  };
  for (const nn::AvgPool2dOptions& options : variants) {
    nn::AvgPool2d pool(options);
    SCOPED_TRACE(pool->extra_repr());
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return pool(v[0]); }, {x}));
  }
}

TEST_P(NNGradcheck, AdaptiveAvgPool2d) {
  const Tensor x = uniform({2, 2, 5, 7}, 40);
  for (const Shape& size : {Shape{3, 2}, Shape{1, 1}, Shape{5, 7}, Shape{4, 3}}) {
    nn::AdaptiveAvgPool2d pool(nn::AdaptiveAvgPool2dOptions({size[0], size[1]}));
    SCOPED_TRACE(pool->extra_repr());
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return pool(v[0]); }, {x}));
  }
}

// Train mode normalises with the batch's statistics, which depend on every input: the full
// Jacobian checks that coupling. Eval mode is an affine map with the running statistics.
template <typename BatchNorm>
void check_batchnorm(BatchNorm& bn, const Tensor& x, Device device) {
  bn->to(device, kFloat64);
  variable_list inputs{x};
  if (bn->options.affine()) {
    NoGradGuard no_grad;
    bn->weight.copy_(arange(1, bn->weight.numel() + 1, bn->weight.options()) * 0.5);
    bn->bias.copy_(arange(bn->bias.numel(), bn->bias.options()) - 1);
    inputs.insert(inputs.end(), {bn->weight, bn->bias});
  }
  const Fn fn = [&](const variable_list& v) { return bn->forward(v[0]); };
  EXPECT_TRUE(grad_ok(fn, inputs)) << "train";
  if (!bn->options.track_running_stats()) return;
  bn->eval();
  EXPECT_TRUE(grad_ok(fn, inputs)) << "eval";
  bn->train();
}

TEST_P(NNGradcheck, BatchNorm1dAndBatchNorm2d) {
  {
    nn::BatchNorm1d bn(3);
    check_batchnorm(bn, uniform({4, 3}, 50), device());
    check_batchnorm(bn, uniform({2, 3, 4}, 51), device());
  }
  {
    nn::BatchNorm1d bn(nn::BatchNormOptions(3).affine(false).momentum(std::nullopt));
    check_batchnorm(bn, uniform({5, 3}, 52), device());
  }
  {
    nn::BatchNorm2d bn(2);
    check_batchnorm(bn, uniform({2, 2, 3, 3}, 53), device());
  }
  {
    nn::BatchNorm2d bn(nn::BatchNormOptions(2).track_running_stats(false).eps(1e-3));
    check_batchnorm(bn, uniform({3, 2, 2, 2}, 54), device());
  }
}

// ---- activations ----------------------------------------------------------------------------

TEST_P(NNGradcheck, EveryActivation) {
  const Tensor x = nonzero({3, 4}, 60);
  const std::vector<std::pair<std::string, Fn>> activations = {
      {"ReLU", [m = nn::ReLU()](const variable_list& v) mutable { return m(v[0]); }},
      {"LeakyReLU", [m = nn::LeakyReLU()](const variable_list& v) mutable { return m(v[0]); }},
      {"LeakyReLU 0.2", [m = nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2))](
                            const variable_list& v) mutable { return m(v[0]); }},
      {"ELU", [m = nn::ELU()](const variable_list& v) mutable { return m(v[0]); }},
      {"ELU 0.5", [m = nn::ELU(nn::ELUOptions().alpha(0.5))](
                      const variable_list& v) mutable { return m(v[0]); }},
      {"GELU", [m = nn::GELU()](const variable_list& v) mutable { return m(v[0]); }},
      {"GELU tanh", [m = nn::GELU(nn::GELUOptions().approximate("tanh"))](
                        const variable_list& v) mutable { return m(v[0]); }},
      {"SiLU", [m = nn::SiLU()](const variable_list& v) mutable { return m(v[0]); }},
      {"Sigmoid", [m = nn::Sigmoid()](const variable_list& v) mutable { return m(v[0]); }},
      {"Tanh", [m = nn::Tanh()](const variable_list& v) mutable { return m(v[0]); }},
      {"LogSigmoid", [m = nn::LogSigmoid()](const variable_list& v) mutable { return m(v[0]); }},
  };
  for (const auto& [name, fn] : activations) EXPECT_TRUE(grad_ok(fn, {x})) << name;
  const Tensor y = uniform({2, 3, 4}, 61);
  for (int64_t dim : {0, 1, 2, -1}) {
    nn::Softmax softmax(dim);
    nn::LogSoftmax log_softmax(dim);
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return softmax(v[0]); }, {y})) << dim;
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return log_softmax(v[0]); }, {y})) << dim;
  }
}

// ---- losses, each with each reduction -------------------------------------------------------

// Differences input - target of 0.15 to 2.4 in size, none within 0.05 of beta = 0.5 or
// delta = 1 (the kinks of smooth_l1 and huber) or of 0 (l1's).
class NNLossGradcheck : public NNGradcheck {
 protected:
  Tensor input() const { return uniform({2, 5}, 70); }
  Tensor target_of(const Tensor& input) const {
    const Tensor diff = constant({{-2.1, -1.3, -0.7, -0.35, 0.15}, {0.3, 0.8, 1.2, 2.4, -0.2}});
    return (input.detach() - diff).requires_grad_();
  }
};

TEST_P(NNLossGradcheck, PointwiseLosses) {
  const Tensor x = input(), y = target_of(x);
  for (Reduction::Reduction r : kReductions) {
    SCOPED_TRACE(reduction_name(r));
    nn::MSELoss mse(r);
    nn::L1Loss l1(r);
    nn::SmoothL1Loss smooth_l1(nn::SmoothL1LossOptions(r).beta(0.5));
    nn::SmoothL1Loss smooth_l1_default(r);
    nn::HuberLoss huber(r);
    nn::HuberLoss huber_wide(nn::HuberLossOptions(r).delta(1.5));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return mse(v[0], v[1]); }, {x, y}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return l1(v[0], v[1]); }, {x, y}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return smooth_l1(v[0], v[1]); }, {x, y}));
    EXPECT_TRUE(
        grad_ok([&](const variable_list& v) { return smooth_l1_default(v[0], v[1]); }, {x, y}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return huber(v[0], v[1]); }, {x, y}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return huber_wide(v[0], v[1]); }, {x, y}));
  }
}

TEST_P(NNLossGradcheck, NLLLoss) {
  const Tensor log_probs = uniform({4, 3}, 71, -3, 0);
  const Tensor target = classes({2, 0, 1, 2});
  const Tensor weight = constant({0.5, 2.0, 1.25});
  const Tensor spatial = uniform({2, 3, 2, 2}, 72, -3, 0);
  const Tensor spatial_target = classes({{{0, 2}, {1, -1}}, {{2, 1}, {0, 0}}});
  for (Reduction::Reduction r : kReductions) {
    SCOPED_TRACE(reduction_name(r));
    nn::NLLLoss plain(nn::NLLLossOptions().reduction(r));
    nn::NLLLoss weighted(nn::NLLLossOptions().reduction(r).weight(weight).ignore_index(0));
    nn::NLLLoss spatial_loss(nn::NLLLossOptions().reduction(r).weight(weight).ignore_index(-1));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return plain(v[0], target); }, {log_probs}));
    EXPECT_TRUE(
        grad_ok([&](const variable_list& v) { return weighted(v[0], target); }, {log_probs}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return spatial_loss(v[0], spatial_target); },
                        {spatial}));
  }
}

TEST_P(NNLossGradcheck, CrossEntropyLoss) {
  const Tensor logits = uniform({4, 3}, 73);
  const Tensor target = classes({2, 0, 1, 2});
  const Tensor weight = constant({0.5, 2.0, 1.25});
  const Tensor probs = uniform({4, 3}, 74, 0, 1);
  const Tensor spatial = uniform({2, 3, 2, 2}, 75);
  const Tensor spatial_target = classes({{{0, 2}, {1, -1}}, {{2, 1}, {0, 0}}});
  for (Reduction::Reduction r : kReductions) {
    SCOPED_TRACE(reduction_name(r));
    const auto options = [r] { return nn::CrossEntropyLossOptions().reduction(r); };
    nn::CrossEntropyLoss plain(options());
    nn::CrossEntropyLoss weighted(options().weight(weight));
    nn::CrossEntropyLoss ignoring(options().ignore_index(2));
    nn::CrossEntropyLoss smoothed(options().label_smoothing(0.2));
    nn::CrossEntropyLoss everything(options().weight(weight).ignore_index(0).label_smoothing(0.3));
    nn::CrossEntropyLoss spatial_loss(options().weight(weight).ignore_index(-1));
    nn::CrossEntropyLoss soft(options().weight(weight).label_smoothing(0.1));
    for (auto* loss : {&plain, &weighted, &ignoring, &smoothed, &everything}) {
      EXPECT_TRUE(grad_ok([&](const variable_list& v) { return (*loss)(v[0], target); }, {logits}))
          << (*loss)->options.ignore_index() << " " << (*loss)->options.label_smoothing();
    }
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return spatial_loss(v[0], spatial_target); },
                        {spatial}));
    // Probability targets: differentiable in the target too.
    EXPECT_TRUE(
        grad_ok([&](const variable_list& v) { return plain(v[0], v[1]); }, {logits, probs}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return soft(v[0], v[1]); }, {logits, probs}));
  }
}

TEST_P(NNLossGradcheck, BCELoss) {
  const Tensor p = uniform({3, 4}, 76, 0.1, 0.9);  // log(x) and log(1 - x) far from the clamp
  const Tensor y = uniform({3, 4}, 77, 0, 1);
  const Tensor weight = uniform({3, 4}, 78, 0.5, 2).detach();
  for (Reduction::Reduction r : kReductions) {
    SCOPED_TRACE(reduction_name(r));
    nn::BCELoss plain(nn::BCELossOptions().reduction(r));
    nn::BCELoss weighted(nn::BCELossOptions().reduction(r).weight(weight));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return plain(v[0], v[1]); }, {p, y}));
    EXPECT_TRUE(grad_ok([&](const variable_list& v) { return weighted(v[0], v[1]); }, {p, y}));
  }
}

TEST_P(NNLossGradcheck, BCEWithLogitsLoss) {
  Tensor x = uniform({3, 4}, 79, -4, 4);
  {
    NoGradGuard no_grad;
    x.select(0, 1).fill_(0);  // zero logits: smooth there, and a past bug
  }
  const Tensor y = uniform({3, 4}, 80, 0, 1);
  const Tensor weight = uniform({3, 4}, 81, 0.5, 2).detach();
  const Tensor pos_weight = constant({0.5, 1.0, 2.0, 3.5});
  for (Reduction::Reduction r : kReductions) {
    SCOPED_TRACE(reduction_name(r));
    const auto options = [r] { return nn::BCEWithLogitsLossOptions().reduction(r); };
    nn::BCEWithLogitsLoss plain(options());
    nn::BCEWithLogitsLoss weighted(options().weight(weight));
    nn::BCEWithLogitsLoss positive(options().pos_weight(pos_weight));
    nn::BCEWithLogitsLoss both(options().weight(weight).pos_weight(pos_weight));
    for (auto* loss : {&plain, &weighted, &positive, &both}) {
      EXPECT_TRUE(grad_ok([&](const variable_list& v) { return (*loss)(v[0], v[1]); }, {x, y}));
    }
  }
}

AXON_INSTANTIATE_DEVICE_TEST(NNGradcheck);
AXON_INSTANTIATE_DEVICE_TEST(NNLossGradcheck);

}  // namespace
}  // namespace axon
