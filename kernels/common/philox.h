#pragma once
// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC'11; the Random123 library), and the transformations the CUDA random kernels apply to it.
//
// Philox is counter-based: its 128-bit output is a pure function of a 128-bit counter and a
// 64-bit key, so each CUDA thread computes its own numbers with no shared state. A CUDA random
// fill (kernels/cuda/random.cu) draws a 64-bit key and a 64-bit offset from the axon::Generator
// on the host, so manual_seed makes CUDA draws reproducible and every launch reads a fresh
// (key, counter) stream; output block b (a few consecutive elements, kPerBlock of each fill
// below) comes from counter (b, offset).
//
// CUDA random streams differ from the CPU's (mt19937 with PyTorch's CPU transformations), as they
// do in PyTorch: the same seed gives other numbers on each device, with the same distribution.
// Tests compare statistics on the CUDA side, not values.

#include <cstdint>
#include <numbers>
#include <type_traits>

#include "kernels/common/macros.h"
#include "kernels/common/math.h"

namespace axon::kernels {

struct Philox4x32 {
  uint32_t v[4];
};

// Ten rounds of the Philox S-box over `counter` with key (key0, key1); the key is bumped by the
// Weyl constants before every round but the first, as Random123's philox4x32_R does.
AXON_HOST_DEVICE Philox4x32 philox4x32_10(Philox4x32 counter, uint32_t key0, uint32_t key1) {
  constexpr uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    const uint64_t product0 = uint64_t{kMultiplier0} * counter.v[0];
    const uint64_t product1 = uint64_t{kMultiplier1} * counter.v[2];
    counter = {{static_cast<uint32_t>(product1 >> 32) ^ counter.v[1] ^ key0,
                static_cast<uint32_t>(product1),
                static_cast<uint32_t>(product0 >> 32) ^ counter.v[3] ^ key1,
                static_cast<uint32_t>(product0)}};
  }
  return counter;
}

// The numbers of one launch: block b is Philox4x32-10 of counter (b, offset) under `key`, the
// 64-bit values split into (low, high) 32-bit words.
struct PhiloxStream {
  uint64_t key = 0;
  uint64_t offset = 0;
  AXON_HOST_DEVICE Philox4x32 block(uint64_t b) const {
    return philox4x32_10({{static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32),
                           static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)}},
                         static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32));
  }
};

// [0, 1) with 24 random bits for float (the word's top 24) and 53 for double (the top 53 of two
// words), the resolutions of PyTorch's CPU transformations.
AXON_HOST_DEVICE float uniform_float(uint32_t x) {
  return static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
}
AXON_HOST_DEVICE double uniform_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = ((uint64_t{hi} << 32) | lo) >> 11;
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

// Each fill turns one block into kPerBlock consecutive output values: four from 32-bit draws
// (float, bernoulli, narrow integer ranges), two from 64-bit ones (double, wide ranges).

// The uniforms of a block, in [0, 1).
template <typename T>
struct PhiloxUniforms {
  static constexpr int kPerBlock = std::is_same_v<T, double> ? 2 : 4;
  AXON_HOST_DEVICE static void get(const Philox4x32& r, T (&u)[kPerBlock]) {
    if constexpr (kPerBlock == 2) {
      u[0] = uniform_double(r.v[0], r.v[1]);
      u[1] = uniform_double(r.v[2], r.v[3]);
    } else {
      for (int k = 0; k < 4; ++k) u[k] = uniform_float(r.v[k]);
    }
  }
};

// Uniform in [from, to): u * (to - from) + from with one rounding, as the CPU kernel.
template <typename T>
struct UniformFill {
  static constexpr int kPerBlock = PhiloxUniforms<T>::kPerBlock;
  T from, to;
  AXON_HOST_DEVICE void operator()(const Philox4x32& r, T (&out)[kPerBlock]) const {
    PhiloxUniforms<T>::get(r, out);
    for (int k = 0; k < kPerBlock; ++k) out[k] = ax_fma(out[k], to - from, from);
  }
};

// Normal(mean, std) by Box-Muller: uniforms (u0, u1) give radius sqrt(-2 log(1 - u0)) (1 - u0 is
// in (0, 1], so the log is finite) and angle 2 pi u1, and two normals r cos, r sin.
template <typename T>
struct NormalFill {
  static constexpr int kPerBlock = PhiloxUniforms<T>::kPerBlock;
  T mean, std;
  AXON_HOST_DEVICE void operator()(const Philox4x32& r, T (&out)[kPerBlock]) const {
    T u[kPerBlock];
    PhiloxUniforms<T>::get(r, u);
    for (int k = 0; k < kPerBlock; k += 2) {
      const T radius = ax_sqrt(T(-2) * ax_log(T(1) - u[k]));
      const T theta = T(2 * std::numbers::pi) * u[k + 1];
      out[k] = radius * ax_cos(theta) * std + mean;
      out[k + 1] = radius * ax_sin(theta) * std + mean;
    }
  }
};

// 1 with probability p (a float uniform below p), in any dtype.
template <typename T>
struct BernoulliFill {
  static constexpr int kPerBlock = 4;
  double p;
  AXON_HOST_DEVICE void operator()(const Philox4x32& r, T (&out)[kPerBlock]) const {
    for (int k = 0; k < 4; ++k) out[k] = static_cast<T>(uniform_float(r.v[k]) < p);
  }
};

// Integers low + bits % range, from 32-bit draws when range < 2^32 (`Wide` false), else 64-bit.
template <typename T, bool Wide>
struct RandomRangeFill {
  static constexpr int kPerBlock = Wide ? 2 : 4;
  int64_t low;
  uint64_t range;
  AXON_HOST_DEVICE void operator()(const Philox4x32& r, T (&out)[kPerBlock]) const {
    for (int k = 0; k < kPerBlock; ++k) {
      uint64_t bits = r.v[k];
      if constexpr (Wide) bits = uint64_t{r.v[2 * k]} << 32 | r.v[2 * k + 1];
      out[k] = static_cast<T>(static_cast<int64_t>(bits % range) + low);
    }
  }
};

}  // namespace axon::kernels
