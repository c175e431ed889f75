#pragma once
// One example of a dataset, or a collated batch of them: data and target, as LibTorch's
// torch::data::Example.

#include <utility>

#include "axon/tensor.h"

namespace axon::data {

template <typename Data = Tensor, typename Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;

  Example() = default;
  Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}

  Data data;
  Target target;
};

}  // namespace axon::data
