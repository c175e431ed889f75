// libFuzzer target: a gzip-compressed IDX file (MNIST's .gz files), decompressed and parsed as
// MNIST's constructor does. A bad file must end in an axon::Error.
#include <cstdlib>

#include "axon/data/datasets/parse.h"
#include "axon/error.h"

using namespace axon::data::datasets;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes;
  try {
    bytes = gunzip(data, size, "fuzz.gz");
  } catch (const axon::Error&) {
    return 0;
  }
  // The input was gzip data (the gunzip above checked its magic).
  if (!is_gzip(data, size)) std::abort();
  try {
    (void)parse_idx_images(bytes.data(), bytes.size(), "fuzz.gz");
  } catch (const axon::Error&) {
  }
  try {
    (void)parse_idx_labels(bytes.data(), bytes.size(), "fuzz.gz");
  } catch (const axon::Error&) {
  }
  return 0;
}
