#pragma once
// Small dataset files for the data suites: IDX and CIFAR-10 bytes built in memory, gzip via
// zlib, and a scratch folder per test.

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace axon::testing {

using Bytes = std::vector<uint8_t>;

inline void append_big_endian(Bytes& bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<uint8_t>(value >> shift));
}

// The pixel byte of image i at (row, col) in the test files.
inline uint8_t test_pixel(size_t i, size_t row, size_t col) {
  return static_cast<uint8_t>((i * 31 + row * 7 + col * 3) % 256);
}

// An IDX image file of n rows x cols images with test_pixel values.
inline Bytes idx_images(uint32_t n, uint32_t rows = 28, uint32_t cols = 28, uint32_t magic = 2051) {
  Bytes bytes;
  append_big_endian(bytes, magic);
  append_big_endian(bytes, n);
  append_big_endian(bytes, rows);
  append_big_endian(bytes, cols);
  for (size_t i = 0; i < n; ++i) {
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) bytes.push_back(test_pixel(i, r, c));
    }
  }
  return bytes;
}

// An IDX label file with the given labels.
inline Bytes idx_labels(const std::vector<uint8_t>& labels, uint32_t magic = 2049) {
  Bytes bytes;
  append_big_endian(bytes, magic);
  append_big_endian(bytes, static_cast<uint32_t>(labels.size()));
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

// The labels i % 10 for i < n.
inline std::vector<uint8_t> cycling_labels(size_t n) {
  std::vector<uint8_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<uint8_t>(i % 10);
  return labels;
}

// CIFAR-10 records: label (first_label + i) % 10, pixel byte (i * 13 + k) % 256 for byte k.
inline Bytes cifar_records(size_t n, size_t first_label = 0) {
  Bytes bytes;
  for (size_t i = 0; i < n; ++i) {
    bytes.push_back(static_cast<uint8_t>((first_label + i) % 10));
    for (size_t k = 0; k < 3072; ++k) bytes.push_back(static_cast<uint8_t>((i * 13 + k) % 256));
  }
  return bytes;
}

inline Bytes gzip(const Bytes& raw) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  Bytes out(deflateBound(&stream, raw.size()) + 32);
  stream.next_in = const_cast<Bytef*>(raw.data());
  stream.avail_in = static_cast<uInt>(raw.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

inline void write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A fresh folder under the system's temporary folder, removed with the fixture.
class ScratchFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    folder_ =
        std::filesystem::temp_directory_path() / ("axon_data_" + std::to_string(::getpid()) + "_" +
                                                  info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }
  std::string folder() const { return folder_.string(); }
  std::filesystem::path path(const std::string& name) const { return folder_ / name; }

 private:
  std::filesystem::path folder_;
};

}  // namespace axon::testing
