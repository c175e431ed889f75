#pragma once
// Random numbers. manual_seed(s) makes every draw reproducible. The CPU generator is the
// Mersenne Twister (mt19937) with PyTorch's transformations, so that the same seed gives the
// same rand/randn/randint/randperm values as PyTorch on the CPU.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace axon {

class Generator {
 public:
  // PyTorch's default seed.
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;
  explicit Generator(uint64_t seed = kDefaultSeed) { set_current_seed(seed); }

  void set_current_seed(uint64_t seed);
  uint64_t current_seed() const { return seed_; }
  // 32 and 64 random bits, as PyTorch's CPUGeneratorImpl::random() and random64().
  uint32_t random() { return static_cast<uint32_t>(engine_()); }
  uint64_t random64() {
    uint64_t hi = random();
    uint64_t lo = random();
    return (hi << 32) | lo;
  }
  // Box-Muller makes normals in pairs; PyTorch keeps the second for the next draw.
  bool take_cached_normal(double& value);
  void cache_normal(double value);

  // The whole state (engine, seed, cached normal) as bytes, and back: set_state(state()) makes
  // the following draws repeat. A string that state() did not make is an axon::Error.
  std::string state() const;
  void set_state(const std::string& state);

  // Draws lock this when they may run on several threads.
  std::mutex& mutex() { return mutex_; }

 private:
  std::mt19937 engine_;
  uint64_t seed_ = kDefaultSeed;
  bool has_cached_normal_ = false;
  double cached_normal_ = 0;
  std::mutex mutex_;
};

// The generator every random op draws from unless given another.
Generator& default_generator();
// Seeds every device's default generator.
void manual_seed(uint64_t seed);

}  // namespace axon
