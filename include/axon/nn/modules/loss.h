#pragma once
// Loss modules: MSELoss, L1Loss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss, BCELoss,
// BCEWithLogitsLoss; forward(input, target). Reductions none, mean (the default) and sum.

#include "axon/nn/functional.h"
#include "axon/nn/modules/common.h"

namespace axon::nn {

namespace detail {
// Class weights are buffers, so that module.to(device) moves them (as in PyTorch).
template <typename Options>
void register_loss_buffers(Module& module, const Options& options) {
  if constexpr (requires { options.weight(); }) {
    if (options.weight().defined()) module.register_buffer("weight", options.weight());
  }
  if constexpr (requires { options.pos_weight(); }) {
    if (options.pos_weight().defined()) module.register_buffer("pos_weight", options.pos_weight());
  }
}
}  // namespace detail

#define AXON_LOSS_MODULE(Name, Options, fn)                               \
  class Name##Impl : public Module {                                      \
   public:                                                                \
    explicit Name##Impl(const Options& options = {}) : options(options) { \
      detail::register_loss_buffers(*this, this->options);                \
    }                                                                     \
    Tensor forward(const Tensor& input, const Tensor& target) {           \
      return functional::fn(input, target, options);                      \
    }                                                                     \
    Options options;                                                      \
  };                                                                      \
  AXON_MODULE(Name)

AXON_LOSS_MODULE(MSELoss, MSELossOptions, mse_loss);
AXON_LOSS_MODULE(L1Loss, L1LossOptions, l1_loss);
AXON_LOSS_MODULE(SmoothL1Loss, SmoothL1LossOptions, smooth_l1_loss);
AXON_LOSS_MODULE(HuberLoss, HuberLossOptions, huber_loss);
AXON_LOSS_MODULE(NLLLoss, NLLLossOptions, nll_loss);
AXON_LOSS_MODULE(CrossEntropyLoss, CrossEntropyLossOptions, cross_entropy);
AXON_LOSS_MODULE(BCELoss, BCELossOptions, binary_cross_entropy);
AXON_LOSS_MODULE(BCEWithLogitsLoss, BCEWithLogitsLossOptions, binary_cross_entropy_with_logits);
#undef AXON_LOSS_MODULE

}  // namespace axon::nn
