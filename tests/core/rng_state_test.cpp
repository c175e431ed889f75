// get_rng_state / set_rng_state: saving the generator and restoring it repeats the draws
// (what checkpoints rely on to resume a run exactly).
#include <gtest/gtest.h>

#include "axon/axon.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::same_values;

TEST(RngStateTest, RestoringTheStateRepeatsEveryKindOfDraw) {
  manual_seed(7);
  rand({5});
  randn({3});  // leaves a cached normal, which the state must carry
  Tensor state = get_rng_state();
  EXPECT_EQ(state.dtype(), kUInt8);
  EXPECT_EQ(state.dim(), 1);
  Tensor a = randn({1}), b = rand({33}), c = randperm(50), d = randint(0, 10, {20});
  manual_seed(123);  // move the generator somewhere else entirely
  rand({1000});
  set_rng_state(state);
  EXPECT_TRUE(same_values(randn({1}), a));
  EXPECT_TRUE(same_values(rand({33}), b));
  EXPECT_TRUE(same_values(randperm(50), c));
  EXPECT_TRUE(same_values(randint(0, 10, {20}), d));
  EXPECT_EQ(default_generator().current_seed(), 7u);
}

TEST(RngStateTest, TheStateChangesAsTheGeneratorDraws) {
  manual_seed(1);
  Tensor before = get_rng_state();
  rand({1});
  Tensor after = get_rng_state();
  EXPECT_FALSE(before.sizes() == after.sizes() && before.equal(after));
}

TEST(RngStateTest, ABadStateIsAnErrorAndLeavesTheGeneratorAlone) {
  manual_seed(3);
  Tensor expected = rand({4});
  manual_seed(3);
  EXPECT_AXON_ERROR(set_rng_state(zeros({10}, TensorOptions(kUInt8))),
                    "Generator::set_state: not a generator state (10 bytes");
  EXPECT_AXON_ERROR(set_rng_state(zeros({10})), "set_rng_state: expected a 1-D uint8 tensor");
  Tensor state = get_rng_state();
  Tensor cut = state.slice(0, 0, state.numel() - 40).clone();
  EXPECT_AXON_ERROR(set_rng_state(cut), "not a generator state");
  EXPECT_TRUE(same_values(rand({4}), expected));
}

}  // namespace
}  // namespace axon
