#include "axon/data/datasets/tensor.h"

#include "axon/error.h"

namespace axon::data::datasets {

TensorDataset::TensorDataset(Tensor data, Tensor targets)
    : data_(std::move(data)), targets_(std::move(targets)) {
  AXON_CHECK(data_.defined() && targets_.defined(),
             "TensorDataset: data and targets must be defined tensors");
  AXON_CHECK(data_.dim() >= 1 && targets_.dim() >= 1,
             "TensorDataset: data and targets need a dim 0 of examples, got shapes {} and {}",
             data_.sizes(), targets_.sizes());
  AXON_CHECK(data_.size(0) == targets_.size(0),
             "TensorDataset: data has {} examples (shape {}) but targets has {} (shape {})",
             data_.size(0), data_.sizes(), targets_.size(0), targets_.sizes());
}

Example<> TensorDataset::get(size_t index) {
  return detail::row_example(data_, targets_, index, "TensorDataset");
}

Example<> TensorDataset::get_stacked_batch(ArrayRef<size_t> indices) {
  return detail::stacked_rows(data_, targets_, indices, "TensorDataset");
}

}  // namespace axon::data::datasets
