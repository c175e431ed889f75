#pragma once
// Options structs as LibTorch's: AXON_ARG(T, name) declares a field with a chainable setter
// `name(value)` and a getter `name()`, so options read
//   nn::Conv2dOptions(1, 6, 5).stride(1).padding(2).bias(false)
// ExpandingArray<D> takes one value or D values: kernel_size(5) means {5, 5}.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "axon/array_ref.h"
#include "axon/error.h"

#define AXON_ARG(T, name)                                         \
 public:                                                          \
  inline auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                                   \
    return *this;                                                 \
  }                                                               \
  inline auto name(T&& new_##name)->decltype(*this) {             \
    this->name##_ = std::move(new_##name);                        \
    return *this;                                                 \
  }                                                               \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }             \
                                                                  \
 private:                                                         \
  T name##_

namespace axon {

template <size_t D, typename T = int64_t>
class ExpandingArray {
 public:
  // One value for every dim, or exactly D values.
  ExpandingArray(T single) { values_.fill(single); }
  ExpandingArray(std::initializer_list<T> list) : ExpandingArray(ArrayRef<T>(list)) {}
  ExpandingArray(const std::vector<T>& values) : ExpandingArray(ArrayRef<T>(values)) {}
  ExpandingArray(const std::array<T, D>& values) : values_(values) {}
  explicit ExpandingArray(ArrayRef<T> values) {
    AXON_CHECK(values.size() == D || values.size() == 1,
               "expected {} values (or one for all), got {}", D, values.size());
    for (size_t i = 0; i < D; ++i) values_[i] = values.size() == 1 ? values[0] : values[i];
  }

  std::array<T, D>& operator*() { return values_; }
  const std::array<T, D>& operator*() const { return values_; }
  std::array<T, D>* operator->() { return &values_; }
  const std::array<T, D>* operator->() const { return &values_; }
  T operator[](size_t i) const { return values_[i]; }
  operator ArrayRef<T>() const { return ArrayRef<T>(values_.data(), D); }
  size_t size() const noexcept { return D; }
  bool operator==(const ExpandingArray&) const = default;

 private:
  std::array<T, D> values_;
};

}  // namespace axon
