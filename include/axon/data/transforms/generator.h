#pragma once
// The generator random transforms draw from. A DataLoader gives each batch its own generator,
// seeded from the default generator once per epoch and from the batch's position, so that a
// batch's augmentation is the same whichever worker thread makes it and however many there are;
// manual_seed(s) makes a whole run reproducible. Outside a loader, transforms draw from
// axon::default_generator().

#include <cstdint>

#include "axon/random.h"

namespace axon::data {

// This thread's transform generator: the innermost TransformGeneratorScope's, or the default.
Generator& transform_generator();

// Installs a generator seeded with `seed` as this thread's transform generator while it lives.
class TransformGeneratorScope {
 public:
  explicit TransformGeneratorScope(uint64_t seed);
  ~TransformGeneratorScope();
  TransformGeneratorScope(const TransformGeneratorScope&) = delete;
  TransformGeneratorScope& operator=(const TransformGeneratorScope&) = delete;

 private:
  Generator generator_;
  Generator* previous_;
};

}  // namespace axon::data
