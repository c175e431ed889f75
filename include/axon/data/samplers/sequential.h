#pragma once
// SequentialSampler: 0, 1, ..., size - 1 every epoch.

#include <cstddef>
#include <optional>
#include <vector>

#include "axon/data/samplers/base.h"

namespace axon::data::samplers {

class SequentialSampler : public Sampler<> {
 public:
  explicit SequentialSampler(size_t size) : size_(size) {}

  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  // How many indices this epoch has handed out.
  size_t index() const noexcept { return index_; }

 private:
  size_t size_;
  size_t index_ = 0;
};

}  // namespace axon::data::samplers
