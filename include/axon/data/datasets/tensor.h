#pragma once
// TensorDataset: examples that are rows of two tensors, data[i] and targets[i].

#include <cstddef>
#include <optional>

#include "axon/data/datasets/base.h"

namespace axon::data::datasets {

class TensorDataset : public Dataset<TensorDataset> {
 public:
  // data and targets have the same size in dim 0 (the number of examples).
  TensorDataset(Tensor data, Tensor targets);

  Example<> get(size_t index) override;
  Example<> get_stacked_batch(ArrayRef<size_t> indices);
  std::optional<size_t> size() const override { return static_cast<size_t>(data_.size(0)); }

  const Tensor& data() const { return data_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor data_, targets_;
};

}  // namespace axon::data::datasets
