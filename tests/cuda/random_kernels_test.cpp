// The CUDA random kernels (kernels/cuda/random.cu). CUDA draws Philox streams, not the CPU's
// mt19937 ones, so the numbers differ from the CPU's for a seed (as in PyTorch): these cases check
// distributions on 1e6 samples (bounds about 5 standard errors wide), reproducibility under
// manual_seed, and that every element of odd-sized, non-contiguous and very large tensors is
// written. Runs only with a GPU (skipped otherwise); tests/core/philox_test.cpp checks the same
// transformations on the CPU.
#include <cmath>
#include <limits>
#include <vector>

#include "axon/cuda.h"
#include "test_utils.h"

namespace axon {
namespace {

class CudaRandom : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
  }
  static TensorOptions on_cuda(DType dtype = kFloat32) {
    return TensorOptions().dtype(dtype).device(kCUDA);
  }
};

constexpr int64_t kSamples = 1000000;

// The values of a tensor, any device, as doubles.
std::vector<double> values(const Tensor& t) {
  Tensor host = t.cpu().to(kFloat64).contiguous();
  const double* p = host.data_ptr<double>();
  return std::vector<double>(p, p + host.numel());
}

struct Stats {
  double mean = 0, std = 0;
};
Stats stats(const std::vector<double>& x) {
  double sum = 0, sum_sq = 0;
  for (double v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  for (double v : x) sum_sq += (v - mean) * (v - mean);
  return {mean, std::sqrt(sum_sq / static_cast<double>(x.size()))};
}

double fraction(const std::vector<double>& x, bool (*pred)(double)) {
  int64_t n = 0;
  for (double v : x) n += pred(v);
  return static_cast<double>(n) / static_cast<double>(x.size());
}

TEST_F(CudaRandom, UniformHasTheUniformDistribution) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    manual_seed(1);
    Tensor x = empty({kSamples}, on_cuda(dtype));
    uniform_(x, -2, 3);
    EXPECT_TRUE(x.is_cuda());
    const std::vector<double> v = values(x);
    for (double e : v) ASSERT_TRUE(e >= -2 && e < 3) << e;
    const Stats s = stats(v);
    EXPECT_NEAR(s.mean, 0.5, 7.5e-3);
    EXPECT_NEAR(s.std, 5 / std::sqrt(12.0), 5e-3);
    EXPECT_NEAR(fraction(v, [](double e) { return e < 0; }), 0.4, 2.5e-3);
  }
}

TEST_F(CudaRandom, RandnAndNormalHaveTheNormalDistribution) {
  for (DType dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    manual_seed(2);
    const std::vector<double> z = values(randn({kSamples}, on_cuda(dtype)));
    const Stats s = stats(z);
    EXPECT_NEAR(s.mean, 0, 5e-3);
    EXPECT_NEAR(s.std, 1, 5e-3);
    EXPECT_NEAR(fraction(z, [](double e) { return std::abs(e) < 1; }), 0.682689, 2.5e-3);

    Tensor x = empty({kSamples}, on_cuda(dtype));
    normal_(x, 1, 2);
    const Stats t = stats(values(x));
    EXPECT_NEAR(t.mean, 1, 1e-2);
    EXPECT_NEAR(t.std, 2, 1e-2);
  }
}

TEST_F(CudaRandom, BernoulliHasProbabilityPInEveryDtype) {
  for (DType dtype : {kFloat32, kFloat64, kUInt8, kInt64, kBool}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    manual_seed(3);
    Tensor x = empty({kSamples}, on_cuda(dtype));
    bernoulli_(x, 0.3);
    const std::vector<double> v = values(x);
    for (double e : v) ASSERT_TRUE(e == 0 || e == 1) << e;
    EXPECT_NEAR(stats(v).mean, 0.3, 2.5e-3);
  }
  Tensor all = empty({1000}, on_cuda());
  EXPECT_EQ(stats(values(bernoulli_(all, 1.0))).mean, 1.0);
  EXPECT_EQ(stats(values(bernoulli_(all, 0.0))).mean, 0.0);
}

TEST_F(CudaRandom, DropoutZeroesAFractionPAndScalesTheRest) {
  manual_seed(4);
  Tensor x = ones({1000, 1000}, on_cuda());
  const std::vector<double> y = values(dropout(x, 0.2, /*train=*/true));
  EXPECT_NEAR(fraction(y, [](double e) { return e == 0; }), 0.2, 2.5e-3);
  // The survivors are 1 / (1 - p) in float32.
  for (double e : y) ASSERT_TRUE(e == 0 || e == static_cast<double>(1.0f / 0.8f)) << e;
  // Feature dropout keeps or drops whole channels.
  Tensor features = ones({400, 500, 3, 3}, on_cuda());
  Tensor out = feature_dropout(features, 0.5, true).cpu();
  Tensor channel_max = out.amax({2, 3}), channel_min = out.amin({2, 3});
  EXPECT_TRUE(equal(channel_max, channel_min));
  EXPECT_NEAR(stats(values(channel_max.eq(0))).mean, 0.5, 5e-3);
}

TEST_F(CudaRandom, RandintCoversItsRange) {
  manual_seed(5);
  const std::vector<double> small = values(randint(-3, 3, {60000}, on_cuda(kInt64)));
  std::vector<int64_t> counts(6);
  for (double e : small) {
    ASSERT_TRUE(e >= -3 && e < 3) << e;
    ++counts[static_cast<size_t>(e + 3)];
  }
  for (int64_t c : counts) EXPECT_NEAR(c, 10000, 500);

  const std::vector<double> bytes = values(randint(0, 256, {kSamples}, on_cuda(kUInt8)));
  EXPECT_NEAR(stats(bytes).mean, 127.5, 0.5);

  // A range of 2^40 needs 64-bit draws.
  const int64_t wide = int64_t{1} << 40;
  Tensor big = randint(7, 7 + wide, {100000}, on_cuda(kInt64)).cpu();
  const int64_t* p = big.data_ptr<int64_t>();
  int64_t upper_half = 0;
  for (int64_t i = 0; i < big.numel(); ++i) {
    ASSERT_TRUE(p[i] >= 7 && p[i] < 7 + wide) << p[i];
    upper_half += p[i] >= 7 + wide / 2;
  }
  EXPECT_NEAR(upper_half, 50000, 800);
}

TEST_F(CudaRandom, ManualSeedReproducesDrawsAndLaunchesDiffer) {
  manual_seed(123);
  Tensor a = rand({1001}, on_cuda());
  Tensor an = randn({7}, on_cuda(kFloat64));
  manual_seed(123);
  Tensor b = rand({1001}, on_cuda());
  Tensor bn = randn({7}, on_cuda(kFloat64));
  EXPECT_TRUE(equal(a.cpu(), b.cpu()));
  EXPECT_TRUE(equal(an.cpu(), bn.cpu()));
  // The next launch reads another stream.
  EXPECT_FALSE(equal(rand({1001}, on_cuda()).cpu(), b.cpu()));
  // So does another seed.
  manual_seed(124);
  EXPECT_FALSE(equal(rand({1001}, on_cuda()).cpu(), b.cpu()));
}

TEST_F(CudaRandom, OddSizesAreWrittenToTheLastElement) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t n : {1, 2, 3, 5, 255, 257, 1027, 65537}) {
    for (DType dtype : {kFloat32, kFloat64}) {
      SCOPED_TRACE(::testing::Message() << n << " " << dtype);
      Tensor u = full({n}, nan, on_cuda(dtype));
      uniform_(u);
      for (double e : values(u)) ASSERT_TRUE(e >= 0 && e < 1) << e;
      Tensor z = full({n}, nan, on_cuda(dtype));
      normal_(z);
      for (double e : values(z)) ASSERT_TRUE(std::isfinite(e)) << e;
    }
    Tensor m = full({n}, 7, on_cuda(kUInt8));
    bernoulli_(m, 0.5);
    for (double e : values(m)) ASSERT_LE(e, 1);
    Tensor r = randint(10, 20, {n}, on_cuda(kInt64));
    for (double e : values(r)) ASSERT_TRUE(e >= 10 && e < 20) << e;
  }
  EXPECT_EQ(rand({0}, on_cuda()).numel(), 0);
  EXPECT_EQ(randn({3, 0}, on_cuda()).numel(), 0);
}

TEST_F(CudaRandom, NonContiguousTensorsAreFilledThroughTheirView) {
  Tensor base = full({100}, -5.0, on_cuda());
  Tensor every_other = base.slice(0, 0, 100, 2);
  uniform_(every_other);
  const std::vector<double> v = values(base);
  for (size_t i = 0; i < v.size(); ++i) {
    if (i % 2 == 0) {
      EXPECT_TRUE(v[i] >= 0 && v[i] < 1) << i;
    } else {
      EXPECT_EQ(v[i], -5.0) << i;
    }
  }
  Tensor transposed = full({33, 65}, -5.0, on_cuda(kFloat64)).t();
  normal_(transposed, 10, 1);
  EXPECT_NEAR(stats(values(transposed)).mean, 10, 0.2);
}

// More than 2^31 elements: 32-bit indexing would wrap. Needs about 2 GiB of GPU memory.
TEST_F(CudaRandom, FillsPast2To31Elements) {
  const int64_t n = (int64_t{1} << 31) + 9;
  Tensor x;
  try {
    x = full({n}, 7, on_cuda(kUInt8));
  } catch (const Error& e) {
    GTEST_SKIP() << "not enough GPU memory for " << n << " bytes: " << e.what();
  }
  bernoulli_(x, 0.5);
  const std::vector<double> head = values(x.slice(0, 0, kSamples));
  const std::vector<double> tail = values(x.slice(0, n - kSamples, n));
  for (double e : tail) ASSERT_LE(e, 1);
  EXPECT_NEAR(stats(head).mean, 0.5, 3e-3);
  EXPECT_NEAR(stats(tail).mean, 0.5, 3e-3);
}

}  // namespace
}  // namespace axon
