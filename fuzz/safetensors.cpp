// libFuzzer target: the bytes of a safetensors checkpoint through the loader behind
// axon::load and load_safetensors. A bad file must end in an axon::Error; a file that loads
// must give tensors whose bytes lie in the file.
#include <cstdlib>

#include "axon/error.h"
#include "axon/serialize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    axon::serialize::SafetensorsFile file =
        axon::serialize::load_safetensors_from_bytes(data, size, "fuzz.safetensors");
    size_t bytes = 0;
    for (const auto& [name, tensor] : file.tensors) bytes += tensor.nbytes();
    if (bytes > size) std::abort();
  } catch (const axon::Error&) {
  }
  return 0;
}
