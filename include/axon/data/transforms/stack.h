#pragma once
// Collation: Stack turns a list of examples into one example whose data and target are the
// examples' tensors stacked along a new dim 0, as LibTorch's transforms::Stack<>.

#include <utility>
#include <vector>

#include "axon/data/example.h"
#include "axon/data/transforms/base.h"
#include "axon/functions.h"

namespace axon::data::transforms {

template <typename T, typename BatchType = std::vector<T>>
using Collation = BatchTransform<BatchType, T>;

template <typename T = Example<>>
struct Stack;

template <>
struct Stack<Example<>> : public Collation<Example<>> {
  Example<> apply_batch(std::vector<Example<>> examples) override {
    std::vector<Tensor> data;
    std::vector<Tensor> targets;
    data.reserve(examples.size());
    targets.reserve(examples.size());
    for (auto& example : examples) {
      data.push_back(std::move(example.data));
      targets.push_back(std::move(example.target));
    }
    return {stack(data), stack(targets)};
  }
};

}  // namespace axon::data::transforms
