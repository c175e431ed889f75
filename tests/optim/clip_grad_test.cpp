// Gradient clipping (axon/nn/utils/clip_grad.h) against torch.nn.utils.clip_grad_norm_ and
// clip_grad_value_ (golden_optim.json, written by tests/reference/generate_optim_golden.py).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "axon/optim.h"
#include "optim_golden.h"
#include "test_utils.h"

namespace axon {
namespace {

using nn::utils::clip_grad_norm_;
using nn::utils::clip_grad_value_;
using testing::approx;
using testing::dtype_named;
using testing::golden_tensor;
using testing::json;
using testing::optim_golden;
using testing::same;
using testing::values;

class ClipGradTest : public testing::DeviceTest {
 protected:
  // Parameters shaped [2, 3], [4] and [2]; the first two get the case's gradients, the last
  // none.
  std::vector<Tensor> params_with_grads(const json& grads, DType dtype) const {
    std::vector<Tensor> params = {zeros({2, 3}, options(dtype)).requires_grad_(),
                                  zeros({4}, options(dtype)).requires_grad_(),
                                  zeros({2}, options(dtype)).requires_grad_()};
    json rows = json::array();
    for (const json& row : grads[0]) {
      for (const json& v : row) rows.push_back(v);
    }
    params[0].mutable_grad() = golden_tensor(rows, {2, 3}, dtype, device());
    params[1].mutable_grad() = golden_tensor(grads[1], {4}, dtype, device());
    return params;
  }
};

TEST_P(ClipGradTest, ClipGradNormMatchesPyTorch) {
  int cases = 0;
  for (const json& c : optim_golden()["clip"]) {
    if (c["function"] != "clip_grad_norm_") continue;
    SCOPED_TRACE(c["dtype"].get<std::string>() + " " + c["args"].dump());
    const DType dtype = dtype_named(c["dtype"]);
    const double rtol = dtype == kFloat32 ? 1e-6 : 1e-12;
    std::vector<Tensor> params = params_with_grads(c["grads"], dtype);
    const json& norm_type = c["args"]["norm_type"];
    double total = clip_grad_norm_(params, c["args"]["max_norm"].get<double>(),
                                   norm_type.is_string() ? testing::kInf : norm_type.get<double>());
    const double expected_total = c["total_norm"].get<double>();
    EXPECT_NEAR(total, expected_total, rtol * expected_total);
    EXPECT_TRUE(approx(params[0].grad(), golden_tensor(c["clipped"][0], {2, 3}, dtype), rtol, 0));
    EXPECT_TRUE(approx(params[1].grad(), golden_tensor(c["clipped"][1], {4}, dtype), rtol, 0));
    EXPECT_FALSE(params[2].grad().defined());
    EXPECT_EQ(params[0].grad().dtype(), dtype);
    ++cases;
  }
  EXPECT_EQ(cases, 12);
}

TEST_P(ClipGradTest, ClipGradValueMatchesPyTorch) {
  int cases = 0;
  for (const json& c : optim_golden()["clip"]) {
    if (c["function"] != "clip_grad_value_") continue;
    const DType dtype = dtype_named(c["dtype"]);
    std::vector<Tensor> params = params_with_grads(c["grads"], dtype);
    clip_grad_value_(params, c["args"]["clip_value"].get<double>());
    EXPECT_TRUE(same(params[0].grad(), golden_tensor(c["clipped"][0], {2, 3}, dtype)));
    EXPECT_TRUE(same(params[1].grad(), golden_tensor(c["clipped"][1], {4}, dtype)));
    ++cases;
  }
  EXPECT_EQ(cases, 2);
}

TEST_P(ClipGradTest, SingleTensorAndListOverloads) {
  Tensor w = zeros({2}, options(kFloat64)).requires_grad_();
  w.mutable_grad() = make({3.0, 4.0}, kFloat64);
  // Norm 5, scaled by 1 / (5 + 1e-6).
  EXPECT_EQ(clip_grad_norm_(w, 1.0), 5.0);
  EXPECT_TRUE(approx(w.grad(), ref({0.6, 0.8}, kFloat64), 1e-6, 0));
  Tensor u = zeros({1}, options(kFloat64)).requires_grad_();
  u.mutable_grad() = make({-2.0}, kFloat64);
  EXPECT_NEAR(clip_grad_norm_({w, u}, 10.0, 1.0), 3.4, 1e-6);  // |0.6| + |0.8| + |-2|
  clip_grad_value_(u, 1.5);
  EXPECT_TRUE(same(u.grad(), ref({-1.5}, kFloat64)));
  clip_grad_value_({w, u}, 0.7);
  EXPECT_TRUE(approx(w.grad(), ref({0.6, 0.7}, kFloat64), 1e-6, 0));
  EXPECT_EQ(values<double>(w.grad())[1], 0.7);
}

TEST_P(ClipGradTest, NoGradientsGiveZero) {
  Tensor w = zeros({2}, options()).requires_grad_();
  EXPECT_EQ(clip_grad_norm_(std::vector<Tensor>{w}, 1.0), 0.0);
  EXPECT_EQ(clip_grad_norm_(std::vector<Tensor>{}, 1.0), 0.0);
  clip_grad_value_(std::vector<Tensor>{w}, 1.0);
  EXPECT_FALSE(w.grad().defined());
}

TEST_P(ClipGradTest, NonFiniteNormIsAnErrorOnlyWhenAsked) {
  Tensor w = zeros({2}, options()).requires_grad_();
  w.mutable_grad() = make({1.0f, std::numeric_limits<float>::infinity()});
  EXPECT_AXON_ERROR(clip_grad_norm_(w, 1.0, 2.0, true),
                    "clip_grad_norm_: the total norm of order 2 for gradients from `parameters` "
                    "is non-finite (inf)");
  // Nothing was scaled.
  EXPECT_TRUE(testing::same_values(w.grad(), make({1.0f, std::numeric_limits<float>::infinity()})));
  // Without the check, as in PyTorch: the coefficient is 1 / inf = 0.
  EXPECT_TRUE(std::isinf(clip_grad_norm_(w, 1.0)));
  EXPECT_EQ(values<float>(w.grad())[0], 0.0f);
  EXPECT_AXON_ERROR(clip_grad_norm_(w, 1.0, std::nan("")), "clip_grad_norm_: norm_type is NaN");
}

AXON_INSTANTIATE_DEVICE_TEST(ClipGradTest);

}  // namespace
}  // namespace axon
