#pragma once
// Helpers shared by the op front-ends in core/ops/.

#include <functional>
#include <optional>
#include <string>

#include "axon/tensor.h"

namespace axon::detail {

// A new tensor with contiguous strides; its elements are uninitialised.
Tensor empty_tensor(IntArrayRef sizes, DType dtype, Device device);
// A tensor sharing `base`'s storage with the given geometry (marked as a view).
Tensor make_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides,
                 int64_t storage_offset);
DimVector contiguous_strides(IntArrayRef sizes);

// `dim` in [-ndim, ndim) mapped to [0, ndim); throws naming `op` otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
// Throws when `t` is undefined, naming the op and the argument.
void check_defined(const Tensor& t, const char* op, const char* arg = "input");
// Throws unless both are on the same device.
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
// "float32 tensor of shape [2, 3] on cpu", for messages.
std::string describe(const Tensor& t);

// dst = src (src broadcast to dst's shape, converted to its dtype, across devices if need be),
// without autograd or a version bump.
void copy_raw(const Tensor& dst, const Tensor& src, bool non_blocking = false);

// Converts to `dtype` without recording autograd (a no-op when it already matches).
Tensor convert_dtype(const Tensor& t, DType dtype);
// Sums `grad` down to `sizes` (undoing broadcasting), for backward formulas.
Tensor sum_to(const Tensor& grad, IntArrayRef sizes);

// Checks that the int64 `indices` (on a GPU) lie in [0, size), values equal to `ignore` aside,
// on the device, without a host wait (core/cuda_hooks.h's deferred checks): at the next
// synchronisation, message(first offender) becomes an axon::Error. Defined in
// core/ops/indexing.cpp.
void defer_index_range_check(const Tensor& indices, int64_t size, std::optional<int64_t> ignore,
                             std::function<std::string(int64_t)> message);

}  // namespace axon::detail
