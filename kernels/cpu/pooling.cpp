// CPU pooling: one loop nest per op over independent planes, split across OpenMP threads.
// Window bounds and per-output bodies are the shared ones of kernels/common/pooling.h; sums
// follow PyTorch's CPU kernels (same order of additions).
#include "kernels/common/pooling.h"

#include <algorithm>

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
    for (int64_t ow = 0; ow < p.out_w; ++ow) {
      const kernels::MaxPoolResult<T> best = kernels::max_pool_at(in, oh, ow, p);
      out[oh * p.out_w + ow] = best.value;
      if (indices) indices[oh * p.out_w + ow] = best.index;
    }
  }
}

// One output row of LeNet's 2x2 windows at stride 2 without padding: max_pool_at's comparisons
// (a larger value or a NaN takes the window), unrolled and without branches so that the
// compiler vectorises the row. On random data each comparison is a coin flip: as branches, their
// mispredictions took 15% of a LeNet-5 training step.
template <bool kWithIndices, typename T>
void max_pool_row_2x2(const T* __restrict r0, const T* __restrict r1, T* __restrict out,
                      int64_t* __restrict indices, int64_t out_w, int64_t in_w, int64_t row_start) {
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const int64_t w = 2 * ow;
    T max = r0[w];
    int64_t best = 0;
    const T candidates[3] = {r0[w + 1], r1[w], r1[w + 1]};
    const int64_t offsets[3] = {1, in_w, in_w + 1};
    for (int c = 0; c < 3; ++c) {
      const T v = candidates[c];
      const bool wins = (v > max) | (v != v);  // bitwise: no branch
      max = wins ? v : max;
      best = wins ? offsets[c] : best;
    }
    out[ow] = max;
    if constexpr (kWithIndices) indices[ow] = row_start + w + best;
  }
}

template <typename T>
void max_pool_plane_2x2(const T* in, T* out, int64_t* indices, const Pool2dParams& p) {
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    const T* r0 = in + 2 * oh * p.in_w;
    const int64_t o = oh * p.out_w;
    if (indices) {
      max_pool_row_2x2<true>(r0, r0 + p.in_w, out + o, indices + o, p.out_w, p.in_w,
                             2 * oh * p.in_w);
    } else {
      max_pool_row_2x2<false>(r0, r0 + p.in_w, out + o, nullptr, p.out_w, p.in_w, 0);
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
    // ceil_mode's last window may stick out of an odd-sized input: the general path clips it.
    const bool is_2x2 = p.kernel_h == 2 && p.kernel_w == 2 && p.stride_h == 2 && p.stride_w == 2 &&
                        p.pad_h == 0 && p.pad_w == 0 && p.dilation_h == 1 && p.dilation_w == 1 &&
                        2 * p.out_h <= p.in_h && 2 * p.out_w <= p.in_w;
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
            o[oh * p.out_w + ow] = kernels::avg_pool_at(adaptive, src, oh, ow, p);
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
            const kernels::AvgWindow w = kernels::avg_pool_window(adaptive, oh, ow, p);
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
