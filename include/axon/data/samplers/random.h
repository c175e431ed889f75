#pragma once
// RandomSampler: a fresh random permutation of 0..size-1 each epoch, drawn with randperm from
// the default generator (so manual_seed fixes the order). As LibTorch's, the constructor draws
// one permutation and every reset() (each DataLoader epoch) draws the next one, so the same
// seed gives the same order as LibTorch's RandomSampler.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "axon/data/samplers/base.h"
#include "axon/tensor.h"

namespace axon::data::samplers {

class RandomSampler : public Sampler<> {
 public:
  explicit RandomSampler(int64_t size, DType index_dtype = kInt64);

  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  // How many indices this epoch has handed out.
  size_t index() const noexcept { return static_cast<size_t>(index_); }

 private:
  Tensor indices_;
  int64_t index_ = 0;
};

}  // namespace axon::data::samplers
