// A first end-to-end check that a tensor computes and differentiates.
#include "test_utils.h"

namespace axon {
namespace {

TEST(Smoke, SquareSumGradient) {
  Tensor x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor y = (x * x).sum();
  y.backward();
  EXPECT_DOUBLE_EQ(y.item<double>(), 14.0);
  EXPECT_TRUE(testing::all_close(x.grad(), tensor({2.0, 4.0, 6.0})));
}

}  // namespace
}  // namespace axon
