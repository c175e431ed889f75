// Note [Direct convolution kernels]
// im2col + GEMM (conv.cpp) copies the input into a column matrix, K = c_in * kH * kW rows of n
// positions, and multiplies it by the weight [c_out, K]. With LeNet-5's and the CIFAR CNN's 6 and
// 16 output channels those are thin products (6 or 16 rows), on which oneDNN's sgemm ran at
// 55-80 GFLOP/s on one thread against its ~190 on square ones, and the column matrix is rebuilt
// for every image, in every pass.
//
// The kernels here use no column matrix. Each image's planes are laid out as in Note [Wide rows]
// (zero-padded, rows row_w long), where tap (i, j) of channel c meets ONE contiguous run of the
// planes: the one starting at c * plane + i * dilation_h * row_w + j * dilation_w. Output (and
// output-gradient) planes get rows of the same length, their extra columns discarded (forward)
// or zero (weight gradient). Each pass then becomes a small register tile swept along the
// positions q in 16-lane AVX-512 vectors, with 20 sums in registers, fed by 9 loads per 20
// fused multiply-adds:
//   forward:          out[co, q] = bias[co] + sum over taps t of w[co, t] * x[run(t) + q], a
//                     tile of 4 output channels x 5 vectors of q, summed over all K taps;
//   input gradient:   the forward's tiles over the output-gradient planes, with the weight
//                     transposed (the section below says how);
//   weight gradient:  dw[co, t] = sum over images and q of g[co, q] * x[run(t) + q], a tile of
//                     4 output channels x 5 kernel columns, summed over a block of images.
// On the development VM (AMD EPYC, AVX-512) the forward and weight gradient took 25-40% less
// time than im2col + GEMM in LeNet-5's and the CIFAR CNN's steps, the input gradient about 10%
// less (docs/BENCHMARKS.md).
//
// AVX-512 only, chosen at run time: the library is built for x86-64-v3 (AVX2), and with 16 ymm
// registers the tiles would be a quarter the size. Elsewhere conv.cpp's GEMM path runs. Sums
// run in another order than the GEMM's, within float32's rounding (conv_test's
// Float32MatchesFloat64 compares both with float64).
#include "kernels/cpu/conv_direct.h"

#include "kernels/cpu/scratch.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define AXON_DIRECT_CONV 1
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>
#endif

namespace axon::cpu {

using kernels::Conv2dParams;

#ifdef AXON_DIRECT_CONV
namespace {

// Where the direct kernels are used (direct_conv_applies): shapes like those on which they
// measured faster than im2col + GEMM, or within noise of it, in all three passes
// (docs/BENCHMARKS.md, "Direct convolution kernels on the CPU"). With 32 output channels GEMM's products are no longer thin and won; with
// 3-wide kernels the weight gradient's tiles hold 12 sums instead of 20 and lost; an image whose
// wide planes outgrow L2 would make every forward tile stream them from memory.
constexpr int64_t kMaxOutChannels = 16;  // per group
constexpr int64_t kMinKernelWidth = 5;
constexpr int64_t kMaxImageFloats = 64 * 1024;  // 256 KiB of wide input or output planes
constexpr int kLanes = 16;
constexpr int kTileRows = 4, kTileCols = 5;  // 20 sums + 4 + 1 operands: 25 of 32 zmm registers
constexpr int64_t kBlockBytes = 256 * 1024;  // a weight-gradient block of images stays in L2

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// One group of one image in the wide layout.
struct WideLayout {
  int64_t c_in, c_out, k;          // channels per group, K = c_in * kH * kW taps
  int64_t row_w, plane, n, n_pad;  // padded row and plane; n = out_h * row_w positions
  int64_t x_stride, g_stride;      // floats per image of the input and output-plane buffers

  explicit WideLayout(const Conv2dParams& p)
      : c_in(p.in_channels / p.groups),
        c_out(p.out_channels / p.groups),
        k(c_in * p.kernel_h * p.kernel_w),
        row_w(p.in_w + 2 * p.pad_w),
        plane((p.in_h + 2 * p.pad_h) * row_w),
        n(p.out_h * row_w),
        n_pad(round_up(n, kLanes)),
        // A tap's run is read n_pad long; the last one starts n + (kW - 1) * dilation_w before
        // the last plane's end.
        x_stride(round_up(c_in * plane + n_pad - n + (p.kernel_w - 1) * p.dilation_w, kLanes)),
        g_stride(c_out * n_pad) {}

  // Where tap (c, i, j) of the weight's K = (c, i, j) order starts in an image's planes.
  std::vector<int64_t> runs(const Conv2dParams& p) const {
    std::vector<int64_t> r;
    r.reserve(static_cast<size_t>(k));
    for (int64_t c = 0; c < c_in; ++c) {
      for (int64_t i = 0; i < p.kernel_h; ++i) {
        for (int64_t j = 0; j < p.kernel_w; ++j) {
          r.push_back(c * plane + i * p.dilation_h * row_w + j * p.dilation_w);
        }
      }
    }
    return r;
  }
};

// Output channels per tile: 4, or 3 where that divides c_out and 4 does not (6 = 2 x 3).
int64_t channels_per_tile(int64_t c_out) {
  if (c_out % 4 != 0 && c_out % 3 == 0) return 3;
  return std::min<int64_t>(kTileRows, c_out);
}

// The thread's buffer (scratch.h), one for every pass.
enum Slot { kDirect };
float* scratch(int64_t floats) { return cpu::scratch<float, kDirect>(floats); }

__mmask16 first_lanes(int64_t count) {
  return static_cast<__mmask16>((1u << std::clamp<int64_t>(count, 0, kLanes)) - 1u);
}

// dst[0, len) = src[0, len) and dst[len, total) = 0, in whole 16-lane stores: the last one runs
// on with zeros up to 15 floats past dst + total, where the caller writes next (or into its
// buffer's slack). LeNet's rows are too short for memcpy and memset calls, which made the layout
// cost half as much as the weight gradient's multiply-adds.
__attribute__((target("avx512f"))) void put_row(float* dst, const float* src, int64_t len,
                                                 int64_t total) {
  for (int64_t q = 0; q < total; q += kLanes) {
    _mm512_storeu_ps(dst + q, q >= len ? _mm512_setzero_ps()
                                       : _mm512_maskz_loadu_ps(first_lanes(len - q), src + q));
  }
}

// dst (x_stride floats, written in order) = one group's c_in planes, zero-padded, then zeros.
__attribute__((target("avx512f"))) void widen_input(const float* image, float* dst,
                                                     const WideLayout& w, const Conv2dParams& p) {
  const int64_t in_plane = p.in_h * p.in_w;
  float* out = dst;
  for (int64_t c = 0; c < w.c_in; ++c) {
    const float* src = image + c * in_plane;
    for (int64_t y = -p.pad_h; y < p.in_h + p.pad_h; ++y, out += w.row_w) {
      if (y < 0 || y >= p.in_h) {
        put_row(out, nullptr, 0, w.row_w);
        continue;
      }
      put_row(out, nullptr, 0, p.pad_w);
      put_row(out + p.pad_w, src + y * p.in_w, p.in_w, p.in_w + p.pad_w);
    }
  }
  put_row(out, nullptr, 0, dst + w.x_stride - out);
}

// dst (g_stride floats, written in order) = one group's c_out output planes with rows row_w
// long: zeros in the extra columns and after the last row.
__attribute__((target("avx512f"))) void widen_output(const float* planes, float* dst,
                                                      const WideLayout& w, const Conv2dParams& p) {
  const int64_t out_plane = p.out_h * p.out_w;
  for (int64_t c = 0; c < w.c_out; ++c) {
    float* out = dst + c * w.n_pad;
    for (int64_t y = 0; y < p.out_h; ++y, out += w.row_w) {
      put_row(out, planes + c * out_plane + y * p.out_w, p.out_w, w.row_w);
    }
    put_row(out, nullptr, 0, w.n_pad - w.n);
  }
}

// dst[c, y, x] = src[c * stride + offset + y * row_w + x] for c < channels, y < rows, x < cols:
// planes cut out of wide rows.
__attribute__((target("avx512f"))) void narrow(const float* src, int64_t stride, int64_t offset,
                                                int64_t row_w, int64_t channels, int64_t rows,
                                                int64_t cols, float* dst) {
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t y = 0; y < rows; ++y, dst += cols) {
      const float* row = src + c * stride + offset + y * row_w;
      for (int64_t x = 0; x < cols; x += kLanes) {
        const __mmask16 m = first_lanes(cols - x);
        _mm512_mask_storeu_ps(dst + x, m, _mm512_maskz_loadu_ps(m, row + x));
      }
    }
  }
}

// The sum of v's lanes. (GCC 12's _mm512_reduce_add_ps trips its own -Wuninitialized.)
__attribute__((target("avx512f"))) float lane_sum(__m512 v) {
  alignas(64) float lanes[kLanes];
  _mm512_store_ps(lanes, v);
  float sum = 0;
  for (float lane : lanes) sum += lane;
  return sum;
}


// acc[u][v] += a[u] * x[v * step]: the tiles' step, R * C multiply-adds on C loads.
template <int R, int C>
__attribute__((target("avx512f"), always_inline)) inline void multiply_add(
    __m512 (&acc)[R][C], const __m512 (&a)[R], const float* x, int64_t step) {
#pragma GCC unroll 8
  for (int v = 0; v < C; ++v) {
    __m512 xv = _mm512_loadu_ps(x + v * step);
    // Keeps xv in a register: otherwise GCC folds the load into each multiply-add that uses it,
    // and the loads, not the multiply-adds, set the pace.
    asm("" : "+v"(xv));
#pragma GCC unroll 8
    for (int u = 0; u < R; ++u) acc[u][v] = _mm512_fmadd_ps(a[u], xv, acc[u][v]);
  }
}

// A table of tile<R, C> for R in [1, kTileRows] and C in [1, kTileCols].
template <typename Fn, template <int, int> class Tile, size_t... I>
constexpr std::array<Fn, kTileRows * kTileCols> tile_table(std::index_sequence<I...>) {
  return {&Tile<static_cast<int>(I) / kTileCols + 1, static_cast<int>(I) % kTileCols + 1>::run...};
}
template <typename Fn, template <int, int> class Tile>
constexpr std::array<Fn, kTileRows * kTileCols> kTiles =
    tile_table<Fn, Tile>(std::make_index_sequence<kTileRows * kTileCols>{});

template <typename Args>
void run_tile(const std::array<void (*)(const Args&), kTileRows * kTileCols>& table, int64_t rows,
              int64_t cols, const Args& args) {
  table[static_cast<size_t>((rows - 1) * kTileCols + cols - 1)](args);
}

// ---- forward ----------------------------------------------------------------------------------

struct ForwardTile {
  const float* x;       // the image's wide planes, at the tile's first position
  const int64_t* runs;  // k tap offsets into x
  const float* w;       // the weight row of the tile's first channel (k taps)
  const float* bias;    // the tile's first channel's bias, or null
  float* out;           // the wide output row of the first channel, at the first position
  int64_t k, stride;    // stride: between output rows
};

// out[u * stride + 16 b + l] = bias[u] + sum over taps t of w[u * k + t] * x[runs[t] + 16 b + l].
template <int R, int C>
struct Forward {
  __attribute__((target("avx512f"))) static void run(const ForwardTile& t) {
    __m512 acc[R][C];
#pragma GCC unroll 8
    for (int u = 0; u < R; ++u) {
      const __m512 b = t.bias ? _mm512_set1_ps(t.bias[u]) : _mm512_setzero_ps();
#pragma GCC unroll 8
      for (int v = 0; v < C; ++v) acc[u][v] = b;
    }
    for (int64_t tap = 0; tap < t.k; ++tap) {
      const float* x = t.x + t.runs[tap];
      __m512 wv[R];
#pragma GCC unroll 8
      for (int u = 0; u < R; ++u) wv[u] = _mm512_set1_ps(t.w[u * t.k + tap]);
      multiply_add(acc, wv, x, kLanes);
    }
#pragma GCC unroll 8
    for (int u = 0; u < R; ++u) {
#pragma GCC unroll 8
      for (int v = 0; v < C; ++v) _mm512_storeu_ps(t.out + u * t.stride + v * kLanes, acc[u][v]);
    }
  }
};

// result[u * positions + q] = bias[u] + sum over taps t of w[u * k + t] * x[runs[t] + q], for
// u < channels and q < positions (a multiple of 16).
void correlate(const float* x, const std::vector<int64_t>& runs, const float* w, const float* bias,
               int64_t channels, int64_t positions, float* result) {
  const auto k = static_cast<int64_t>(runs.size());
  const int64_t rows = channels_per_tile(channels), vectors = positions / kLanes;
  for (int64_t u = 0; u < channels; u += rows) {
    const int64_t r = std::min(rows, channels - u);
    for (int64_t v = 0; v < vectors; v += kTileCols) {
      run_tile(kTiles<void (*)(const ForwardTile&), Forward>, r,
               std::min<int64_t>(kTileCols, vectors - v),
               ForwardTile{x + v * kLanes, runs.data(), w + u * k, bias ? bias + u : nullptr,
                           result + u * positions + v * kLanes, k, positions});
    }
  }
}

// ---- input gradient ---------------------------------------------------------------------------
// The input gradient is a correlation too: input position Q of the padded planes receives
// w[co, c, i, j] * grad_output[co, Q - (i * dilation_h * row_w + j * dilation_w)] from every
// tap. In the wide layout a position whose column is left of j * dilation_w reads into the
// previous row's extra columns, which are zero, as are the `lead` floats put before each
// gradient plane (the furthest tap's reach) and those after its last row; so the forward's
// tiles compute it over the padded planes, with the output channels as the input ones and the
// weight transposed, and the planes are cut out of it.

// The gradient planes' layout for the input gradient.
struct LeadLayout {
  int64_t lead, plane_pad, stride;  // zeros before a plane, input positions, floats per plane

  LeadLayout(const WideLayout& w, const Conv2dParams& p)
      : lead((p.kernel_h - 1) * p.dilation_h * w.row_w + (p.kernel_w - 1) * p.dilation_w),
        plane_pad(round_up(w.plane, kLanes)),
        stride(round_up(lead + plane_pad, kLanes)) {}
};

// dst (c_out * stride floats, written in order) = one group's gradient planes in wide rows,
// each after `lead` zeros and followed by zeros.
__attribute__((target("avx512f"))) void lead_output(const float* planes, float* dst,
                                                     const WideLayout& w, const LeadLayout& l,
                                                     const Conv2dParams& p) {
  const int64_t out_plane = p.out_h * p.out_w;
  for (int64_t c = 0; c < w.c_out; ++c) {
    float* out = dst + c * l.stride;
    put_row(out, nullptr, 0, l.lead);
    out += l.lead;
    for (int64_t y = 0; y < p.out_h; ++y, out += w.row_w) {
      put_row(out, planes + c * out_plane + y * p.out_w, p.out_w, w.row_w);
    }
    put_row(out, nullptr, 0, dst + (c + 1) * l.stride - out);
  }
}

// ---- weight gradient --------------------------------------------------------------------------

struct WeightGradTile {
  const float* x;  // the block's first image's run of tap (c, i, j0)
  const float* g;  // the block's first image's wide gradient row of the tile's first channel
  int64_t images, x_stride, g_stride, n_pad, dilation_w, k;
  float* out;  // grad_weight at (co0, c, i, j0)
};

// out[u * k + v] += sum over the images and positions q of g[u][q] * x[v * dilation_w + q].
template <int R, int C>
struct WeightGrad {
  __attribute__((target("avx512f"))) static void run(const WeightGradTile& t) {
    __m512 acc[R][C];
#pragma GCC unroll 8
    for (int u = 0; u < R; ++u) {
#pragma GCC unroll 8
      for (int v = 0; v < C; ++v) acc[u][v] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < t.images; ++b) {
      const float* x = t.x + b * t.x_stride;
      const float* g = t.g + b * t.g_stride;
      for (int64_t q = 0; q < t.n_pad; q += kLanes) {
        __m512 gv[R];
#pragma GCC unroll 8
        for (int u = 0; u < R; ++u) gv[u] = _mm512_loadu_ps(g + u * t.n_pad + q);
        multiply_add(acc, gv, x + q, t.dilation_w);
      }
    }
#pragma GCC unroll 8
    for (int u = 0; u < R; ++u) {
#pragma GCC unroll 8
      for (int v = 0; v < C; ++v) t.out[u * t.k + v] += lane_sum(acc[u][v]);
    }
  }
};

}  // namespace
#endif  // AXON_DIRECT_CONV

bool direct_conv_applies(const Conv2dParams& p) {
#ifdef AXON_DIRECT_CONV
  static const bool has_avx512 = __builtin_cpu_supports("avx512f");
  if (!has_avx512 || p.stride_h != 1 || p.stride_w != 1 || p.kernel_w < kMinKernelWidth ||
      p.out_channels / p.groups > kMaxOutChannels) {
    return false;
  }
  const WideLayout w(p);
  return w.x_stride <= kMaxImageFloats && w.c_out * w.n_pad <= kMaxImageFloats;
#else
  (void)p;
  return false;
#endif
}

void direct_conv_forward(const float* input, const float* weight, const float* bias,
                         const Conv2dParams& p, int64_t begin, int64_t end, float* out) {
#ifdef AXON_DIRECT_CONV
  const WideLayout w(p);
  const std::vector<int64_t> runs = w.runs(p);
  float* xs = scratch(w.x_stride + kLanes + w.g_stride);  // + put_row's run-on
  float* result = xs + w.x_stride + kLanes;
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  for (int64_t n = begin; n < end; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      widen_input(input + (n * p.in_channels + g * w.c_in) * in_plane, xs, w, p);
      correlate(xs, runs, weight + g * w.c_out * w.k, bias ? bias + g * w.c_out : nullptr,
                w.c_out, w.n_pad, result);
      narrow(result, w.n_pad, 0, w.row_w, w.c_out, p.out_h, p.out_w,
             out + (n * p.out_channels + g * w.c_out) * out_plane);
    }
  }
#else
  (void)input, (void)weight, (void)bias, (void)p, (void)begin, (void)end, (void)out;
#endif
}

void direct_conv_input_grad(const float* grad_output, const float* weight, const Conv2dParams& p,
                            int64_t begin, int64_t end, float* grad_input) {
#ifdef AXON_DIRECT_CONV
  const WideLayout w(p);
  const LeadLayout l(w, p);
  // Taps (co, i, j): the run of the gradient planes that input position 0 meets.
  std::vector<int64_t> runs;
  const int64_t taps = p.kernel_h * p.kernel_w, k = w.c_out * taps;
  runs.reserve(static_cast<size_t>(k));
  for (int64_t co = 0; co < w.c_out; ++co) {
    for (int64_t i = 0; i < p.kernel_h; ++i) {
      for (int64_t j = 0; j < p.kernel_w; ++j) {
        runs.push_back(co * l.stride + l.lead - i * p.dilation_h * w.row_w - j * p.dilation_w);
      }
    }
  }
  // Each group's weight as [c_in, (co, i, j)].
  std::vector<float> transposed(static_cast<size_t>(p.groups * w.c_in * k));
  for (int64_t g = 0; g < p.groups; ++g) {
    for (int64_t c = 0; c < w.c_in; ++c) {
      for (int64_t co = 0; co < w.c_out; ++co) {
        std::copy_n(weight + ((g * w.c_out + co) * w.c_in + c) * taps, taps,
                    transposed.data() + (g * w.c_in + c) * k + co * taps);
      }
    }
  }
  float* gs = scratch(w.c_out * l.stride + kLanes + w.c_in * l.plane_pad);  // + put_row's run-on
  float* result = gs + w.c_out * l.stride + kLanes;
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  for (int64_t n = begin; n < end; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      lead_output(grad_output + (n * p.out_channels + g * w.c_out) * out_plane, gs, w, l, p);
      correlate(gs, runs, transposed.data() + g * w.c_in * k, nullptr, w.c_in, l.plane_pad,
                result);
      narrow(result, l.plane_pad, p.pad_h * w.row_w + p.pad_w, w.row_w, w.c_in, p.in_h, p.in_w,
             grad_input + (n * p.in_channels + g * w.c_in) * in_plane);
    }
  }
#else
  (void)grad_output, (void)weight, (void)p, (void)begin, (void)end, (void)grad_input;
#endif
}

void direct_conv_weight_grad(const float* grad_output, const float* input, const Conv2dParams& p,
                             int64_t begin, int64_t end, float* grad_weight) {
#ifdef AXON_DIRECT_CONV
  const WideLayout w(p);
  const int64_t image_floats = w.x_stride + w.g_stride;
  const int64_t block = std::clamp<int64_t>(
      kBlockBytes / (image_floats * static_cast<int64_t>(sizeof(float))), 1, end - begin);
  float* xs = scratch(block * image_floats + 2 * kLanes);  // + put_row's run-on after each part
  float* gs = xs + block * w.x_stride + kLanes;
  const int64_t rows = channels_per_tile(w.c_out);
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  for (int64_t g = 0; g < p.groups; ++g) {
    for (int64_t n0 = begin; n0 < end; n0 += block) {
      const int64_t images = std::min(block, end - n0);
      for (int64_t b = 0; b < images; ++b) {
        const int64_t n = n0 + b;
        widen_input(input + (n * p.in_channels + g * w.c_in) * in_plane, xs + b * w.x_stride, w, p);
        widen_output(grad_output + (n * p.out_channels + g * w.c_out) * out_plane,
                     gs + b * w.g_stride, w, p);
      }
      for (int64_t c = 0; c < w.c_in; ++c) {
        for (int64_t i = 0; i < p.kernel_h; ++i) {
          const int64_t run = c * w.plane + i * p.dilation_h * w.row_w;
          for (int64_t co = 0; co < w.c_out; co += rows) {
            const int64_t r = std::min(rows, w.c_out - co);
            for (int64_t j = 0; j < p.kernel_w; j += kTileCols) {
              run_tile(kTiles<void (*)(const WeightGradTile&), WeightGrad>, r,
                       std::min<int64_t>(kTileCols, p.kernel_w - j),
                       WeightGradTile{xs + run + j * p.dilation_w, gs + co * w.n_pad, images,
                                      w.x_stride, w.g_stride, w.n_pad, p.dilation_w, w.k,
                                      grad_weight + (g * w.c_out + co) * w.k +
                                          (c * p.kernel_h + i) * p.kernel_w + j});
            }
          }
        }
      }
    }
  }
#else
  (void)grad_output, (void)input, (void)p, (void)begin, (void)end, (void)grad_weight;
#endif
}

}  // namespace axon::cpu
