#include "axon/data/transforms/generator.h"

namespace axon::data {
namespace {
thread_local Generator* current_transform_generator = nullptr;
}  // namespace

Generator& transform_generator() {
  return current_transform_generator ? *current_transform_generator : default_generator();
}

TransformGeneratorScope::TransformGeneratorScope(uint64_t seed)
    : generator_(seed), previous_(current_transform_generator) {
  current_transform_generator = &generator_;
}

TransformGeneratorScope::~TransformGeneratorScope() { current_transform_generator = previous_; }

}  // namespace axon::data
