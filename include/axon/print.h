#pragma once
// Options for printing tensors, as torch.set_printoptions.

#include <cstdint>
#include <optional>

namespace axon {

struct PrintOptions {
  int precision = 4;             // digits after the point
  int64_t threshold = 1000;      // more elements than this are summarised with "..."
  int64_t edgeitems = 3;         // elements kept at each end of a summarised dim
  int linewidth = 80;            // characters per line
  std::optional<bool> sci_mode;  // force scientific notation on or off
};

void set_printoptions(const PrintOptions& options);
const PrintOptions& get_printoptions();

}  // namespace axon
