// CPU convolution: im2col + GEMM (kernels/cpu/blas.h), one image per task across the OpenMP threads
// (each thread's GEMM then runs on that thread alone). A single image leaves the threads to BLAS.
// float32 stride-1 convolutions with few output channels take conv_direct.h's kernels instead,
// where the processor has AVX-512.
// At stride 1 the column matrix is built from whole shifted planes (Note [Wide rows]); a 1x1
// kernel there needs none: the (padded) image is its own column matrix.
#include "kernels/common/conv.h"

#include <omp.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scratch.h"

namespace axon::cpu {
namespace {

using kernels::Conv2dParams;

// The thread's buffers (scratch.h).
enum Slot { kColumns, kPadded, kWide };

// The shape of one group's problem: out[c_out, P] = weight[c_out, K] @ col[K, P].
struct GroupShape {
  int64_t c_in, c_out, k, in_plane, out_plane;
};

GroupShape group_shape(const Conv2dParams& p) {
  GroupShape s{};
  s.c_in = p.in_channels / p.groups;
  s.c_out = p.out_channels / p.groups;
  s.k = s.c_in * p.kernel_h * p.kernel_w;
  s.in_plane = p.in_h * p.in_w;
  s.out_plane = p.out_h * p.out_w;
  return s;
}

// For one kernel column offset x0 = j * dilation - pad: the output columns [lo, hi) whose
// input column x0 + ow * stride lies inside [0, in_w).
struct ColumnRange {
  int64_t lo, hi;
};
ColumnRange valid_columns(int64_t x0, const Conv2dParams& p) {
  const int64_t lo = x0 >= 0 ? 0 : (-x0 + p.stride_w - 1) / p.stride_w;
  const int64_t hi = x0 <= p.in_w - 1 ? (p.in_w - 1 - x0) / p.stride_w + 1 : 0;
  const int64_t h = std::min(hi, p.out_w);
  return {std::min(lo, h), h};
}

// col[(c, i, j), (oh, ow)] = in[c, oh * sh - ph + i * dh, ow * sw - pw + j * dw], 0 outside.
template <typename T>
void im2col(const T* in, T* col, int64_t channels, const Conv2dParams& p) {
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = in + c * p.in_h * p.in_w;
    for (int64_t i = 0; i < p.kernel_h; ++i) {
      for (int64_t j = 0; j < p.kernel_w; ++j) {
        const int64_t x0 = j * p.dilation_w - p.pad_w;
        const ColumnRange r = valid_columns(x0, p);
        for (int64_t oh = 0; oh < p.out_h; ++oh, col += p.out_w) {
          const int64_t y = oh * p.stride_h - p.pad_h + i * p.dilation_h;
          if (y < 0 || y >= p.in_h) {
            std::fill_n(col, p.out_w, T(0));
            continue;
          }
          const T* src = plane + y * p.in_w + x0;
          std::fill(col, col + r.lo, T(0));
          if (p.stride_w == 1) {
            std::copy(src + r.lo, src + r.hi, col + r.lo);
          } else {
            for (int64_t ow = r.lo; ow < r.hi; ++ow) col[ow] = src[ow * p.stride_w];
          }
          std::fill(col + r.hi, col + p.out_w, T(0));
        }
      }
    }
  }
}

// in (zeroed here) += the columns scattered back: the adjoint of im2col.
template <typename T>
void col2im(const T* col, T* in, int64_t channels, const Conv2dParams& p) {
  std::fill_n(in, channels * p.in_h * p.in_w, T(0));
  for (int64_t c = 0; c < channels; ++c) {
    T* plane = in + c * p.in_h * p.in_w;
    for (int64_t i = 0; i < p.kernel_h; ++i) {
      for (int64_t j = 0; j < p.kernel_w; ++j) {
        const int64_t x0 = j * p.dilation_w - p.pad_w;
        const ColumnRange r = valid_columns(x0, p);
        for (int64_t oh = 0; oh < p.out_h; ++oh, col += p.out_w) {
          const int64_t y = oh * p.stride_h - p.pad_h + i * p.dilation_h;
          if (y < 0 || y >= p.in_h) continue;
          T* dst = plane + y * p.in_w + x0;
          for (int64_t ow = r.lo; ow < r.hi; ++ow) dst[ow * p.stride_w] += col[ow];
        }
      }
    }
  }
}

// Note [Wide rows]
// im2col's column matrix has a row for each (c, i, j) of the kernel, holding the input elements
// that tap (i, j) of channel c meets at every output position. At stride 1 those are out_h runs
// of out_w elements, one input row apart in the zero-padded plane. Computing each output row
// row_w = padded input width long instead of out_w makes the runs meet: the row becomes ONE
// contiguous run of out_h * row_w elements of the padded plane, starting at i * dilation_h *
// row_w + j * dilation_w. The GEMM then computes row_w - out_w extra columns per output row,
// which are discarded (forward) or multiplied by zeros (backward). For LeNet-5's second
// convolution (14x14 -> 10x10) that is 40% more multiply-adds, against 1 copy instead of 10 per
// (c, i, j) of the 150: im2col and its short copies had become over a quarter of a LeNet-5
// training step, and its forward ran 2.2x faster this way (docs/BENCHMARKS.md). A run reaching
// past the image's last plane ends in zeros; one reaching into the next channel's plane only
// feeds discarded columns. The input gradient's scatter adds the (c, i, j) rows in col2im's order.

// One thread's GEMM operands for one group of one image: out[c_out, n] = weight[c_out, K] @
// col[K, n], with n = out_h * row_w. row_w is out_w for strided convolutions (plain im2col) and
// the padded input width at stride 1 (Note [Wide rows]).
template <typename T>
class Columns {
 public:
  Columns(const Conv2dParams& p, const GroupShape& s)
      : p_(p),
        s_(s),
        wide_(p.stride_h == 1 && p.stride_w == 1),
        padded_(wide_ && (p.pad_h > 0 || p.pad_w > 0)),
        direct_(wide_ && p.kernel_h == 1 && p.kernel_w == 1),
        row_w_(wide_ ? p.in_w + 2 * p.pad_w : p.out_w),
        padded_plane_((p.in_h + 2 * p.pad_h) * row_w_),
        n_(p.out_h * row_w_) {}

  int64_t n() const { return n_; }

  // col[K, n] for one group of an image (c_in planes): the thread's buffer, or the (padded)
  // image itself for a 1x1 kernel at stride 1.
  const T* gather(const T* image) {
    if (!wide_) {
      T* col = scratch<T, kColumns>(s_.k * n_);
      im2col(image, col, s_.c_in, p_);
      return col;
    }
    const T* src = padded_ ? pad(image) : image;
    if (direct_) return src;
    T* col = scratch<T, kColumns>(s_.k * n_);
    T* row = col;
    for_each_run([&](int64_t start, int64_t len) {
      std::copy_n(src + start, len, row);
      std::fill(row + len, row + n_, T(0));
      row += n_;
    });
    return col;
  }

  // Where the forward GEMM writes its [c_out, n] result for the output `out` [c_out, out_plane].
  T* result_for(T* out) const {
    return row_w_ == p_.out_w ? out : scratch<T, kWide>(s_.c_out * n_);
  }
  // out = the result's first out_w columns of each row (+ bias[c]).
  void narrow(const T* result, T* out, const T* bias) const {
    for (int64_t c = 0; c < s_.c_out; ++c) {
      const T b = bias ? bias[c] : T(0);
      for (int64_t oh = 0; oh < p_.out_h; ++oh) {
        const T* src = result + c * n_ + oh * row_w_;
        T* dst = out + c * s_.out_plane + oh * p_.out_w;
        if (src == dst && !bias) continue;
        for (int64_t ow = 0; ow < p_.out_w; ++ow) dst[ow] = src[ow] + b;
      }
    }
  }

  // grad_output [c_out, out_plane] as [c_out, n], zeros in the discarded columns.
  const T* widen(const T* grad) const {
    if (row_w_ == p_.out_w) return grad;
    T* wide = scratch<T, kWide>(s_.c_out * n_);
    for (int64_t c = 0; c < s_.c_out; ++c) {
      for (int64_t oh = 0; oh < p_.out_h; ++oh) {
        T* dst = wide + c * n_ + oh * row_w_;
        std::copy_n(grad + c * s_.out_plane + oh * p_.out_w, p_.out_w, dst);
        std::fill(dst + p_.out_w, dst + row_w_, T(0));
      }
    }
    return wide;
  }

  // Where the input-gradient GEMM writes d col [K, n] for the image gradient `grad_image`.
  T* col_grad_for(T* grad_image) const {
    if (!direct_) return scratch<T, kColumns>(s_.k * n_);
    return padded_ ? scratch<T, kPadded>(s_.c_in * padded_plane_) : grad_image;
  }
  // grad_image (c_in planes, overwritten) from d col: the adjoint of gather.
  void scatter(const T* col_grad, T* grad_image) const {
    if (!wide_) {
      col2im(col_grad, grad_image, s_.c_in, p_);
      return;
    }
    T* dst = padded_ ? scratch<T, kPadded>(s_.c_in * padded_plane_) : grad_image;
    if (!direct_) {
      std::fill_n(dst, s_.c_in * padded_plane_, T(0));
      const T* row = col_grad;
      for_each_run([&](int64_t start, int64_t len) {
        for (int64_t q = 0; q < len; ++q) dst[start + q] += row[q];
        row += n_;
      });
    }
    if (!padded_) return;
    for (int64_t c = 0; c < s_.c_in; ++c) {
      for (int64_t y = 0; y < p_.in_h; ++y) {
        std::copy_n(dst + c * padded_plane_ + (y + p_.pad_h) * row_w_ + p_.pad_w, p_.in_w,
                    grad_image + c * s_.in_plane + y * p_.in_w);
      }
    }
  }

 private:
  // f(start, len) for each (c, i, j) in order: the run of the padded planes that row of the
  // column matrix holds, cut at the last plane's end (Note [Wide rows]).
  template <typename F>
  void for_each_run(const F& f) const {
    const int64_t total = s_.c_in * padded_plane_;
    for (int64_t c = 0; c < s_.c_in; ++c) {
      for (int64_t i = 0; i < p_.kernel_h; ++i) {
        for (int64_t j = 0; j < p_.kernel_w; ++j) {
          const int64_t start = c * padded_plane_ + i * p_.dilation_h * row_w_ + j * p_.dilation_w;
          f(start, std::min(n_, total - start));
        }
      }
    }
  }

  // The image's c_in planes with zeros around them, in the thread's buffer.
  const T* pad(const T* image) const {
    T* padded = scratch<T, kPadded>(s_.c_in * padded_plane_);
    std::fill_n(padded, s_.c_in * padded_plane_, T(0));
    for (int64_t c = 0; c < s_.c_in; ++c) {
      for (int64_t y = 0; y < p_.in_h; ++y) {
        std::copy_n(image + c * s_.in_plane + y * p_.in_w, p_.in_w,
                    padded + c * padded_plane_ + (y + p_.pad_h) * row_w_ + p_.pad_w);
      }
    }
    return padded;
  }

  const Conv2dParams& p_;
  const GroupShape& s_;
  const bool wide_, padded_, direct_;
  const int64_t row_w_, padded_plane_, n_;
};

template <typename T>
void forward(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
             const Conv2dParams& p) {
  const GroupShape s = group_shape(p);
  const T* in = input.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  const T* b = bias.defined() ? bias.data_ptr<T>() : nullptr;
  T* dst = out.data_ptr<T>();
  bool direct = false;
  if constexpr (std::is_same_v<T, float>) direct = direct_conv_applies(p);
  parallel_for(0, p.batch, 1, [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>) {
      if (direct) return direct_conv_forward(in, w, b, p, begin, end, dst);
    }
    Columns<T> cols(p, s);
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        const T* col = cols.gather(in + (n * p.in_channels + g * s.c_in) * s.in_plane);
        T* o = dst + (n * p.out_channels + g * s.c_out) * s.out_plane;
        T* result = cols.result_for(o);
        gemm(false, false, s.c_out, cols.n(), s.k, T(1), w + g * s.c_out * s.k,
             std::max<int64_t>(s.k, 1), col, cols.n(), T(0), result, cols.n());
        cols.narrow(result, o, b ? b + g * s.c_out : nullptr);
      }
    }
  });
}

template <typename T>
void backward_input(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                    const Conv2dParams& p) {
  const GroupShape s = group_shape(p);
  const T* go = grad_output.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  T* gi = grad_input.data_ptr<T>();
  bool direct = false;
  if constexpr (std::is_same_v<T, float>) direct = direct_conv_applies(p);
  parallel_for(0, p.batch, 1, [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>) {
      if (direct) return direct_conv_input_grad(go, w, p, begin, end, gi);
    }
    Columns<T> cols(p, s);
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        T* image = gi + (n * p.in_channels + g * s.c_in) * s.in_plane;
        const T* grad = cols.widen(go + (n * p.out_channels + g * s.c_out) * s.out_plane);
        T* col_grad = cols.col_grad_for(image);
        // d col[K, n] = weight_g^T @ grad_output_g
        gemm(true, false, s.k, cols.n(), s.c_out, T(1), w + g * s.c_out * s.k,
             std::max<int64_t>(s.k, 1), grad, cols.n(), T(0), col_grad, cols.n());
        cols.scatter(col_grad, image);
      }
    }
  });
}

// Each thread accumulates the weight (and bias) gradient of its images in its own buffer
// (thread 0 in the output itself); the buffers are summed at the end.
template <typename T>
void backward_weight(const Tensor& grad_weight, const Tensor& grad_bias, const Tensor& grad_output,
                     const Tensor& input, const Conv2dParams& p) {
  const GroupShape s = group_shape(p);
  const T* go = grad_output.data_ptr<T>();
  const T* in = input.data_ptr<T>();
  T* gw = grad_weight.defined() ? grad_weight.data_ptr<T>() : nullptr;
  T* gb = grad_bias.defined() ? grad_bias.data_ptr<T>() : nullptr;
  const int64_t weight_numel = p.out_channels * s.k;
  const int threads = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), p.batch));
  bool direct = false;
  if constexpr (std::is_same_v<T, float>) direct = gw && direct_conv_applies(p);
  std::vector<T> partial_weight(gw ? static_cast<size_t>(std::max(threads - 1, 0) * weight_numel)
                                   : 0);
  std::vector<double> bias_sum(gb ? static_cast<size_t>(threads * p.out_channels) : 0, 0.0);
  auto work = [&](int tid, int64_t begin, int64_t end) {
    T* my_gw = gw ? (tid == 0 ? gw : partial_weight.data() + (tid - 1) * weight_numel) : nullptr;
    double* my_gb = gb ? bias_sum.data() + tid * p.out_channels : nullptr;
    if (my_gw) std::fill_n(my_gw, weight_numel, T(0));
    if constexpr (std::is_same_v<T, float>) {
      if (direct) direct_conv_weight_grad(go, in, p, begin, end, my_gw);
    }
    Columns<T> cols(p, s);
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        const T* grad = go + (n * p.out_channels + g * s.c_out) * s.out_plane;
        if (my_gw && !direct) {
          const T* col = cols.gather(in + (n * p.in_channels + g * s.c_in) * s.in_plane);
          // weight_g[c_out, K] += grad_output_g[c_out, n] @ col[K, n]^T
          gemm(false, true, s.c_out, s.k, cols.n(), T(1), cols.widen(grad), cols.n(), col, cols.n(),
               T(1), my_gw + g * s.c_out * s.k, std::max<int64_t>(s.k, 1));
        }
        if (!my_gb) continue;
        for (int64_t c = 0; c < s.c_out; ++c) {
          const T* plane = grad + c * s.out_plane;
          my_gb[g * s.c_out + c] += sum_in_double(s.out_plane, [&](int64_t q) { return plane[q]; });
        }
      }
    }
  };
  if (threads <= 1) {
    work(0, 0, p.batch);
  } else {
#pragma omp parallel num_threads(threads)
    {
      const int tid = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t chunk = (p.batch + nt - 1) / nt;
      work(tid, std::min(p.batch, tid * chunk), std::min(p.batch, (tid + 1) * chunk));
    }
  }
  for (int t = 1; t < threads && gw; ++t) {
    const T* part = partial_weight.data() + (t - 1) * weight_numel;
    for (int64_t i = 0; i < weight_numel; ++i) gw[i] += part[i];
  }
  for (int64_t c = 0; c < p.out_channels && gb; ++c) {
    double sum = 0;
    for (int t = 0; t < threads; ++t) sum += bias_sum[t * p.out_channels + c];
    gb[c] = static_cast<T>(sum);
  }
}

void forward_cpu(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 const Conv2dParams& p) {
  kernels::visit_floating_dtype(input.dtype(), "conv2d", [&](auto tag) {
    forward<typename decltype(tag)::type>(out, input, weight, bias, p);
  });
}

void backward_input_cpu(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                        const Conv2dParams& p) {
  kernels::visit_floating_dtype(grad_output.dtype(), "conv2d_backward_input", [&](auto tag) {
    backward_input<typename decltype(tag)::type>(grad_input, grad_output, weight, p);
  });
}

void backward_weight_cpu(const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_output, const Tensor& input, const Conv2dParams& p) {
  kernels::visit_floating_dtype(grad_output.dtype(), "conv2d_backward_weight", [&](auto tag) {
    backward_weight<typename decltype(tag)::type>(grad_weight, grad_bias, grad_output, input, p);
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::conv2d_forward_kernel, CPU, &forward_cpu);
AXON_REGISTER_KERNEL(kernels::conv2d_backward_input_kernel, CPU, &backward_input_cpu);
AXON_REGISTER_KERNEL(kernels::conv2d_backward_weight_kernel, CPU, &backward_weight_cpu);

}  // namespace axon::cpu
