// Tensor creation (functions.h, "Creation"), TensorOptions, Device, tensor properties, the
// random factories under manual_seed, item() and data_ptr<T>().
//
// Expected values are exact (small integers, binary fractions) or were printed by PyTorch 1.13
// (/usr/bin/python3); the torch expression is in the comment above them.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using testing::same_values;
using testing::Shape;
using testing::values;

// Restores the default float dtype when a test that changes it ends, even on failure.
struct DefaultDTypeGuard {
  DType saved = get_default_dtype();
  ~DefaultDTypeGuard() { set_default_dtype(saved); }
};

class FactoriesTest : public testing::DeviceTest {
 protected:
  // The test's device and nothing else, so that factories infer the dtype.
  TensorOptions on_device() const { return TensorOptions().device(device()); }
  // PyTorch's CPU generator is reproduced on the CPU only; CUDA draws differ (Philox).
  void require_cpu(const char* why) {
    if (GetParam() != kCPU) GTEST_SKIP() << why;
  }
};

// ============================================================================================
// tensor({...}) and tensor(std::vector, shape)
// ============================================================================================

TEST_P(FactoriesTest, NestedIntegerListsGiveInt64) {
  Tensor t = tensor({{1, 2, 3}, {4, 5, 6}}, on_device());
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(t.device(), device());
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values<int64_t>(t), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  Tensor deep = tensor({{{1}, {2}}, {{3}, {4}}}, on_device());
  EXPECT_EQ(deep.sizes().vec(), (Shape{2, 2, 1}));
  EXPECT_EQ(values<int64_t>(deep), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_P(FactoriesTest, FloatListsGiveTheDefaultFloatDType) {
  // torch.tensor([1.5, -2.25]).dtype -> torch.float32
  Tensor t = tensor({1.5, -2.25}, on_device());
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(values<float>(t), (std::vector<float>{1.5f, -2.25f}));
  // torch.set_default_dtype(torch.float64); torch.tensor([1.5]).dtype -> torch.float64
  DefaultDTypeGuard guard;
  set_default_dtype(kFloat64);
  EXPECT_EQ(tensor({1.5}, on_device()).dtype(), kFloat64);
  EXPECT_EQ(tensor({1, 2}, on_device()).dtype(), kInt64);
}

TEST_P(FactoriesTest, BoolListsGiveBool) {
  Tensor t = tensor({{true}, {false}}, on_device());
  EXPECT_EQ(t.dtype(), kBool);
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 1}));
  EXPECT_EQ(values<bool>(t), (std::vector<bool>{true, false}));
}

TEST_P(FactoriesTest, MixedListsTakeTheWidestCategory) {
  // torch.tensor([1, 2.5]).dtype -> float32; torch.tensor([True, 2]).dtype -> int64
  Tensor int_float = tensor({1, 2.5}, on_device());
  EXPECT_TRUE(same_values(int_float, ref({1.0, 2.5}, kFloat32)));
  Tensor bool_int = tensor({true, 2}, on_device());
  EXPECT_TRUE(same_values(bool_int, ref({1, 2}, kInt64)));
  // A float anywhere in a nested list makes the whole tensor float.
  Tensor nested = tensor({{1, 2}, {3.5, 4}}, on_device());
  EXPECT_TRUE(same_values(nested, ref({{1.0, 2.0}, {3.5, 4.0}}, kFloat32)));
}

TEST_P(FactoriesTest, ScalarsGiveZeroDimTensors) {
  Tensor f = tensor(3.5, on_device());
  EXPECT_EQ(f.dim(), 0);
  EXPECT_EQ(f.numel(), 1);
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.item<double>(), 3.5);
  Tensor i = tensor(7, on_device());
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.item<int64_t>(), 7);
}

TEST_P(FactoriesTest, EmptyListIsFloatOfShapeZero) {
  // torch.tensor([]) -> tensor([]) of shape [0] and dtype float32
  Tensor t = tensor(TensorData(std::initializer_list<TensorData>{}), on_device());
  EXPECT_EQ(t.sizes().vec(), (Shape{0}));
  EXPECT_EQ(t.dtype(), kFloat32);
}

TEST_P(FactoriesTest, ExplicitDTypeConvertsTheValues) {
  // torch.tensor([1.9, -1.9], dtype=torch.int64) -> tensor([ 1, -1]) (truncation)
  EXPECT_TRUE(same_values(tensor({1.9, -1.9}, options(kInt64)), ref({1, -1}, kInt64)));
  EXPECT_TRUE(same_values(tensor({1, 2}, options(kFloat64)), ref({1.0, 2.0}, kFloat64)));
  EXPECT_TRUE(same_values(tensor({0, 3}, options(kBool)), ref({false, true}, kBool)));
  EXPECT_EQ(tensor({1, 2}, options(kFloat64)).device(), device());
}

TEST_P(FactoriesTest, RaggedListsAreAnError) {
  EXPECT_AXON_ERROR(tensor({{1, 2}, {3}}), "tensor: expected all sub-lists to have sizes [2]");
  EXPECT_AXON_ERROR(tensor({{1, 2}, 3}), "tensor");
}

TEST_P(FactoriesTest, VectorWithShapeKeepsTheElementType) {
  Tensor f = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}, on_device());
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.device(), device());
  EXPECT_EQ(f.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values<float>(f), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor d = tensor(std::vector<double>{0.5, 1.5}, {2, 1}, on_device());
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(values<double>(d), (std::vector<double>{0.5, 1.5}));
  Tensor i = tensor(std::vector<int>{-1, 2, 3}, {3}, on_device());
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(values<int64_t>(i), (std::vector<int64_t>{-1, 2, 3}));
  Tensor b = tensor(std::vector<bool>{true, false, true, true}, {2, 2}, on_device());
  EXPECT_EQ(b.dtype(), kBool);
  EXPECT_EQ(values<bool>(b), (std::vector<bool>{true, false, true, true}));
  // An explicit dtype converts.
  Tensor c = tensor(std::vector<double>{1.5, -2.5}, {2}, options(kInt64));
  EXPECT_TRUE(same_values(c, ref({1, -2}, kInt64)));
}

TEST_P(FactoriesTest, VectorWithWrongShapeIsAnError) {
  EXPECT_AXON_ERROR(tensor(std::vector<float>{1, 2, 3, 4, 5}, {2, 3}, on_device()),
                    "tensor: 5 values cannot fill a tensor of shape [2, 3]");
}

TEST_P(FactoriesTest, VectorOfDoublesWithoutShapeIsFloat64LikeLibTorch) {
  // LibTorch: torch::tensor(std::vector<double>{...}) is kDouble (TensorDataContainer takes the
  // vector's element type); only braced lists of doubles get the default dtype.
  Tensor d = tensor(std::vector<double>{0.5, 1.5}, on_device());
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(d.sizes().vec(), (Shape{2}));
}

// ============================================================================================
// from_blob
// ============================================================================================

TEST_P(FactoriesTest, FromBlobWrapsTheCallersMemoryWithoutCopying) {
  require_cpu("from_blob wraps host memory");
  float buffer[6] = {0, 1, 2, 3, 4, 5};
  Tensor t = from_blob(buffer, {2, 3});
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(t.data_ptr(), static_cast<void*>(buffer));
  buffer[4] = 40;  // the caller's write shows in the tensor
  EXPECT_EQ(t[1][1].item<float>(), 40.0f);
  t[0][2] = 7;  // and the tensor's write shows in the caller's memory
  EXPECT_EQ(buffer[2], 7.0f);
  t.mul_(2);
  EXPECT_EQ(buffer[5], 10.0f);

  int64_t longs[3] = {7, 8, 9};
  Tensor l = from_blob(longs, {3}, kInt64);
  EXPECT_EQ(values<int64_t>(l), (std::vector<int64_t>{7, 8, 9}));
}

TEST_P(FactoriesTest, FromBlobWithStrides) {
  require_cpu("from_blob wraps host memory");
  // Memory [[0, 1, 2], [3, 4, 5]] read column-major: a transposed 3x2 view.
  double buffer[6] = {0, 1, 2, 3, 4, 5};
  Tensor t = from_blob(buffer, {3, 2}, {1, 3}, kFloat64);
  EXPECT_EQ(t.strides().vec(), (Shape{1, 3}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_TRUE(same_values(t, ref({{0, 3}, {1, 4}, {2, 5}}, kFloat64)));
  t[2][1] = -1;  // element (2, 1) is buffer[2 * 1 + 1 * 3]
  EXPECT_EQ(buffer[5], -1.0);
  EXPECT_AXON_ERROR(from_blob(buffer, {2, 3}, {1}), "from_blob: 2 sizes but 1 strides");
}

TEST_P(FactoriesTest, FromBlobDeleterRunsWhenTheLastTensorIsReleased) {
  require_cpu("from_blob wraps host memory");
  float buffer[4] = {1, 2, 3, 4};
  int calls = 0;
  void* freed = nullptr;
  Tensor t = from_blob(
      buffer, {4},
      [&](void* p) {
        ++calls;
        freed = p;
      },
      kFloat32);
  Tensor view = t.view({2, 2});
  t = Tensor();
  EXPECT_EQ(calls, 0) << "a view still uses the memory";
  EXPECT_EQ(view[1][1].item<float>(), 4.0f);
  view = Tensor();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(freed, static_cast<void*>(buffer));
}

// ============================================================================================
// empty, zeros, ones, full
// ============================================================================================

TEST_P(FactoriesTest, EmptyZerosOnesHaveTheRequestedShapeAndDType) {
  Tensor e = empty({2, 3}, on_device());
  EXPECT_EQ(e.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(e.dtype(), kFloat32);
  EXPECT_EQ(e.device(), device());
  EXPECT_EQ(empty({4}, options(kInt64)).dtype(), kInt64);
  EXPECT_TRUE(same_values(zeros({2, 2}, on_device()), ref({{0.0, 0.0}, {0.0, 0.0}}, kFloat32)));
  EXPECT_TRUE(same_values(ones({3}, options(kInt64)), ref({1, 1, 1}, kInt64)));
  EXPECT_TRUE(same_values(ones({2}, options(kBool)), ref({true, true}, kBool)));
  EXPECT_TRUE(same_values(zeros({2}, options(kUInt8)), ref({0, 0}, kUInt8)));
  Tensor none = zeros({0, 3}, on_device());
  EXPECT_EQ(none.numel(), 0);
  EXPECT_EQ(none.sizes().vec(), (Shape{0, 3}));
}

TEST_P(FactoriesTest, NegativeSizeIsAnError) {
  // torch.zeros(-1): "Trying to create tensor with negative dimension -1: [-1]"
  EXPECT_AXON_ERROR(zeros({2, -1}, on_device()), "negative dimension -1");
  EXPECT_AXON_ERROR(empty({-3}, on_device()), "negative dimension -3");
}

TEST_P(FactoriesTest, FullInfersTheDTypeFromTheValue) {
  // torch.full((2,), 3).dtype -> int64; (2,), True -> bool; (2,), 1.5 -> float32
  EXPECT_TRUE(same_values(full({2}, 3, on_device()), ref({3, 3}, kInt64)));
  EXPECT_TRUE(same_values(full({2}, true, on_device()), ref({true, true}, kBool)));
  EXPECT_TRUE(same_values(full({2}, 1.5, on_device()), ref({1.5, 1.5}, kFloat32)));
  EXPECT_TRUE(same_values(full({1, 2}, 7, options(kFloat64)), ref({{7.0, 7.0}}, kFloat64)));
  EXPECT_EQ(full({2}, 1.5, on_device()).device(), device());
}

TEST_P(FactoriesTest, FullWithIntegerDTypeTruncatesAFloatValue) {
  // torch.full((2,), 2.5, dtype=torch.long) -> tensor([2, 2])
  EXPECT_TRUE(same_values(full({2}, 2.5, options(kInt64)), ref({2, 2}, kInt64)));
}

// ============================================================================================
// arange, linspace, eye
// ============================================================================================

TEST_P(FactoriesTest, ArangeEnd) {
  // torch.arange(5) -> int64; torch.arange(5.) -> float32
  EXPECT_TRUE(same_values(arange(5, on_device()), ref({0, 1, 2, 3, 4}, kInt64)));
  EXPECT_TRUE(same_values(arange(3.0, on_device()), ref({0.0, 1.0, 2.0}, kFloat32)));
  EXPECT_TRUE(same_values(arange(3, options(kFloat64)), ref({0.0, 1.0, 2.0}, kFloat64)));
  Tensor none = arange(0, on_device());
  EXPECT_EQ(none.sizes().vec(), (Shape{0}));
  EXPECT_EQ(none.dtype(), kInt64);
  EXPECT_EQ(arange(5, on_device()).device(), device());
}

TEST_P(FactoriesTest, ArangeStartEnd) {
  EXPECT_TRUE(same_values(arange(1, 4, on_device()), ref({1, 2, 3}, kInt64)));
  // torch.arange(0.5, 3) -> tensor([0.5000, 1.5000, 2.5000])
  EXPECT_TRUE(same_values(arange(0.5, 3, on_device()), ref({0.5, 1.5, 2.5}, kFloat32)));
  EXPECT_EQ(arange(3, 3, on_device()).numel(), 0);
}

TEST_P(FactoriesTest, ArangeStartEndStep) {
  // torch.arange(1, 2.5, 0.5) -> tensor([1.0000, 1.5000, 2.0000]), float32
  EXPECT_TRUE(same_values(arange(1, 2.5, 0.5, on_device()), ref({1.0, 1.5, 2.0}, kFloat32)));
  // torch.arange(10, 0, -3) -> tensor([10,  7,  4,  1])
  EXPECT_TRUE(same_values(arange(10, 0, -3, on_device()), ref({10, 7, 4, 1}, kInt64)));
  // torch.arange(1, -1, -0.5) -> tensor([ 1.0000,  0.5000,  0.0000, -0.5000])
  EXPECT_TRUE(same_values(arange(1, -1, -0.5, on_device()), ref({1.0, 0.5, 0.0, -0.5}, kFloat32)));
  EXPECT_TRUE(same_values(arange(0, 7, 3, options(kFloat64)), ref({0.0, 3.0, 6.0}, kFloat64)));
}

TEST_P(FactoriesTest, ArangeRejectsZeroStepAndInconsistentSign) {
  // torch.arange(0, 5, 0): "step must be nonzero"
  EXPECT_AXON_ERROR(arange(0, 5, 0, on_device()), "arange: step must be nonzero");
  EXPECT_AXON_ERROR(arange(0.0, 1.0, 0.0, on_device()), "step must be nonzero");
  // torch.arange(0, 5, -1): "upper bound and larger bound inconsistent with step sign"
  EXPECT_AXON_ERROR(arange(0, 5, -1, on_device()),
                    "upper bound and larger bound inconsistent with step sign");
  EXPECT_AXON_ERROR(arange(5, 0, 1, on_device()), "(start 5, end 0, step 1)");
}

TEST_P(FactoriesTest, LinspaceMatchesTorch) {
  // torch.linspace(0, 1, 5) -> [0.0, 0.25, 0.5, 0.75, 1.0]
  EXPECT_TRUE(
      same_values(linspace(0, 1, 5, on_device()), ref({0.0, 0.25, 0.5, 0.75, 1.0}, kFloat32)));
  // torch.linspace(-3.7, 2.2, 11).tolist()
  EXPECT_TRUE(same_values(
      linspace(-3.7, 2.2, 11, on_device()),
      ref({-3.700000047683716, -3.1100001335144043, -2.5199999809265137, -1.9299999475479126,
           -1.3399999141693115, -0.7500001192092896, -0.16000008583068848, 0.4299999475479126,
           1.0199999809265137, 1.6100000143051147, 2.200000047683716},
          kFloat32),
      1e-6, 1e-7));
  // torch.linspace(-3.7, 2.2, 11, dtype=torch.float64).tolist()
  EXPECT_TRUE(same_values(
      linspace(-3.7, 2.2, 11, options(kFloat64)),
      ref({-3.7, -3.1100000000000003, -2.52, -1.93, -1.3399999999999999, -0.7499999999999998,
           -0.1599999999999997, 0.4300000000000004, 1.02, 1.61, 2.2},
          kFloat64),
      1e-14, 1e-15));
  // torch.linspace(-1, 1, 7).tolist(): the middle element is -2.98e-08, not 0
  EXPECT_TRUE(
      same_values(linspace(-1, 1, 7, on_device()),
                  ref({-1.0, -0.6666666269302368, -0.3333333134651184, -2.9802322387695312e-08,
                       0.3333333134651184, 0.6666666269302368, 1.0},
                      kFloat32),
                  1e-6, 1e-9));
  // torch.linspace(0, 10, 4, dtype=torch.int64) -> [0, 3, 6, 10]
  EXPECT_TRUE(same_values(linspace(0, 10, 4, options(kInt64)), ref({0, 3, 6, 10}, kInt64)));
}

// Found by fuzzing the IDX reader: an empty shape whose other sizes multiply past int64. PyTorch
// makes it (its strides wrap: torch.empty(0, 2**40, 2**40).stride() == (0, 2**40, 1)).
TEST(FactoriesHugeEmpty, EmptyShapesPastInt64AreEmptyTensorsWithPyTorchsStrides) {
  const int64_t big = int64_t{1} << 40;
  Tensor a = empty({0, big, big});
  EXPECT_EQ(a.numel(), 0);
  EXPECT_EQ(a.strides(), (std::vector<int64_t>{0, big, 1}));
  Tensor b = empty({big, big, 0});
  EXPECT_EQ(b.numel(), 0);
  EXPECT_EQ(b.sizes(), (std::vector<int64_t>{big, big, 0}));
  EXPECT_AXON_ERROR(empty({big, big, 2}), "overflowed");
  EXPECT_AXON_ERROR(zeros({3}).view({big, big}), "invalid");
  EXPECT_AXON_ERROR(zeros({3}).view({-1, big, big}), "invalid");
}

TEST_P(FactoriesTest, LinspaceEdgeCounts) {
  // torch.linspace(2, 5, 1) -> [2.]; torch.linspace(2, 5, 0) -> []
  EXPECT_TRUE(same_values(linspace(2, 5, 1, on_device()), ref({2.0}, kFloat32)));
  Tensor none = linspace(2, 5, 0, on_device());
  EXPECT_EQ(none.sizes().vec(), (Shape{0}));
  EXPECT_EQ(none.dtype(), kFloat32);
  EXPECT_AXON_ERROR(linspace(0, 1, -1, on_device()),
                    "linspace: number of steps must be non-negative, got -1");
}

TEST_P(FactoriesTest, Eye) {
  EXPECT_TRUE(same_values(eye(3, on_device()),
                          ref({{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}, kFloat32)));
  // torch.eye(2, 3) and torch.eye(3, 2)
  EXPECT_TRUE(
      same_values(eye(2, 3, on_device()), ref({{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}}, kFloat32)));
  EXPECT_TRUE(same_values(eye(3, 2, options(kInt64)), ref({{1, 0}, {0, 1}, {0, 0}}, kInt64)));
  EXPECT_EQ(eye(0, on_device()).sizes().vec(), (Shape{0, 0}));
  EXPECT_EQ(eye(3, on_device()).device(), device());
  EXPECT_AXON_ERROR(eye(-1, on_device()), "eye: n (-1)");
  EXPECT_AXON_ERROR(eye(2, -3, on_device()), "m (-3)");
}

// ============================================================================================
// *_like
// ============================================================================================

TEST_P(FactoriesTest, LikeFormsCopyShapeDTypeAndDevice) {
  Tensor x = zeros({2, 3}, options(kInt64));
  Tensor e = empty_like(x);
  EXPECT_EQ(e.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(e.dtype(), kInt64);
  EXPECT_EQ(e.device(), device());
  EXPECT_TRUE(same_values(ones_like(x), ref({{1, 1, 1}, {1, 1, 1}}, kInt64)));
  EXPECT_TRUE(same_values(zeros_like(ones({2}, options(kFloat64))), ref({0.0, 0.0}, kFloat64)));
  EXPECT_TRUE(same_values(full_like(x.select(0, 0), 4), ref({4, 4, 4}, kInt64)));
  EXPECT_EQ(ones_like(x).device(), device());
}

TEST_P(FactoriesTest, LikeFormsTakeOverridesFromOptions) {
  Tensor x = zeros({2}, options(kInt64));
  EXPECT_TRUE(same_values(ones_like(x, kFloat64), ref({1.0, 1.0}, kFloat64)));
  EXPECT_TRUE(same_values(full_like(x, 1.5, kFloat32), ref({1.5, 1.5}, kFloat32)));
  Tensor g = zeros_like(ones({2}, on_device()), requires_grad());
  EXPECT_TRUE(g.requires_grad());
  EXPECT_TRUE(g.is_leaf());
}

TEST_P(FactoriesTest, RandomLikeForms) {
  Tensor x = zeros({4, 5}, options(kFloat64));
  Tensor r = rand_like(x);
  EXPECT_EQ(r.sizes().vec(), (Shape{4, 5}));
  EXPECT_EQ(r.dtype(), kFloat64);
  for (double v : values<double>(r)) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
  EXPECT_EQ(randn_like(x).dtype(), kFloat64);
  Tensor i = randint_like(zeros({50}, options(kInt64)), 2, 5);
  EXPECT_EQ(i.dtype(), kInt64);
  for (int64_t v : values<int64_t>(i)) {
    EXPECT_GE(v, 2);
    EXPECT_LT(v, 5);
  }
  for (double v : values<double>(randint_like(x, 3))) {
    EXPECT_TRUE(v == 0 || v == 1 || v == 2) << v;
  }
}

// ============================================================================================
// TensorOptions and Device
// ============================================================================================

TEST_P(FactoriesTest, TensorOptionsCarryDTypeDeviceAndRequiresGrad) {
  TensorOptions defaults;
  EXPECT_FALSE(defaults.has_dtype());
  EXPECT_FALSE(defaults.has_device());
  EXPECT_EQ(defaults.dtype(), kFloat32);
  EXPECT_EQ(defaults.device(), Device(kCPU));
  EXPECT_FALSE(defaults.requires_grad());

  Tensor t = zeros({2}, TensorOptions().dtype(kFloat64).device(device()).requires_grad(true));
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_EQ(t.device(), device());
  EXPECT_TRUE(t.requires_grad());
  EXPECT_TRUE(t.is_leaf());

  // LibTorch's shorthands.
  EXPECT_EQ(ones({2}, axon::dtype(kInt64).device(device())).dtype(), kInt64);
  Tensor g = ones({2}, axon::requires_grad().device(device()));
  EXPECT_TRUE(g.requires_grad());
  EXPECT_EQ(g.dtype(), kFloat32);
  EXPECT_FALSE(ones({2}, axon::requires_grad(false).device(device())).requires_grad());
  EXPECT_EQ(t.options().dtype(), kFloat64);
  EXPECT_EQ(t.options().device(), device());
}

TEST_P(FactoriesTest, RequiresGradOnIntegerDTypeIsAnError) {
  // torch.zeros(2, dtype=torch.long, requires_grad=True):
  // "Only Tensors of floating point and complex dtype can require gradients"
  EXPECT_AXON_ERROR(zeros({2}, options(kInt64).requires_grad(true)),
                    "only Tensors of floating point dtype can require gradients (got int64)");
}

TEST_P(FactoriesTest, DeviceParsesCpuAndCuda) {
  Device cpu("cpu");
  EXPECT_TRUE(cpu.is_cpu());
  EXPECT_EQ(cpu.str(), "cpu");
  EXPECT_EQ(cpu, Device(kCPU));
  Device cuda1("cuda:1");
  EXPECT_TRUE(cuda1.is_cuda());
  EXPECT_EQ(cuda1.index(), 1);
  EXPECT_EQ(cuda1.str(), "cuda:1");
  Device cuda("cuda");
  EXPECT_EQ(cuda.index(), -1);
  EXPECT_FALSE(cuda.has_index());
  EXPECT_EQ(cuda.str(), "cuda");
  // No index means the current device, which is cuda:0.
  EXPECT_EQ(cuda, Device("cuda:0"));
  EXPECT_FALSE(cuda1 == Device("cuda:0"));
  EXPECT_FALSE(cpu == cuda);
}

TEST_P(FactoriesTest, BadDeviceStringsAreAnError) {
  EXPECT_AXON_ERROR(Device("gpu"), "unknown device 'gpu'");
  EXPECT_AXON_ERROR(Device("CUDA"), "unknown device 'CUDA'");
  EXPECT_AXON_ERROR(Device(""), "unknown device ''");
  // torch.device("cuda:x"): "Invalid device string: 'cuda:x'"
  EXPECT_AXON_ERROR(Device("cuda:x"), "invalid device index in 'cuda:x'");
  EXPECT_AXON_ERROR(Device("cuda:-1"), "invalid device index in 'cuda:-1'");
  EXPECT_AXON_ERROR(Device("cuda:"), "invalid device index in 'cuda:'");
  EXPECT_AXON_ERROR(Device("cuda:1:2"), "invalid device index in 'cuda:1:2'");
}

TEST_P(FactoriesTest, CudaTensorInCpuOnlyBuildIsAnError) {
  if (has_allocator(kCUDA)) GTEST_SKIP() << "this build has a CUDA backend";
  EXPECT_AXON_ERROR(zeros({2}, Device(kCUDA)), "not available");
  EXPECT_AXON_ERROR(tensor({1, 2}, TensorOptions(Device("cuda:0"))), "cuda");
  EXPECT_AXON_ERROR(ones({2}).to(TensorOptions(kCUDA)), "not available");
  EXPECT_AXON_ERROR(ones({2}).cuda(), "not available");
}

// ============================================================================================
// Properties
// ============================================================================================

TEST_P(FactoriesTest, Properties) {
  Tensor t = zeros({2, 3, 4}, options(kFloat64));
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.size(0), 2);
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_EQ(t.size(-3), 2);
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.ndimension(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.dtype(), kFloat64);
  EXPECT_EQ(t.scalar_type(), kFloat64);
  EXPECT_EQ(t.device(), device());
  EXPECT_EQ(t.is_cpu(), GetParam() == kCPU);
  EXPECT_EQ(t.strides().vec(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.stride(-2), 4);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(t.is_floating_point());
  EXPECT_EQ(t.element_size(), 8u);
  EXPECT_EQ(t.nbytes(), 24u * 8u);
  EXPECT_EQ(t.storage_offset(), 0);
  EXPECT_FALSE(t.requires_grad());
  // torch.zeros(2, 1, 3).stride() -> (3, 3, 1)
  EXPECT_EQ(zeros({2, 1, 3}, on_device()).strides().vec(), (Shape{3, 3, 1}));
  Tensor scalar = tensor(1.0, on_device());
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_TRUE(scalar.sizes().empty());
  EXPECT_EQ(scalar.numel(), 1);
}

TEST_P(FactoriesTest, UndefinedTensor) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_FALSE(t.requires_grad());
  EXPECT_AXON_ERROR(t.sizes(), "the tensor is undefined");
  EXPECT_AXON_ERROR(t.dim(), "dim");
  EXPECT_AXON_ERROR(t.numel(), "numel");
}

TEST_P(FactoriesTest, SizeOutOfRangeIsAnError) {
  Tensor t = zeros({2, 3}, on_device());
  // t.size(2): "Dimension out of range (expected to be in range of [-2, 1], but got 2)"
  EXPECT_AXON_ERROR(t.size(2),
                    "dimension out of range (expected to be in range of [-2, 1], "
                    "but got 2)");
  EXPECT_AXON_ERROR(t.size(-3), "but got -3");
  EXPECT_AXON_ERROR(t.stride(2), "stride");
}

TEST_P(FactoriesTest, SizeOfZeroDimTensorIsAnError) {
  // torch.tensor(5).size(0): "Dimension specified as 0 but tensor has no dimensions"
  Tensor scalar = tensor(5, on_device());
  EXPECT_AXON_ERROR(scalar.size(0), "size");
  EXPECT_AXON_ERROR(scalar.size(-1), "size");
  EXPECT_AXON_ERROR(scalar.stride(0), "stride");
}

// ============================================================================================
// Random numbers under manual_seed
// ============================================================================================

TEST_P(FactoriesTest, SameSeedGivesSameDraws) {
  auto draw = [&] {
    return std::vector<Tensor>{rand({7}, on_device()), randn({20}, options(kFloat64)),
                               randint(-3, 9, {11}, on_device()), randperm(13, on_device())};
  };
  manual_seed(123);
  std::vector<Tensor> first = draw();
  manual_seed(123);
  std::vector<Tensor> second = draw();
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_TRUE(same_values(first[i], second[i])) << "draw " << i;
  }
  manual_seed(124);
  EXPECT_FALSE(same_values(rand({7}, on_device()), first[0]));
}

TEST_P(FactoriesTest, DrawsAdvanceTheGenerator) {
  manual_seed(5);
  Tensor a = rand({6}, on_device());
  Tensor b = rand({6}, on_device());
  EXPECT_FALSE(same_values(a, b));
}

TEST_P(FactoriesTest, RandMatchesTorchForSeedsZeroAndOne) {
  require_cpu("PyTorch's CPU generator values");
  // torch.manual_seed(0); torch.rand(5).tolist()
  manual_seed(0);
  EXPECT_TRUE(
      same_values(rand({5}), ref({0.49625658988952637, 0.7682217955589294, 0.08847743272781372,
                                  0.13203048706054688, 0.30742281675338745},
                                 kFloat32)));
  // torch.manual_seed(1); torch.rand(5).tolist()
  manual_seed(1);
  EXPECT_TRUE(
      same_values(rand({5}), ref({0.7576315999031067, 0.2793108820915222, 0.40306925773620605,
                                  0.7346844673156738, 0.029281556606292725},
                                 kFloat32)));
  // torch.manual_seed(0); torch.rand(3, dtype=torch.float64).tolist()
  manual_seed(0);
  EXPECT_TRUE(
      same_values(rand({3}, kFloat64),
                  ref({0.9700530018065531, 0.707819864399788, 0.45938294312745087}, kFloat64)));
  // torch.manual_seed(1); torch.rand(3, dtype=torch.float64).tolist()
  manual_seed(1);
  EXPECT_TRUE(
      same_values(rand({3}, kFloat64),
                  ref({0.06105327471962363, 0.2245545065676504, 0.23425251394483937}, kFloat64)));
}

TEST_P(FactoriesTest, RandnMatchesTorchForSeedsZeroAndOne) {
  require_cpu("PyTorch's CPU generator values");
  // Below 16 elements PyTorch draws normals one pair at a time (Box-Muller, the second cached).
  // torch.manual_seed(0); torch.randn(5).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(randn({5}),
                          ref({1.5409960746765137, -0.293428897857666, -2.1787893772125244,
                               0.5684312582015991, -1.0845223665237427},
                              kFloat32),
                          1e-6));
  // torch.manual_seed(1); torch.randn(5).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(randn({5}),
                          ref({0.6613521575927734, 0.266924113035202, 0.06167725846171379,
                               0.6213173270225525, -0.4519059658050537},
                              kFloat32),
                          1e-6));
  // torch.manual_seed(0); torch.randn(3, dtype=torch.float64).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(
      randn({3}, kFloat64),
      ref({1.5409961082440433, -0.2934289057609464, -2.1787893820745574}, kFloat64), 1e-12));
  // torch.manual_seed(1); torch.randn(3, dtype=torch.float64).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(
      randn({3}, kFloat64),
      ref({0.6613521715704522, 0.2669240982925188, 0.061677258237348306}, kFloat64), 1e-12));
}

TEST_P(FactoriesTest, RandnOfSixteenOrMoreMatchesTorch) {
  require_cpu("PyTorch's CPU generator values");
  // From 16 elements PyTorch fills in blocks of 16 (normal_fill): a different draw order. On
  // x86-64 with AVX2 (where these values were printed) float32 takes normal_fill_16_AVX2, which
  // computes the angle 2*pi*u2 in float.
  // torch.manual_seed(0); torch.randn(17).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(
      randn({17}),
      ref({-1.1258398294448853, -1.6959311962127686, 0.5666506290435791, 0.7935083508491516,
           0.5988394618034363, -1.5550950765609741, -0.3413603901863098, 1.85300612449646,
           0.46809640526771545, -0.5854975581169128, -0.1733967512845993, 0.18347793817520142,
           1.3893661499023438, 1.586334228515625, 0.946298360824585, -0.843676745891571,
           0.9318265914916992},
          kFloat32),
      1e-6));
  // torch.manual_seed(1); torch.randn(17).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(
      randn({17}),
      ref({-1.5255959033966064, -1.1607614755630493, 0.6995424032211304, 0.1990816295146942,
           0.8656923770904541, 0.2444038987159729, -0.6629113554954529, 0.8073082566261292,
           0.43914157152175903, -0.1759360432624817, -2.2455577850341797, -1.4464579820632935,
           0.0611552819609642, -0.6177444458007812, -0.7980698347091675, -0.13162320852279663,
           -0.7984398007392883},
          kFloat32),
      1e-6));
}

TEST_P(FactoriesTest, RandnFloat64OfSixteenOrMoreMatchesTorch) {
  require_cpu("PyTorch's CPU generator values");
  // float64 takes the scalar normal_fill path (53-bit uniforms, angle in double).
  // torch.manual_seed(0); torch.randn(17, dtype=torch.float64).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(
      randn({17}, kFloat64),
      ref({-2.310411800234176, -0.6332746088675096, -1.2609246557194385, -0.726951062065411,
           -0.019964750907762653, 0.2102998901016947, 0.17718935139366584, -0.830510051008449,
           0.23871805816817063, -0.2426793824588577, -0.7730112772958181, -1.5951814880783068,
           -0.6870036940435463, 1.4880743158106724, -0.4484158047114511, -0.8910030351707375,
           0.6748575435940039},
          kFloat64),
      1e-12));
  // torch.manual_seed(1); torch.randn(17, dtype=torch.float64).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(
      randn({17}, kFloat64),
      ref({-0.31128955419003207, 0.3739858166762804, 0.5739008402091161, 1.5697184649359581,
           0.8734455849426772, -3.704663800207429, -1.8141539905872015, -1.8425712793844078,
           0.09412786590968454, 0.5462183247259068, 1.052307808929565, -0.15636439667930063,
           -2.1010054062092243, 1.5797411191469026, 1.0833573008638342, 0.8896745158287568,
           -1.928583354008078},
          kFloat64),
      1e-12));
}

TEST_P(FactoriesTest, RandintMatchesTorchForSeedsZeroAndOne) {
  require_cpu("PyTorch's CPU generator values");
  // torch.manual_seed(0); torch.randint(0, 10, (6,)).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(randint(0, 10, {6}), ref({4, 9, 3, 0, 3, 9}, kInt64)));
  // torch.manual_seed(1); torch.randint(0, 10, (6,)).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(randint(0, 10, {6}), ref({5, 9, 4, 8, 3, 3}, kInt64)));
  // torch.manual_seed(0); torch.randint(-5, 5, (2, 3)).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(randint(-5, 5, {2, 3}), ref({{-1, 4, -2}, {-5, -2, 4}}, kInt64)));
  // torch.manual_seed(1); torch.randint(-5, 5, (2, 3)).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(randint(-5, 5, {2, 3}), ref({{0, 4, -1}, {3, -2, -2}}, kInt64)));
  // Ranges of 2^32 or more draw 64 bits.
  // torch.manual_seed(0); torch.randint(0, 2**40, (3,)).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(randint(0, int64_t{1} << 40, {3}),
                          ref({741280623151, 506137267392, 291447657211}, kInt64)));
  // torch.manual_seed(1); torch.randint(0, 2**40, (3,)).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(randint(0, int64_t{1} << 40, {3}),
                          ref({163196666091, 605300724808, 1095766950793}, kInt64)));
}

TEST_P(FactoriesTest, RandpermMatchesTorchForSeedsZeroAndOne) {
  // randperm is drawn on the CPU for every device, so every device sees these values.
  // torch.manual_seed(0); torch.randperm(8).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(randperm(8, on_device()), ref({4, 0, 7, 3, 2, 5, 1, 6}, kInt64)));
  // torch.manual_seed(1); torch.randperm(8).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(randperm(8, on_device()), ref({5, 4, 2, 6, 7, 3, 1, 0}, kInt64)));
  // torch.manual_seed(0); torch.randperm(20).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(
      randperm(20, on_device()),
      ref({4, 5, 13, 19, 7, 14, 3, 6, 9, 17, 11, 2, 16, 18, 10, 12, 15, 8, 1, 0}, kInt64)));
  // torch.manual_seed(1); torch.randperm(20).tolist()
  manual_seed(1);
  EXPECT_TRUE(same_values(
      randperm(20, on_device()),
      ref({5, 13, 2, 11, 19, 18, 1, 9, 4, 7, 0, 14, 16, 10, 15, 3, 6, 17, 12, 8}, kInt64)));
}

TEST_P(FactoriesTest, MixedDrawSequenceMatchesTorch) {
  require_cpu("PyTorch's CPU generator values");
  // The generator state carries across ops: rand, then randn, then randint.
  // torch.manual_seed(0); torch.rand(2).tolist(); torch.randn(3).tolist();
  // torch.randint(100, (2,)).tolist()
  manual_seed(0);
  EXPECT_TRUE(same_values(rand({2}), ref({0.49625658988952637, 0.7682217955589294}, kFloat32)));
  EXPECT_TRUE(same_values(
      randn({3}), ref({-0.29050925374031067, -1.0703703165054321, 1.2644586563110352}, kFloat32),
      1e-6));
  EXPECT_TRUE(same_values(randint(100, {2}), ref({1, 66}, kInt64)));
  // The same with torch.manual_seed(1)
  manual_seed(1);
  EXPECT_TRUE(same_values(rand({2}), ref({0.7576315999031067, 0.2793108820915222}, kFloat32)));
  EXPECT_TRUE(same_values(
      randn({3}), ref({0.11631361395120621, 0.7213021516799927, 0.5635511875152588}, kFloat32),
      1e-6));
  EXPECT_TRUE(same_values(randint(100, {2}), ref({48, 49}, kInt64)));
}

TEST_P(FactoriesTest, RandAndRandnRanges) {
  manual_seed(7);
  Tensor u = rand({1000}, on_device());
  EXPECT_EQ(u.dtype(), kFloat32);
  EXPECT_EQ(u.device(), device());
  for (float v : values<float>(u)) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
  Tensor n = randn({2, 3}, options(kFloat64));
  EXPECT_EQ(n.dtype(), kFloat64);
  EXPECT_EQ(n.sizes().vec(), (Shape{2, 3}));
  EXPECT_TRUE(rand({2}, on_device().requires_grad(true)).requires_grad());
  // torch.rand(2, dtype=torch.long): "check_uniform_bounds" not implemented for 'Long'
  EXPECT_AXON_ERROR(rand({2}, options(kInt64)), "rand: expected a floating-point tensor");
  EXPECT_AXON_ERROR(randn({2}, options(kInt64)), "randn");
}

TEST_P(FactoriesTest, RandintRangeAndDType) {
  manual_seed(11);
  Tensor r = randint(3, 7, {1000}, on_device());
  EXPECT_EQ(r.dtype(), kInt64);
  EXPECT_EQ(r.device(), device());
  std::set<int64_t> seen;
  for (int64_t v : values<int64_t>(r)) {
    EXPECT_GE(v, 3);
    EXPECT_LT(v, 7);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 4u) << "1000 draws should hit each of 3, 4, 5, 6";
  // torch.randint(10, (3,), dtype=torch.float32).dtype -> float32
  Tensor f = randint(10, {2, 3}, options(kFloat32));
  EXPECT_EQ(f.dtype(), kFloat32);
  for (float v : values<float>(f)) {
    EXPECT_EQ(v, std::floor(v));
    EXPECT_GE(v, 0.0f);
    EXPECT_LT(v, 10.0f);
  }
  EXPECT_EQ(randint(2, {4}, options(kBool)).dtype(), kBool);
  EXPECT_EQ(randint(256, {4}, options(kUInt8)).dtype(), kUInt8);
}

TEST_P(FactoriesTest, RandintErrors) {
  // torch.randint(5, 5, (2,)): "random_ expects 'from' to be less than 'to', but got from=5 >=
  // to=5"
  EXPECT_AXON_ERROR(randint(5, 5, {2}, on_device()),
                    "randint: expects 'from' (5) to be less than 'to' (5)");
  EXPECT_AXON_ERROR(randint(0, 300, {2}, options(kUInt8)), "[0, 300)");
}

TEST_P(FactoriesTest, RandpermIsAPermutation) {
  manual_seed(3);
  Tensor p = randperm(50, on_device());
  EXPECT_EQ(p.dtype(), kInt64);
  EXPECT_EQ(p.device(), device());
  std::vector<int64_t> v = values<int64_t>(p);
  std::set<int64_t> distinct(v.begin(), v.end());
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_EQ(*distinct.begin(), 0);
  EXPECT_EQ(*distinct.rbegin(), 49);
  // torch.randperm(4, dtype=torch.float64).dtype -> float64
  EXPECT_EQ(randperm(4, options(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(randperm(0, on_device()).sizes().vec(), (Shape{0}));
  // torch.randperm(-1): "n must be greater or equal to 0, got -1"
  EXPECT_AXON_ERROR(randperm(-1, on_device()), "randperm: n must be non-negative, got -1");
}

// ============================================================================================
// item() and data_ptr<T>()
// ============================================================================================

TEST_P(FactoriesTest, ItemOfOneElementTensors) {
  EXPECT_EQ(tensor(3.5, on_device()).item<double>(), 3.5);
  EXPECT_EQ(tensor({7}, on_device()).item<int64_t>(), 7);
  EXPECT_EQ(full({1, 1}, 2.25, options(kFloat64)).item<float>(), 2.25f);
  EXPECT_EQ(tensor({{true}}, on_device()).item<bool>(), true);
  EXPECT_EQ(tensor(200, options(kUInt8)).item<int64_t>(), 200);

  Scalar f = tensor(1.5, on_device()).item();
  EXPECT_TRUE(f.isFloatingPoint());
  EXPECT_EQ(f.toDouble(), 1.5);
  Scalar i = tensor(-4, on_device()).item();
  EXPECT_TRUE(i.isIntegral());
  EXPECT_EQ(i.toLong(), -4);
  Scalar b = tensor(true, on_device()).item();
  EXPECT_TRUE(b.isBoolean());
  EXPECT_TRUE(b.toBool());
  // A one-element view of a bigger tensor.
  EXPECT_EQ(arange(10, on_device())[7].item<int64_t>(), 7);
}

TEST_P(FactoriesTest, ItemOfManyElementsIsAnError) {
  // LibTorch: "a Tensor with 3 elements cannot be converted to Scalar"
  EXPECT_AXON_ERROR(ones({3}, on_device()).item(),
                    "a Tensor with 3 elements cannot be converted to Scalar");
  EXPECT_AXON_ERROR(ones({0}, on_device()).item<float>(), "a Tensor with 0 elements");
}

TEST_P(FactoriesTest, DataPtrWithTheWrongTypeIsAnError) {
  Tensor f = zeros({2}, on_device());
  EXPECT_NE(f.data_ptr<float>(), nullptr);
  EXPECT_AXON_ERROR(f.data_ptr<double>(),
                    "data_ptr: the tensor holds float32 elements but float64 was requested");
  EXPECT_AXON_ERROR(zeros({2}, options(kInt64)).data_ptr<float>(), "holds int64 elements");
  EXPECT_EQ(static_cast<void*>(f.data_ptr<float>()), f.data_ptr());
}

AXON_INSTANTIATE_DEVICE_TEST(FactoriesTest);

// Note [CPU block cache] in core/cpu_allocator.cpp: a freed block of 64 KiB or more is kept and
// handed out again for the next request of its rounded size (so a training step's outputs do
// not page-fault on fresh memory); smaller ones go back to malloc.
TEST(CpuBlockCache, KeepsBlocksFrom64KiBAndHandsThemOutAgain) {
  cpu::empty_cache();
  ASSERT_EQ(cpu::cached_bytes(), 0u);
  void* first = nullptr;
  {
    Tensor block = empty({16 * 1024}, TensorOptions(kFloat32));  // 64 KiB
    first = block.data_ptr();
  }
  EXPECT_EQ(cpu::cached_bytes(), size_t{64 * 1024});
  {
    Tensor again = empty({16 * 1024}, TensorOptions(kFloat32));
    EXPECT_EQ(again.data_ptr(), first);
    EXPECT_EQ(cpu::cached_bytes(), 0u);
  }
  { Tensor small = empty({16 * 1024 - 16}, TensorOptions(kFloat32)); }  // 64 KiB - 64 bytes
  EXPECT_EQ(cpu::cached_bytes(), size_t{64 * 1024});
  cpu::empty_cache();
  EXPECT_EQ(cpu::cached_bytes(), 0u);
}

}  // namespace
}  // namespace axon
