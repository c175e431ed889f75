#pragma once
// MapDataset: a dataset with a transform applied to each of its batches, as LibTorch's; made by
// `dataset.map(transform)`. It keeps the source's stacked-batch path where it can (Note [Stacked
// batches] in axon/data/datasets/base.h).

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "axon/data/datasets/base.h"
#include "axon/data/transforms/stack.h"
#include "axon/data/transforms/tensor.h"

namespace axon::data::datasets {

template <typename Source, typename AppliedTransform>
class MapDataset : public BatchDataset<MapDataset<Source, AppliedTransform>,
                                       typename AppliedTransform::OutputBatchType,
                                       typename Source::BatchRequestType> {
 public:
  using DatasetType = Source;
  using TransformType = AppliedTransform;
  using BatchRequestType = typename Source::BatchRequestType;
  using OutputBatchType = typename AppliedTransform::OutputBatchType;
  static_assert(
      std::is_same_v<typename Source::BatchType, typename AppliedTransform::InputBatchType>,
      "the dataset's batch type does not match the transform's input type");

  MapDataset(Source dataset, AppliedTransform transform)
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}

  OutputBatchType get_batch(BatchRequestType indices) override {
    if constexpr (kStacks && StackedBatchDataset<Source>) {
      return dataset_.get_stacked_batch(indices);
    } else {
      return transform_.apply_batch(dataset_.get_batch(std::move(indices)));
    }
  }

  // The source's stacked batch with this tensor transform applied to it.
  Example<> get_stacked_batch(ArrayRef<size_t> indices) requires StackedBatchDataset<Source> &&
      std::derived_from<AppliedTransform, transforms::TensorTransform<Tensor>> {
    Example<> batch = dataset_.get_stacked_batch(indices);
    batch.data = transform_.apply_stacked(std::move(batch.data));
    return batch;
  }

  std::optional<size_t> size() const override { return dataset_.size(); }
  const Source& dataset() const noexcept { return dataset_; }
  const AppliedTransform& transform() const noexcept { return transform_; }

 private:
  static constexpr bool kStacks = std::derived_from<AppliedTransform, transforms::Stack<Example<>>>;

  Source dataset_;
  AppliedTransform transform_;
};

}  // namespace axon::data::datasets
