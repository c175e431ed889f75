// Joining and splitting: cat, stack, split, chunk, unbind.
#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon {

using autograd::BackwardContext;
using autograd::record;

namespace {

// PyTorch skips legacy empty 1-D tensors (shape [0]) when checking cat's shapes.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

// Checks `tensors` for cat along `dim` and returns the output shape and dtype.
std::pair<DimVector, DType> cat_shape(TensorList tensors, int64_t& dim, const char* op) {
  AXON_CHECK(!tensors.empty(), "{}(): expected a non-empty list of Tensors", op);
  const Tensor* reference = nullptr;
  DType dtype = DType::Bool;
  bool first_dtype = true;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    AXON_CHECK(t.defined(), "{}(): tensor {} in the list is undefined", op, i);
    dtype = first_dtype ? t.dtype() : promote_types(dtype, t.dtype());
    first_dtype = false;
    if (reference == nullptr && !is_legacy_empty(t)) reference = &t;
  }
  if (reference == nullptr) {
    dim = 0;
    return {DimVector{0}, dtype};
  }
  AXON_CHECK(reference->dim() > 0,
             "{}(): zero-dimensional tensor (at position {}) cannot be "
             "concatenated",
             op, reference - tensors.data());
  dim = detail::wrap_dim(dim, reference->dim(), op);
  DimVector shape(reference->sizes());
  shape[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_same_device(*reference, t, op);
    if (is_legacy_empty(t)) continue;
    AXON_CHECK(t.dim() == reference->dim(),
               "{}(): tensors must have same number of dimensions: got {} and {}", op,
               reference->dim(), t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) {
      AXON_CHECK(d == dim || t.size(d) == reference->size(d),
                 "{}(): Sizes of tensors must match except in dimension {}. Expected size {} but "
                 "got size {} for tensor number {} in the list.",
                 op, dim, reference->size(d), t.size(d), i);
    }
    shape[dim] += t.size(dim);
  }
  return {shape, dtype};
}

}  // namespace

Tensor cat(TensorList tensors, int64_t dim) {
  auto [shape, dtype] = cat_shape(tensors, dim, "cat");
  Device device = tensors[0].device();
  Tensor out = detail::empty_tensor(shape, dtype, device);
  std::vector<int64_t> offsets;
  int64_t offset = 0;
  {
    NoGradGuard no_grad;
    for (const Tensor& t : tensors) {
      offsets.push_back(offset);
      if (is_legacy_empty(t) && shape.size() != 1) continue;
      detail::copy_raw(out.narrow(dim, offset, t.size(dim)), t);
      offset += t.size(dim);
    }
  }
  if (autograd::should_record(tensors)) {
    std::vector<std::pair<int64_t, int64_t>> ranges;  // (offset, length), length -1 = skipped
    std::vector<DType> dtypes;
    for (size_t i = 0; i < tensors.size(); ++i) {
      bool skipped = is_legacy_empty(tensors[i]) && shape.size() != 1;
      ranges.emplace_back(offsets[i], skipped ? -1 : tensors[i].size(dim));
      dtypes.push_back(tensors[i].dtype());
    }
    record("CatBackward0", out, tensors, {}, [ranges, dtypes, dim](const BackwardContext& ctx) {
      variable_list grads;
      for (size_t i = 0; i < ranges.size(); ++i) {
        if (!ctx.needs_grad(i)) {
          grads.emplace_back();
        } else if (ranges[i].second < 0) {
          grads.push_back(zeros({0}, ctx.grad().options().dtype(dtypes[i])));
        } else {
          grads.push_back(detail::convert_dtype(
              ctx.grad().narrow(dim, ranges[i].first, ranges[i].second), dtypes[i]));
        }
      }
      return grads;
    });
  }
  return out;
}

Tensor stack(TensorList tensors, int64_t dim) {
  AXON_CHECK(!tensors.empty(), "stack expects a non-empty TensorList");
  for (size_t i = 0; i < tensors.size(); ++i) {
    AXON_CHECK(tensors[i].defined(), "stack(): tensor {} in the list is undefined", i);
    AXON_CHECK(tensors[i].sizes() == tensors[0].sizes(),
               "stack expects each tensor to be equal size, but got {} at entry 0 and {} at "
               "entry {}",
               tensors[0].sizes(), tensors[i].sizes(), i);
  }
  int64_t d = detail::wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  Tensor out;
  {
    NoGradGuard no_grad;
    for (const Tensor& t : tensors) expanded.push_back(t.unsqueeze(d));
    out = cat(expanded, d);
  }
  if (autograd::should_record(tensors)) {
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) dtypes.push_back(t.dtype());
    record("StackBackward0", out, tensors, {}, [dtypes, d](const BackwardContext& ctx) {
      variable_list grads;
      for (size_t i = 0; i < dtypes.size(); ++i) {
        grads.push_back(
            ctx.needs_grad(i)
                ? detail::convert_dtype(ctx.grad().select(d, static_cast<int64_t>(i)), dtypes[i])
                : Tensor());
      }
      return grads;
    });
  }
  return out;
}

namespace {

// Cuts `self` along `d` into pieces of `lengths` (views). While autograd records, one node
// (PyTorch's SplitBackward0, SplitWithSizesBackward0 or UnbindBackward0) stands for all the
// pieces; its backward joins their gradients, zeros for pieces that received none.
std::vector<Tensor> split_pieces(const Tensor& self, int64_t d, const std::vector<int64_t>& lengths,
                                 bool squeeze, const char* node_name) {
  std::vector<Tensor> pieces;
  {
    NoGradGuard no_grad;
    int64_t start = 0;
    for (int64_t length : lengths) {
      pieces.push_back(squeeze ? self.select(d, start) : self.narrow(d, start, length));
      start += length;
    }
  }
  if (autograd::should_record({&self}) && !pieces.empty()) {
    std::vector<const Tensor*> outputs;
    for (Tensor& p : pieces) outputs.push_back(&p);
    record(node_name, ArrayRef<const Tensor*>(outputs), {&self}, {},
           [d, lengths, squeeze, sizes = DimVector(self.sizes())](const BackwardContext& ctx) {
             const variable_list& grads = ctx.grads();
             TensorOptions options;
             for (const Tensor& g : grads) {
               if (g.defined()) options = g.options();
             }
             variable_list parts;
             for (size_t i = 0; i < lengths.size(); ++i) {
               Tensor g = i < grads.size() ? grads[i] : Tensor();
               if (!g.defined()) {
                 DimVector shape = sizes;
                 shape[d] = lengths[i];
                 parts.push_back(zeros(shape, options));
               } else {
                 parts.push_back(squeeze ? g.unsqueeze(d) : g);
               }
             }
             return variable_list{cat(parts, d)};
           });
  }
  return pieces;
}

}  // namespace

std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim) {
  detail::check_defined(self, "split");
  AXON_CHECK(self.dim() > 0, "split expects at least a 1-dimensional tensor");
  int64_t d = detail::wrap_dim(dim, self.dim(), "split");
  int64_t size = self.size(d);
  AXON_CHECK(split_size >= 0, "split expects split_size be non-negative, but got split_size={}",
             split_size);
  AXON_CHECK(split_size > 0 || size == 0,
             "split: split_size can only be 0 if dimension size is 0, but got dimension size of {}",
             size);
  std::vector<int64_t> lengths;
  for (int64_t start = 0; start < size; start += split_size) {
    lengths.push_back(std::min(split_size, size - start));
  }
  if (size == 0) lengths.push_back(0);
  return split_pieces(self, d, lengths, false, "SplitBackward0");
}

std::vector<Tensor> split(const Tensor& self, IntArrayRef split_sizes, int64_t dim) {
  detail::check_defined(self, "split");
  AXON_CHECK(self.dim() > 0, "split expects at least a 1-dimensional tensor");
  int64_t d = detail::wrap_dim(dim, self.dim(), "split");
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    AXON_CHECK(s >= 0,
               "split_with_sizes expects split_sizes have only non-negative entries, "
               "but got split_sizes={}",
               split_sizes);
    total += s;
  }
  AXON_CHECK(total == self.size(d),
             "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at "
             "dimension {}), but got split_sizes={}",
             self.size(d), d, split_sizes);
  return split_pieces(self, d, split_sizes.vec(), false, "SplitWithSizesBackward0");
}

std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  detail::check_defined(self, "chunk");
  AXON_CHECK(self.dim() > 0, "chunk expects at least a 1-dimensional tensor");
  AXON_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: {}", chunks);
  int64_t d = detail::wrap_dim(dim, self.dim(), "chunk");
  int64_t size = self.size(d);
  if (size == 0) {
    return split_pieces(self, d, std::vector<int64_t>(static_cast<size_t>(chunks), 0), false,
                        "SplitBackward0");
  }
  return split(self, (size + chunks - 1) / chunks, d);
}

std::vector<Tensor> unbind(const Tensor& self, int64_t dim) {
  detail::check_defined(self, "unbind");
  AXON_CHECK(self.dim() > 0, "unbind: Dimension specified as {} but tensor has no dimensions", dim);
  int64_t d = detail::wrap_dim(dim, self.dim(), "unbind");
  return split_pieces(self, d, std::vector<int64_t>(static_cast<size_t>(self.size(d)), 1), true,
                      "UnbindBackward0");
}

}  // namespace axon
