// CPU pooling: one loop nest per op over independent planes, split across OpenMP threads.
// Window bounds and per-output bodies are the shared ones of kernels/common/pooling.h; sums
// follow PyTorch's CPU kernels (same order of additions).
#include "kernels/common/pooling.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <type_traits>

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

#if defined(__AVX2__)
// Note [Vector 2x2 max-pool]
// GCC vectorises max_pool_row_2x2 only over whole blocks of 8 outputs; the rest of a row runs
// one output at a time with the comparisons compiled as branches again: 6 of LeNet-5's 14
// outputs per row, and all 5 of its second pool's. On a training step's data those branches are
// coin flips. (A benchmark that pools the same tensor again and again trains the branch
// predictor and hides this: in one it made no difference, while in the training step it took
// pool1 from ~185 to ~60 us and pool2 from ~90 to ~43 us on one thread; docs/BENCHMARKS.md.)
// For float with AVX2 a block of kLanes windows therefore loads the two input rows as 2 * kLanes
// floats each, splits them into even and odd columns, and takes max_pool_row_2x2's three
// comparisons on whole vectors; the index is the window's first element plus the winner's
// offset. Rows of 4 or more outputs go in such blocks (8 wide, or 4 wide below 8), the last
// block moved back to end at the row's end (it recomputes a few windows, with the same results);
// shorter rows and float64 take the scalar loop.
template <int kLanes>
struct FloatLanes;
template <>
struct FloatLanes<8> {
  using V = __m256;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  // The even and odd columns of the 16 floats at p.
  static void split(const float* p, V& even, V& odd) {
    const V lo = load(p), hi = load(p + 8);
    // shuffle_ps works within 128-bit halves ([lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]); 0xD8 puts
    // the 64-bit pairs in the order 0, 2, 1, 3.
    auto order = [](V v) {
      return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
    };
    even = order(_mm256_shuffle_ps(lo, hi, 0x88));
    odd = order(_mm256_shuffle_ps(lo, hi, 0xDD));
  }
  // max_pool_at's rule: a larger value or a NaN takes the window.
  static V wins(V v, V max) {
    return _mm256_or_ps(_mm256_cmp_ps(v, max, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  static V select(V mask, V yes, V no) { return _mm256_blendv_ps(no, yes, mask); }
  static V splat_bits(int32_t i) { return _mm256_castsi256_ps(_mm256_set1_epi32(i)); }
  // indices[l] = first + 2 * l + offset[l], offset's bits read as int32 lanes.
  static void store_indices(int64_t* indices, int64_t first, V offset) {
    const __m256i rel =
        _mm256_add_epi32(_mm256_castps_si256(offset), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
    const __m256i base = _mm256_set1_epi64x(first);
    auto widen = [&](__m128i half) { return _mm256_add_epi64(base, _mm256_cvtepi32_epi64(half)); };
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(indices), widen(_mm256_castsi256_si128(rel)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(indices + 4),
                        widen(_mm256_extracti128_si256(rel, 1)));
  }
};
template <>
struct FloatLanes<4> {
  using V = __m128;
  static V load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, V v) { _mm_storeu_ps(p, v); }
  static void split(const float* p, V& even, V& odd) {
    const V lo = load(p), hi = load(p + 4);
    even = _mm_shuffle_ps(lo, hi, 0x88);
    odd = _mm_shuffle_ps(lo, hi, 0xDD);
  }
  static V wins(V v, V max) { return _mm_or_ps(_mm_cmpgt_ps(v, max), _mm_cmpunord_ps(v, v)); }
  static V select(V mask, V yes, V no) { return _mm_blendv_ps(no, yes, mask); }
  static V splat_bits(int32_t i) { return _mm_castsi128_ps(_mm_set1_epi32(i)); }
  static void store_indices(int64_t* indices, int64_t first, V offset) {
    const __m128i rel = _mm_add_epi32(_mm_castps_si128(offset), _mm_setr_epi32(0, 2, 4, 6));
    const __m256i wide = _mm256_add_epi64(_mm256_set1_epi64x(first), _mm256_cvtepi32_epi64(rel));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(indices), wide);
  }
};
// The kLanes windows from output column `first` of the row pair (r0, r1); row_start is r0's
// index in its plane.
template <int kLanes>
void max_pool_block_2x2(const float* r0, const float* r1, float* out, int64_t* indices,
                        int64_t first, int64_t in_w, int64_t row_start) {
  using L = FloatLanes<kLanes>;
  typename L::V a, b, c, d;
  L::split(r0 + 2 * first, a, b);
  L::split(r1 + 2 * first, c, d);
  typename L::V max = a, offset = L::splat_bits(0);
  const typename L::V candidates[3] = {b, c, d};
  const int32_t offsets[3] = {1, static_cast<int32_t>(in_w), static_cast<int32_t>(in_w + 1)};
  for (int k = 0; k < 3; ++k) {
    const typename L::V wins = L::wins(candidates[k], max);
    max = L::select(wins, candidates[k], max);
    offset = L::select(wins, L::splat_bits(offsets[k]), offset);
  }
  L::store(out + first, max);
  if (indices) L::store_indices(indices + first, row_start + 2 * first, offset);
}
template <int kLanes>
void max_pool_blocks_2x2(const float* r0, const float* r1, float* out, int64_t* indices,
                         int64_t out_w, int64_t in_w, int64_t row_start) {
  for (int64_t block = 0; block < out_w; block += kLanes) {
    max_pool_block_2x2<kLanes>(r0, r1, out, indices, std::min(block, out_w - kLanes), in_w,
                               row_start);
  }
}
// One output row in vector blocks; false (nothing written) for rows under 4 outputs.
bool max_pool_row_2x2_vector(const float* r0, const float* r1, float* out, int64_t* indices,
                             int64_t out_w, int64_t in_w, int64_t row_start) {
  if (in_w >= (int64_t{1} << 30)) return false;  // offsets as int32 lanes
  if (out_w >= 8) {
    max_pool_blocks_2x2<8>(r0, r1, out, indices, out_w, in_w, row_start);
  } else if (out_w >= 4) {
    max_pool_blocks_2x2<4>(r0, r1, out, indices, out_w, in_w, row_start);
  } else {
    return false;
  }
  return true;
}
#endif

template <typename T>
void max_pool_plane_2x2(const T* in, T* out, int64_t* indices, const Pool2dParams& p) {
  for (int64_t oh = 0; oh < p.out_h; ++oh) {
    const T* r0 = in + 2 * oh * p.in_w;
    const int64_t o = oh * p.out_w;
    const int64_t row_start = 2 * oh * p.in_w;
#if defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) {
      if (max_pool_row_2x2_vector(r0, r0 + p.in_w, out + o, indices ? indices + o : nullptr,
                                  p.out_w, p.in_w, row_start)) {
        continue;
      }
    }
#endif
    if (indices) {
      max_pool_row_2x2<true>(r0, r0 + p.in_w, out + o, indices + o, p.out_w, p.in_w, row_start);
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
