// View ops: new geometry over the same storage, each with its backward.
#include <algorithm>
#include <numeric>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon {

using autograd::BackwardContext;
using autograd::record;
using detail::make_view;
using detail::wrap_dim;

namespace {

bool records(const Tensor& self) { return autograd::should_record({&self}); }

// Records a view whose backward reshapes the gradient back to the input's shape.
Tensor reshaping_view(const Tensor& self, const Tensor& out, const char* name) {
  Tensor result = out;
  if (records(self)) {
    record(name, result, {&self}, {},
           [sizes = DimVector(self.sizes())](const BackwardContext& ctx) {
             return variable_list{ctx.grad().reshape(sizes)};
           });
  }
  return result;
}

// Resolves one -1 in `shape` so that it holds `numel` elements.
DimVector infer_size(IntArrayRef shape, int64_t numel, const char* op) {
  DimVector out(shape), known_sizes;
  int infer = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      AXON_CHECK(infer < 0, "{}: only one dimension can be inferred (shape {})", op, shape);
      infer = static_cast<int>(d);
    } else {
      AXON_CHECK(shape[d] >= 0, "{}: invalid shape dimension {} in {}", op, shape[d], shape);
      known_sizes.push_back(shape[d]);
    }
  }
  const int64_t known = product(known_sizes);  // saturates past int64: then never numel
  if (infer >= 0) {
    AXON_CHECK(known != 0 && numel % known == 0, "{}: shape '{}' is invalid for input of size {}",
               op, shape, numel);
    out[infer] = numel / known;
  } else {
    AXON_CHECK(known == numel, "{}: shape '{}' is invalid for input of size {}", op, shape, numel);
  }
  return out;
}

// Strides for viewing (old sizes, old strides) as `shape` without copying, or nothing when
// the memory layout does not allow it (PyTorch's computeStride).
std::optional<DimVector> view_strides(IntArrayRef old_sizes, IntArrayRef old_strides,
                                      IntArrayRef shape) {
  DimVector strides(shape.size());
  if (old_sizes.empty()) {
    std::fill(strides.begin(), strides.end(), 1);
    return strides;
  }
  int64_t numel = product(old_sizes);
  if (numel == 0) {
    if (old_sizes == shape) return DimVector(old_strides);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      strides[d] = d == static_cast<int64_t>(shape.size()) - 1
                       ? 1
                       : std::max<int64_t>(shape[d + 1], 1) * strides[d + 1];
    }
    return strides;
  }
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_sizes.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_sizes[tensor_d];
    if (tensor_d == 0 || (old_sizes[tensor_d - 1] != 1 &&
                          old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

}  // namespace

Tensor view(const Tensor& self, IntArrayRef size) {
  detail::check_defined(self, "view");
  DimVector shape = infer_size(size, self.numel(), "view");
  std::optional<DimVector> strides = view_strides(self.sizes(), self.strides(), shape);
  AXON_CHECK(strides.has_value(),
             "view size is not compatible with input tensor's size and stride (at least one "
             "dimension spans across two contiguous subspaces): cannot view shape {} with strides "
             "{} as {}. Use .reshape(...) instead.",
             self.sizes(), self.strides(), shape.ref());
  return reshaping_view(self, make_view(self, shape, *strides, self.storage_offset()),
                        "ViewBackward0");
}

Tensor reshape(const Tensor& self, IntArrayRef shape_arg) {
  detail::check_defined(self, "reshape");
  DimVector shape = infer_size(shape_arg, self.numel(), "reshape");
  if (std::optional<DimVector> strides = view_strides(self.sizes(), self.strides(), shape)) {
    return reshaping_view(self, make_view(self, shape, *strides, self.storage_offset()),
                          "ViewBackward0");
  }
  Tensor copy = self.clone();
  return view(copy, shape);
}

Tensor flatten(const Tensor& self, int64_t start_dim, int64_t end_dim) {
  detail::check_defined(self, "flatten");
  if (self.dim() == 0) return self.reshape({1});
  int64_t start = wrap_dim(start_dim, self.dim(), "flatten");
  int64_t end = wrap_dim(end_dim, self.dim(), "flatten");
  AXON_CHECK(start <= end,
             "flatten() has invalid args: start_dim ({}) cannot come after end_dim "
             "({})",
             start_dim, end_dim);
  if (start == end) return self;
  DimVector shape;
  for (int64_t d = 0; d < start; ++d) shape.push_back(self.size(d));
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= self.size(d);
  shape.push_back(merged);
  for (int64_t d = end + 1; d < self.dim(); ++d) shape.push_back(self.size(d));
  return self.reshape(shape);
}

Tensor squeeze(const Tensor& self) {
  detail::check_defined(self, "squeeze");
  DimVector sizes, strides;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (self.size(d) == 1) continue;
    sizes.push_back(self.size(d));
    strides.push_back(self.stride(d));
  }
  return reshaping_view(self, make_view(self, sizes, strides, self.storage_offset()),
                        "SqueezeBackward0");
}

Tensor squeeze(const Tensor& self, int64_t dim) {
  detail::check_defined(self, "squeeze");
  int64_t d = wrap_dim(dim, self.dim(), "squeeze");
  DimVector sizes(self.sizes()), strides(self.strides());
  if (self.dim() > 0 && self.size(d) == 1) {
    sizes.erase(d);
    strides.erase(d);
  }
  return reshaping_view(self, make_view(self, sizes, strides, self.storage_offset()),
                        "SqueezeBackward1");
}

Tensor unsqueeze(const Tensor& self, int64_t dim) {
  detail::check_defined(self, "unsqueeze");
  int64_t d = wrap_dim(dim, self.dim() + 1, "unsqueeze");
  DimVector sizes(self.sizes()), strides(self.strides());
  int64_t stride = d >= self.dim() ? 1 : self.size(d) * self.stride(d);
  sizes.insert(d, 1);
  strides.insert(d, stride);
  return reshaping_view(self, make_view(self, sizes, strides, self.storage_offset()),
                        "UnsqueezeBackward0");
}

namespace {
Tensor transpose_impl(const Tensor& self, int64_t dim0, int64_t dim1, const char* node_name) {
  int64_t a = wrap_dim(dim0, self.dim(), "transpose");
  int64_t b = wrap_dim(dim1, self.dim(), "transpose");
  DimVector sizes(self.sizes()), strides(self.strides());
  if (self.dim() > 0) {
    std::swap(sizes[a], sizes[b]);
    std::swap(strides[a], strides[b]);
  }
  Tensor out = make_view(self, sizes, strides, self.storage_offset());
  if (records(self)) {
    record(node_name, out, {&self}, {}, [a, b](const BackwardContext& ctx) {
      return variable_list{ctx.grad().transpose(a, b)};
    });
  }
  return out;
}
}  // namespace

Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1) {
  detail::check_defined(self, "transpose");
  return transpose_impl(self, dim0, dim1, "TransposeBackward0");
}

Tensor t(const Tensor& self) {
  detail::check_defined(self, "t");
  AXON_CHECK(self.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is {}D",
             self.dim());
  return transpose_impl(self, 0, self.dim() < 2 ? 0 : 1, "TBackward0");
}

Tensor permute(const Tensor& self, IntArrayRef dims) {
  detail::check_defined(self, "permute");
  AXON_CHECK(static_cast<int64_t>(dims.size()) == self.dim(),
             "permute: the number of dims ({}) does not match the tensor's dimensions ({})",
             dims.size(), self.dim());
  DimVector sizes(dims.size()), strides(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], self.dim(), "permute");
    AXON_CHECK(!seen[d], "permute: repeated dim {} in {}", dims[i], dims);
    seen[d] = true;
    sizes[i] = self.size(d);
    strides[i] = self.stride(d);
    inverse[d] = static_cast<int64_t>(i);
  }
  Tensor out = make_view(self, sizes, strides, self.storage_offset());
  if (records(self)) {
    record("PermuteBackward0", out, {&self}, {}, [inverse](const BackwardContext& ctx) {
      return variable_list{ctx.grad().permute(inverse)};
    });
  }
  return out;
}

namespace {
// The backward of a view that picks part of its base: the gradient written into zeros of the
// base's shape. Its own backward (for create_graph) is the same view of the incoming gradient.
Tensor scatter_into_zeros(const char* name, const Tensor& grad, IntArrayRef base_sizes,
                          std::function<Tensor(const Tensor&)> view_of) {
  Tensor out = zeros(base_sizes, grad.options());
  {
    NoGradGuard no_grad;
    view_of(out).copy_(grad);
  }
  if (records(grad)) {
    record(name, out, {&grad}, {}, [view_of = std::move(view_of)](const BackwardContext& ctx) {
      if (!ctx.grad().defined()) return variable_list{Tensor()};
      return variable_list{view_of(ctx.grad())};
    });
  }
  return out;
}
}  // namespace

Tensor select(const Tensor& self, int64_t dim, int64_t index) {
  detail::check_defined(self, "select");
  AXON_CHECK(self.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, self.dim(), "select");
  int64_t size = self.size(d);
  AXON_CHECK(index >= -size && index < size,
             "select(): index {} out of range for tensor of size {} at dimension {}", index,
             self.sizes(), d);
  int64_t i = index < 0 ? index + size : index;
  DimVector sizes(self.sizes()), strides(self.strides());
  sizes.erase(d);
  strides.erase(d);
  Tensor out = make_view(self, sizes, strides, self.storage_offset() + i * self.stride(d));
  if (records(self)) {
    record("SelectBackward0", out, {&self}, {},
           [base = DimVector(self.sizes()), d, i](const BackwardContext& ctx) {
             return variable_list{
                 scatter_into_zeros("SelectBackwardBackward0", ctx.grad(), base,
                                    [d, i](const Tensor& t) { return t.select(d, i); })};
           });
  }
  return out;
}

Tensor slice(const Tensor& self, int64_t dim, std::optional<int64_t> start,
             std::optional<int64_t> end, int64_t step) {
  detail::check_defined(self, "slice");
  AXON_CHECK(self.dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  AXON_CHECK(step > 0, "slice step must be positive, got {}", step);
  int64_t d = wrap_dim(dim, self.dim(), "slice");
  int64_t size = self.size(d);
  // Python's clamping: negative counts from the end, out-of-range clamps.
  auto clamp_index = [size](int64_t v) {
    if (v < 0) v += size;
    return std::clamp<int64_t>(v, 0, size);
  };
  int64_t b = start ? clamp_index(*start) : 0;
  int64_t e = end ? clamp_index(*end) : size;
  if (e < b) e = b;
  DimVector sizes(self.sizes()), strides(self.strides());
  sizes[d] = (e - b + step - 1) / step;
  strides[d] = self.stride(d) * step;
  Tensor out = make_view(self, sizes, strides, self.storage_offset() + b * self.stride(d));
  if (records(self)) {
    record("SliceBackward0", out, {&self}, {},
           [base = DimVector(self.sizes()), d, b, e, step](const BackwardContext& ctx) {
             return variable_list{scatter_into_zeros(
                 "SliceBackwardBackward0", ctx.grad(), base,
                 [d, b, e, step](const Tensor& t) { return t.slice(d, b, e, step); })};
           });
  }
  return out;
}

Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  detail::check_defined(self, "narrow");
  AXON_CHECK(self.dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, self.dim(), "narrow");
  int64_t size = self.size(d);
  AXON_CHECK(start >= -size && start <= size,
             "narrow(): start ({}) out of range for dimension {} of size {}", start, d, size);
  if (start < 0) start += size;
  AXON_CHECK(length >= 0 && start + length <= size,
             "narrow(): start ({}) + length ({}) exceeds dimension size ({}).", start, length,
             size);
  return slice(self, d, start, start + length, 1);
}

Tensor expand(const Tensor& self, IntArrayRef size) {
  detail::check_defined(self, "expand");
  AXON_CHECK(static_cast<int64_t>(size.size()) >= self.dim(),
             "expand: the number of sizes provided ({}) must be greater or equal to the number of "
             "dimensions in the tensor ({})",
             size.size(), self.dim());
  int64_t offset = static_cast<int64_t>(size.size()) - self.dim();
  DimVector sizes(size.size()), strides(size.size());
  for (int64_t i = static_cast<int64_t>(size.size()) - 1; i >= 0; --i) {
    int64_t target = size[i];
    if (i < offset) {
      AXON_CHECK(target >= 0,
                 "expand: the expanded size of the tensor ({}) isn't allowed in a leading, "
                 "non-existing dimension {}",
                 target, i);
      sizes[i] = target;
      strides[i] = 0;
      continue;
    }
    int64_t current = self.size(i - offset);
    if (target == -1) target = current;
    AXON_CHECK(current == target || current == 1,
               "The expanded size of the tensor ({}) must match the existing size ({}) at "
               "non-singleton dimension {}.  Target sizes: {}.  Tensor sizes: {}",
               target, current, i, size, self.sizes());
    sizes[i] = target;
    strides[i] = current == target ? self.stride(i - offset) : 0;
  }
  Tensor out = make_view(self, sizes, strides, self.storage_offset());
  if (records(self)) {
    record("ExpandBackward0", out, {&self}, {},
           [base = DimVector(self.sizes())](const BackwardContext& ctx) {
             return variable_list{detail::sum_to(ctx.grad(), base)};
           });
  }
  return out;
}

Tensor broadcast_to(const Tensor& self, IntArrayRef size) { return expand(self, size); }

std::vector<Tensor> broadcast_tensors(TensorList tensors) {
  DimVector shape;
  for (const Tensor& t : tensors) {
    detail::check_defined(t, "broadcast_tensors");
    shape = broadcast_shapes(shape, t.sizes());
  }
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.expand(shape));
  return out;
}

}  // namespace axon
