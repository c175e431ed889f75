#pragma once
// The Adam update that Adam and AdamW share (torch/optim/adam.py and adamw.py, single-tensor
// forms): they differ only in how weight decay enters.

#include <cstdint>
#include <string>
#include <vector>

#include "axon/tensor.h"

namespace axon::optim::detail {

struct AdamHyperparameters {
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weight_decay;
  bool amsgrad;
  // AdamW: shrink the parameter by lr * weight_decay instead of adding weight_decay * param to
  // the gradient.
  bool decoupled_weight_decay;
};

struct AdamMoments {
  int64_t& step;
  Tensor& exp_avg;
  Tensor& exp_avg_sq;
  Tensor& max_exp_avg_sq;
};

// One step for one parameter; the moments are created (zeros) when `exp_avg` is undefined.
// Runs under the caller's NoGradGuard.
void adam_update(const Tensor& param, const AdamHyperparameters& h, const AdamMoments& moments);

// Checks Adam's and AdamW's options (`name` prefixes the error).
void check_adam_options(const char* name, double lr, double beta1, double beta2, double eps,
                        double weight_decay);

// The state keys of one parameter (`amsgrad` adds max_exp_avg_sq).
std::vector<std::string> adam_state_keys(bool amsgrad);

}  // namespace axon::optim::detail
