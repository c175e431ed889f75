// kernels/common/philox.h on the CPU: Philox4x32-10 against Random123's known answers, and the
// fills the CUDA random kernels run, computed here block by block as a CUDA thread would, checked
// for their distribution (the CUDA kernels themselves are checked in
// tests/cuda/random_kernels_test).
#include "kernels/common/philox.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace axon::kernels {
namespace {

// Random123's kat_vectors, the three "philox4x32 10" lines: counter (4 words), key (2 words),
// expected output (4 words).
struct KnownAnswer {
  Philox4x32 counter;
  uint32_t key[2];
  Philox4x32 expected;
};
const KnownAnswer kKnownAnswers[] = {
    {{{0, 0, 0, 0}}, {0, 0}, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
    {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
     {0xffffffff, 0xffffffff},
     {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
    {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
     {0xa4093822, 0x299f31d0},
     {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
};

TEST(PhiloxTest, MatchesRandom123KnownAnswers) {
  for (const KnownAnswer& kat : kKnownAnswers) {
    const Philox4x32 out = philox4x32_10(kat.counter, kat.key[0], kat.key[1]);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(out.v[k], kat.expected.v[k]) << "word " << k;
  }
}

TEST(PhiloxTest, StreamSplitsBlockOffsetAndKeyIntoWords) {
  // The third known answer as a stream: counter words (block low, block high, offset low, offset
  // high), key words (low, high).
  const PhiloxStream stream{0x299f31d0a4093822ull, 0x0370734413198a2eull};
  const Philox4x32 out = stream.block(0x85a308d3243f6a88ull);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(out.v[k], kKnownAnswers[2].expected.v[k]);
}

TEST(PhiloxTest, UniformBitsSpanZeroToOne) {
  EXPECT_EQ(uniform_float(0), 0.0f);
  EXPECT_EQ(uniform_float(0xffffffffu), 1.0f - 0x1p-24f);  // the largest float below 1
  EXPECT_EQ(uniform_double(0, 0), 0.0);
  EXPECT_EQ(uniform_double(0xffffffffu, 0xffffffffu), 1.0 - 0x1p-53);
  EXPECT_EQ(uniform_double(0x80000000u, 0), 0.5);
}

// What a CUDA fill writes into n elements: block b's values at [b * kPerBlock, ...), cut at n.
template <typename T, typename Fill>
std::vector<T> fill_as_cuda(int64_t n, const Fill& fill, PhiloxStream stream = {42, 7}) {
  std::vector<T> out(static_cast<size_t>(n));
  constexpr int kPerBlock = Fill::kPerBlock;
  for (int64_t b = 0; b * kPerBlock < n; ++b) {
    T values[kPerBlock];
    fill(stream.block(static_cast<uint64_t>(b)), values);
    for (int k = 0; k < kPerBlock && b * kPerBlock + k < n; ++k) out[b * kPerBlock + k] = values[k];
  }
  return out;
}

struct Moments {
  double mean = 0, std = 0;
};
template <typename T>
Moments moments(const std::vector<T>& x) {
  double sum = 0, sum_sq = 0;
  for (T v : x) sum += static_cast<double>(v);
  const double mean = sum / static_cast<double>(x.size());
  for (T v : x) sum_sq += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
  return {mean, std::sqrt(sum_sq / static_cast<double>(x.size()))};
}

// 1e6 samples: the standard error of a mean is 1e-3 of the std, so the bounds below are about
// 5 standard errors wide; the seed is fixed, so the test is deterministic.
constexpr int64_t kSamples = 1000000;

template <typename T>
void check_uniform() {
  const std::vector<T> u = fill_as_cuda<T>(kSamples, UniformFill<T>{T(-2), T(3)});
  int64_t below_zero = 0;
  for (T v : u) {
    ASSERT_TRUE(v >= T(-2) && v < T(3)) << v;
    below_zero += v < T(0);
  }
  const Moments m = moments(u);
  EXPECT_NEAR(m.mean, 0.5, 5 * 5 / std::sqrt(12.0) * 1e-3);
  EXPECT_NEAR(m.std, 5 / std::sqrt(12.0), 5e-3);
  EXPECT_NEAR(static_cast<double>(below_zero) / kSamples, 0.4, 2.5e-3);
}
TEST(PhiloxTest, UniformFillIsUniformFloat) { check_uniform<float>(); }
TEST(PhiloxTest, UniformFillIsUniformDouble) { check_uniform<double>(); }

template <typename T>
void check_normal() {
  const std::vector<T> x = fill_as_cuda<T>(kSamples, NormalFill<T>{T(1), T(2)});
  int64_t within_one_std = 0;
  for (T v : x) {
    ASSERT_TRUE(std::isfinite(v));
    within_one_std += std::abs(v - T(1)) < T(2);
  }
  const Moments m = moments(x);
  EXPECT_NEAR(m.mean, 1.0, 1e-2);
  EXPECT_NEAR(m.std, 2.0, 1e-2);
  EXPECT_NEAR(static_cast<double>(within_one_std) / kSamples, 0.682689, 2.5e-3);
}
TEST(PhiloxTest, NormalFillIsNormalFloat) { check_normal<float>(); }
TEST(PhiloxTest, NormalFillIsNormalDouble) { check_normal<double>(); }

TEST(PhiloxTest, BernoulliFillHasProbabilityP) {
  const std::vector<uint8_t> x = fill_as_cuda<uint8_t>(kSamples, BernoulliFill<uint8_t>{0.3});
  int64_t ones = 0;
  for (uint8_t v : x) {
    ASSERT_LE(v, 1);
    ones += v;
  }
  EXPECT_NEAR(static_cast<double>(ones) / kSamples, 0.3, 2.5e-3);
}

TEST(PhiloxTest, RandomRangeFillCoversTheRange) {
  const std::vector<int64_t> x =
      fill_as_cuda<int64_t>(60000, RandomRangeFill<int64_t, false>{-3, 6});
  std::vector<int64_t> counts(6);
  for (int64_t v : x) {
    ASSERT_TRUE(v >= -3 && v < 3) << v;
    ++counts[static_cast<size_t>(v + 3)];
  }
  for (int64_t c : counts) EXPECT_NEAR(c, 10000, 500);  // 5 standard deviations (~91)

  const uint64_t wide = uint64_t{1} << 40;
  const std::vector<int64_t> y =
      fill_as_cuda<int64_t>(100000, RandomRangeFill<int64_t, true>{5, wide});
  int64_t upper_half = 0;
  for (int64_t v : y) {
    ASSERT_TRUE(v >= 5 && v < 5 + static_cast<int64_t>(wide)) << v;
    upper_half += v >= 5 + static_cast<int64_t>(wide / 2);
  }
  EXPECT_NEAR(upper_half, 50000, 800);
}

TEST(PhiloxTest, StreamsWithOtherKeysOrOffsetsDiffer) {
  const auto a = fill_as_cuda<float>(8, UniformFill<float>{0, 1}, {1, 0});
  const auto b = fill_as_cuda<float>(8, UniformFill<float>{0, 1}, {2, 0});
  const auto c = fill_as_cuda<float>(8, UniformFill<float>{0, 1}, {1, 1});
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a, (fill_as_cuda<float>(8, UniformFill<float>{0, 1}, {1, 0})));
}

}  // namespace
}  // namespace axon::kernels
