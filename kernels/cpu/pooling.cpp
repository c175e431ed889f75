// CPU pooling: one loop nest per op over independent planes, split across OpenMP threads.
// Window bounds and sums follow PyTorch's CPU kernels (same order of additions).
#include "kernels/common/pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::Pool2dParams;

// Runs f(plane_begin, plane_end) over the planes, with enough work per thread to pay for it.
template <typename F>
void for_planes(const Pool2dParams& p, int64_t work_per_plane, const F& f) {
  parallel_for(0, p.planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(work_per_plane, 1)), f);
}

// ---- max pooling ----------------------------------------------------------------------------

template <typename T>
void max_pool_plane(const T* in, T* out, int64_t* indices, const Pool2dParams& p) {
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    int64_t h0 = oh * p.stride_h - p.pad_h;
    const int64_t h1 = std::min(h0 + (p.kernel_h - 1) * p.dilation_h + 1, p.in_h);
    while (h0 < 0) h0 += p.dilation_h;
    for (int64_t ow = 0; ow < p.out_w; ++ow) {
      int64_t w0 = ow * p.stride_w - p.pad_w;
      const int64_t w1 = std::min(w0 + (p.kernel_w - 1) * p.dilation_w + 1, p.in_w);
      while (w0 < 0) w0 += p.dilation_w;
      int64_t best = h0 * p.in_w + w0;
      T max = -std::numeric_limits<T>::infinity();
      for (int64_t h = h0; h < h1; h += p.dilation_h) {
        for (int64_t w = w0; w < w1; w += p.dilation_w) {
          const T v = in[h * p.in_w + w];
          if (v > max || std::isnan(v)) {
            max = v;
            best = h * p.in_w + w;
          }
        }
      }
      out[oh * p.out_w + ow] = max;
      if (indices) indices[oh * p.out_w + ow] = best;
    }
  }
}

// LeNet's 2x2 windows at stride 2 without padding: the same comparisons, unrolled.
template <typename T>
void max_pool_plane_2x2(const T* in, T* out, int64_t* indices, const Pool2dParams& p) {
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    const T* r0 = in + 2 * oh * p.in_w;
    const T* r1 = r0 + p.in_w;
    for (int64_t ow = 0; ow < p.out_w; ++ow) {
      const int64_t w = 2 * ow;
      T max = r0[w];
      int64_t best = 0;
      if (r0[w + 1] > max || std::isnan(r0[w + 1])) max = r0[w + 1], best = 1;
      if (r1[w] > max || std::isnan(r1[w])) max = r1[w], best = p.in_w;
      if (r1[w + 1] > max || std::isnan(r1[w + 1])) max = r1[w + 1], best = p.in_w + 1;
      out[oh * p.out_w + ow] = max;
      if (indices) indices[oh * p.out_w + ow] = 2 * oh * p.in_w + w + best;
    }
  }
}

void max_pool_cpu(const Tensor& out, const Tensor& indices, const Tensor& input,
                  const Pool2dParams& p) {
  kernels::visit_floating_dtype(input.dtype(), "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = input.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    int64_t* idx = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const bool is_2x2 = p.kernel_h == 2 && p.kernel_w == 2 && p.stride_h == 2 && p.stride_w == 2 &&
                        p.pad_h == 0 && p.pad_w == 0 && p.dilation_h == 1 && p.dilation_w == 1;
    for_planes(p, out_plane * p.kernel_h * p.kernel_w, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int64_t* plane_idx = idx ? idx + i * out_plane : nullptr;
        if (is_2x2) {
          max_pool_plane_2x2(in + i * in_plane, dst + i * out_plane, plane_idx, p);
        } else {
          max_pool_plane(in + i * in_plane, dst + i * out_plane, plane_idx, p);
        }
      }
    });
  });
}

// An index outside its plane (a window with no element inside the input) is skipped.
void max_pool_backward_cpu(const Tensor& grad_input, const Tensor& grad_output,
                           const Tensor& indices, const Pool2dParams& p) {
  kernels::visit_floating_dtype(grad_input.dtype(), "max_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* go = grad_output.data_ptr<T>();
    const int64_t* idx = indices.data_ptr<int64_t>();
    T* gi = grad_input.data_ptr<T>();
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    for_planes(p, in_plane, [&](int64_t b, int64_t e) {
      std::fill(gi + b * in_plane, gi + e * in_plane, T(0));
      for (int64_t i = b; i < e; ++i) {
        T* plane = gi + i * in_plane;
        for (int64_t o = i * out_plane; o < (i + 1) * out_plane; ++o) {
          if (idx[o] >= 0 && idx[o] < in_plane) plane[idx[o]] += go[o];
        }
      }
    });
  });
}

void max_pool_gather_cpu(const Tensor& out, const Tensor& grad_input, const Tensor& indices,
                         const Pool2dParams& p) {
  kernels::visit_floating_dtype(out.dtype(), "max_pool2d_double_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gi = grad_input.data_ptr<T>();
    const int64_t* idx = indices.data_ptr<int64_t>();
    T* dst = out.data_ptr<T>();
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    for_planes(p, out_plane, [&](int64_t b, int64_t e) {
      for (int64_t o = b * out_plane; o < e * out_plane; ++o) {
        const int64_t i = idx[o];
        dst[o] = i >= 0 && i < in_plane ? gi[o / out_plane * in_plane + i] : T(0);
      }
    });
  });
}

// ---- average pooling ------------------------------------------------------------------------

// One window of avg_pool2d or adaptive_avg_pool2d: [h0, h1) x [w0, w1) inside the input and
// the divisor of its sum (zero for a window wholly in the padding, whose output is zero).
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};

// PyTorch's adaptive windows: [floor(o * in / out), ceil((o + 1) * in / out)).
inline int64_t adaptive_start(int64_t o, int64_t out, int64_t in) {
  return (o / out) * in + ((o % out) * in) / out;
}
inline int64_t adaptive_end(int64_t o, int64_t out, int64_t in) {
  return 1 + ((o + 1) * in - 1) / out;
}

Window avg_window(bool adaptive, int64_t oh, int64_t ow, const Pool2dParams& p) {
  if (adaptive) {
    Window w{adaptive_start(oh, p.out_h, p.in_h), adaptive_end(oh, p.out_h, p.in_h),
             adaptive_start(ow, p.out_w, p.in_w), adaptive_end(ow, p.out_w, p.in_w), 0};
    w.divisor = (w.h1 - w.h0) * (w.w1 - w.w0);
    return w;
  }
  int64_t h0 = oh * p.stride_h - p.pad_h, w0 = ow * p.stride_w - p.pad_w;
  int64_t h1 = std::min(h0 + p.kernel_h, p.in_h + p.pad_h);
  int64_t w1 = std::min(w0 + p.kernel_w, p.in_w + p.pad_w);
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, p.in_h), w1 = std::min(w1, p.in_w);
  if (h0 >= h1 || w0 >= w1) return {0, 0, 0, 0, 0};
  const int64_t divisor = p.divisor_override != 0 ? p.divisor_override
                          : p.count_include_pad   ? padded_size
                                                  : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

int64_t avg_work(bool adaptive, const Pool2dParams& p) {
  const int64_t window = adaptive ? (p.in_h / std::max<int64_t>(p.out_h, 1) + 1) *
                                        (p.in_w / std::max<int64_t>(p.out_w, 1) + 1)
                                  : p.kernel_h * p.kernel_w;
  return p.out_h * p.out_w * window + p.in_h * p.in_w;
}

void avg_pool_cpu(bool adaptive, const Tensor& out, const Tensor& input, const Pool2dParams& p) {
  const char* op = adaptive ? "adaptive_avg_pool2d" : "avg_pool2d";
  kernels::visit_floating_dtype(input.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = input.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    for_planes(p, avg_work(adaptive, p), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* src = in + i * in_plane;
        T* o = dst + i * out_plane;
        for (int64_t oh = 0; oh < p.out_h; ++oh) {
          for (int64_t ow = 0; ow < p.out_w; ++ow) {
            const Window w = avg_window(adaptive, oh, ow, p);
            T sum = 0;
            for (int64_t h = w.h0; h < w.h1; ++h) {
              for (int64_t x = w.w0; x < w.w1; ++x) sum += src[h * p.in_w + x];
            }
            o[oh * p.out_w + ow] = w.divisor == 0 ? T(0) : sum / static_cast<T>(w.divisor);
          }
        }
      }
    });
  });
}

void avg_pool_backward_cpu(bool adaptive, const Tensor& grad_input, const Tensor& grad_output,
                           const Pool2dParams& p) {
  const char* op = adaptive ? "adaptive_avg_pool2d_backward" : "avg_pool2d_backward";
  kernels::visit_floating_dtype(grad_input.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* go = grad_output.data_ptr<T>();
    T* gi = grad_input.data_ptr<T>();
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    for_planes(p, avg_work(adaptive, p), [&](int64_t b, int64_t e) {
      std::fill(gi + b * in_plane, gi + e * in_plane, T(0));
      for (int64_t i = b; i < e; ++i) {
        T* g = gi + i * in_plane;
        const T* o = go + i * out_plane;
        for (int64_t oh = 0; oh < p.out_h; ++oh) {
          for (int64_t ow = 0; ow < p.out_w; ++ow) {
            const Window w = avg_window(adaptive, oh, ow, p);
            if (w.divisor == 0) continue;
            const T share = o[oh * p.out_w + ow] / static_cast<T>(w.divisor);
            for (int64_t h = w.h0; h < w.h1; ++h) {
              for (int64_t x = w.w0; x < w.w1; ++x) g[h * p.in_w + x] += share;
            }
          }
        }
      }
    });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::max_pool2d_kernel, CPU, &max_pool_cpu);
AXON_REGISTER_KERNEL(kernels::max_pool2d_backward_kernel, CPU, &max_pool_backward_cpu);
AXON_REGISTER_KERNEL(kernels::max_pool2d_gather_kernel, CPU, &max_pool_gather_cpu);
AXON_REGISTER_KERNEL(kernels::avg_pool2d_kernel, CPU, &avg_pool_cpu);
AXON_REGISTER_KERNEL(kernels::avg_pool2d_backward_kernel, CPU, &avg_pool_backward_cpu);

}  // namespace axon::cpu
