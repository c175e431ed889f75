#pragma once
// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), so that
// PyTorch users open axon's files with safetensors.torch.load_file, and axon opens theirs:
//
//   8 bytes     N, the header length, unsigned little-endian
//   N bytes     a UTF-8 JSON object: {"__metadata__": {str: str},
//                 "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   the rest    the tensors' bytes, little-endian and row-major; offsets count from here and the
//               tensors cover it exactly, without gaps or overlaps
//
// Layout axon writes (Note [safetensors layout] in nn/serialize/safetensors.cpp): the header
// lists "__metadata__" first (omitted when empty, keys sorted), then the tensors in the
// caller's order; the data holds 8-byte elements first, then 4-byte, then 1-byte ones (each
// group in the caller's order), so that every tensor is aligned to its element size, as
// safetensors' own writer does. The header is padded with spaces to a multiple of 8 bytes.
//
// Loading returns the tensors in the order the header lists them: the caller's order for files
// axon wrote, data order for files from safetensors' Python writer. Tensors come back on the
// CPU, not requiring grad. Every defect of a file (truncation, bad JSON, unknown dtype, sizes
// that disagree, data with gaps or overlaps, ...) is an axon::Error naming the file.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "axon/tensor.h"

namespace axon::serialize {

// Named tensors in order (a state dict).
using TensorDict = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  TensorDict tensors;
  std::map<std::string, std::string> metadata;
};

// Writes `tensors` (any device, any strides; saved detached) and `metadata` to `path` without
// ever leaving a partial file there: the data goes to a temporary file in the same folder,
// which is synced and then renamed over `path`. On failure `path` keeps its old content.
void save_safetensors(const TensorDict& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata = {});

SafetensorsFile load_safetensors(const std::string& path);

// The same file as bytes in memory.
std::string save_safetensors_to_bytes(const TensorDict& tensors,
                                      const std::map<std::string, std::string>& metadata = {});

// Parses a whole file held in memory; `source` names it in error messages.
SafetensorsFile load_safetensors_from_bytes(const uint8_t* data, size_t size,
                                            const std::string& source = "<bytes>");
inline SafetensorsFile load_safetensors_from_bytes(std::string_view bytes,
                                                   const std::string& source = "<bytes>") {
  return load_safetensors_from_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                     source);
}

// The largest header accepted, as in safetensors itself.
inline constexpr uint64_t kMaxSafetensorsHeaderSize = 100'000'000;

}  // namespace axon::serialize
