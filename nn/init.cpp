#include "axon/nn/init.h"

#include <cmath>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"

namespace axon::nn::init {
namespace {

void check_defined(const Tensor& t, const char* name) {
  AXON_CHECK(t.defined(), "nn::init::{}: the tensor is undefined", name);
}

// (fan_in, fan_out); an error names the initialiser `name`.
std::tuple<int64_t, int64_t> fans(const Tensor& tensor, const char* name) {
  check_defined(tensor, name);
  AXON_CHECK(tensor.dim() >= 2,
             "nn::init::{}: fan in and fan out can not be computed for a tensor with fewer than 2 "
             "dimensions (shape {})",
             name, tensor.sizes());
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

// Only called for tensors with elements, so the fan is positive.
double kaiming_std(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                   const char* name) {
  auto [fan_in, fan_out] = fans(tensor, name);
  const int64_t fan = mode == FanMode::FanIn ? fan_in : fan_out;
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv1D:
    case Nonlinearity::Conv2D:
    case Nonlinearity::Conv3D:
    case Nonlinearity::Sigmoid:
      return 1;
    case Nonlinearity::Tanh:
      return 5.0 / 3;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU:
      return std::sqrt(2.0 / (1 + param * param));
    case Nonlinearity::SELU:
      return 3.0 / 4;
  }
  AXON_ERROR("nn::init::calculate_gain: unknown nonlinearity {}", static_cast<int>(nonlinearity));
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  return fans(tensor, "_calculate_fan_in_and_fan_out");
}

Tensor uniform_(Tensor tensor, double low, double high) {
  check_defined(tensor, "uniform_");
  NoGradGuard no_grad;
  axon::uniform_(tensor, low, high);
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  check_defined(tensor, "normal_");
  NoGradGuard no_grad;
  axon::normal_(tensor, mean, std);
  return tensor;
}

Tensor constant_(Tensor tensor, Scalar value) {
  check_defined(tensor, "constant_");
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0); }
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1); }

Tensor eye_(Tensor matrix) {
  check_defined(matrix, "eye_");
  AXON_CHECK(matrix.dim() == 2, "nn::init::eye_: only 2-D tensors are supported, got shape {}",
             matrix.sizes());
  NoGradGuard no_grad;
  matrix.copy_(eye(matrix.size(0), matrix.size(1), matrix.options()));
  return matrix;
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  auto [fan_in, fan_out] = fans(tensor, "xavier_uniform_");
  // A no-op, as kaiming_uniform_'s: a 0 x 0 tensor would ask for an infinite range.
  if (tensor.numel() == 0) return tensor;
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;
  return init::uniform_(std::move(tensor), -a, a);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  auto [fan_in, fan_out] = fans(tensor, "xavier_normal_");
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return init::normal_(std::move(tensor), 0, std);
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  check_defined(tensor, "kaiming_uniform_");
  if (tensor.numel() == 0) return tensor;  // a no-op, as PyTorch's (which warns)
  const double bound =
      std::sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_");
  return init::uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  check_defined(tensor, "kaiming_normal_");
  if (tensor.numel() == 0) return tensor;  // a no-op, as PyTorch's (which warns)
  const double std = kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_");
  return init::normal_(std::move(tensor), 0, std);
}

}  // namespace axon::nn::init
