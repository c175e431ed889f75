// libFuzzer target: the bytes of an uncompressed IDX file (MNIST's images or labels) through the
// parsers MNIST's constructor uses. A bad file must end in an axon::Error; a file that parses
// must give the tensor its header describes.
#include <cstdlib>

#include "axon/data/datasets/parse.h"
#include "axon/error.h"

using namespace axon::data::datasets;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    axon::Tensor images = parse_idx_images(data, size, "fuzz");
    // The header (16 bytes) and one byte per pixel, nothing more.
    if (images.dim() != 4 || 16 + static_cast<size_t>(images.numel()) != size) std::abort();
  } catch (const axon::Error&) {
  }
  try {
    axon::Tensor labels = parse_idx_labels(data, size, "fuzz");
    if (labels.dim() != 1 || 8 + static_cast<size_t>(labels.numel()) != size) std::abort();
  } catch (const axon::Error&) {
  }
  return 0;
}
