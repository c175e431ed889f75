#pragma once
// The DataLoader's iterator, as LibTorch's torch::data::Iterator: `for (auto& batch : *loader)`.
// An input iterator: it holds the current batch; ++ fetches the next one. Iterators compare
// equal when both are past the end (end() is one that always is).

#include <cstddef>
#include <functional>
#include <iterator>
#include <optional>
#include <utility>

#include "axon/error.h"

namespace axon::data {

template <typename Batch>
class Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;
  using pointer = Batch*;
  using reference = Batch&;

  // The end.
  Iterator() = default;
  // Fetches the first batch from `next`, which returns nullopt at the end of the epoch.
  explicit Iterator(std::function<std::optional<Batch>()> next) : next_(std::move(next)) {
    batch_ = next_();
  }

  Batch& operator*() {
    AXON_CHECK(batch_.has_value(), "DataLoader iterator: dereferenced past the end of the epoch");
    return *batch_;
  }
  Batch* operator->() { return &**this; }
  Iterator& operator++() {
    AXON_CHECK(batch_.has_value(), "DataLoader iterator: incremented past the end of the epoch");
    batch_.reset();  // frees this batch before the next one is made
    batch_ = next_();
    return *this;
  }
  friend bool operator==(const Iterator& a, const Iterator& b) {
    return !a.batch_.has_value() && !b.batch_.has_value();
  }

 private:
  std::function<std::optional<Batch>()> next_;
  std::optional<Batch> batch_;
};

}  // namespace axon::data
