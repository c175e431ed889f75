// The fused SGD, Adam and AdamW steps (kernels/common/optimizer.h) against PyTorch's
// single-tensor update sequences written in axon ops (what the optimizers ran before the fused
// kernels, and what golden_optim.json pins to PyTorch): the same bits on the CPU, for every
// option combination, float32 and float64, odd sizes, strided parameters, gradients and state.
// Also the errors for gradients that do not match their parameter.
#include <cmath>
#include <string>
#include <vector>

#include "axon/optim.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::same;

// ---- the op sequences (torch/optim/sgd.py, adam.py, adamw.py, torch 1.13) ---------------------

void sgd_reference(const Tensor& p, const Tensor& grad, Tensor& buf, const optim::SGDOptions& o) {
  Tensor d_p = grad;
  if (o.weight_decay() != 0) d_p = d_p.add(p, o.weight_decay());
  if (o.momentum() != 0) {
    if (!buf.defined()) {
      buf = d_p.clone();
    } else {
      buf.mul_(o.momentum()).add_(d_p, 1 - o.dampening());
    }
    d_p = o.nesterov() ? d_p.add(buf, o.momentum()) : buf;
  }
  p.add_(d_p, -o.lr());
}

struct AdamReferenceState {
  int64_t step = 0;
  Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
};

void adam_reference(const Tensor& p, Tensor grad, AdamReferenceState& s, double lr, double beta1,
                    double beta2, double eps, double weight_decay, bool amsgrad, bool decoupled) {
  if (!s.exp_avg.defined()) {
    s.exp_avg = zeros_like(p);
    s.exp_avg_sq = zeros_like(p);
    if (amsgrad) s.max_exp_avg_sq = zeros_like(p);
  }
  s.step += 1;
  if (decoupled) {
    p.mul_(1 - lr * weight_decay);
  } else if (weight_decay != 0) {
    grad = grad.add(p, weight_decay);
  }
  s.exp_avg.mul_(beta1).add_(grad, 1 - beta1);
  s.exp_avg_sq.mul_(beta2).add_(grad.mul(1 - beta2).mul_(grad));  // addcmul_: (value * t1) * t2
  const double step = static_cast<double>(s.step);
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, step));
  Tensor second_moment = s.exp_avg_sq;
  if (amsgrad) {
    s.max_exp_avg_sq.copy_(maximum(s.max_exp_avg_sq, s.exp_avg_sq));
    second_moment = s.max_exp_avg_sq;
  }
  Tensor denom = second_moment.sqrt().div_(bias_correction2_sqrt).add_(eps);
  p.add_(s.exp_avg.mul(-lr / bias_correction1).div_(denom));  // addcdiv_: (value * t1) / t2
}

// ---- the parameters ---------------------------------------------------------------------------

// Odd sizes (not multiples of a vector width), one long enough for OpenMP to split, a 0-d one,
// and a transposed (non-contiguous) one. Values spread over several binades, so that a
// different rounding anywhere shows in the last bits.
std::vector<Tensor> make_params(DType dtype) {
  manual_seed(7);
  std::vector<Tensor> params = {randn({37}, kFloat64) * 3, randn({5, 7}, kFloat64),
                                randn({70001}, kFloat64) * 0.01, randn({}, kFloat64),
                                randn({6, 9}, kFloat64)};
  for (Tensor& p : params) p = p.to(dtype);
  params.back() = params.back().t().detach();  // a leaf with transposed strides
  for (Tensor& p : params) p.requires_grad_();
  EXPECT_FALSE(params.back().is_contiguous());
  return params;
}

// Step k's gradients: fresh normals, the last one transposed (a strided gradient).
std::vector<Tensor> make_grads(const std::vector<Tensor>& params, int k) {
  manual_seed(100 + k);
  std::vector<Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor g = randn(params[i].sizes(), kFloat64) * (i + 1);
    if (i + 1 == params.size()) g = randn({6, 9}, kFloat64).mul(2).t();
    grads.push_back(g.to(params[i].dtype()));
  }
  return grads;
}

std::vector<Tensor> clones(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) out.push_back(p.detach().clone());
  return out;
}

constexpr int kSteps = 5;

// ---- SGD --------------------------------------------------------------------------------------

struct SgdCase {
  double momentum, dampening, weight_decay;
  bool nesterov;
};

TEST(FusedOptimizerTest, SGDMatchesTheOpSequenceBitForBit) {
  const SgdCase cases[] = {{0, 0, 0, false},     {0, 0, 0.01, false},  {0.9, 0, 0, false},
                           {0.9, 0.3, 0, false}, {0.9, 0, 0.02, true}, {0.5, 0.1, 0.03, false},
                           {0.9, 0, 0, true}};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const SgdCase& c : cases) {
      SCOPED_TRACE(::testing::Message()
                   << dtype << " momentum " << c.momentum << " dampening " << c.dampening
                   << " weight_decay " << c.weight_decay << " nesterov " << c.nesterov);
      const optim::SGDOptions options = optim::SGDOptions(0.0123)
                                            .momentum(c.momentum)
                                            .dampening(c.dampening)
                                            .weight_decay(c.weight_decay)
                                            .nesterov(c.nesterov);
      std::vector<Tensor> params = make_params(dtype);
      std::vector<Tensor> expected = clones(params);
      std::vector<Tensor> buffers(params.size());
      optim::SGD opt(params, options);
      for (int k = 0; k < kSteps; ++k) {
        const std::vector<Tensor> grads = make_grads(params, k);
        for (size_t i = 0; i < params.size(); ++i) {
          params[i].mutable_grad() = grads[i];
          sgd_reference(expected[i], grads[i], buffers[i], options);
        }
        opt.step();
        for (size_t i = 0; i < params.size(); ++i) {
          ASSERT_TRUE(same(params[i].detach(), expected[i])) << "step " << k << " param " << i;
          if (c.momentum == 0) continue;
          const auto& state = static_cast<const optim::SGDParamState&>(
              *opt.state().at(params[i].unsafeGetTensorImpl()));
          ASSERT_TRUE(same(state.momentum_buffer(), buffers[i])) << "step " << k << " buf " << i;
        }
      }
      // A strided parameter stays the same tensor, updated in place.
      EXPECT_FALSE(params.back().is_contiguous());
    }
  }
}

// ---- Adam and AdamW ---------------------------------------------------------------------------

struct AdamCase {
  double weight_decay;
  bool amsgrad;
};

template <typename Opt, typename Options, typename State>
void check_adam(bool decoupled) {
  const AdamCase cases[] = {{0, false}, {0.05, false}, {0, true}, {0.05, true}};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const AdamCase& c : cases) {
      SCOPED_TRACE(::testing::Message()
                   << dtype << " weight_decay " << c.weight_decay << " amsgrad " << c.amsgrad);
      const double lr = 0.0037, beta1 = 0.85, beta2 = 0.995, eps = 1e-6;
      const Options options = Options(lr)
                                  .betas({beta1, beta2})
                                  .eps(eps)
                                  .weight_decay(c.weight_decay)
                                  .amsgrad(c.amsgrad);
      std::vector<Tensor> params = make_params(dtype);
      std::vector<Tensor> expected = clones(params);
      std::vector<AdamReferenceState> states(params.size());
      Opt opt(params, options);
      for (int k = 0; k < kSteps; ++k) {
        const std::vector<Tensor> grads = make_grads(params, k);
        for (size_t i = 0; i < params.size(); ++i) {
          params[i].mutable_grad() = grads[i];
          adam_reference(expected[i], grads[i], states[i], lr, beta1, beta2, eps, c.weight_decay,
                         c.amsgrad, decoupled);
        }
        opt.step();
        for (size_t i = 0; i < params.size(); ++i) {
          ASSERT_TRUE(same(params[i].detach(), expected[i])) << "step " << k << " param " << i;
          auto& state = static_cast<State&>(*opt.state().at(params[i].unsafeGetTensorImpl()));
          EXPECT_EQ(state.step(), k + 1);
          ASSERT_TRUE(same(state.exp_avg(), states[i].exp_avg));
          ASSERT_TRUE(same(state.exp_avg_sq(), states[i].exp_avg_sq));
          if (c.amsgrad) {
            ASSERT_TRUE(same(state.max_exp_avg_sq(), states[i].max_exp_avg_sq));
          }
        }
      }
    }
  }
}

TEST(FusedOptimizerTest, AdamMatchesTheOpSequenceBitForBit) {
  check_adam<optim::Adam, optim::AdamOptions, optim::AdamParamState>(false);
}
TEST(FusedOptimizerTest, AdamWMatchesTheOpSequenceBitForBit) {
  check_adam<optim::AdamW, optim::AdamWOptions, optim::AdamWParamState>(true);
}

// amsgrad's maximum keeps NaN, as torch.maximum does; the step then spreads it to the parameter.
TEST(FusedOptimizerTest, AmsgradPropagatesNaN) {
  Tensor w = tensor({1.0f, 2.0f}).requires_grad_();
  optim::Adam opt({w}, optim::AdamOptions(0.1).amsgrad(true));
  w.mutable_grad() = tensor({std::nanf(""), 1.0f});
  opt.step();
  Tensor expected = tensor({1.0f, 2.0f});
  AdamReferenceState s;
  adam_reference(expected, tensor({std::nanf(""), 1.0f}), s, 0.1, 0.9, 0.999, 1e-8, 0, true, false);
  EXPECT_TRUE(std::isnan(w[0].item<float>()));
  EXPECT_TRUE(testing::same_values(w.detach(), expected));  // NaN matches NaN
}

// ---- errors -----------------------------------------------------------------------------------

TEST(FusedOptimizerTest, GradientsMustMatchTheirParameter) {
  Tensor w = ones({3}).requires_grad_();
  optim::SGD sgd({w}, optim::SGDOptions(0.1).momentum(0.9));
  w.mutable_grad() = ones({3}, kFloat64);
  EXPECT_AXON_ERROR(sgd.step(),
                    "SGD: a parameter of shape [3] (float32 on cpu) has a gradient "
                    "of shape [3] (float64 on cpu)");
  // Nothing was created or changed.
  EXPECT_TRUE(sgd.state().empty() ||
              !static_cast<const optim::SGDParamState&>(*sgd.state().begin()->second)
                   .momentum_buffer()
                   .defined());
  EXPECT_TRUE(same(w.detach(), ones({3})));

  optim::Adam adam({w}, optim::AdamOptions(0.1));
  w.mutable_grad() = ones({1});
  EXPECT_AXON_ERROR(adam.step(),
                    "Adam: a parameter of shape [3] (float32 on cpu) has a gradient "
                    "of shape [1]");
  optim::AdamW adamw({w}, optim::AdamWOptions(0.1));
  EXPECT_AXON_ERROR(adamw.step(), "AdamW: a parameter of shape [3]");
}

TEST(FusedOptimizerTest, ParametersMustBeFloatingPoint) {
  Tensor counts = zeros({2}, kInt64);
  counts.mutable_grad() = ones({2}, kInt64);
  optim::SGD opt({counts}, optim::SGDOptions(0.1));
  EXPECT_AXON_ERROR(opt.step(), "SGD: expected floating-point parameters, got one of dtype int64");
}

// A state tensor that lost its layout (a user's strided copy) is still updated in place.
TEST(FusedOptimizerTest, StridedStateIsUpdatedInPlace) {
  const TensorOptions kF64(kFloat64);
  Tensor w = tensor({{1.0, 2.0}, {3.0, 4.0}}, kF64).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(0.5).momentum(0.5));
  w.mutable_grad() = ones({2, 2}, kFloat64);
  opt.step();  // buffer = 1, w -= 0.5
  auto& state = static_cast<optim::SGDParamState&>(*opt.state().at(w.unsafeGetTensorImpl()));
  Tensor strided =
      tensor({{1.0, 3.0}, {2.0, 4.0}}, kF64).t();  // [[1, 2], [3, 4]], transposed strides
  state.momentum_buffer() = strided;
  opt.step();  // buffer = 0.5 * buffer + grad; w -= 0.5 * buffer
  EXPECT_TRUE(state.momentum_buffer().is_same(strided));
  EXPECT_TRUE(same(strided, tensor({{1.5, 2.0}, {2.5, 3.0}}, kF64)));
  EXPECT_TRUE(same(w.detach(), tensor({{-0.25, 0.5}, {1.25, 2.0}}, kF64)));
}

}  // namespace
}  // namespace axon
