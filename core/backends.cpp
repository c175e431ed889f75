// The math-library switches of include/axon/backends.h. They live in core, so a CPU-only build
// has them too; the CUDA backend reads them at each call.
#include "axon/backends.h"

#include <atomic>

namespace axon {
namespace {
std::atomic<bool> tf32_allowed{false};
}  // namespace

void set_allow_tf32(bool allow) { tf32_allowed.store(allow, std::memory_order_relaxed); }
bool allow_tf32() { return tf32_allowed.load(std::memory_order_relaxed); }

}  // namespace axon
