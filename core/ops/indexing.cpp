// Indexing with integers, slices, None and Ellipsis (LibTorch's Tensor::index form).
#include "axon/indexing.h"

#include <ostream>

#include "axon/functions.h"
#include "core/tensor_utils.h"

namespace axon {

using indexing::TensorIndex;

Tensor Tensor::index(ArrayRef<TensorIndex> indices) const {
  detail::check_defined(*this, "index");
  int64_t consumed = 0;
  bool has_ellipsis = false;
  for (const TensorIndex& idx : indices) {
    if (idx.kind == TensorIndex::Kind::Integer || idx.kind == TensorIndex::Kind::Slice) {
      ++consumed;
    }
    if (idx.kind == TensorIndex::Kind::Ellipsis) {
      AXON_CHECK(!has_ellipsis, "index: an index can only have a single ellipsis ('...')");
      has_ellipsis = true;
    }
  }
  AXON_CHECK(consumed <= dim(), "index: too many indices for tensor of dimension {} (got {})",
             dim(), consumed);
  Tensor result = *this;
  int64_t d = 0;
  for (const TensorIndex& idx : indices) {
    switch (idx.kind) {
      case TensorIndex::Kind::Integer:
        result = result.select(d, idx.integer);
        break;
      case TensorIndex::Kind::Slice:
        result = result.slice(d, idx.slice.start(), idx.slice.stop(), idx.slice.step());
        ++d;
        break;
      case TensorIndex::Kind::None:
        result = result.unsqueeze(d);
        ++d;
        break;
      case TensorIndex::Kind::Ellipsis:
        d += dim() - consumed;
        break;
      case TensorIndex::Kind::Boolean:
        result = result.unsqueeze(d);
        if (!idx.boolean) result = result.slice(d, 0, 0);
        ++d;
        break;
    }
  }
  return result;
}

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(ArrayRef<TensorIndex>(indices.begin(), indices.size()));
}

const Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Tensor& value) const {
  index(indices).copy_(value);
  return *this;
}

const Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Scalar& value) const {
  index(indices).fill_(value);
  return *this;
}

const Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices,
                                 const Tensor& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices.begin(), indices.size()), value);
}

const Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices,
                                 const Scalar& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices.begin(), indices.size()), value);
}

namespace indexing {
std::ostream& operator<<(std::ostream& os, const TensorIndex& index) {
  auto opt = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("None"); };
  switch (index.kind) {
    case TensorIndex::Kind::None:
      return os << "None";
    case TensorIndex::Kind::Ellipsis:
      return os << "...";
    case TensorIndex::Kind::Integer:
      return os << index.integer;
    case TensorIndex::Kind::Boolean:
      return os << (index.boolean ? "true" : "false");
    case TensorIndex::Kind::Slice:
      break;
  }
  return os << opt(index.slice.start()) << ':' << opt(index.slice.stop()) << ':'
            << index.slice.step();
}
}  // namespace indexing

}  // namespace axon
