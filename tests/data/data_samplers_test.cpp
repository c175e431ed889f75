// Samplers: every index once per epoch, a fresh permutation each epoch, LibTorch's order.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "test_utils.h"

namespace axon::testing {
namespace {

using data::samplers::RandomSampler;
using data::samplers::SequentialSampler;

// One epoch's indices, in order, taken batch_size at a time; checks every batch is full but
// the last.
template <typename Sampler>
std::vector<size_t> epoch(Sampler& sampler, size_t batch_size) {
  std::vector<size_t> all;
  while (auto batch = sampler.next(batch_size)) {
    EXPECT_FALSE(batch->empty());
    EXPECT_LE(batch->size(), batch_size);
    EXPECT_EQ(all.size() % batch_size, 0u) << "a short batch before the last";
    all.insert(all.end(), batch->begin(), batch->end());
  }
  return all;
}

std::vector<size_t> iota(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(SequentialSampler, InOrderEveryEpoch) {
  SequentialSampler sampler(10);
  EXPECT_EQ(sampler.next(4), std::vector<size_t>({0, 1, 2, 3}));
  EXPECT_EQ(sampler.next(4), std::vector<size_t>({4, 5, 6, 7}));
  EXPECT_EQ(sampler.next(4), std::vector<size_t>({8, 9}));
  EXPECT_FALSE(sampler.next(4).has_value());
  EXPECT_EQ(sampler.index(), 10u);
  sampler.reset();
  EXPECT_EQ(epoch(sampler, 3), iota(10));
  sampler.reset(4);
  EXPECT_EQ(epoch(sampler, 3), iota(4));
}

TEST(RandomSampler, EachIndexOncePerEpochAndANewOrderEachEpoch) {
  manual_seed(5);
  RandomSampler sampler(1000);
  std::vector<std::vector<size_t>> orders;
  for (int e = 0; e < 3; ++e) {
    sampler.reset();
    std::vector<size_t> order = epoch(sampler, 64);
    EXPECT_EQ(sampler.index(), 1000u);
    std::vector<size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, iota(1000)) << "epoch " << e;
    EXPECT_NE(order, iota(1000));
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
  sampler.reset(10);
  std::vector<size_t> small = epoch(sampler, 4);
  std::sort(small.begin(), small.end());
  EXPECT_EQ(small, iota(10));
}

TEST(RandomSampler, SameSeedSameOrders) {
  auto orders = [](uint64_t seed) {
    manual_seed(seed);
    RandomSampler sampler(100);
    std::vector<std::vector<size_t>> out;
    for (int e = 0; e < 2; ++e) {
      sampler.reset();
      out.push_back(epoch(sampler, 7));
    }
    return out;
  };
  EXPECT_EQ(orders(42), orders(42));
  EXPECT_NE(orders(42), orders(43));
}

// LibTorch's RandomSampler draws randperm(n) in its constructor and again in each reset(); with
// the same seed, axon's epochs are LibTorch's (the permutations from PyTorch's randperm).
TEST(RandomSampler, OrdersAsLibTorch) {
  std::ifstream in(AXON_TEST_REFERENCE_DIR "/data_golden.json");
  ASSERT_TRUE(in) << "cannot open data_golden.json";
  const nlohmann::json golden = nlohmann::json::parse(in);
  for (const auto& c : golden["sampler"]) {
    manual_seed(c["seed"].get<uint64_t>());
    RandomSampler sampler(c["n"].get<int64_t>());
    for (const auto& expected : c["epochs"]) {
      sampler.reset();
      EXPECT_EQ(epoch(sampler, 5), expected.get<std::vector<size_t>>()) << "seed " << c["seed"];
    }
  }
}

}  // namespace
}  // namespace axon::testing
