#pragma once
// Datasets, as LibTorch's torch::data::datasets: a BatchDataset makes a batch from a request (a
// list of indices); a Dataset makes one example per index and its batch is the list of them.
// `.map(transform)` wraps a dataset in a MapDataset that applies the transform to each batch.
//
// Note [Stacked batches]: a dataset whose examples are rows of in-memory tensors (MNIST,
// CIFAR10, TensorDataset) also has get_stacked_batch(indices), which gathers the rows into one
// collated Example<> (data [B, ...], target [B, ...]) with a copy per row and no tensor per
// example. MapDataset forwards it through tensor transforms (TensorTransform::apply_stacked), and
// a Stack at the end of the chain uses it instead of stacking examples one by one. Both paths
// give the same batch, bit for bit and with the same random draws; the stacked one is several
// times faster for small images. Rows held on a GPU are gathered there with one index_select.

#include <concepts>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "axon/array_ref.h"
#include "axon/data/example.h"

namespace axon::data::datasets {

template <typename Source, typename Transform>
class MapDataset;

// Datasets that can gather a collated batch in one step (Note [Stacked batches]).
template <typename D>
concept StackedBatchDataset = requires(D& dataset, ArrayRef<size_t> indices) {
  { dataset.get_stacked_batch(indices) } -> std::same_as<Example<>>;
};

template <typename Self, typename Batch = std::vector<Example<>>,
          typename BatchRequest = ArrayRef<size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;

  virtual ~BatchDataset() = default;

  virtual Batch get_batch(BatchRequest request) = 0;
  // The number of examples; nullopt when it is not known.
  virtual std::optional<size_t> size() const = 0;

  template <typename Transform>
  MapDataset<Self, Transform> map(Transform transform) & {
    return {static_cast<Self&>(*this), std::move(transform)};
  }
  template <typename Transform>
  MapDataset<Self, Transform> map(Transform transform) && {
    return {std::move(static_cast<Self&>(*this)), std::move(transform)};
  }
};

template <typename Self, typename SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;

  virtual ExampleType get(size_t index) = 0;

  std::vector<ExampleType> get_batch(ArrayRef<size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (size_t index : indices) batch.push_back(get(index));
    return batch;
  }
};

namespace detail {
// Rows `indices` of `source` (dim 0) as a new tensor [indices.size(), ...]; an index past the end
// is an axon::Error naming `dataset`.
Tensor gather_rows(const Tensor& source, ArrayRef<size_t> indices, const char* dataset);
// What datasets held as two row tensors (data, targets) serve: example `index`, and the examples
// `indices` stacked; MNIST, CIFAR10 and TensorDataset are such datasets.
Example<> row_example(const Tensor& data, const Tensor& targets, size_t index, const char* dataset);
Example<> stacked_rows(const Tensor& data, const Tensor& targets, ArrayRef<size_t> indices,
                       const char* dataset);
}  // namespace detail

}  // namespace axon::data::datasets
