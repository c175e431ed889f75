// Indexing with integers, slices, None and Ellipsis (LibTorch's Tensor::index form), and
// index_select, which has its own kernels (kernels/*/indexing.*).
#include "axon/indexing.h"

#include <algorithm>
#include <ostream>

#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/cuda_hooks.h"
#include "core/tensor_utils.h"
#include "kernels/common/indexing.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::index_select_kernel);
AXON_DEFINE_KERNEL(kernels::index_add_kernel);

namespace {

// Every index must lie in [0, size), as PyTorch's index_select (no negative indices): at once
// for an index on the CPU, on the device for one on a GPU.
void check_index_values(const Tensor& index, int64_t size, int64_t dim) {
  auto message = [size, dim](int64_t value) {
    return fmt::format("index_select: index {} is out of range for dim {} of size {}", value, dim,
                       size);
  };
  if (!index.is_cpu()) return detail::defer_index_range_check(index, size, std::nullopt, message);
  const int64_t* values = index.data_ptr<int64_t>();
  for (int64_t j = 0; j < index.numel(); ++j) {
    AXON_CHECK(values[j] >= 0 && values[j] < size, "{}", message(values[j]));
  }
}

// zeros(sizes) with source's rows added at the indexed positions of `dim`: index_select's
// backward, itself differentiable (its backward selects the same rows again).
Tensor index_add_to_zeros(IntArrayRef sizes, int64_t dim, const Tensor& index,
                          const Tensor& source) {
  Tensor out = zeros(sizes, TensorOptions(source.dtype()).device(source.device()));
  kernels::index_add_kernel(source.device())(out, index, source.contiguous(),
                                             kernels::shape_around(sizes, dim));
  if (autograd::should_record({&source})) {
    autograd::record("IndexAddBackward0", out, {&source}, {index},
                     [dim](const autograd::BackwardContext& ctx) {
                       return variable_list{index_select(ctx.grad(), dim, ctx.saved(0))};
                     });
  }
  return out;
}

}  // namespace

void detail::defer_index_range_check(const Tensor& indices, int64_t size,
                                     std::optional<int64_t> ignore,
                                     std::function<std::string(int64_t)> message) {
  Tensor bad = logical_or(indices < 0, indices >= size);
  if (ignore) bad = logical_and(bad, indices != *ignore);
  auto outside = [size, ignore](int64_t v) { return (v < 0 || v >= size) && v != ignore; };
  detail::defer_device_check(bad.any(), [indices, outside, message = std::move(message)] {
    const Tensor host = indices.cpu();  // only on the way to the error, for the message
    const int64_t* values = host.data_ptr<int64_t>();
    const int64_t* end = values + host.numel();
    const int64_t* first = std::find_if(values, end, outside);
    return message(first != end ? *first : -1);
  });
}

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  detail::check_defined(self, "index_select", "self");
  detail::check_defined(index, "index_select", "index");
  AXON_CHECK(index.dtype() == kInt64, "index_select: expected an int64 index, got {}",
             index.dtype());
  AXON_CHECK(index.dim() <= 1, "index_select: the index must be 0-d or 1-d, got shape {}",
             index.sizes());
  // An index on the CPU may select from a tensor on a GPU (as PyTorch's x[idx] allows): its values
  // are checked here, and it goes over through pinned memory without a host wait.
  if (!index.is_cpu()) detail::check_same_device(self, index, "index_select");
  // A 0-d tensor is indexed as one element along dim 0 (or -1), and stays 0-d.
  const Tensor source = self.dim() == 0 ? self.reshape({1}) : self;
  const int64_t d = detail::wrap_dim(dim, source.dim(), "index_select");
  AXON_CHECK(self.dim() > 0 || index.numel() == 1,
             "index_select: a 0-d tensor takes an index of one element, got {}", index.numel());
  Tensor flat_index = index.reshape({-1}).contiguous();
  check_index_values(flat_index, source.size(d), d);
  if (flat_index.device() != self.device()) {
    flat_index = flat_index.pin_memory().to(TensorOptions(self.device()), /*non_blocking=*/true);
  }
  DimVector sizes(source.sizes());
  sizes[static_cast<size_t>(d)] = flat_index.numel();
  Tensor out = detail::empty_tensor(sizes, self.dtype(), self.device());
  if (out.numel() > 0) {
    kernels::index_select_kernel(self.device())(out, source.contiguous(), flat_index,
                                                kernels::shape_around(source.sizes(), d));
  }
  if (self.dim() == 0) out = out.reshape({});
  if (autograd::should_record({&self})) {
    DimVector self_sizes(self.sizes());
    autograd::record("IndexSelectBackward0", out, {&self}, {flat_index},
                     [self_sizes, d](const autograd::BackwardContext& ctx) {
                       const Tensor grad =
                           self_sizes.empty() ? ctx.grad().reshape({1}) : ctx.grad();
                       const DimVector shape = self_sizes.empty() ? DimVector{1} : self_sizes;
                       return variable_list{
                           index_add_to_zeros(shape, d, ctx.saved(0), grad).reshape(self_sizes)};
                     });
  }
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  return axon::index_select(*this, dim, index);
}

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
