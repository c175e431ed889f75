// libFuzzer target: the bytes of a CIFAR-10 batch file through the parser CIFAR10's
// constructor uses. A bad file must end in an axon::Error; a file that parses must give one
// image and one label per 3073-byte record.
#include <cstdlib>

#include "axon/data/datasets/parse.h"
#include "axon/error.h"

using namespace axon::data::datasets;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    CifarBatch batch = parse_cifar10_batch(data, size, "fuzz.bin");
    const auto records = static_cast<int64_t>(size / 3073);
    if (batch.images.size(0) != records || batch.labels.size(0) != records) std::abort();
  } catch (const axon::Error&) {
  }
  return 0;
}
