#include "axon/data/samplers/random.h"

#include <algorithm>

#include "axon/error.h"
#include "axon/functions.h"

namespace axon::data::samplers {

RandomSampler::RandomSampler(int64_t size, DType index_dtype)
    : indices_(randperm(size, TensorOptions(index_dtype))) {}

void RandomSampler::reset(std::optional<size_t> new_size) {
  const auto size = static_cast<int64_t>(new_size.value_or(static_cast<size_t>(indices_.numel())));
  indices_ = randperm(size, TensorOptions(indices_.dtype()));
  index_ = 0;
}

std::optional<std::vector<size_t>> RandomSampler::next(size_t batch_size) {
  const int64_t count =
      std::min<int64_t>(static_cast<int64_t>(batch_size), indices_.numel() - index_);
  if (count <= 0) return std::nullopt;
  const Tensor slice = indices_.slice(0, index_, index_ + count).to(kInt64).contiguous();
  const int64_t* values = slice.data_ptr<int64_t>();
  std::vector<size_t> batch(values, values + count);
  index_ += count;
  return batch;
}

}  // namespace axon::data::samplers
