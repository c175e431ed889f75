#pragma once
// IntArrayRef: a non-owning view of int64 values (sizes, strides, dims), as LibTorch's.
// DimVector: an owning list of up to kMaxDims values kept inline, so that a tensor's sizes
// and strides never touch the heap (small ops live or die by allocation counts).

#include <fmt/ostream.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <vector>

#include "axon/error.h"

namespace axon {

// The most dimensions a tensor may have.
inline constexpr int kMaxDims = 16;

template <typename T>
class ArrayRef {
 public:
  constexpr ArrayRef() = default;
  // NOLINTBEGIN(google-explicit-constructor): implicit like LibTorch's ArrayRef.
  constexpr ArrayRef(const T& one) : data_(&one), size_(1) {}
  constexpr ArrayRef(const T* data, size_t size) : data_(data), size_(size) {}
  ArrayRef(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}
// The list outlives the call it is passed to, which is all an ArrayRef is for (as LibTorch's).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  constexpr ArrayRef(const std::initializer_list<T>& list)
      : data_(list.begin() == list.end() ? nullptr : list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  template <size_t N>
  constexpr ArrayRef(const std::array<T, N>& a) : data_(a.data()), size_(N) {}
  // NOLINTEND(google-explicit-constructor)

  constexpr const T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const T* begin() const { return data_; }
  constexpr const T* end() const { return data_ + size_; }
  constexpr const T& front() const { return data_[0]; }
  constexpr const T& back() const { return data_[size_ - 1]; }
  constexpr const T& operator[](size_t i) const { return data_[i]; }
  const T& at(size_t i) const {
    AXON_CHECK(i < size_, "ArrayRef: index {} out of range for size {}", i, size_);
    return data_[i];
  }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }
  ArrayRef slice(size_t start, size_t length) const { return {data_ + start, length}; }
  ArrayRef slice(size_t start) const { return {data_ + start, size_ - start}; }

  friend bool operator==(ArrayRef a, ArrayRef b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

using IntArrayRef = ArrayRef<int64_t>;

class DimVector {
 public:
  DimVector() = default;
  // Copies only the used entries: tensors are made and copied on every op.
  DimVector(const DimVector& other) : size_(other.size_) {
    std::copy_n(other.data_.begin(), size_, data_.begin());
  }
  DimVector& operator=(const DimVector& other) {
    size_ = other.size_;
    std::copy_n(other.data_.begin(), size_, data_.begin());
    return *this;
  }
  explicit DimVector(size_t n, int64_t value = 0) { assign(n, value); }
  // NOLINTNEXTLINE(google-explicit-constructor)
  DimVector(IntArrayRef values) { assign(values); }
  DimVector(std::initializer_list<int64_t> values) { assign(IntArrayRef(values)); }

  void assign(size_t n, int64_t value) {
    check_size(n);
    size_ = static_cast<int>(n);
    std::fill_n(data_.begin(), n, value);
  }
  void assign(IntArrayRef values) {
    check_size(values.size());
    size_ = static_cast<int>(values.size());
    std::copy(values.begin(), values.end(), data_.begin());
  }
  void push_back(int64_t v) {
    check_size(size_ + 1);
    data_[size_++] = v;
  }
  void insert(size_t pos, int64_t v) {
    check_size(size_ + 1);
    std::copy_backward(data_.begin() + pos, data_.begin() + size_, data_.begin() + size_ + 1);
    data_[pos] = v;
    ++size_;
  }
  void erase(size_t pos) {
    std::copy(data_.begin() + pos + 1, data_.begin() + size_, data_.begin() + pos);
    --size_;
  }
  void pop_back() { --size_; }
  void resize(size_t n, int64_t value = 0) {
    check_size(n);
    for (size_t i = size_; i < n; ++i) data_[i] = value;
    size_ = static_cast<int>(n);
  }

  size_t size() const { return static_cast<size_t>(size_); }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return data_.data(); }
  const int64_t* data() const { return data_.data(); }
  int64_t* begin() { return data_.data(); }
  int64_t* end() { return data_.data() + size_; }
  const int64_t* begin() const { return data_.data(); }
  const int64_t* end() const { return data_.data() + size_; }
  int64_t& operator[](size_t i) { return data_[i]; }
  int64_t operator[](size_t i) const { return data_[i]; }
  int64_t& back() { return data_[size_ - 1]; }
  // NOLINTNEXTLINE(google-explicit-constructor)
  operator IntArrayRef() const { return {data_.data(), size()}; }
  IntArrayRef ref() const { return *this; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  friend bool operator==(const DimVector& a, const DimVector& b) {
    return IntArrayRef(a) == IntArrayRef(b);
  }

 private:
  static void check_size(size_t n) {
    AXON_CHECK(n <= static_cast<size_t>(kMaxDims),
               "axon supports tensors of up to {} dimensions, got {}", kMaxDims, n);
  }
  std::array<int64_t, kMaxDims> data_;  // entries past size_ are never read
  int size_ = 0;
};

// Prints [2, 3] as LibTorch does.
std::ostream& operator<<(std::ostream& os, IntArrayRef values);
inline std::ostream& operator<<(std::ostream& os, const DimVector& values) {
  return os << IntArrayRef(values);
}

// The product of the values (1 for an empty list).
int64_t product(IntArrayRef values);

}  // namespace axon

template <>
struct fmt::formatter<axon::IntArrayRef> : fmt::ostream_formatter {};
template <>
struct fmt::formatter<axon::DimVector> : fmt::ostream_formatter {};
