#pragma once
// The file formats behind the datasets, as functions over a byte buffer, so that they can be
// tested (and fuzzed) without files. Each checks every length against the buffer before it reads
// and throws an axon::Error that starts with `source` (a file name) and says what is wrong.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "axon/tensor.h"

namespace axon::data::datasets {

// True when the buffer starts with gzip's magic bytes (1f 8b).
bool is_gzip(const uint8_t* data, size_t size);
// Decompresses gzip data (one or more members); corrupt or truncated data, bytes after the last
// member and output over `max_output` bytes are errors.
std::vector<uint8_t> gunzip(const uint8_t* data, size_t size, std::string_view source,
                            size_t max_output = size_t{1} << 31);

// An IDX image file (magic 2051: unsigned bytes, 3 dims): N x 1 x rows x cols float32 in [0, 1].
Tensor parse_idx_images(const uint8_t* data, size_t size, std::string_view source);
// An IDX label file (magic 2049: unsigned bytes, 1 dim): N int64 labels, each below num_classes.
Tensor parse_idx_labels(const uint8_t* data, size_t size, std::string_view source,
                        int64_t num_classes = 10);

// A CIFAR-10 batch file: images N x 3 x 32 x 32 float32 in [0, 1] and N int64 labels 0..9.
struct CifarBatch {
  Tensor images, labels;
};
CifarBatch parse_cifar10_batch(const uint8_t* data, size_t size, std::string_view source);

}  // namespace axon::data::datasets
