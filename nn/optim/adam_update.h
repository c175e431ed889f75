#pragma once
// The Adam update that Adam and AdamW share (torch/optim/adam.py and adamw.py, single-tensor
// forms): they differ only in how weight decay enters (AdamStepOptions::decoupled_weight_decay).

#include <cstdint>
#include <string>
#include <vector>

#include "axon/tensor.h"
#include "kernels/common/optimizer.h"

namespace axon::optim::detail {

struct AdamMoments {
  int64_t& step;
  Tensor& exp_avg;
  Tensor& exp_avg_sq;
  Tensor& max_exp_avg_sq;
};

struct AdamParam {
  Tensor param;
  AdamMoments moments;
};

// One step for a group's parameters (each with a gradient); moments are created (zeros) when
// `exp_avg` is undefined. Runs under the caller's NoGradGuard; `name` prefixes errors.
void adam_update(const char* name, const std::vector<AdamParam>& params,
                 const kernels::AdamStepOptions& options);

// Checks Adam's and AdamW's options (`name` prefixes the error).
void check_adam_options(const char* name, double lr, double beta1, double beta2, double eps,
                        double weight_decay);

// The state keys of one parameter (`amsgrad` adds max_exp_avg_sq).
std::vector<std::string> adam_state_keys(bool amsgrad);

}  // namespace axon::optim::detail
