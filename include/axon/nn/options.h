#pragma once
// Options of nn's layers, losses and functional forms, with LibTorch's names and PyTorch's
// defaults. A functional form takes the same struct as its module where LibTorch's does
// (`F::mse_loss(x, y, F::MSELossFuncOptions(axon::kSum))`).

#include <cstdint>
#include <optional>
#include <string>

#include "axon/functions.h"
#include "axon/nn/arg.h"

namespace axon::nn {

// ---- linear ---------------------------------------------------------------------------------
struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  AXON_ARG(int64_t, in_features);
  AXON_ARG(int64_t, out_features);
  AXON_ARG(bool, bias) = true;
};

struct FlattenOptions {
  AXON_ARG(int64_t, start_dim) = 1;
  AXON_ARG(int64_t, end_dim) = -1;
};

// ---- convolution and pooling ----------------------------------------------------------------
struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  AXON_ARG(int64_t, in_channels);
  AXON_ARG(int64_t, out_channels);
  AXON_ARG(ExpandingArray<2>, kernel_size);
  AXON_ARG(ExpandingArray<2>, stride) = 1;
  AXON_ARG(ExpandingArray<2>, padding) = 0;
  AXON_ARG(ExpandingArray<2>, dilation) = 1;
  AXON_ARG(int64_t, groups) = 1;
  AXON_ARG(bool, bias) = true;
};

namespace functional {
struct Conv2dFuncOptions {
  AXON_ARG(Tensor, bias);
  AXON_ARG(ExpandingArray<2>, stride) = 1;
  AXON_ARG(ExpandingArray<2>, padding) = 0;
  AXON_ARG(ExpandingArray<2>, dilation) = 1;
  AXON_ARG(int64_t, groups) = 1;
};
}  // namespace functional

// The stride defaults to the kernel size, as PyTorch's.
struct MaxPool2dOptions {
  MaxPool2dOptions(ExpandingArray<2> kernel_size)
      : kernel_size_(kernel_size), stride_(kernel_size) {}
  AXON_ARG(ExpandingArray<2>, kernel_size);
  AXON_ARG(ExpandingArray<2>, stride);
  AXON_ARG(ExpandingArray<2>, padding) = 0;
  AXON_ARG(ExpandingArray<2>, dilation) = 1;
  AXON_ARG(bool, ceil_mode) = false;
};

struct AvgPool2dOptions {
  AvgPool2dOptions(ExpandingArray<2> kernel_size)
      : kernel_size_(kernel_size), stride_(kernel_size) {}
  AXON_ARG(ExpandingArray<2>, kernel_size);
  AXON_ARG(ExpandingArray<2>, stride);
  AXON_ARG(ExpandingArray<2>, padding) = 0;
  AXON_ARG(bool, ceil_mode) = false;
  AXON_ARG(bool, count_include_pad) = true;
  AXON_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};

struct AdaptiveAvgPool2dOptions {
  AdaptiveAvgPool2dOptions(ExpandingArray<2> output_size) : output_size_(output_size) {}
  AXON_ARG(ExpandingArray<2>, output_size);
};

// ---- normalisation and dropout --------------------------------------------------------------
struct BatchNormOptions {
  /* implicit */ BatchNormOptions(int64_t num_features) : num_features_(num_features) {}
  AXON_ARG(int64_t, num_features);
  AXON_ARG(double, eps) = 1e-5;
  // None: a cumulative moving average (momentum 1 / batches seen), as PyTorch's None.
  AXON_ARG(std::optional<double>, momentum) = 0.1;
  AXON_ARG(bool, affine) = true;
  AXON_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;

struct DropoutOptions {
  /* implicit */ DropoutOptions(double p = 0.5) : p_(p) {}
  AXON_ARG(double, p);
  AXON_ARG(bool, inplace) = false;
};
using Dropout2dOptions = DropoutOptions;

// ---- activations ----------------------------------------------------------------------------
struct ReLUOptions {
  /* implicit */ ReLUOptions(bool inplace = false) : inplace_(inplace) {}
  AXON_ARG(bool, inplace);
};
struct LeakyReLUOptions {
  AXON_ARG(double, negative_slope) = 1e-2;
  AXON_ARG(bool, inplace) = false;
};
struct ELUOptions {
  AXON_ARG(double, alpha) = 1.0;
  AXON_ARG(bool, inplace) = false;
};
struct GELUOptions {
  AXON_ARG(std::string, approximate) = "none";
};
struct SoftmaxOptions {
  /* implicit */ SoftmaxOptions(int64_t dim) : dim_(dim) {}
  AXON_ARG(int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;

// ---- losses ---------------------------------------------------------------------------------
#define AXON_REDUCTION_ONLY_OPTIONS(Name)                                 \
  struct Name {                                                           \
    /* implicit */ Name(Reduction::Reduction reduction = Reduction::Mean) \
        : reduction_(reduction) {}                                        \
    AXON_ARG(Reduction::Reduction, reduction);                            \
  }
AXON_REDUCTION_ONLY_OPTIONS(MSELossOptions);
AXON_REDUCTION_ONLY_OPTIONS(L1LossOptions);
#undef AXON_REDUCTION_ONLY_OPTIONS

struct SmoothL1LossOptions {
  /* implicit */ SmoothL1LossOptions(Reduction::Reduction reduction = Reduction::Mean)
      : reduction_(reduction) {}
  AXON_ARG(Reduction::Reduction, reduction);
  AXON_ARG(double, beta) = 1.0;
};
struct HuberLossOptions {
  /* implicit */ HuberLossOptions(Reduction::Reduction reduction = Reduction::Mean)
      : reduction_(reduction) {}
  AXON_ARG(Reduction::Reduction, reduction);
  AXON_ARG(double, delta) = 1.0;
};
struct NLLLossOptions {
  AXON_ARG(Tensor, weight) = {};
  AXON_ARG(int64_t, ignore_index) = -100;
  AXON_ARG(Reduction::Reduction, reduction) = Reduction::Mean;
};
struct CrossEntropyLossOptions {
  AXON_ARG(Tensor, weight) = {};
  AXON_ARG(int64_t, ignore_index) = -100;
  AXON_ARG(Reduction::Reduction, reduction) = Reduction::Mean;
  AXON_ARG(double, label_smoothing) = 0.0;
};
struct BCELossOptions {
  AXON_ARG(Tensor, weight) = {};
  AXON_ARG(Reduction::Reduction, reduction) = Reduction::Mean;
};
struct BCEWithLogitsLossOptions {
  AXON_ARG(Tensor, weight) = {};
  AXON_ARG(Reduction::Reduction, reduction) = Reduction::Mean;
  AXON_ARG(Tensor, pos_weight) = {};
};

// ---- the functional forms' names --------------------------------------------------------------
namespace functional {
using ReLUFuncOptions = ReLUOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using ELUFuncOptions = ELUOptions;
using GELUFuncOptions = GELUOptions;
using SoftmaxFuncOptions = SoftmaxOptions;
using LogSoftmaxFuncOptions = LogSoftmaxOptions;
using MaxPool2dFuncOptions = MaxPool2dOptions;
using AvgPool2dFuncOptions = AvgPool2dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
using MSELossFuncOptions = MSELossOptions;
using L1LossFuncOptions = L1LossOptions;
using SmoothL1LossFuncOptions = SmoothL1LossOptions;
using HuberLossFuncOptions = HuberLossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using CrossEntropyFuncOptions = CrossEntropyLossOptions;
using BinaryCrossEntropyFuncOptions = BCELossOptions;
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;

struct DropoutFuncOptions {
  AXON_ARG(double, p) = 0.5;
  AXON_ARG(bool, training) = true;
  AXON_ARG(bool, inplace) = false;
};
using Dropout2dFuncOptions = DropoutFuncOptions;

struct BatchNormFuncOptions {
  AXON_ARG(Tensor, weight) = {};
  AXON_ARG(Tensor, bias) = {};
  AXON_ARG(bool, training) = false;
  AXON_ARG(double, momentum) = 0.1;
  AXON_ARG(double, eps) = 1e-5;
};
}  // namespace functional

}  // namespace axon::nn
