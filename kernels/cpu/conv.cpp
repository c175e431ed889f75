// CPU convolution: im2col + GEMM (kernels/cpu/blas.h), one image per task across the OpenMP threads
// (each thread's GEMM then runs on that thread alone). A single image leaves the threads to BLAS.
// A 1x1 kernel at stride 1 without padding needs no im2col: the image is its own column matrix.
#include "kernels/common/conv.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::Conv2dParams;

// A per-thread buffer reused across calls: OpenMP keeps its threads, so a training step stops
// allocating column matrices after its first iteration.
template <typename T>
T* scratch(size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

// The shape of one group's problem: out[c_out, P] = weight[c_out, K] @ col[K, P].
struct GroupShape {
  int64_t c_in, c_out, k, in_plane, out_plane;
  bool needs_col;  // false for a 1x1 kernel at stride 1 without padding
};

GroupShape group_shape(const Conv2dParams& p) {
  GroupShape s{};
  s.c_in = p.in_channels / p.groups;
  s.c_out = p.out_channels / p.groups;
  s.k = s.c_in * p.kernel_h * p.kernel_w;
  s.in_plane = p.in_h * p.in_w;
  s.out_plane = p.out_h * p.out_w;
  s.needs_col = !(p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                  p.pad_h == 0 && p.pad_w == 0);
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

template <typename T>
void forward(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
             const Conv2dParams& p) {
  const GroupShape s = group_shape(p);
  const T* in = input.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  const T* b = bias.defined() ? bias.data_ptr<T>() : nullptr;
  T* dst = out.data_ptr<T>();
  parallel_for(0, p.batch, 1, [&](int64_t begin, int64_t end) {
    T* col = s.needs_col ? scratch<T>(static_cast<size_t>(s.k * s.out_plane)) : nullptr;
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        const T* image = in + (n * p.in_channels + g * s.c_in) * s.in_plane;
        T* o = dst + (n * p.out_channels + g * s.c_out) * s.out_plane;
        if (s.needs_col) im2col(image, col, s.c_in, p);
        gemm(false, false, s.c_out, s.out_plane, s.k, T(1), w + g * s.c_out * s.k,
             std::max<int64_t>(s.k, 1), s.needs_col ? col : image, s.out_plane, T(0), o,
             s.out_plane);
        if (!b) continue;
        for (int64_t c = 0; c < s.c_out; ++c) {
          const T bc = b[g * s.c_out + c];
          for (int64_t q = 0; q < s.out_plane; ++q) o[c * s.out_plane + q] += bc;
        }
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
  parallel_for(0, p.batch, 1, [&](int64_t begin, int64_t end) {
    T* col = s.needs_col ? scratch<T>(static_cast<size_t>(s.k * s.out_plane)) : nullptr;
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        T* image = gi + (n * p.in_channels + g * s.c_in) * s.in_plane;
        // col[K, P] = weight_g^T @ grad_output_g
        gemm(true, false, s.k, s.out_plane, s.c_out, T(1), w + g * s.c_out * s.k,
             std::max<int64_t>(s.k, 1), go + (n * p.out_channels + g * s.c_out) * s.out_plane,
             s.out_plane, T(0), s.needs_col ? col : image, s.out_plane);
        if (s.needs_col) col2im(col, image, s.c_in, p);
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
  std::vector<T> partial_weight(gw ? static_cast<size_t>(std::max(threads - 1, 0) * weight_numel)
                                   : 0);
  std::vector<double> bias_sum(gb ? static_cast<size_t>(threads * p.out_channels) : 0, 0.0);
  auto work = [&](int tid, int64_t begin, int64_t end) {
    T* my_gw = gw ? (tid == 0 ? gw : partial_weight.data() + (tid - 1) * weight_numel) : nullptr;
    double* my_gb = gb ? bias_sum.data() + tid * p.out_channels : nullptr;
    if (my_gw) std::fill_n(my_gw, weight_numel, T(0));
    T* col = s.needs_col && gw ? scratch<T>(static_cast<size_t>(s.k * s.out_plane)) : nullptr;
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        const T* grad = go + (n * p.out_channels + g * s.c_out) * s.out_plane;
        if (my_gw) {
          const T* image = in + (n * p.in_channels + g * s.c_in) * s.in_plane;
          if (s.needs_col) im2col(image, col, s.c_in, p);
          // weight_g[c_out, K] += grad_output_g[c_out, P] @ col[K, P]^T
          gemm(false, true, s.c_out, s.k, s.out_plane, T(1), grad, s.out_plane,
               s.needs_col ? col : image, s.out_plane, T(1), my_gw + g * s.c_out * s.k,
               std::max<int64_t>(s.k, 1));
        }
        if (!my_gb) continue;
        for (int64_t c = 0; c < s.c_out; ++c) {
          double sum = 0;
          for (int64_t q = 0; q < s.out_plane; ++q) sum += grad[c * s.out_plane + q];
          my_gb[g * s.c_out + c] += sum;
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
