// The autograd engine (axon/autograd/engine.h, grad_mode.h and Tensor's autograd methods):
// requires_grad, backward, accumulation, retain_graph, grad mode, detach, autograd::grad,
// create_graph, retain_grad, the version counter and in-place ops, graph shapes, and gradients
// through views and joins.
//
// Expected gradients are exact (small integers and binary fractions; the derivation is in the
// comment beside them) or were printed by PyTorch 1.13 (/usr/bin/python3) from the expression
// in the comment above them.
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using autograd::variable_list;
using testing::approx;
using testing::same;

class AutogradEngineTest : public testing::Float64DeviceTest {};

// ---- requires_grad --------------------------------------------------------------------------

TEST_P(AutogradEngineTest, RequiresGradIsOffByDefaultAndSetByRequiresGradUnderscore) {
  Tensor x = make({1.0, 2.0});
  EXPECT_FALSE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
  const Tensor& same_handle = x.requires_grad_();  // const, as in LibTorch
  EXPECT_TRUE(same_handle.is_same(x));
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
  x.requires_grad_(false);
  EXPECT_FALSE(x.requires_grad());
  x.set_requires_grad(true);
  EXPECT_TRUE(x.requires_grad());
}

TEST_P(AutogradEngineTest, FactoryOptionRequiresGradMakesALeafThatRequiresGrad) {
  Tensor x = zeros({2, 3}, options(kFloat32).requires_grad(true));
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ(x.grad_fn(), nullptr);
  EXPECT_FALSE(x.grad().defined());
}

TEST_P(AutogradEngineTest, OnlyFloatingTensorsCanRequireGrad) {
  Tensor i = make({1, 2, 3}, kInt64);
  EXPECT_AXON_ERROR(i.requires_grad_(),
                    "only Tensors of floating point dtype can require gradients");
  EXPECT_AXON_ERROR(i.requires_grad_(), "int64");
  Tensor b = make({true, false}, kBool);
  EXPECT_AXON_ERROR(b.requires_grad_(true), "only Tensors of floating point dtype");
  EXPECT_AXON_ERROR(zeros({2}, options(kInt64).requires_grad(true)),
                    "only Tensors of floating point dtype can require gradients");
  // Turning it off is always allowed.
  i.requires_grad_(false);
  EXPECT_FALSE(i.requires_grad());
}

TEST_P(AutogradEngineTest, RequiresGradFlagOfANonLeafCannotBeCleared) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2;
  EXPECT_TRUE(y.requires_grad());
  EXPECT_AXON_ERROR(y.requires_grad_(false),
                    "you can only change requires_grad flags of leaf variables");
}

TEST_P(AutogradEngineTest, ResultsRequireGradOnlyWhenAnInputDoes) {
  Tensor a = make({1.0, 2.0});
  Tensor b = make({3.0, 4.0});
  Tensor c = a * b;
  EXPECT_FALSE(c.requires_grad());
  EXPECT_TRUE(c.is_leaf());
  EXPECT_EQ(c.grad_fn(), nullptr);
  b.requires_grad_();
  Tensor d = a * b;
  EXPECT_TRUE(d.requires_grad());
  EXPECT_FALSE(d.is_leaf());
  ASSERT_NE(d.grad_fn(), nullptr);
}

TEST_P(AutogradEngineTest, ComparisonsAndArgReductionsGiveTensorsWithoutGrad) {
  Tensor x = leaf({1.5, -2.5});
  EXPECT_FALSE((x > 0).requires_grad());
  EXPECT_FALSE(x.argmax().requires_grad());
  EXPECT_FALSE(std::get<1>(x.max(0)).requires_grad());
  EXPECT_TRUE(std::get<0>(x.max(0)).requires_grad());
}

TEST_P(AutogradEngineTest, ConvertingToAnIntegerDtypeGivesATensorWithoutGrad) {
  // torch: torch.tensor([1.5, -2.5], requires_grad=True).to(torch.int64)
  //        -> tensor([ 1, -2]), requires_grad False
  Tensor x = leaf({1.5, -2.5});
  Tensor i;
  EXPECT_NO_THROW(i = x.to(kInt64));
  ASSERT_TRUE(i.defined());
  EXPECT_FALSE(i.requires_grad());
  EXPECT_TRUE(i.equal(tensor({1, -2}, options(kInt64))));
}

// ---- backward -------------------------------------------------------------------------------

TEST_P(AutogradEngineTest, BackwardOnAScalarFillsLeafGrads) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  (x * x).sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().device(), x.device());
  EXPECT_EQ(x.grad().dtype(), kFloat64);
  EXPECT_TRUE(same(x.grad(), ref({2.0, 4.0, 6.0})));  // d/dx sum(x^2) = 2x
}

TEST_P(AutogradEngineTest, BackwardOnAOneElementNonZeroDimTensorNeedsNoGradient) {
  Tensor x = leaf({{2.0}});
  (x * 3).backward();  // numel 1: the gradient is implicitly ones
  EXPECT_TRUE(same(x.grad(), ref({{3.0}})));
}

TEST_P(AutogradEngineTest, BackwardWithAGradientOnANonScalar) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 3;
  y.backward(make({1.0, 10.0, 100.0}));
  EXPECT_TRUE(same(x.grad(), ref({3.0, 30.0, 300.0})));  // vector-Jacobian product 3 * v
}

TEST_P(AutogradEngineTest, BackwardOnANonScalarWithoutAGradientThrows) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  EXPECT_AXON_ERROR((x * 2).backward(), "grad can be implicitly created only for scalar outputs");
  EXPECT_AXON_ERROR((x * 2).backward(), "[3]");
  EXPECT_FALSE(x.grad().defined());
}

TEST_P(AutogradEngineTest, BackwardWithAGradientOfTheWrongShapeThrows) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 2;
  EXPECT_AXON_ERROR(y.backward(make({1.0, 1.0})), "backward");
  EXPECT_AXON_ERROR(y.backward(make({1.0, 1.0})), "[2]");
  EXPECT_AXON_ERROR(y.backward(make({{1.0, 1.0, 1.0}})), "[1, 3]");
  EXPECT_FALSE(x.grad().defined());
}

TEST_P(AutogradEngineTest, BackwardOnATensorOutsideTheGraphThrows) {
  Tensor x = make({1.0, 2.0});
  EXPECT_AXON_ERROR(x.sum().backward(), "does not require grad and does not have a grad_fn");
}

TEST_P(AutogradEngineTest, FreeFunctionBackwardTakesSeveralRoots) {
  Tensor x = leaf({1.0, 2.0});
  Tensor a = (x * 2).sum();
  Tensor b = x * 5;
  autograd::backward({a, b}, {Tensor(), make({1.0, 2.0})});
  EXPECT_TRUE(same(x.grad(), ref({7.0, 12.0})));  // 2 + 5 * [1, 2]
}

TEST_P(AutogradEngineTest, BackwardWithInputsAccumulatesOnlyIntoThoseLeaves) {
  Tensor x = leaf({1.0, 2.0});
  Tensor w = leaf({3.0, 4.0});
  (x * w).sum().backward({}, std::nullopt, false, std::vector<Tensor>{w});
  EXPECT_TRUE(same(w.grad(), ref({1.0, 2.0})));
  EXPECT_FALSE(x.grad().defined());
}

TEST_P(AutogradEngineTest, BackwardWithANonContiguousGradient) {
  Tensor x = leaf({{1.0, 2.0}, {3.0, 4.0}});
  Tensor v = make({{1.0, 2.0}, {3.0, 4.0}}).t();  // [[1, 3], [2, 4]], strides [1, 2]
  (x * 2).backward(v);
  EXPECT_TRUE(same(x.grad(), ref({{2.0, 6.0}, {4.0, 8.0}})));
}

// ---- accumulation ---------------------------------------------------------------------------

TEST_P(AutogradEngineTest, GradAccumulatesOverBackwardCallsUntilZeroed) {
  Tensor x = leaf({1.0, 2.0});
  (x * 2).sum().backward();
  (x * 3).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({5.0, 5.0})));  // 2 + 3
  Tensor grad = x.grad();                        // the same tensor, not a copy
  grad.zero_();
  EXPECT_TRUE(same(x.grad(), ref({0.0, 0.0})));
  (x * x).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({2.0, 4.0})));
  x.mutable_grad() = Tensor();  // set_to_none
  (x * 4).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({4.0, 4.0})));
}

// LibTorch declares in-place methods const, so `x.grad().zero_()` (grad() returns a const
// reference) is how LibTorch code zeroes a gradient.
template <typename T>
concept ZeroableThroughConstReference = requires(const T& t) {
  t.zero_();
};

TEST_P(AutogradEngineTest, GradZeroCompilesOnTheConstReferenceGradReturns) {
  EXPECT_TRUE(ZeroableThroughConstReference<Tensor>)
      << "x.grad().zero_() does not compile: Tensor::zero_ is not const";
}

TEST_P(AutogradEngineTest, AccumulatedGradDoesNotAliasTheIncomingGradient) {
  Tensor x = leaf({1.0, 2.0});
  Tensor v = make({1.0, 1.0});
  (x * 1).backward(v);
  (x * 1).backward(v);
  EXPECT_TRUE(same(x.grad(), ref({2.0, 2.0})));
  EXPECT_TRUE(same(v, ref({1.0, 1.0})));  // the user's gradient was not accumulated into
}

TEST_P(AutogradEngineTest, BackwardOnALeafCopiesTheGivenGradient) {
  Tensor x = leaf({1.0, 2.0});
  Tensor v = make({3.0, 4.0});
  x.backward(v);
  EXPECT_TRUE(same(x.grad(), ref({3.0, 4.0})));
  {
    NoGradGuard no_grad;
    v.mul_(10);
  }
  EXPECT_TRUE(same(x.grad(), ref({3.0, 4.0})));  // .grad() is not the caller's tensor
}

TEST_P(AutogradEngineTest, LeavesThatReceiveTheSameGradientGetSeparateGradTensors) {
  // AddBackward0 passes one gradient tensor to both inputs.
  Tensor x = leaf({1.0, 2.0});
  Tensor z = leaf({3.0, 4.0});
  (x + z).sum().backward();
  EXPECT_NE(x.grad().data_ptr(), z.grad().data_ptr());
  {
    NoGradGuard no_grad;
    x.mutable_grad().add_(5);
  }
  EXPECT_TRUE(same(x.grad(), ref({6.0, 6.0})));
  EXPECT_TRUE(same(z.grad(), ref({1.0, 1.0})));
}

// ---- retain_graph ---------------------------------------------------------------------------

TEST_P(AutogradEngineTest, RetainGraphAllowsASecondBackward) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = (x * x).sum();  // MulBackward0 saves both operands
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  EXPECT_TRUE(same(x.grad(), ref({4.0, 8.0, 12.0})));  // 2 * 2x
}

TEST_P(AutogradEngineTest, SecondBackwardWithoutRetainGraphThrows) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = (x * x).sum();
  y.backward();
  EXPECT_AXON_ERROR(y.backward(), "Trying to backward through the graph a second time");
  EXPECT_AXON_ERROR(y.backward(), "retain_graph");
  EXPECT_TRUE(same(x.grad(), ref({2.0, 4.0, 6.0})));
}

TEST_P(AutogradEngineTest, SecondBackwardThroughOpsThatSaveNothingWorks) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = (x * 3 + 1).sum();  // no op saves a tensor: nothing is freed
  y.backward();
  y.backward();
  EXPECT_TRUE(same(x.grad(), ref({6.0, 6.0})));
}

// ---- grad mode ------------------------------------------------------------------------------

TEST_P(AutogradEngineTest, NoGradGuardStopsRecording) {
  Tensor x = leaf({1.0, 2.0});
  ASSERT_TRUE(GradMode::is_enabled());
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(GradMode::is_enabled());
    Tensor y = x * 2;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_TRUE(same(y, ref({2.0, 4.0})));
  }
  EXPECT_TRUE(GradMode::is_enabled());
  EXPECT_TRUE((x * 2).requires_grad());
}

TEST_P(AutogradEngineTest, NestedGradModeGuardsRestoreThePreviousMode) {
  Tensor x = leaf({1.0});
  {
    NoGradGuard outer;
    {
      NoGradGuard inner;
      EXPECT_FALSE(GradMode::is_enabled());
    }
    EXPECT_FALSE(GradMode::is_enabled());  // still inside `outer`
    {
      AutoGradMode enable(true);
      EXPECT_TRUE(GradMode::is_enabled());
      EXPECT_TRUE((x * 2).requires_grad());
    }
    EXPECT_FALSE(GradMode::is_enabled());
    EXPECT_FALSE((x * 2).requires_grad());
  }
  EXPECT_TRUE(GradMode::is_enabled());
}

TEST_P(AutogradEngineTest, NoGradGuardIsRestoredWhenAnExceptionLeavesTheScope) {
  try {
    NoGradGuard no_grad;
    make({1.0, 2.0}).view({3});  // throws
  } catch (const Error&) {
  }
  EXPECT_TRUE(GradMode::is_enabled());
}

TEST_P(AutogradEngineTest, GradModeIsPerThread) {
  Tensor x = leaf({1.0});
  bool other_thread_enabled = false;
  bool other_thread_records = false;
  {
    NoGradGuard no_grad;
    // A new thread starts with grad mode on, whatever this thread set.
    std::thread worker([&] {
      other_thread_enabled = GradMode::is_enabled();
      other_thread_records = (x * 2).requires_grad();
    });
    worker.join();
    EXPECT_FALSE(GradMode::is_enabled());
  }
  EXPECT_TRUE(other_thread_enabled);
  EXPECT_TRUE(other_thread_records);
  std::thread worker([] {
    NoGradGuard no_grad;  // turns it off in the worker only
  });
  worker.join();
  EXPECT_TRUE(GradMode::is_enabled());
}

// ---- detach and is_leaf ---------------------------------------------------------------------

TEST_P(AutogradEngineTest, DetachSharesDataButCutsTheGraph) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 3;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.grad_fn(), nullptr);
  EXPECT_EQ(d.data_ptr(), y.data_ptr());
  EXPECT_TRUE(same(d, ref({3.0, 6.0})));
  // d is a constant: d(x * d)/dx = d.
  (x * d).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({3.0, 6.0})));
  // y is untouched.
  EXPECT_TRUE(y.requires_grad());
  EXPECT_NE(y.grad_fn(), nullptr);
}

TEST_P(AutogradEngineTest, DetachUnderscoreMakesANonLeafALeafWithoutGrad) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 3;
  y.detach_();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

TEST_P(AutogradEngineTest, IsLeafAndGradFnDescribeWhereATensorCameFrom) {
  Tensor x = leaf({1.0, 2.0});
  Tensor c = make({1.0, 2.0});
  Tensor y = x + c;
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(c.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(x.grad_fn(), nullptr);
  ASSERT_NE(y.grad_fn(), nullptr);
  // AddBackward0 has one edge per input: x's accumulator, and none for c.
  ASSERT_EQ(y.grad_fn()->num_outputs(), 2u);
  ASSERT_TRUE(y.grad_fn()->next_edge(0).is_valid());
  EXPECT_EQ(y.grad_fn()->next_edge(0).function->name(), "AccumulateGrad");
  EXPECT_FALSE(y.grad_fn()->next_edge(1).is_valid());
  y.sum().backward();
  EXPECT_FALSE(y.grad().defined());  // non-leaves keep no grad unless retain_grad()
  EXPECT_FALSE(c.grad().defined());
  EXPECT_TRUE(same(x.grad(), ref({1.0, 1.0})));
}

// ---- node names -----------------------------------------------------------------------------

struct NamedOp {
  const char* expected;  // torch 1.13: print(<same expression>.grad_fn.name())
  Tensor (*op)(const Tensor& x, const Tensor& y);
};

// x and y are [2, 3] float64 tensors that require grad.
const NamedOp kNamedOps[] = {
    {"AddBackward0", [](const Tensor& x, const Tensor& y) { return x + y; }},
    {"AddBackward1", [](const Tensor& x, const Tensor&) { return x.add(2); }},
    {"SubBackward0", [](const Tensor& x, const Tensor& y) { return x - y; }},
    {"SubBackward1", [](const Tensor& x, const Tensor&) { return x.sub(2); }},
    {"RsubBackward1", [](const Tensor& x, const Tensor&) { return rsub(x, 2); }},
    {"MulBackward0", [](const Tensor& x, const Tensor& y) { return x * y; }},
    {"MulBackward1", [](const Tensor& x, const Tensor&) { return x.mul(2); }},
    {"DivBackward0", [](const Tensor& x, const Tensor& y) { return x / y; }},
    {"DivBackward1", [](const Tensor& x, const Tensor&) { return x.div(2); }},
    {"PowBackward0", [](const Tensor& x, const Tensor&) { return x.pow(2); }},
    {"PowBackward1", [](const Tensor& x, const Tensor& y) { return x.pow(y); }},
    {"PowBackward2", [](const Tensor&, const Tensor& y) { return pow(2, y); }},
    {"MaximumBackward0", [](const Tensor& x, const Tensor& y) { return maximum(x, y); }},
    {"MinimumBackward0", [](const Tensor& x, const Tensor& y) { return minimum(x, y); }},
    {"NegBackward0", [](const Tensor& x, const Tensor&) { return -x; }},
    {"ExpBackward0", [](const Tensor& x, const Tensor&) { return x.exp(); }},
    {"LogBackward0", [](const Tensor& x, const Tensor&) { return x.log(); }},
    {"SqrtBackward0", [](const Tensor& x, const Tensor&) { return x.sqrt(); }},
    {"RsqrtBackward0", [](const Tensor& x, const Tensor&) { return x.rsqrt(); }},
    {"AbsBackward0", [](const Tensor& x, const Tensor&) { return x.abs(); }},
    {"SignBackward0", [](const Tensor& x, const Tensor&) { return x.sign(); }},
    {"SinBackward0", [](const Tensor& x, const Tensor&) { return x.sin(); }},
    {"CosBackward0", [](const Tensor& x, const Tensor&) { return x.cos(); }},
    {"TanhBackward0", [](const Tensor& x, const Tensor&) { return x.tanh(); }},
    {"SigmoidBackward0", [](const Tensor& x, const Tensor&) { return x.sigmoid(); }},
    {"ReluBackward0", [](const Tensor& x, const Tensor&) { return x.relu(); }},
    {"PowBackward0", [](const Tensor& x, const Tensor&) { return x.square(); }},
    {"ClampBackward1", [](const Tensor& x, const Tensor&) { return x.clamp(-1, 1); }},
    {"ClampMinBackward0", [](const Tensor& x, const Tensor&) { return x.clamp_min(0); }},
    {"ClampMaxBackward0", [](const Tensor& x, const Tensor&) { return x.clamp_max(0); }},
    {"WhereBackward0", [](const Tensor& x, const Tensor& y) { return where(x > 0, x, y); }},
    {"MaskedFillBackward0",
     [](const Tensor& x, const Tensor&) { return x.masked_fill(x > 0, 1.0); }},
    {"SumBackward0", [](const Tensor& x, const Tensor&) { return x.sum(); }},
    {"SumBackward1", [](const Tensor& x, const Tensor&) { return x.sum({1}); }},
    {"MeanBackward0", [](const Tensor& x, const Tensor&) { return x.mean(); }},
    {"MeanBackward1", [](const Tensor& x, const Tensor&) { return x.mean({1}); }},
    {"ProdBackward0", [](const Tensor& x, const Tensor&) { return x.prod(); }},
    {"ProdBackward1", [](const Tensor& x, const Tensor&) { return x.prod(1); }},
    {"MaxBackward1", [](const Tensor& x, const Tensor&) { return x.max(); }},
    {"MinBackward1", [](const Tensor& x, const Tensor&) { return x.min(); }},
    {"MaxBackward0", [](const Tensor& x, const Tensor&) { return std::get<0>(x.max(1)); }},
    {"MinBackward0", [](const Tensor& x, const Tensor&) { return std::get<0>(x.min(1)); }},
    {"AmaxBackward0", [](const Tensor& x, const Tensor&) { return x.amax({1}); }},
    {"AminBackward0", [](const Tensor& x, const Tensor&) { return x.amin({1}); }},
    {"VarBackward0", [](const Tensor& x, const Tensor&) { return x.var(); }},
    {"VarBackward0", [](const Tensor& x, const Tensor&) { return x.var(IntArrayRef{1}); }},
    {"StdBackward0", [](const Tensor& x, const Tensor&) { return x.std(); }},
    {"LogsumexpBackward0", [](const Tensor& x, const Tensor&) { return x.logsumexp({1}); }},
    {"SoftmaxBackward0", [](const Tensor& x, const Tensor&) { return x.softmax(1); }},
    {"LogSoftmaxBackward0", [](const Tensor& x, const Tensor&) { return x.log_softmax(1); }},
    {"MmBackward0", [](const Tensor& x, const Tensor& y) { return x.mm(y.t()); }},
    {"BmmBackward0",
     [](const Tensor& x, const Tensor& y) { return x.unsqueeze(0).bmm(y.t().unsqueeze(0)); }},
    {"ViewBackward0", [](const Tensor& x, const Tensor&) { return x.view({6}); }},
    {"SqueezeBackward0", [](const Tensor& x, const Tensor&) { return x.unsqueeze(0).squeeze(); }},
    {"SqueezeBackward1", [](const Tensor& x, const Tensor&) { return x.unsqueeze(0).squeeze(0); }},
    {"UnsqueezeBackward0", [](const Tensor& x, const Tensor&) { return x.unsqueeze(0); }},
    {"TransposeBackward0", [](const Tensor& x, const Tensor&) { return x.transpose(0, 1); }},
    {"TBackward0", [](const Tensor& x, const Tensor&) { return x.t(); }},
    {"PermuteBackward0",
     [](const Tensor& x, const Tensor&) {
       return x.permute({1, 0});
     }},
    {"SelectBackward0", [](const Tensor& x, const Tensor&) { return x.select(0, 1); }},
    {"SelectBackward0", [](const Tensor& x, const Tensor&) { return x[0]; }},
    {"SliceBackward0", [](const Tensor& x, const Tensor&) { return x.slice(1, 1); }},
    {"SliceBackward0", [](const Tensor& x, const Tensor&) { return x.narrow(1, 0, 2); }},
    {"ExpandBackward0",
     [](const Tensor& x, const Tensor&) { return x.slice(1, 0, 1).expand({2, 3}); }},
    {"CatBackward0", [](const Tensor& x, const Tensor& y) { return cat({x, y}); }},
    {"StackBackward0", [](const Tensor& x, const Tensor& y) { return stack({x, y}); }},
    {"SplitBackward0", [](const Tensor& x, const Tensor&) { return x.split(1)[0]; }},
    {"SplitWithSizesBackward0",
     [](const Tensor& x, const Tensor&) { return x.split(IntArrayRef({1, 1}))[0]; }},
    {"SplitBackward0", [](const Tensor& x, const Tensor&) { return x.chunk(2)[0]; }},
    {"UnbindBackward0", [](const Tensor& x, const Tensor&) { return x.unbind()[0]; }},
    {"CloneBackward0", [](const Tensor& x, const Tensor&) { return x.clone(); }},
    {"CloneBackward0", [](const Tensor& x, const Tensor&) { return x.t().contiguous(); }},
    {"ToCopyBackward0", [](const Tensor& x, const Tensor&) { return x.to(kFloat32); }},
};

TEST_P(AutogradEngineTest, GradFnNamesArePyTorchs) {
  Tensor x = leaf({{1.0, -2.0, 3.0}, {0.5, 4.0, -1.5}});
  Tensor y = leaf({{2.0, 1.0, -1.0}, {3.0, 0.25, 2.0}});
  for (const NamedOp& named : kNamedOps) {
    Tensor out = named.op(x, y);
    ASSERT_NE(out.grad_fn(), nullptr) << named.expected;
    EXPECT_EQ(out.grad_fn()->name(), named.expected);
  }
}

TEST_P(AutogradEngineTest, LeafAccumulatorIsNamedAccumulateGrad) {
  Tensor x = leaf({1.0});
  Tensor y = x * 2;
  EXPECT_EQ(y.grad_fn()->next_edge(0).function->name(), "AccumulateGrad");
  // A leaf has one accumulator, shared by every node that uses it.
  Tensor z = x * 3;
  EXPECT_EQ(y.grad_fn()->next_edge(0).function, z.grad_fn()->next_edge(0).function);
}

// ---- autograd::grad -------------------------------------------------------------------------

TEST_P(AutogradEngineTest, GradReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = leaf({1.0, 2.0});
  Tensor w = leaf({3.0, 5.0});
  Tensor z = (x * w).sum();
  variable_list g = autograd::grad({z}, {x, w});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_TRUE(same(g[0], ref({3.0, 5.0})));  // dz/dx = w
  EXPECT_TRUE(same(g[1], ref({1.0, 2.0})));  // dz/dw = x
  EXPECT_FALSE(g[0].requires_grad());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST_P(AutogradEngineTest, GradForASubsetOfInputsAndANonLeafInput) {
  Tensor x = leaf({1.0, 2.0});
  Tensor w = leaf({3.0, 5.0});
  Tensor h = x * w;
  Tensor z = (h * h).sum();
  variable_list g = autograd::grad({z}, {h});
  EXPECT_TRUE(same(g[0], ref({6.0, 20.0})));  // 2h, h = [3, 10]
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(h.grad().defined());
}

TEST_P(AutogradEngineTest, GradWithGradOutputsOnANonScalar) {
  Tensor x = leaf({1.0, 2.0});
  variable_list g = autograd::grad({x * x}, {x}, {make({1.0, 0.5})});
  EXPECT_TRUE(same(g[0], ref({2.0, 2.0})));  // 2x * v
}

TEST_P(AutogradEngineTest, GradOfAnUnusedInputIsAnErrorUnlessAllowUnused) {
  Tensor x = leaf({1.0, 2.0});
  Tensor unused = leaf({7.0});
  EXPECT_AXON_ERROR(autograd::grad({(x * 2).sum()}, {x, unused}),
                    "appears to not have been used in the graph");
  EXPECT_AXON_ERROR(autograd::grad({(x * 2).sum()}, {x, unused}), "allow_unused");
  variable_list g = autograd::grad({(x * 2).sum()}, {x, unused}, {}, std::nullopt, false,
                                   /*allow_unused=*/true);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_TRUE(same(g[0], ref({2.0, 2.0})));
  EXPECT_FALSE(g[1].defined());
  EXPECT_FALSE(unused.grad().defined());
}

TEST_P(AutogradEngineTest, GradWithRespectToATensorThatDoesNotRequireGradThrows) {
  Tensor x = leaf({1.0, 2.0});
  Tensor c = make({1.0, 2.0});
  EXPECT_AXON_ERROR(autograd::grad({(x * c).sum()}, {c}), "does not require grad");
}

// ---- create_graph ---------------------------------------------------------------------------

TEST_P(AutogradEngineTest, CreateGraphGivesASecondDerivative) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x.pow(3).sum();
  variable_list g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  EXPECT_TRUE(same(g[0], ref({3.0, 12.0, 27.0})));  // 3x^2
  ASSERT_TRUE(g[0].requires_grad());
  variable_list g2 = autograd::grad({g[0].sum()}, {x});
  EXPECT_TRUE(same(g2[0], ref({6.0, 12.0, 18.0})));  // 6x
}

// The backward of slice and select (the gradient written into zeros) is itself differentiable.
TEST_P(AutogradEngineTest, CreateGraphThroughSliceAndSelect) {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0});
  Tensor y = x.slice(0, 0, 4, 2).pow(2).sum() + x.select(0, 3).pow(3);
  variable_list g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  EXPECT_TRUE(same(g[0], ref({2.0, 0.0, 6.0, 48.0})));  // 2x at 0 and 2, 3x^2 at 3
  ASSERT_TRUE(g[0].requires_grad());
  Tensor v = make({1.0, 10.0, 100.0, 1000.0});
  variable_list g2 = autograd::grad({(g[0] * v).sum()}, {x});
  EXPECT_TRUE(same(g2[0], ref({2.0, 0.0, 200.0, 24000.0})));  // 2v, 0, 2v, 6xv
}

TEST_P(AutogradEngineTest, CreateGraphThroughAProductOfThreeFactors) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = (x * x * x).sum();
  y.backward({}, std::nullopt, /*create_graph=*/true);
  Tensor first = x.grad();
  EXPECT_TRUE(same(first, ref({3.0, 12.0, 27.0})));
  ASSERT_TRUE(first.requires_grad());
  variable_list g2 = autograd::grad({first.sum()}, {x});
  EXPECT_TRUE(same(g2[0], ref({6.0, 12.0, 18.0})));
}

TEST_P(AutogradEngineTest, CreateGraphThroughTanhSigmoidAndRelu) {
  // torch: x = torch.tensor([-0.5, 0.25, 1.5], dtype=torch.float64, requires_grad=True)
  //        f = (x.tanh() + x.sigmoid() + x.relu() * x).sum()
  //        g, = torch.autograd.grad(f, x, create_graph=True); torch.autograd.grad(g.sum(), x)
  Tensor x = leaf({-0.5, 0.25, 1.5});
  Tensor f = (x.tanh() + x.sigmoid() + x.relu() * x).sum();
  variable_list g = autograd::grad({f}, {x}, {}, std::nullopt, true);
  variable_list g2 = autograd::grad({g[0].sum()}, {x});
  EXPECT_TRUE(approx(g2[0], ref({0.784418776235908, 1.5089381291547153, 1.5781371899276992}), 1e-12,
                     1e-12));
}

// ---- retain_grad ----------------------------------------------------------------------------

TEST_P(AutogradEngineTest, RetainGradKeepsTheGradientOfANonLeaf) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2;
  EXPECT_FALSE(y.retains_grad());
  y.retain_grad();
  EXPECT_TRUE(y.retains_grad());
  (y * y).sum().backward();
  ASSERT_TRUE(y.grad().defined());
  EXPECT_TRUE(same(y.grad(), ref({4.0, 8.0})));   // 2y, y = [2, 4]
  EXPECT_TRUE(same(x.grad(), ref({8.0, 16.0})));  // 2y * 2
}

TEST_P(AutogradEngineTest, RetainGradOnATensorThatDoesNotRequireGradThrows) {
  Tensor c = make({1.0});
  EXPECT_AXON_ERROR(c.retain_grad(), "can't retain_grad on Tensor that has requires_grad=False");
}

// ---- version counter and in-place ops -------------------------------------------------------

TEST_P(AutogradEngineTest, InPlaceOpsBumpTheVersion) {
  Tensor t = make({1.0, 2.0});
  uint32_t v0 = t._version();
  t.add_(1);
  EXPECT_GT(t._version(), v0);
  uint32_t v1 = t._version();
  t.mul_(2);
  EXPECT_GT(t._version(), v1);
  Tensor view = t.slice(0, 0, 1);
  uint32_t v2 = t._version();
  view.fill_(0);  // a view shares its base's version counter
  EXPECT_GT(t._version(), v2);
  EXPECT_EQ(view._version(), t._version());
}

TEST_P(AutogradEngineTest, ModifyingASavedNonLeafInPlaceIsReportedAtBackward) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 2;
  Tensor w = y * y;  // saves y
  y.add_(1);
  EXPECT_AXON_ERROR(w.sum().backward(),
                    "one of the variables needed for gradient computation has been modified by an "
                    "inplace operation");
  EXPECT_AXON_ERROR(w.sum().backward(), "[3]");
}

TEST_P(AutogradEngineTest, ModifyingASavedLeafUnderNoGradIsReportedAtBackward) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor w = x.sin();  // saves x
  {
    NoGradGuard no_grad;
    x.mul_(2);
  }
  EXPECT_AXON_ERROR(w.sum().backward(),
                    "one of the variables needed for gradient computation has been modified by an "
                    "inplace operation");
}

TEST_P(AutogradEngineTest, ModifyingASavedOutputInPlaceIsReportedAtBackward) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x.exp();  // saves its output
  y.add_(1);
  // torch: "... which is output 0 of ExpBackward0, is at version 1; expected version 0 instead"
  EXPECT_AXON_ERROR(y.sum().backward(), "modified by an inplace operation");
  Tensor y2 = x.exp();
  y2.add_(1);
  EXPECT_AXON_ERROR(y2.sum().backward(), "ExpBackward0");
}

TEST_P(AutogradEngineTest, ModifyingATensorThatWasNotSavedIsFine) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2;
  Tensor w = y + 1;  // AddBackward1 saves nothing
  y.add_(1);
  w.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({2.0, 2.0})));
}

TEST_P(AutogradEngineTest, InPlaceOpOnALeafThatRequiresGradThrows) {
  Tensor x = leaf({1.0, 2.0});
  const char* message = "a leaf Variable that requires grad is being used in an in-place operation";
  EXPECT_AXON_ERROR(x.add_(1), message);
  EXPECT_AXON_ERROR(x.mul_(make({2.0, 2.0})), message);
  EXPECT_AXON_ERROR(x.exp_(), message);
  EXPECT_AXON_ERROR(x.zero_(), message);
  EXPECT_AXON_ERROR(x.copy_(make({5.0, 6.0})), message);
  EXPECT_TRUE(same(x, ref({1.0, 2.0})));  // unchanged
}

TEST_P(AutogradEngineTest, InPlaceOpOnALeafUnderNoGradGuardUpdatesIt) {
  Tensor x = leaf({1.0, 2.0});
  uint32_t version = x._version();
  {
    NoGradGuard no_grad;
    x.sub_(make({0.5, 0.5}), 2);  // the SGD step pattern
  }
  EXPECT_TRUE(same(x, ref({0.0, 1.0})));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(x.requires_grad());
  EXPECT_GT(x._version(), version);
  (x * 3).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({3.0, 3.0})));
}

TEST_P(AutogradEngineTest, InPlaceScalarOpsOnANonLeafGiveCorrectGradients) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 2;
  y.mul_(3);
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward1");
  y.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({6.0, 6.0, 6.0})));  // 2 * 3

  Tensor a = leaf({1.0, 2.0});
  Tensor b = a * 2;
  b.add_(1).div_(4).sub_(1);
  b.sum().backward();
  EXPECT_TRUE(same(a.grad(), ref({0.5, 0.5})));  // 2 / 4
}

TEST_P(AutogradEngineTest, InPlaceOpsWithATensorOperandOnANonLeafGiveCorrectGradients) {
  // torch: x = [1, 2, 3], z = [0.5, -1, 2] (float64, requires_grad)
  //        ((x*2).add_(z, alpha=2)).sum().backward() -> x.grad [2, 2, 2], z.grad [2, 2, 2]
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor z = leaf({0.5, -1.0, 2.0});
  (x * 2).add_(z, 2).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({2.0, 2.0, 2.0})));
  EXPECT_TRUE(same(z.grad(), ref({2.0, 2.0, 2.0})));
}

TEST_P(AutogradEngineTest, InPlaceOpsThatNeedTheOriginalValueOnANonLeafGiveCorrectGradients) {
  // torch (x = [1, 2, 3], z = [0.5, -1, 2], float64, requires_grad):
  //   (x*2).mul_(z).sum().backward() -> x.grad [1, -2, 4], z.grad [2, 4, 6]
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor z = leaf({0.5, -1.0, 2.0});
  Tensor y = x * 2;
  y.mul_(z);
  EXPECT_NO_THROW(y.sum().backward());
  EXPECT_TRUE(same(x.grad(), ref({1.0, -2.0, 4.0})));
  EXPECT_TRUE(same(z.grad(), ref({2.0, 4.0, 6.0})));

  //   (x*2).div_(z).sum().backward() -> x.grad [4, -2, 1], z.grad [-8, -4, -1.5]
  Tensor x2 = leaf({1.0, 2.0, 3.0});
  Tensor z2 = leaf({0.5, -1.0, 2.0});
  EXPECT_NO_THROW((x2 * 2).div_(z2).sum().backward());
  EXPECT_TRUE(same(x2.grad(), ref({4.0, -2.0, 1.0})));
  EXPECT_TRUE(same(z2.grad(), ref({-8.0, -4.0, -1.5})));

  //   (x*2).pow_(2).sum().backward() -> x.grad [8, 16, 24]
  Tensor x3 = leaf({1.0, 2.0, 3.0});
  EXPECT_NO_THROW((x3 * 2).pow_(2).sum().backward());
  EXPECT_TRUE(same(x3.grad(), ref({8.0, 16.0, 24.0})));

  //   (x*2).sin_().sum().backward() -> x.grad = 2 cos(2x)
  Tensor x4 = leaf({1.0, 2.0, 3.0});
  EXPECT_NO_THROW((x4 * 2).sin_().sum().backward());
  EXPECT_TRUE(approx(x4.grad(), ref({-0.8322936730942848, -1.3072872417272239, 1.920340573300732}),
                     1e-14, 1e-14));
}

TEST_P(AutogradEngineTest, InPlaceOpsThatSaveTheirOutputOnANonLeafGiveCorrectGradients) {
  // torch: (x*2).exp_().sum().backward() with x = [1, 2, 3] -> 2 exp(2x)
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 2;
  y.exp_();
  EXPECT_EQ(y.grad_fn()->name(), "ExpBackward0");
  y.sum().backward();
  EXPECT_TRUE(
      approx(x.grad(), ref({14.7781121978613, 109.19630006628847, 806.8575869854702}), 1e-14, 0));
  // torch: (x-2).relu_().sum().backward() -> [0, 0, 1]
  Tensor a = leaf({1.0, 2.0, 3.0});
  (a - 2).relu_().sum().backward();
  EXPECT_TRUE(same(a.grad(), ref({0.0, 0.0, 1.0})));
  // torch: (x*1).sigmoid_().sum().backward()
  Tensor s = leaf({1.0, 2.0, 3.0});
  (s * 1).sigmoid_().sum().backward();
  EXPECT_TRUE(approx(s.grad(), ref({0.19661193324148185, 0.10499358540350662, 0.045176659730912}),
                     1e-14, 0));
}

TEST_P(AutogradEngineTest, InPlaceOpsOnAViewOfANonLeafGiveCorrectGradients) {
  // torch: y = x*2; y.select(0,0).fill_(0); y.narrow(0,1,2).mul_(3); y.sum().backward()
  //        -> x.grad [0, 6, 6] (y.grad_fn is CopySlices)
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 2;
  EXPECT_NO_THROW(y.select(0, 0).fill_(0));
  EXPECT_NO_THROW(y.narrow(0, 1, 2).mul_(3));
  EXPECT_TRUE(same(y.detach(), ref({0.0, 12.0, 18.0})));
  EXPECT_NO_THROW(y.sum().backward());
  EXPECT_TRUE(same(x.grad(), ref({0.0, 6.0, 6.0})));
}

TEST_P(AutogradEngineTest, InPlaceOpOnAViewOfALeafThatRequiresGradThrows) {
  // torch: "a view of a leaf Variable that requires grad is being used in an in-place operation."
  Tensor x = leaf({1.0, 2.0});
  EXPECT_AXON_ERROR(x.select(0, 0).mul_(2), "in-place operation");
  EXPECT_TRUE(same(x.detach(), ref({1.0, 2.0})));
}

TEST_P(AutogradEngineTest, CopyIntoANonLeafRoutesTheGradientToTheSource) {
  Tensor x = leaf({1.0, 2.0});
  Tensor src = leaf({3.0, 4.0});
  Tensor y = x * 2;
  y.copy_(src * 5);
  y.sum().backward();
  EXPECT_TRUE(same(src.grad(), ref({5.0, 5.0})));
  // x's contribution was overwritten.
  EXPECT_TRUE(!x.grad().defined() || same(x.grad(), ref({0.0, 0.0})));
}

// ---- graph shapes ---------------------------------------------------------------------------

TEST_P(AutogradEngineTest, ALeafUsedTwiceGetsTheSumOfBothGradients) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  (x * x + x).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({3.0, 5.0, 7.0})));  // 2x + 1
  Tensor y = leaf({1.0, 2.0});
  (y + y).sum().backward();
  EXPECT_TRUE(same(y.grad(), ref({2.0, 2.0})));
}

TEST_P(AutogradEngineTest, DiamondGraphSumsBothPaths) {
  // x -> a = x^2 -> b = 3a    -> d = sum(b + c) = sum(3x^2 + x^3)
  //               -> c = a * x -'   dd/dx = 6x + 3x^2 (a feeds two nodes that meet again)
  Tensor x = leaf({1.0, 2.0, -1.0});
  Tensor a = x * x;
  Tensor b = a * 3;
  Tensor c = a * x;
  (b + c).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({9.0, 24.0, -3.0})));
}

TEST_P(AutogradEngineTest, ADeepChainRunsWithoutRecursionLimits) {
  Tensor x = leaf({1.0});
  Tensor y = x;
  for (int i = 0; i < 10000; ++i) y = y + 1;  // a chain of 10000 nodes
  y.sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({1.0})));
}

TEST_P(AutogradEngineTest, BroadcastingGradientsReduceToTheInputShapes) {
  Tensor x = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});         // [2, 3]
  Tensor b = leaf({10.0, 20.0, 30.0});                         // [3]
  Tensor c = leaf({{1.0}, {2.0}});                             // [2, 1]
  Tensor s = tensor(2.0, options(kFloat64)).requires_grad_();  // 0-dim
  (x * b + c * s).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({{10.0, 20.0, 30.0}, {10.0, 20.0, 30.0}})));  // b, broadcast
  EXPECT_TRUE(same(b.grad(), ref({5.0, 7.0, 9.0})));                           // column sums of x
  EXPECT_TRUE(same(c.grad(), ref({{6.0}, {6.0}})));                            // s * 3 columns
  EXPECT_TRUE(same(s.grad(), tensor(9.0, TensorOptions(kFloat64))));           // 3 * (1 + 2)
  EXPECT_EQ(s.grad().dim(), 0);
}

TEST_P(AutogradEngineTest, BroadcastingGradientsOfSubDivWhereAndMaximum) {
  Tensor x = leaf({{1.0, 2.0}, {4.0, 8.0}});  // [2, 2]
  Tensor r = leaf({{2.0, 4.0}});              // [1, 2]
  (x / r - r).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({{0.5, 0.25}, {0.5, 0.25}})));  // 1 / r
  // d/dr sum(x / r - r) = -sum_rows(x) / r^2 - 2 = [-5/4 - 2, -10/16 - 2]
  EXPECT_TRUE(same(r.grad(), ref({{-3.25, -2.625}})));

  Tensor m = leaf({3.0});
  Tensor v = leaf({1.0, 5.0, 2.0});
  maximum(m, v).sum().backward();
  EXPECT_TRUE(same(m.grad(), ref({2.0})));  // wins against 1 and 2
  EXPECT_TRUE(same(v.grad(), ref({0.0, 1.0, 0.0})));
}

TEST_P(AutogradEngineTest, MixedFloat32AndFloat64InputsGetGradientsInTheirOwnDtype) {
  Tensor a = leaf({1.0, 2.0}, kFloat32);
  Tensor b = leaf({3.0, 4.0}, kFloat64);
  Tensor p = a * b;
  EXPECT_EQ(p.dtype(), kFloat64);
  (p + a).sum().backward();
  ASSERT_TRUE(a.grad().defined());
  ASSERT_TRUE(b.grad().defined());
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  EXPECT_TRUE(same(a.grad(), ref({4.0, 5.0}, kFloat32)));  // b + 1
  EXPECT_TRUE(same(b.grad(), ref({1.0, 2.0})));            // a
}

TEST_P(AutogradEngineTest, MixedDtypeCatAndConversionsGetGradientsInTheirOwnDtype) {
  Tensor a = leaf({1.0}, kFloat32);
  Tensor b = leaf({2.0}, kFloat64);
  (cat({a, b}) * make({3.0, 5.0})).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  EXPECT_TRUE(same(a.grad(), ref({3.0}, kFloat32)));
  EXPECT_TRUE(same(b.grad(), ref({5.0})));
  Tensor c = leaf({1.5}, kFloat32);
  (c.to(kFloat64) * 4).sum().backward();
  EXPECT_EQ(c.grad().dtype(), kFloat32);
  EXPECT_TRUE(same(c.grad(), ref({4.0}, kFloat32)));
}

TEST_P(AutogradEngineTest, ReductionsAndSoftmaxWithADtypeGiveGradientsInTheInputDtype) {
  Tensor x = leaf({1.0, 2.0}, kFloat32);
  Tensor s = x.sum(kFloat64);
  EXPECT_EQ(s.dtype(), kFloat64);
  s.backward();
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  EXPECT_TRUE(same(x.grad(), ref({1.0, 1.0}, kFloat32)));

  // torch: x = torch.tensor([1., 2.], requires_grad=True); y = x.softmax(0, dtype=torch.float64)
  //        (y * torch.tensor([1., 3.], dtype=torch.float64)).sum().backward()
  //        -> x.grad float32 [-0.3932238519191742, 0.3932238519191742]
  Tensor z = leaf({1.0, 2.0}, kFloat32);
  Tensor y = z.softmax(0, kFloat64);
  EXPECT_EQ(y.dtype(), kFloat64);
  (y * make({1.0, 3.0})).sum().backward();
  EXPECT_EQ(z.grad().dtype(), kFloat32);
  EXPECT_TRUE(
      approx(z.grad(), ref({-0.3932238519191742, 0.3932238519191742}, kFloat32), 1e-6, 1e-7));
}

TEST_P(AutogradEngineTest, PowOfAZeroBaseHasAZeroExponentGradient) {
  // d/de x^e = x^e log x is taken as 0 at x = 0 (PyTorch's rule); d/dx = e x^(e-1).
  // torch: x = [0, 2], e = [2, 3] -> x.grad [0, 12], e.grad [0, 8 log 2]
  Tensor x = leaf({0.0, 2.0});
  Tensor e = leaf({2.0, 3.0});
  x.pow(e).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({0.0, 12.0})));
  EXPECT_TRUE(approx(e.grad(), ref({0.0, 8 * std::log(2.0)}), 1e-15, 0));
}

// ---- views and joins ------------------------------------------------------------------------

// Weights with distinct values so that a wrong placement shows.
TEST_P(AutogradEngineTest, GradientsFlowThroughSelectAndSlice) {
  Tensor x = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  (x.select(0, 1) * make({1.0, 2.0, 3.0})).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({{0.0, 0.0, 0.0}, {1.0, 2.0, 3.0}})));

  Tensor y = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  (y.slice(1, 0, 3, 2) * make({{1.0, 2.0}, {3.0, 4.0}})).sum().backward();  // columns 0 and 2
  EXPECT_TRUE(same(y.grad(), ref({{1.0, 0.0, 2.0}, {3.0, 0.0, 4.0}})));

  Tensor z = leaf({1.0, 2.0, 3.0, 4.0});
  (z[-1] * 7 + z.narrow(0, 1, 2).sum()).backward();
  EXPECT_TRUE(same(z.grad(), ref({0.0, 1.0, 1.0, 7.0})));
}

TEST_P(AutogradEngineTest, GradientsFlowThroughTransposeAndPermute) {
  Tensor x = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor w = make({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}});  // [3, 2]
  (x.t() * w).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({{1.0, 3.0, 5.0}, {2.0, 4.0, 6.0}})));  // w^T

  Tensor y = leaf({{{1.0, 2.0}}, {{3.0, 4.0}}});        // [2, 1, 2]
  Tensor weights = make({{{1.0, 2.0}}, {{3.0, 4.0}}});  // [2, 1, 2] after permute({2, 1, 0})
  (y.permute({2, 1, 0}) * weights).sum().backward();
  // y.permute(2,1,0)[k][0][i] = y[i][0][k] is weighted by weights[k][0][i].
  EXPECT_TRUE(same(y.grad(), ref({{{1.0, 3.0}}, {{2.0, 4.0}}})));
}

TEST_P(AutogradEngineTest, GradientsFlowThroughExpandAndSumOverTheCopies) {
  Tensor x = leaf({{1.0}, {2.0}});  // [2, 1]
  (x.expand({2, 3}) * make({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}})).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({{6.0}, {15.0}})));  // row sums of the weights
  Tensor y = leaf({1.0, 2.0});
  (y.expand({3, 2}) * make({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}})).sum().backward();
  EXPECT_TRUE(same(y.grad(), ref({9.0, 12.0})));  // column sums (new leading dim)
}

TEST_P(AutogradEngineTest, GradientsFlowThroughReshapeViewFlattenSqueezeAndIndex) {
  Tensor x = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  (x.reshape({3, 2}) * make({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}})).sum().backward();
  EXPECT_TRUE(same(x.grad(), ref({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}})));

  Tensor y = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  // reshape of a non-contiguous tensor copies; the gradient still reaches y.
  (y.t().reshape({6}) * make({1.0, 2.0, 3.0, 4.0, 5.0, 6.0})).sum().backward();
  // y.t().reshape(6) = [y00, y10, y01, y11, y02, y12]
  EXPECT_TRUE(same(y.grad(), ref({{1.0, 3.0, 5.0}, {2.0, 4.0, 6.0}})));

  Tensor z = leaf({{1.0, 2.0}});
  (z.view({2}).unsqueeze(1).flatten().squeeze() * make({3.0, 4.0})).sum().backward();
  EXPECT_TRUE(same(z.grad(), ref({{3.0, 4.0}})));

  using namespace indexing;  // NOLINT(google-build-using-namespace)
  Tensor w = leaf({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  (w.index({Slice(), Slice(1, None)}) * make({{1.0, 2.0}, {3.0, 4.0}})).sum().backward();
  EXPECT_TRUE(same(w.grad(), ref({{0.0, 1.0, 2.0}, {0.0, 3.0, 4.0}})));
}

TEST_P(AutogradEngineTest, GradientsFlowThroughCatAndStack) {
  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({3.0, 4.0, 5.0});
  (cat({a, b}) * make({1.0, 2.0, 3.0, 4.0, 5.0})).sum().backward();
  EXPECT_TRUE(same(a.grad(), ref({1.0, 2.0})));
  EXPECT_TRUE(same(b.grad(), ref({3.0, 4.0, 5.0})));

  Tensor c = leaf({1.0, 2.0});
  Tensor d = leaf({3.0, 4.0});
  (stack({c, d}, 1) * make({{1.0, 2.0}, {3.0, 4.0}})).sum().backward();  // [[c0, d0], [c1, d1]]
  EXPECT_TRUE(same(c.grad(), ref({1.0, 3.0})));
  EXPECT_TRUE(same(d.grad(), ref({2.0, 4.0})));

  // Only the inputs that require grad get one.
  Tensor e = leaf({1.0});
  Tensor constant = make({2.0});
  (cat({constant, e}) * make({5.0, 6.0})).sum().backward();
  EXPECT_TRUE(same(e.grad(), ref({6.0})));
  EXPECT_FALSE(constant.grad().defined());
}

TEST_P(AutogradEngineTest, GradientsFlowThroughSplitChunkAndUnbind) {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0, 5.0});
  std::vector<Tensor> parts = x.split(2);  // [0:2], [2:4], [4:5]
  ASSERT_EQ(parts.size(), 3u);
  (parts[0].sum() * 1 + parts[2].sum() * 3).backward();  // parts[1] unused
  EXPECT_TRUE(same(x.grad(), ref({1.0, 1.0, 0.0, 0.0, 3.0})));

  Tensor y = leaf({{1.0, 2.0}, {3.0, 4.0}});
  std::vector<Tensor> chunks = y.chunk(2, 1);
  (chunks[0] * 2 + chunks[1] * 5).sum().backward();
  EXPECT_TRUE(same(y.grad(), ref({{2.0, 5.0}, {2.0, 5.0}})));

  Tensor z = leaf({{1.0, 2.0}, {3.0, 4.0}});
  std::vector<Tensor> rows = z.unbind(0);
  (rows[0] * rows[1]).sum().backward();  // z00*z10 + z01*z11
  EXPECT_TRUE(same(z.grad(), ref({{3.0, 4.0}, {1.0, 2.0}})));
}

// Regression: with create_graph the leaf's gradient keeps its graph, and the node that
// accumulated into the leaf held the leaf strongly: leaf -> grad -> graph -> node -> leaf, a
// cycle that was never freed (LeakSanitizer found it). exp's gradient reaches the leaf only
// through that node (it saves exp's output, not x). A gradient that saves x itself (x^3 -> 3x^2)
// still forms the cycle PyTorch warns about; as there, resetting the grad breaks it.
TEST_P(AutogradEngineTest, CreateGraphBackwardLeavesNoReferenceCycle) {
  std::weak_ptr<autograd::Node> node;
  std::weak_ptr<TensorImpl> leaf_impl;
  {
    Tensor x = leaf({1.0, 2.0});
    Tensor y = x.exp().sum();
    node = y.grad_fn();
    leaf_impl = x.impl();
    y.backward({}, std::nullopt, /*create_graph=*/true);
    ASSERT_TRUE(x.grad().requires_grad());
  }
  EXPECT_TRUE(node.expired());
  EXPECT_TRUE(leaf_impl.expired());

  {
    Tensor x = leaf({1.0, 2.0});
    leaf_impl = x.impl();
    (x * x * x).sum().backward({}, std::nullopt, /*create_graph=*/true);
    x.mutable_grad() = Tensor();
  }
  EXPECT_TRUE(leaf_impl.expired());
}

AXON_INSTANTIATE_DEVICE_TEST(AutogradEngineTest);

}  // namespace
}  // namespace axon
