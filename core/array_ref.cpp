#include "axon/array_ref.h"

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
  int64_t p = 1;
  for (int64_t v : values) p *= v;
  return p;
}

}  // namespace axon
