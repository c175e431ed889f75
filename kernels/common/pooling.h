#pragma once
// 2-D pooling kernels over contiguous NCHW tensors seen as `planes` = N * C independent
// [H, W] images. Core checks the arguments and allocates the outputs; kernels overwrite them
// completely. Indices are int64, flat over in_h * in_w within each plane (as PyTorch's).

#include <cstdint>
#include <limits>

#include "axon/tensor.h"
#include "core/dispatch.h"
#include "kernels/common/macros.h"
#include "kernels/common/math.h"

namespace axon::kernels {

struct Pool2dParams {
  int64_t planes = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  // The window geometry; adaptive pooling derives its windows from the sizes alone.
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  bool count_include_pad = true;  // avg_pool2d
  int64_t divisor_override = 0;   // avg_pool2d; 0 means none
};

// out = the max of each window; indices, if defined, where it is (the first maximum, or the
// last NaN: PyTorch's test is v > max || isnan(v)).
using MaxPool2dFn = void(const Tensor& out, const Tensor& indices, const Tensor& input,
                         const Pool2dParams& p);
// grad_input = zeros, then grad_input[plane, indices[plane, o]] += grad_output[plane, o].
using MaxPool2dBackwardFn = void(const Tensor& grad_input, const Tensor& grad_output,
                                 const Tensor& indices, const Pool2dParams& p);
// out[plane, o] = grad_input[plane, indices[plane, o]]: the backward's own backward.
using MaxPool2dGatherFn = void(const Tensor& out, const Tensor& grad_input, const Tensor& indices,
                               const Pool2dParams& p);
// avg_pool2d (adaptive = false) or adaptive_avg_pool2d (adaptive = true), and their backward.
using AvgPool2dFn = void(bool adaptive, const Tensor& out, const Tensor& input,
                         const Pool2dParams& p);
using AvgPool2dBackwardFn = void(bool adaptive, const Tensor& grad_input, const Tensor& grad_output,
                                 const Pool2dParams& p);

// ---- Window arithmetic and per-element bodies, shared by the CPU and CUDA kernels -----------

// Positions [begin, end) along one dim.
struct PoolRange {
  int64_t begin, end;
};

// Max pooling's taps of output o along one dim are o * stride - pad + k * dilation (k < kernel):
// those before the input are skipped (begin moves by whole dilation steps), those past it cut.
AXON_HOST_DEVICE PoolRange max_pool_range(int64_t o, int64_t in, int64_t kernel, int64_t stride,
                                          int64_t pad, int64_t dilation) {
  int64_t begin = o * stride - pad;
  const int64_t end = begin + (kernel - 1) * dilation + 1;
  while (begin < 0) begin += dilation;
  return {begin, end < in ? end : in};
}

// PyTorch's adaptive windows: [floor(o * in / out), ceil((o + 1) * in / out)) for 0 <= o < out.
AXON_HOST_DEVICE int64_t adaptive_start(int64_t o, int64_t out, int64_t in) {
  return (o / out) * in + ((o % out) * in) / out;
}
AXON_HOST_DEVICE int64_t adaptive_end(int64_t o, int64_t out, int64_t in) {
  return 1 + ((o + 1) * in - 1) / out;
}

// One window of avg_pool2d or adaptive_avg_pool2d: [h0, h1) x [w0, w1) inside the input and the
// divisor of its sum (zero for a window wholly in the padding, whose output is zero).
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};

AXON_HOST_DEVICE AvgWindow avg_pool_window(bool adaptive, int64_t oh, int64_t ow,
                                           const Pool2dParams& p) {
  if (adaptive) {
    AvgWindow w{adaptive_start(oh, p.out_h, p.in_h), adaptive_end(oh, p.out_h, p.in_h),
                adaptive_start(ow, p.out_w, p.in_w), adaptive_end(ow, p.out_w, p.in_w), 0};
    w.divisor = (w.h1 - w.h0) * (w.w1 - w.w0);
    return w;
  }
  int64_t h0 = oh * p.stride_h - p.pad_h, w0 = ow * p.stride_w - p.pad_w;
  int64_t h1 = h0 + p.kernel_h < p.in_h + p.pad_h ? h0 + p.kernel_h : p.in_h + p.pad_h;
  int64_t w1 = w0 + p.kernel_w < p.in_w + p.pad_w ? w0 + p.kernel_w : p.in_w + p.pad_w;
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = h0 > 0 ? h0 : 0, w0 = w0 > 0 ? w0 : 0;
  h1 = h1 < p.in_h ? h1 : p.in_h, w1 = w1 < p.in_w ? w1 : p.in_w;
  if (h0 >= h1 || w0 >= w1) return {0, 0, 0, 0, 0};
  const int64_t divisor = p.divisor_override != 0 ? p.divisor_override
                          : p.count_include_pad   ? padded_size
                                                  : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

// The outputs along one dim whose windows (`span` long from o * stride - pad) hold input
// position i, clipped to [0, out): o holds i iff i + pad - span < o * stride <= i + pad.
AXON_HOST_DEVICE PoolRange windows_holding(int64_t i, int64_t out, int64_t span, int64_t stride,
                                           int64_t pad) {
  const int64_t reach = i + pad - span + 1;
  const int64_t last = (i + pad) / stride + 1;
  return {reach <= 0 ? 0 : (reach + stride - 1) / stride, last < out ? last : out};
}

template <typename T>
struct MaxPoolResult {
  T value;
  int64_t index;
};

// Output (oh, ow) of max pooling over one plane: the first maximum, or the last NaN (PyTorch's
// test is v > max || isnan(v)). A window with no tap in the input gives -inf at the index of its
// first tap past the padding, as PyTorch's.
template <typename T>
AXON_HOST_DEVICE MaxPoolResult<T> max_pool_at(const T* plane, int64_t oh, int64_t ow,
                                              const Pool2dParams& p) {
  const PoolRange hs = max_pool_range(oh, p.in_h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const PoolRange ws = max_pool_range(ow, p.in_w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  MaxPoolResult<T> best{-std::numeric_limits<T>::infinity(), hs.begin * p.in_w + ws.begin};
  for (int64_t h = hs.begin; h < hs.end; h += p.dilation_h) {
    for (int64_t w = ws.begin; w < ws.end; w += p.dilation_w) {
      const T v = plane[h * p.in_w + w];
      if (v > best.value || is_nan(v)) best = {v, h * p.in_w + w};
    }
  }
  return best;
}

// Output (oh, ow) of avg_pool2d or adaptive_avg_pool2d over one plane: the window's sum in
// row-major order over its divisor.
template <typename T>
AXON_HOST_DEVICE T avg_pool_at(bool adaptive, const T* plane, int64_t oh, int64_t ow,
                               const Pool2dParams& p) {
  const AvgWindow win = avg_pool_window(adaptive, oh, ow, p);
  if (win.divisor == 0) return T(0);
  T sum = 0;
  for (int64_t h = win.h0; h < win.h1; ++h) {
    for (int64_t w = win.w0; w < win.w1; ++w) sum += plane[h * p.in_w + w];
  }
  return sum / static_cast<T>(win.divisor);
}

// The CUDA backward kernels gather: each thread sums, for its input position (h, w) of one
// plane, the gradients of the windows holding it in ascending output order, which is the order in
// which the CPU's scatter adds them, so both give the same bits.

// max_pool2d: the windows whose index is (h, w). (A window with no tap inside the input may point
// outside its own span; its output is -inf, and its gradient is dropped here.)
template <typename T>
AXON_HOST_DEVICE T max_pool_grad_at(const T* grad_plane, const int64_t* index_plane, int64_t h,
                                    int64_t w, const Pool2dParams& p) {
  const PoolRange hs =
      windows_holding(h, p.out_h, (p.kernel_h - 1) * p.dilation_h + 1, p.stride_h, p.pad_h);
  const PoolRange ws =
      windows_holding(w, p.out_w, (p.kernel_w - 1) * p.dilation_w + 1, p.stride_w, p.pad_w);
  const int64_t target = h * p.in_w + w;
  T sum = 0;
  for (int64_t oh = hs.begin; oh < hs.end; ++oh) {
    for (int64_t ow = ws.begin; ow < ws.end; ++ow) {
      if (index_plane[oh * p.out_w + ow] == target) sum += grad_plane[oh * p.out_w + ow];
    }
  }
  return sum;
}

// avg_pool2d / adaptive_avg_pool2d: each window holding (h, w) gives its gradient over its
// divisor. Adaptive windows invert exactly: o holds i iff adaptive_start(i, in, out) <= o <
// adaptive_end(i, in, out).
template <typename T>
AXON_HOST_DEVICE T avg_pool_grad_at(bool adaptive, const T* grad_plane, int64_t h, int64_t w,
                                    const Pool2dParams& p) {
  PoolRange hs, ws;
  if (adaptive) {
    hs = {adaptive_start(h, p.in_h, p.out_h), adaptive_end(h, p.in_h, p.out_h)};
    ws = {adaptive_start(w, p.in_w, p.out_w), adaptive_end(w, p.in_w, p.out_w)};
    hs.end = hs.end < p.out_h ? hs.end : p.out_h, ws.end = ws.end < p.out_w ? ws.end : p.out_w;
  } else {
    hs = windows_holding(h, p.out_h, p.kernel_h, p.stride_h, p.pad_h);
    ws = windows_holding(w, p.out_w, p.kernel_w, p.stride_w, p.pad_w);
  }
  T sum = 0;
  for (int64_t oh = hs.begin; oh < hs.end; ++oh) {
    for (int64_t ow = ws.begin; ow < ws.end; ++ow) {
      const int64_t divisor = avg_pool_window(adaptive, oh, ow, p).divisor;
      if (divisor != 0) sum += grad_plane[oh * p.out_w + ow] / static_cast<T>(divisor);
    }
  }
  return sum;
}

AXON_DECLARE_KERNEL(max_pool2d_kernel, MaxPool2dFn);
AXON_DECLARE_KERNEL(max_pool2d_backward_kernel, MaxPool2dBackwardFn);
AXON_DECLARE_KERNEL(max_pool2d_gather_kernel, MaxPool2dGatherFn);
AXON_DECLARE_KERNEL(avg_pool2d_kernel, AvgPool2dFn);
AXON_DECLARE_KERNEL(avg_pool2d_backward_kernel, AvgPool2dBackwardFn);

}  // namespace axon::kernels
