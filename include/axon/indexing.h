#pragma once
// Indexing as LibTorch spells it:
//   using namespace axon::indexing;
//   x.index({Slice(), 2});                 // x[:, 2]
//   x.index({Slice(1, None, 2), Ellipsis}); // x[1::2, ...]
//   x.index_put_({0, Slice(None, 3)}, 1.5); // x[0, :3] = 1.5

#include <cstdint>
#include <iosfwd>
#include <optional>

#include "axon/tensor.h"

namespace axon::indexing {

struct NoneIndexType {};
struct EllipsisIndexType {};
inline constexpr NoneIndexType None{};
inline constexpr EllipsisIndexType Ellipsis{};

class Slice {
 public:
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt)
      : start_(start), stop_(stop), step_(step.value_or(1)) {}
  // Slice(None, 3) and Slice(1, None) as in LibTorch.
  Slice(NoneIndexType, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt)
      : Slice(std::nullopt, stop, step) {}
  Slice(int64_t start, NoneIndexType, std::optional<int64_t> step = std::nullopt)
      : Slice(start, std::nullopt, step) {}
  Slice(int start, NoneIndexType, std::optional<int64_t> step = std::nullopt)
      : Slice(static_cast<int64_t>(start), std::nullopt, step) {}
  Slice(NoneIndexType, NoneIndexType, std::optional<int64_t> step = std::nullopt)
      : Slice(std::nullopt, std::nullopt, step) {}

  std::optional<int64_t> start() const { return start_; }
  std::optional<int64_t> stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  std::optional<int64_t> start_;
  std::optional<int64_t> stop_;
  int64_t step_;
};

struct TensorIndex {
  enum class Kind { None, Ellipsis, Integer, Boolean, Slice };
  // NOLINTBEGIN(google-explicit-constructor): {0, Slice(), None} must read naturally.
  TensorIndex(NoneIndexType) : kind(Kind::None) {}
  TensorIndex(EllipsisIndexType) : kind(Kind::Ellipsis) {}
  TensorIndex(int64_t i) : kind(Kind::Integer), integer(i) {}
  TensorIndex(int i) : kind(Kind::Integer), integer(i) {}
  TensorIndex(bool b) : kind(Kind::Boolean), boolean(b) {}
  TensorIndex(Slice s) : kind(Kind::Slice), slice(s) {}
  // NOLINTEND(google-explicit-constructor)

  Kind kind;
  int64_t integer = 0;
  bool boolean = false;
  Slice slice;
};

std::ostream& operator<<(std::ostream& os, const TensorIndex& index);

}  // namespace axon::indexing
