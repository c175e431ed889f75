// Custom autograd functions (axon/autograd/function.h), written as LibTorch users write them:
// struct F : Function<F> with static forward(AutogradContext*, ...) and backward(ctx, grads).
//
// Expected gradients follow from exact arithmetic on small integers and binary fractions; the
// derivation is in the comment beside each.
#include <string>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using autograd::AutogradContext;
using autograd::Function;
using autograd::variable_list;
using testing::approx;
using testing::same;

// The example of the header: relu with its own backward.
struct MyReLU : Function<MyReLU> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x.clamp_min(0);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    Tensor x = ctx->get_saved_variables()[0];
    return {grads[0] * (x > 0)};
  }
};

// x * factor, with a non-tensor argument whose gradient is an undefined tensor.
struct ScaleBy : Function<ScaleBy> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double factor) {
    ctx->saved_data["factor"] = factor;
    return x * factor;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0] * ctx->saved_data["factor"].toDouble(), Tensor()};
  }
};

// Like ScaleBy but returns a gradient for the double argument.
struct ScaleByWithBogusGrad : Function<ScaleByWithBogusGrad> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor x, double factor) { return x * factor; }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0], grads[0]};
  }
};

// What the backward of SavedDataKinds found in saved_data.
struct SavedDataSeen {
  Tensor tensor;
  double real = 0;
  int64_t integer = 0;
  double integer_as_double = 0;
  bool flag = false;
  std::string text;
  std::vector<int64_t> sizes;
  bool tensor_is_tensor = false;
  bool real_is_int = true;
};
SavedDataSeen g_saved_data_seen;

// Keeps one value of every IValue kind and reads them back in backward.
struct SavedDataKinds : Function<SavedDataKinds> {
  static Tensor forward(AutogradContext* ctx, Tensor x, Tensor weight) {
    ctx->saved_data["weight"] = weight;
    ctx->saved_data["real"] = 2.5;
    ctx->saved_data["integer"] = 3;
    ctx->saved_data["flag"] = true;
    ctx->saved_data["text"] = "scale";
    ctx->saved_data["sizes"] = std::vector<int64_t>(x.sizes().begin(), x.sizes().end());
    return x * weight * 2.5 * 3;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    SavedDataSeen& seen = g_saved_data_seen;
    seen.tensor = ctx->saved_data["weight"].toTensor();
    seen.tensor_is_tensor = ctx->saved_data["weight"].isTensor();
    seen.real = ctx->saved_data["real"].toDouble();
    seen.real_is_int = ctx->saved_data["real"].isInt();
    seen.integer = ctx->saved_data["integer"].toInt();
    seen.integer_as_double = ctx->saved_data["integer"].toDouble();
    seen.flag = ctx->saved_data["flag"].toBool();
    seen.text = ctx->saved_data["text"].toStringRef();
    seen.sizes = ctx->saved_data["sizes"].toIntVector();
    Tensor g = grads[0] * seen.tensor * (seen.real * static_cast<double>(seen.integer));
    return {g, Tensor()};
  }
};

// Two tensor inputs, two outputs: (a + b, a * b).
struct SumAndProduct : Function<SumAndProduct> {
  static variable_list forward(AutogradContext* ctx, Tensor a, Tensor b) {
    ctx->save_for_backward({a, b});
    return {a + b, a * b};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list saved = ctx->get_saved_variables();
    const Tensor& a = saved[0];
    const Tensor& b = saved[1];
    // d(a+b) = da + db; d(ab) = b da + a db
    return {grads[0] + grads[1] * b, grads[0] + grads[1] * a};
  }
};

// Like SumAndProduct but with materialize_grads off; records which gradients were defined.
std::vector<bool> g_defined_grads;
struct SumAndProductNoMaterialize : Function<SumAndProductNoMaterialize> {
  static variable_list forward(AutogradContext* ctx, Tensor a, Tensor b) {
    ctx->set_materialize_grads(false);
    ctx->save_for_backward({a, b});
    return {a + b, a * b};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    g_defined_grads = {grads[0].defined(), grads[1].defined()};
    variable_list saved = ctx->get_saved_variables();
    Tensor ga = zeros_like(saved[0]), gb = zeros_like(saved[1]);
    if (grads[0].defined()) {
      ga = ga + grads[0];
      gb = gb + grads[0];
    }
    if (grads[1].defined()) {
      ga = ga + grads[1] * saved[1];
      gb = gb + grads[1] * saved[0];
    }
    return {ga, gb};
  }
};

// Doubles its input and returns a mask of the positive elements, which has no gradient.
struct DoubleWithMask : Function<DoubleWithMask> {
  static variable_list forward(AutogradContext* ctx, Tensor x) {
    Tensor mask = (x > 0).to(x.dtype());
    ctx->mark_non_differentiable({mask});
    return {x * 2, mask};
  }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0] * 2};
  }
};

// Records needs_input_grad in forward and backward; returns only the gradients asked for.
std::vector<bool> g_needs_in_forward;
std::vector<bool> g_needs_in_backward;
struct NeedsInputGradProbe : Function<NeedsInputGradProbe> {
  static Tensor forward(AutogradContext* ctx, Tensor a, double scale, Tensor b) {
    g_needs_in_forward = {ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    ctx->saved_data["scale"] = scale;
    return (a + b) * scale;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    g_needs_in_backward = {ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    double scale = ctx->saved_data["scale"].toDouble();
    Tensor ga = ctx->needs_input_grad(0) ? grads[0] * scale : Tensor();
    Tensor gb = ctx->needs_input_grad(1) ? grads[0] * scale : Tensor();
    return {ga, Tensor(), gb};
  }
};

// Returns one gradient for its two inputs.
struct TooFewGradients : Function<TooFewGradients> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor a, Tensor b) { return a * b; }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0]};
  }
};

// Returns a gradient of shape [3] for an input of shape [2].
struct WrongShapeGradient : Function<WrongShapeGradient> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor x) { return x * 2; }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {ones({3}, grads[0].options())};
  }
};

// Returns a gradient of shape [2, 2] for an input of shape [2]: a broadcastable gradient is
// summed to the input's shape, as LibTorch's validate_outputs does.
struct BroadcastGradient : Function<BroadcastGradient> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor x) { return x.sum(); }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0] * ones({2, 2}, grads[0].options())};
  }
};

// Reports the grad mode forward ran in and whether its intermediate required grad.
bool g_forward_grad_mode = true;
bool g_forward_intermediate_requires_grad = true;
struct GradModeProbe : Function<GradModeProbe> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor x) {
    g_forward_grad_mode = GradMode::is_enabled();
    Tensor y = x * 3;
    g_forward_intermediate_requires_grad = y.requires_grad();
    return y;
  }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0] * 3};
  }
};

// Saves its output (as exp does) and uses it in backward.
struct MyExp : Function<MyExp> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    Tensor y = x.exp();
    ctx->save_for_backward({y});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0]};
  }
};

// Returns its input unchanged.
struct Identity : Function<Identity> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor x) { return x; }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0] * 5};  // not the true derivative: shows that this node ran
  }
};

// Doubles its input in place and says so with mark_dirty.
struct DoubleInPlace : Function<DoubleInPlace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2);
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0] * 2};
  }
};

// Takes a list of tensors; returns their sum.
struct SumList : Function<SumList> {
  static Tensor forward(AutogradContext* /*ctx*/, variable_list xs) {
    Tensor total = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) total = total + xs[i];
    return total;
  }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0], grads[0] * 2, grads[0] * 3};  // deliberately distinct per input
  }
};

class CustomFunctionTest : public testing::Float64DeviceTest {};

TEST_P(CustomFunctionTest, MyReLUComputesForwardAndBackward) {
  Tensor x = leaf({-1.0, 2.0, -3.0, 4.0});
  Tensor y = MyReLU::apply(x);
  EXPECT_TRUE(same(y, ref({0.0, 2.0, 0.0, 4.0})));
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(y.is_leaf());
  y.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({0.0, 1.0, 0.0, 1.0})));
}

TEST_P(CustomFunctionTest, GradFnIsNamedAfterTheStructWithBackward) {
  Tensor x = leaf({1.0});
  EXPECT_EQ(MyReLU::apply(x).grad_fn()->name(), "MyReLUBackward");
  EXPECT_EQ(ScaleBy::apply(x, 2.0).grad_fn()->name(), "ScaleByBackward");
}

TEST_P(CustomFunctionTest, ComposesWithBuiltInOps) {
  Tensor x = leaf({-1.0, 2.0});
  Tensor y = MyReLU::apply(x * 3 - 1) * x;  // relu(3x - 1) * x
  y.sum().backward();
  // x = -1: relu is 0 and inactive -> 0; x = 2: d/dx (3x - 1) x = 6x - 1 = 11
  EXPECT_TRUE(same(x.grad(), ref({0.0, 11.0})));
}

TEST_P(CustomFunctionTest, SavedDataKeepsTensorsDoublesIntsBoolsAndStrings) {
  g_saved_data_seen = {};
  Tensor x = leaf({1.0, 2.0});
  Tensor w = make({4.0, 8.0});
  Tensor y = SavedDataKinds::apply(x, w);
  EXPECT_TRUE(same(y, ref({30.0, 120.0})));  // x * w * 7.5
  y.sum().backward();
  const SavedDataSeen& seen = g_saved_data_seen;
  EXPECT_TRUE(seen.tensor_is_tensor);
  EXPECT_TRUE(same(seen.tensor, ref({4.0, 8.0})));
  EXPECT_EQ(seen.real, 2.5);
  EXPECT_FALSE(seen.real_is_int);
  EXPECT_EQ(seen.integer, 3);
  EXPECT_EQ(seen.integer_as_double, 3.0);
  EXPECT_TRUE(seen.flag);
  EXPECT_EQ(seen.text, "scale");
  EXPECT_EQ(seen.sizes, std::vector<int64_t>({2}));
  EXPECT_TRUE(same(x.grad(), ref({30.0, 60.0})));  // w * 7.5
  EXPECT_FALSE(w.grad().defined());
}

TEST_P(CustomFunctionTest, IValueReadingTheWrongKindThrows) {
  autograd::IValue number(2.5);
  EXPECT_TRUE(number.isDouble());
  EXPECT_FALSE(number.isTensor());
  EXPECT_AXON_ERROR(number.toInt(), "IValue: expected a int");
  EXPECT_AXON_ERROR(number.toTensor(), "IValue: expected a Tensor");
  EXPECT_AXON_ERROR(autograd::IValue("text").toBool(), "IValue: expected a bool");
  autograd::IValue none;
  EXPECT_TRUE(none.isNone());
  EXPECT_AXON_ERROR(none.toDouble(), "IValue: expected a double");
}

TEST_P(CustomFunctionTest, NonTensorArgumentGetsAnUndefinedGradient) {
  Tensor x = leaf({1.0, -2.0});
  Tensor y = ScaleBy::apply(x, 1.5);
  EXPECT_TRUE(same(y, ref({1.5, -3.0})));
  // One edge per tensor argument: the double has none.
  EXPECT_EQ(y.grad_fn()->num_outputs(), 1u);
  y.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({1.5, 1.5})));
}

TEST_P(CustomFunctionTest, ADefinedGradientForANonTensorArgumentThrows) {
  Tensor x = leaf({1.0});
  Tensor y = ScaleByWithBogusGrad::apply(x, 2.0);
  EXPECT_AXON_ERROR(y.sum().backward(), "ScaleByWithBogusGradBackward");
  Tensor y2 = ScaleByWithBogusGrad::apply(x, 2.0);
  EXPECT_AXON_ERROR(y2.sum().backward(), "forward input was not a Tensor");
}

TEST_P(CustomFunctionTest, TwoInputsAndTwoOutputs) {
  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({3.0, 5.0});
  variable_list outs = SumAndProduct::apply(a, b);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_TRUE(same(outs[0], ref({4.0, 7.0})));
  EXPECT_TRUE(same(outs[1], ref({3.0, 10.0})));
  EXPECT_EQ(outs[0].grad_fn(), outs[1].grad_fn());
  EXPECT_EQ(outs[0].output_nr(), 0u);
  EXPECT_EQ(outs[1].output_nr(), 1u);
  (outs[0] * 2 + outs[1] * 3).sum().backward();
  EXPECT_TRUE(same(a.grad(), ref({11.0, 17.0})));  // 2 + 3b
  EXPECT_TRUE(same(b.grad(), ref({5.0, 8.0})));    // 2 + 3a
}

TEST_P(CustomFunctionTest, GradientsOfUnusedOutputsArriveAsZeros) {
  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({3.0, 5.0});
  variable_list outs = SumAndProduct::apply(a, b);
  outs[1].sum().backward();  // outs[0] unused: its gradient is materialized as zeros
  EXPECT_TRUE(same(a.grad(), ref({3.0, 5.0})));  // b
  EXPECT_TRUE(same(b.grad(), ref({1.0, 2.0})));  // a
}

TEST_P(CustomFunctionTest, WithoutMaterializeGradsUnusedOutputsGetUndefinedGradients) {
  g_defined_grads.clear();
  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({3.0, 5.0});
  variable_list outs = SumAndProductNoMaterialize::apply(a, b);
  outs[0].sum().backward();
  EXPECT_EQ(g_defined_grads, std::vector<bool>({true, false}));
  EXPECT_TRUE(same(a.grad(), ref({1.0, 1.0})));
  EXPECT_TRUE(same(b.grad(), ref({1.0, 1.0})));
}

TEST_P(CustomFunctionTest, MarkNonDifferentiableOutputsDoNotRequireGrad) {
  Tensor x = leaf({-1.0, 2.0});
  variable_list outs = DoubleWithMask::apply(x);
  EXPECT_TRUE(outs[0].requires_grad());
  EXPECT_FALSE(outs[1].requires_grad());
  EXPECT_EQ(outs[1].grad_fn(), nullptr);
  EXPECT_TRUE(same(outs[1], ref({0.0, 1.0})));
  EXPECT_AXON_ERROR(outs[1].sum().backward(), "does not require grad");
  (outs[0] * outs[1]).sum().backward();  // the mask acts as a constant
  EXPECT_TRUE(same(x.grad(), ref({0.0, 2.0})));
}

TEST_P(CustomFunctionTest, NeedsInputGradSaysWhichTensorInputsNeedAGradient) {
  g_needs_in_forward.clear();
  g_needs_in_backward.clear();
  Tensor a = leaf({1.0, 2.0});
  Tensor b = make({3.0, 4.0});  // needs no gradient
  // Indices count tensor arguments only, as LibTorch's edges do: 0 is a, 1 is b.
  Tensor y = NeedsInputGradProbe::apply(a, 0.5, b);
  EXPECT_EQ(g_needs_in_forward, std::vector<bool>({true, false}));
  y.sum().backward();
  EXPECT_EQ(g_needs_in_backward, std::vector<bool>({true, false}));
  EXPECT_TRUE(same(a.grad(), ref({0.5, 0.5})));
  EXPECT_FALSE(b.grad().defined());

  Tensor c = leaf({1.0});
  Tensor d = leaf({2.0});
  NeedsInputGradProbe::apply(c, 2.0, d).sum().backward();
  EXPECT_EQ(g_needs_in_forward, std::vector<bool>({true, true}));
  EXPECT_TRUE(same(c.grad(), ref({2.0})));
  EXPECT_TRUE(same(d.grad(), ref({2.0})));
}

TEST_P(CustomFunctionTest, NeedsInputGradIsFalseUnderNoGradGuard) {
  g_needs_in_forward.clear();
  Tensor a = leaf({1.0});
  Tensor b = leaf({2.0});
  NoGradGuard no_grad;
  Tensor y = NeedsInputGradProbe::apply(a, 1.0, b);
  EXPECT_EQ(g_needs_in_forward, std::vector<bool>({false, false}));
  EXPECT_FALSE(y.requires_grad());
}

TEST_P(CustomFunctionTest, ReturningTheWrongNumberOfGradientsThrows) {
  Tensor a = leaf({1.0});
  Tensor b = leaf({2.0});
  Tensor y = TooFewGradients::apply(a, b);
  EXPECT_AXON_ERROR(y.sum().backward(),
                    "function TooFewGradientsBackward returned an incorrect number of gradients "
                    "(expected 2, got 1)");
}

TEST_P(CustomFunctionTest, ReturningAWrongShapedGradientThrows) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = WrongShapeGradient::apply(x);
  EXPECT_AXON_ERROR(y.sum().backward(), "WrongShapeGradientBackward");
  Tensor y2 = WrongShapeGradient::apply(x);
  EXPECT_AXON_ERROR(y2.sum().backward(), "got [3] but expected shape compatible with [2]");
  EXPECT_FALSE(x.grad().defined());
}

TEST_P(CustomFunctionTest, ABroadcastableGradientIsSummedToTheInputShape) {
  Tensor x = leaf({1.0, 2.0});
  BroadcastGradient::apply(x).backward();
  EXPECT_TRUE(same(x.grad(), ref({2.0, 2.0})));  // ones([2, 2]) summed over the leading dim
}

TEST_P(CustomFunctionTest, ForwardRunsWithGradModeOff) {
  g_forward_grad_mode = true;
  g_forward_intermediate_requires_grad = true;
  Tensor x = leaf({1.0});
  Tensor y = GradModeProbe::apply(x);
  EXPECT_FALSE(g_forward_grad_mode);
  EXPECT_FALSE(g_forward_intermediate_requires_grad);
  EXPECT_TRUE(GradMode::is_enabled());  // restored after forward
  // The op inside forward recorded nothing: only the custom node is in the graph.
  EXPECT_EQ(y.grad_fn()->name(), "GradModeProbeBackward");
  EXPECT_EQ(y.grad_fn()->next_edge(0).function->name(), "AccumulateGrad");
}

TEST_P(CustomFunctionTest, InputsThatNeedNoGradientGiveAPlainResult) {
  Tensor x = make({-1.0, 2.0});
  Tensor y = MyReLU::apply(x);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_TRUE(same(y, ref({0.0, 2.0})));
  NoGradGuard no_grad;
  Tensor z = MyReLU::apply(leaf({1.0}));
  EXPECT_FALSE(z.requires_grad());
}

TEST_P(CustomFunctionTest, SavedInputsAreVersionChecked) {
  Tensor x = leaf({-1.0, 2.0});
  Tensor y = MyReLU::apply(x);
  {
    NoGradGuard no_grad;
    x.mul_(-1);
  }
  EXPECT_AXON_ERROR(y.sum().backward(),
                    "one of the variables needed for gradient computation has been modified by an "
                    "inplace operation");
}

TEST_P(CustomFunctionTest, SavedOutputsAreVersionChecked) {
  Tensor x = leaf({0.0, 1.0});
  Tensor y = MyExp::apply(x);
  Tensor z = y * 1;
  {
    NoGradGuard no_grad;
    y.add_(1);
  }
  EXPECT_AXON_ERROR(z.sum().backward(), "modified by an inplace operation");
}

TEST_P(CustomFunctionTest, SavedOutputsGiveTheRightGradient) {
  Tensor x = leaf({0.0, 1.0});
  MyExp::apply(x).sum().backward();
  EXPECT_TRUE(approx(x.grad(), ref({1.0, std::exp(1.0)}), 1e-15, 0));
}

TEST_P(CustomFunctionTest, SavedTensorsAreFreedAfterBackwardUnlessRetained) {
  Tensor x = leaf({-1.0, 2.0});
  Tensor y = MyReLU::apply(x).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  EXPECT_TRUE(same(x.grad(), ref({0.0, 2.0})));
  EXPECT_AXON_ERROR(y.backward(), "Trying to backward through the graph a second time");
}

TEST_P(CustomFunctionTest, ReturningAnInputUnchangedGivesANewNodeAndKeepsTheInputALeaf) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = Identity::apply(x);
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ(x.grad_fn(), nullptr);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "IdentityBackward");
  y.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({5.0, 5.0})));  // Identity's backward multiplies by 5
}

TEST_P(CustomFunctionTest, MarkDirtyGivesTheModifiedInputTheNewHistory) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 3;
  Tensor z = DoubleInPlace::apply(y);
  EXPECT_TRUE(same(y, ref({6.0, 12.0})));
  EXPECT_EQ(y.grad_fn()->name(), "DoubleInPlaceBackward");
  EXPECT_EQ(z.grad_fn()->name(), "DoubleInPlaceBackward");
  z.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({6.0, 6.0})));  // 3 * 2
}

TEST_P(CustomFunctionTest, MarkDirtyOnALeafThatRequiresGradThrows) {
  Tensor x = leaf({1.0, 2.0});
  EXPECT_AXON_ERROR(DoubleInPlace::apply(x),
                    "a leaf Variable that requires grad is being used in an in-place operation");
}

TEST_P(CustomFunctionTest, AListArgumentGivesOneGradientPerTensor) {
  Tensor a = leaf({1.0});
  Tensor b = leaf({2.0});
  Tensor c = leaf({3.0});
  Tensor y = SumList::apply(variable_list{a, b, c});
  EXPECT_TRUE(same(y, ref({6.0})));
  y.sum().backward();
  EXPECT_TRUE(same(a.grad(), ref({1.0})));
  EXPECT_TRUE(same(b.grad(), ref({2.0})));
  EXPECT_TRUE(same(c.grad(), ref({3.0})));
}

TEST_P(CustomFunctionTest, CreateGraphThroughACustomBackwardBuiltFromOps) {
  // ScaleBy's backward is grads * factor: with create_graph the gradient stays differentiable.
  Tensor x = leaf({1.0, 2.0});
  Tensor y = (ScaleBy::apply(x * x, 3.0)).sum();  // 3 x^2
  variable_list g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  EXPECT_TRUE(same(g[0], ref({6.0, 12.0})));  // 6x
  variable_list g2 = autograd::grad({g[0].sum()}, {x});
  EXPECT_TRUE(same(g2[0], ref({6.0, 6.0})));
}

AXON_INSTANTIATE_DEVICE_TEST(CustomFunctionTest);

}  // namespace
}  // namespace axon
