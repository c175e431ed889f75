#include "axon/array_ref.h"

#include <limits>
#include <ostream>

namespace axon {

std::ostream& operator<<(std::ostream& os, IntArrayRef values) {
  os << '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) os << ", ";
    os << values[i];
  }
  return os << ']';
}

int64_t product(IntArrayRef values) {
  // A zero anywhere gives 0 whatever precedes it; a product past int64 saturates (callers
  // compare it with a real element count, which it then never equals) instead of wrapping.
  for (int64_t v : values) {
    if (v == 0) return 0;
  }
  int64_t p = 1;
  for (int64_t v : values) {
    if (__builtin_mul_overflow(p, v, &p)) return std::numeric_limits<int64_t>::max();
  }
  return p;
}

}  // namespace axon
