// The IDX (MNIST), CIFAR-10 and gzip readers: functions over a byte buffer that check every
// length before they read.
#include "axon/data/datasets/parse.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>

#include "axon/error.h"
#include "axon/functions.h"

namespace axon::data::datasets {
namespace {

constexpr uint32_t kIdxImagesMagic = 2051;  // 0x00000803: unsigned bytes, 3 dims
constexpr uint32_t kIdxLabelsMagic = 2049;  // 0x00000801: unsigned bytes, 1 dim
constexpr size_t kCifarImageBytes = 3 * 32 * 32;
constexpr size_t kCifarRecordBytes = 1 + kCifarImageBytes;

uint32_t read_big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Pixel byte -> float32 in [0, 1], as x.to(float32) / 255 (division, not a multiply by 1/255).
const std::array<float, 256>& pixel_values() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> values{};
    for (int v = 0; v < 256; ++v) values[v] = static_cast<float>(v) / 255.0f;
    return values;
  }();
  return table;
}

void bytes_to_pixels(const uint8_t* bytes, size_t count, float* out) {
  const std::array<float, 256>& table = pixel_values();
  for (size_t i = 0; i < count; ++i) out[i] = table[bytes[i]];
}

// Reads `count` label bytes, each below num_classes.
Tensor labels_from_bytes(const uint8_t* bytes, size_t count, size_t stride, int64_t num_classes,
                         std::string_view source) {
  Tensor labels = empty({static_cast<int64_t>(count)}, kInt64);
  int64_t* out = labels.data_ptr<int64_t>();
  for (size_t i = 0; i < count; ++i) {
    const int64_t label = bytes[i * stride];
    AXON_CHECK(label < num_classes, "{}: label {} of example {} is out of range 0..{}", source,
               label, i, num_classes - 1);
    out[i] = label;
  }
  return labels;
}

// Checks an IDX header's length and magic number; returns the item count it announces.
size_t idx_count(const uint8_t* data, size_t size, std::string_view source, uint32_t magic,
                 size_t header_bytes, const char* what) {
  AXON_CHECK(size >= header_bytes,
             "{}: {} bytes is shorter than the {}-byte header of an IDX {} file", source, size,
             header_bytes, what);
  const uint32_t found = read_big_endian_u32(data);
  AXON_CHECK(found == magic, "{}: not an IDX {} file: magic number {} (expected {})", source, what,
             found, magic);
  return read_big_endian_u32(data + 4);
}

// Checks that the bytes after the header are exactly `count` items of `item_bytes`.
void check_idx_length(size_t size, size_t header_bytes, size_t count, size_t item_bytes,
                      std::string_view source, const char* what) {
  const size_t available = size - header_bytes;
  size_t expected = 0;
  AXON_CHECK(!__builtin_mul_overflow(count, item_bytes, &expected),
             "{}: the header announces {} {} of {} bytes each, more than memory holds", source,
             count, what, item_bytes);
  AXON_CHECK(available >= expected,
             "{}: truncated: the header announces {} {} ({} bytes after the header), the file "
             "has {}",
             source, count, what, expected, available);
  AXON_CHECK(available == expected, "{}: {} trailing bytes after the {} {} the header announces",
             source, available - expected, count, what);
}

}  // namespace

bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

std::vector<uint8_t> gunzip(const uint8_t* data, size_t size, std::string_view source,
                            size_t max_output) {
  AXON_CHECK(is_gzip(data, size), "{}: not gzip data (it does not start with 1f 8b)", source);
  z_stream stream{};
  // 16 + MAX_WBITS: a gzip wrapper, with its CRC and length checked.
  AXON_CHECK(inflateInit2(&stream, 16 + MAX_WBITS) == Z_OK, "{}: zlib could not start: {}", source,
             stream.msg ? stream.msg : "out of memory");
  struct End {
    z_stream* stream;
    ~End() { inflateEnd(stream); }
  } end{&stream};

  std::vector<uint8_t> out(std::min(max_output, std::max<size_t>(size * 4, 1 << 16)));
  size_t produced = 0;
  const uint8_t* in = data;
  size_t in_left = size;
  while (true) {
    if (produced == out.size()) {
      AXON_CHECK(out.size() < max_output, "{}: gzip data decompresses to more than {} bytes",
                 source, max_output);
      out.resize(std::min(max_output, out.size() * 2));
    }
    stream.next_in = const_cast<Bytef*>(in);
    stream.avail_in = static_cast<uInt>(std::min<size_t>(in_left, UINT_MAX));
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT_MAX));
    const uInt in_offered = stream.avail_in;
    const uInt out_offered = stream.avail_out;
    const int rc = inflate(&stream, Z_NO_FLUSH);
    const size_t consumed = in_offered - stream.avail_in;
    const size_t made = out_offered - stream.avail_out;
    in += consumed;
    in_left -= consumed;
    produced += made;
    if (rc == Z_STREAM_END) {
      if (in_left == 0) break;
      // Concatenated gzip members decompress to the concatenation (as gzip -d does).
      AXON_CHECK(is_gzip(in, in_left), "{}: {} trailing bytes after the end of the gzip data",
                 source, in_left);
      AXON_CHECK(inflateReset(&stream) == Z_OK, "{}: zlib could not restart", source);
      continue;
    }
    AXON_CHECK(rc == Z_OK || rc == Z_BUF_ERROR, "{}: corrupt gzip data: {}", source,
               stream.msg ? stream.msg : zError(rc));
    AXON_CHECK(in_left > 0 || stream.avail_out == 0,
               "{}: truncated gzip data: the stream ends before its end marker", source);
    AXON_CHECK(consumed > 0 || made > 0 || stream.avail_out == 0,
               "{}: corrupt gzip data: zlib made no progress", source);
  }
  out.resize(produced);
  return out;
}

Tensor parse_idx_images(const uint8_t* data, size_t size, std::string_view source) {
  constexpr size_t kHeader = 16;  // magic, count, rows, cols
  const size_t count = idx_count(data, size, source, kIdxImagesMagic, kHeader, "images");
  const size_t rows = read_big_endian_u32(data + 8);
  const size_t cols = read_big_endian_u32(data + 12);
  AXON_CHECK(rows > 0 && cols > 0, "{}: the header announces images of {}x{} pixels", source, rows,
             cols);
  check_idx_length(size, kHeader, count, rows * cols, source, "images");
  // A file of no images may announce any image size; the tensor's strides must still fit int64.
  AXON_CHECK(rows * cols <= static_cast<size_t>(INT64_MAX),
             "{}: the header announces images of {}x{} pixels, more than a tensor can index",
             source, rows, cols);
  Tensor images = empty(
      {static_cast<int64_t>(count), 1, static_cast<int64_t>(rows), static_cast<int64_t>(cols)},
      kFloat32);
  bytes_to_pixels(data + kHeader, count * rows * cols, images.data_ptr<float>());
  return images;
}

Tensor parse_idx_labels(const uint8_t* data, size_t size, std::string_view source,
                        int64_t num_classes) {
  constexpr size_t kHeader = 8;  // magic, count
  const size_t count = idx_count(data, size, source, kIdxLabelsMagic, kHeader, "labels");
  check_idx_length(size, kHeader, count, 1, source, "labels");
  return labels_from_bytes(data + kHeader, count, 1, num_classes, source);
}

CifarBatch parse_cifar10_batch(const uint8_t* data, size_t size, std::string_view source) {
  AXON_CHECK(size > 0, "{}: empty file, expected 3073-byte records (a label, then 3x32x32 pixels)",
             source);
  AXON_CHECK(size % kCifarRecordBytes == 0,
             "{}: {} bytes is not a whole number of 3073-byte records ({} records and {} bytes "
             "over)",
             source, size, size / kCifarRecordBytes, size % kCifarRecordBytes);
  const size_t count = size / kCifarRecordBytes;
  CifarBatch batch;
  batch.labels = labels_from_bytes(data, count, kCifarRecordBytes, 10, source);
  batch.images = empty({static_cast<int64_t>(count), 3, 32, 32}, kFloat32);
  float* out = batch.images.data_ptr<float>();
  for (size_t i = 0; i < count; ++i) {
    bytes_to_pixels(data + i * kCifarRecordBytes + 1, kCifarImageBytes, out + i * kCifarImageBytes);
  }
  return batch;
}

}  // namespace axon::data::datasets
