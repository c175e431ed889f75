// gather_rows, row_example, stacked_rows: the example and stacked-batch paths of in-memory datasets
// (Note [Stacked batches] in axon/data/datasets/base.h).
#include <algorithm>

#include "axon/data/datasets/base.h"
#include "axon/error.h"
#include "axon/functions.h"

namespace axon::data::datasets::detail {

Tensor gather_rows(const Tensor& source, ArrayRef<size_t> indices, const char* dataset) {
  const int64_t rows = source.size(0);
  for (size_t index : indices) {
    AXON_CHECK(index < static_cast<size_t>(rows), "{}: index {} is out of range for {} examples",
               dataset, index, rows);
  }
  // One index_select on the source's device. On a GPU the (checked) indices go over from the
  // host without a host wait, and the gather runs after the work already queued.
  Tensor index = empty({static_cast<int64_t>(indices.size())}, TensorOptions(kInt64));
  std::copy(indices.begin(), indices.end(), index.data_ptr<int64_t>());
  return source.index_select(0, index);
}

Example<> row_example(const Tensor& data, const Tensor& targets, size_t index,
                      const char* dataset) {
  AXON_CHECK(index < static_cast<size_t>(data.size(0)),
             "{}: index {} is out of range for {} examples", dataset, index, data.size(0));
  const auto i = static_cast<int64_t>(index);
  return {data[i], targets[i]};
}

Example<> stacked_rows(const Tensor& data, const Tensor& targets, ArrayRef<size_t> indices,
                       const char* dataset) {
  return {gather_rows(data, indices, dataset), gather_rows(targets, indices, dataset)};
}

}  // namespace axon::data::datasets::detail
