// The dataset readers: MNIST's IDX files (raw and gzip), CIFAR-10's binary batches, the gzip
// reader, TensorDataset, and every way a file can be missing, short or corrupt.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data/data_files.h"
#include "test_utils.h"

namespace axon::testing {
namespace {

using data::datasets::CIFAR10;
using data::datasets::MNIST;

// The pixel values the test files hold, as float32 byte / 255 (what MNIST promises: the exact
// float32 quotient, as x.to(float32) / 255 in PyTorch).
Tensor expected_mnist_images(size_t n) {
  Tensor expected = empty({static_cast<int64_t>(n), 1, 28, 28}, kFloat32);
  float* p = expected.data_ptr<float>();
  for (size_t i = 0; i < n; ++i) {
    for (size_t r = 0; r < 28; ++r) {
      for (size_t c = 0; c < 28; ++c) *p++ = static_cast<float>(test_pixel(i, r, c)) / 255.0f;
    }
  }
  return expected;
}

Tensor expected_labels(size_t n) {
  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<int64_t>(i % 10);
  return tensor(labels, {static_cast<int64_t>(n)});
}

class MnistTest : public ScratchFolderTest {
 protected:
  // Writes a set's two files; `gzip_images` / `gzip_labels` choose the .gz form.
  void write_set(const std::string& prefix, uint32_t n, bool gzip_images, bool gzip_labels) {
    const Bytes images = idx_images(n);
    const Bytes labels = idx_labels(cycling_labels(n));
    const std::string images_name = prefix + "-images-idx3-ubyte";
    const std::string labels_name = prefix + "-labels-idx1-ubyte";
    write_file(path(gzip_images ? images_name + ".gz" : images_name),
               gzip_images ? gzip(images) : images);
    write_file(path(gzip_labels ? labels_name + ".gz" : labels_name),
               gzip_labels ? gzip(labels) : labels);
  }
};

TEST_F(MnistTest, ReadsRawTrainingFiles) {
  write_set("train", 13, false, false);
  MNIST mnist(folder(), MNIST::Mode::kTrain);
  EXPECT_TRUE(mnist.is_train());
  EXPECT_EQ(mnist.size(), 13u);
  EXPECT_EQ(mnist.images().sizes(), IntArrayRef({13, 1, 28, 28}));
  EXPECT_EQ(mnist.images().dtype(), kFloat32);
  EXPECT_EQ(mnist.targets().dtype(), kInt64);
  EXPECT_TRUE(mnist.images().equal(expected_mnist_images(13)));
  EXPECT_TRUE(mnist.targets().equal(expected_labels(13)));
  auto example = mnist.get(12);
  EXPECT_TRUE(example.data.equal(expected_mnist_images(13)[12]));
  EXPECT_EQ(example.target.item<int64_t>(), 2);
}

TEST_F(MnistTest, ReadsGzipTestFiles) {
  write_set("t10k", 7, true, true);
  MNIST mnist(folder(), MNIST::Mode::kTest);
  EXPECT_FALSE(mnist.is_train());
  EXPECT_TRUE(mnist.images().equal(expected_mnist_images(7)));
  EXPECT_TRUE(mnist.targets().equal(expected_labels(7)));
}

TEST_F(MnistTest, ReadsOneFileRawAndTheOtherGzip) {
  write_set("train", 4, true, false);
  MNIST mnist(folder());
  EXPECT_TRUE(mnist.images().equal(expected_mnist_images(4)));
  EXPECT_TRUE(mnist.targets().equal(expected_labels(4)));
}

TEST_F(MnistTest, TellsGzipByContentNotByName) {
  // A raw file named .gz (a browser that unpacked a download and kept the name) still reads.
  write_file(path("train-images-idx3-ubyte.gz"), idx_images(3));
  write_file(path("train-labels-idx1-ubyte.gz"), idx_labels(cycling_labels(3)));
  EXPECT_TRUE(MNIST(folder()).images().equal(expected_mnist_images(3)));
}

TEST_F(MnistTest, MissingFilesNameEachFileAndTheFolder) {
  try {
    MNIST mnist(folder());
    FAIL() << "expected an axon::Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const char* part : {"train-images-idx3-ubyte or train-images-idx3-ubyte.gz",
                             "train-labels-idx1-ubyte or train-labels-idx1-ubyte.gz", "training"}) {
      EXPECT_NE(message.find(part), std::string::npos) << message;
    }
    EXPECT_NE(message.find(folder()), std::string::npos) << message;
  }
  write_set("t10k", 2, true, true);
  std::filesystem::remove(path("t10k-labels-idx1-ubyte.gz"));
  try {
    MNIST mnist(folder(), MNIST::Mode::kTest);
    FAIL() << "expected an axon::Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("t10k-labels-idx1-ubyte.gz"), std::string::npos) << message;
    EXPECT_EQ(message.find("t10k-images"), std::string::npos) << message;  // that one is there
  }
  EXPECT_AXON_ERROR(MNIST{folder() + "/nowhere"}, "(no such folder)");
}

TEST_F(MnistTest, CorruptFilesNameTheFileAndTheProblem) {
  const std::string images = path("train-images-idx3-ubyte").string();
  const std::string labels = path("train-labels-idx1-ubyte").string();
  auto write_pair = [&](const Bytes& image_bytes, const Bytes& label_bytes) {
    write_file(images, image_bytes);
    write_file(labels, label_bytes);
  };
  const Bytes good_labels = idx_labels(cycling_labels(5));

  write_pair(idx_images(5, 28, 28, 2049), good_labels);
  EXPECT_AXON_ERROR(MNIST{folder()}, images +
                                         ": not an IDX images file: magic number 2049 "
                                         "(expected 2051)");
  write_pair(idx_images(5), idx_labels(cycling_labels(5), 2051));
  EXPECT_AXON_ERROR(MNIST{folder()}, labels + ": not an IDX labels file: magic number 2051");

  Bytes truncated = idx_images(5);
  truncated.pop_back();
  write_pair(truncated, good_labels);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": truncated: the header announces 5 images");

  Bytes trailing = idx_images(5);
  trailing.push_back(0);
  write_pair(trailing, good_labels);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": 1 trailing bytes after the 5 images");

  write_pair(Bytes{0, 0, 8, 3, 0, 0}, good_labels);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": 6 bytes is shorter than the 16-byte header");

  write_pair(idx_images(5, 27, 28), good_labels);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": images of 27x28 pixels, expected 28x28");

  write_pair(idx_images(5), idx_labels(cycling_labels(4)));
  EXPECT_AXON_ERROR(MNIST{folder()}, images + " holds 5 images but " + labels + " holds 4 labels");

  std::vector<uint8_t> bad_labels = cycling_labels(5);
  bad_labels[3] = 10;
  write_pair(idx_images(5), idx_labels(bad_labels));
  EXPECT_AXON_ERROR(MNIST{folder()}, labels + ": label 10 of example 3 is out of range 0..9");

  Bytes trailing_labels = good_labels;
  trailing_labels.insert(trailing_labels.end(), {1, 2});
  write_pair(idx_images(5), trailing_labels);
  EXPECT_AXON_ERROR(MNIST{folder()}, labels + ": 2 trailing bytes after the 5 labels");
}

TEST_F(MnistTest, CorruptGzipNamesTheFile) {
  const std::string images = path("train-images-idx3-ubyte.gz").string();
  write_file(path("train-labels-idx1-ubyte"), idx_labels(cycling_labels(5)));
  const Bytes compressed = gzip(idx_images(5));

  Bytes flipped = compressed;
  flipped[flipped.size() / 2] ^= 0xff;
  write_file(images, flipped);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": corrupt gzip data");

  Bytes cut(compressed.begin(), compressed.end() - 20);
  write_file(images, cut);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": truncated gzip data");

  Bytes trailing = compressed;
  trailing.insert(trailing.end(), {'x', 'y', 'z'});
  write_file(images, trailing);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": 3 trailing bytes after the end of the gzip data");

  Bytes bad_crc = compressed;
  bad_crc[bad_crc.size() - 5] ^= 0x01;  // the CRC-32 of the trailer
  write_file(images, bad_crc);
  EXPECT_AXON_ERROR(MNIST{folder()}, images + ": corrupt gzip data: incorrect data check");
}

TEST_F(MnistTest, IndexOutOfRange) {
  write_set("train", 3, false, false);
  MNIST mnist(folder());
  EXPECT_AXON_ERROR(mnist.get(3), "MNIST: index 3 is out of range for 3 examples");
  EXPECT_AXON_ERROR(mnist.get_stacked_batch(std::vector<size_t>{0, 5}),
                    "MNIST: index 5 is out of range for 3 examples");
}

TEST(Gunzip, DecompressesConcatenatedMembers) {
  const Bytes a = {1, 2, 3};
  const Bytes b(100000, 7);
  Bytes both = gzip(a);
  const Bytes second = gzip(b);
  both.insert(both.end(), second.begin(), second.end());
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(data::datasets::gunzip(both.data(), both.size(), "two.gz"), expected);
}

TEST(Gunzip, RefusesOutputOverTheLimit) {
  const Bytes zeros(1 << 20, 0);
  const Bytes compressed = gzip(zeros);
  EXPECT_EQ(data::datasets::gunzip(compressed.data(), compressed.size(), "z.gz", 1 << 20).size(),
            zeros.size());
  EXPECT_AXON_ERROR(data::datasets::gunzip(compressed.data(), compressed.size(), "z.gz", 1000),
                    "z.gz: gzip data decompresses to more than 1000 bytes");
  EXPECT_AXON_ERROR(data::datasets::gunzip(zeros.data(), 1, "one.gz"), "one.gz: not gzip data");
}

// Every prefix of a valid file is an error, never a read past the buffer (each prefix is copied
// into a buffer of exactly its size, so a sanitizer build sees any overrun).
TEST(Parsers, EveryTruncationIsAnError) {
  const Bytes images = idx_images(2, 3, 4);
  const Bytes labels = idx_labels({1, 2, 3});
  const Bytes cifar = cifar_records(1);
  const Bytes compressed = gzip(idx_images(2));
  for (size_t n = 0; n < images.size(); ++n) {
    const Bytes prefix(images.begin(), images.begin() + n);
    EXPECT_THROW(data::datasets::parse_idx_images(prefix.data(), n, "images"), Error) << n;
  }
  for (size_t n = 0; n < labels.size(); ++n) {
    const Bytes prefix(labels.begin(), labels.begin() + n);
    EXPECT_THROW(data::datasets::parse_idx_labels(prefix.data(), n, "labels"), Error) << n;
  }
  for (size_t n = 0; n < cifar.size(); ++n) {
    const Bytes prefix(cifar.begin(), cifar.begin() + n);
    EXPECT_THROW(data::datasets::parse_cifar10_batch(prefix.data(), n, "cifar"), Error) << n;
  }
  for (size_t n = 0; n < compressed.size(); ++n) {
    const Bytes prefix(compressed.begin(), compressed.begin() + n);
    EXPECT_THROW(data::datasets::gunzip(prefix.data(), n, "gz"), Error) << n;
  }
}

TEST(Parsers, HeaderSizesThatOverflowAreErrors) {
  Bytes huge;
  for (uint32_t v : {2051u, 0xffffffffu, 0xffffffffu, 0xffffffffu}) append_big_endian(huge, v);
  EXPECT_AXON_ERROR(data::datasets::parse_idx_images(huge.data(), huge.size(), "huge"),
                    "huge: the header announces 4294967295 images");
  Bytes zero_rows = idx_images(1, 0, 5);
  EXPECT_AXON_ERROR(data::datasets::parse_idx_images(zero_rows.data(), zero_rows.size(), "zero"),
                    "zero: the header announces images of 0x5 pixels");
  // Other image sizes are the caller's to check: the parser reads any.
  const Bytes small = idx_images(2, 3, 4);
  Tensor parsed = data::datasets::parse_idx_images(small.data(), small.size(), "small");
  EXPECT_EQ(parsed.sizes(), IntArrayRef({2, 1, 3, 4}));
  EXPECT_EQ(parsed[1][0][2][3].item<float>(), static_cast<float>(test_pixel(1, 2, 3)) / 255.0f);
}

// Found by fuzz/mnist_idx: a file of zero images may announce any image size, and one of
// 4227858403x4294967267 pixels made a tensor whose strides overflow int64 (UBSan: signed
// overflow in TensorImpl's constructor).
TEST(Parsers, ImageSizesPastTensorStridesAreErrors) {
  Bytes header;
  for (uint32_t v : {2051u, 0u, 0xfbffffe3u, 0xffffffe3u}) append_big_endian(header, v);
  EXPECT_AXON_ERROR(data::datasets::parse_idx_images(header.data(), header.size(), "fuzz"),
                    "fuzz: the header announces images of 4227858403x4294967267 pixels, more "
                    "than a tensor can index");
  // 2^31 x (2^32 - 1) = 2^63 - 2^31 pixels still fit.
  Bytes largest;
  for (uint32_t v : {2051u, 0u, 0x80000000u, 0xffffffffu}) append_big_endian(largest, v);
  Tensor empty_images = data::datasets::parse_idx_images(largest.data(), largest.size(), "largest");
  EXPECT_EQ(empty_images.sizes(), IntArrayRef({0, 1, 2147483648, 4294967295}));
}

class Cifar10Test : public ScratchFolderTest {
 protected:
  // data_batch_k.bin holds 2 records with labels starting at 2k; test_batch.bin 3 from 0.
  void write_batches(const std::filesystem::path& where) {
    std::filesystem::create_directories(where);
    for (int k = 1; k <= 5; ++k) {
      write_file(where / ("data_batch_" + std::to_string(k) + ".bin"),
                 cifar_records(2, 2 * static_cast<size_t>(k)));
    }
    write_file(where / "test_batch.bin", cifar_records(3));
  }
};

TEST_F(Cifar10Test, ReadsTrainingAndTestBatches) {
  write_batches(folder());
  CIFAR10 train(folder(), CIFAR10::Mode::kTrain);
  EXPECT_EQ(train.size(), 10u);
  EXPECT_EQ(train.images().sizes(), IntArrayRef({10, 3, 32, 32}));
  EXPECT_EQ(train.images().dtype(), kFloat32);
  // Batch k's records i = 0, 1 have labels (2k + i) % 10, in file order.
  EXPECT_TRUE(
      train.targets().equal(tensor(std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 0, 1}, {10})));
  // Byte k of record i's pixels is (i * 13 + k) % 256 and lands at [c][y][x] with
  // k = c * 1024 + y * 32 + x (the record is channel by channel, row by row).
  const Tensor second = train.images()[3];  // batch 2, record 1
  for (auto [c, y, x] : {std::array<int64_t, 3>{0, 0, 0}, {1, 2, 3}, {2, 31, 31}}) {
    const int64_t k = c * 1024 + y * 32 + x;
    EXPECT_EQ(second[c][y][x].item<float>(), static_cast<float>((13 + k) % 256) / 255.0f);
  }
  CIFAR10 test(folder(), CIFAR10::Mode::kTest);
  EXPECT_EQ(test.size(), 3u);
  EXPECT_TRUE(test.targets().equal(tensor(std::vector<int64_t>{0, 1, 2}, {3})));
  EXPECT_EQ(test.get(2).target.item<int64_t>(), 2);
}

TEST_F(Cifar10Test, FindsTheBatchesOneFolderDown) {
  write_batches(path("cifar-10-batches-bin"));
  EXPECT_EQ(CIFAR10(folder(), CIFAR10::Mode::kTest).size(), 3u);
  EXPECT_EQ(CIFAR10(folder()).size(), 10u);
}

TEST_F(Cifar10Test, MissingAndCorruptFiles) {
  EXPECT_AXON_ERROR(CIFAR10{folder()},
                    "missing data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, "
                    "data_batch_4.bin, data_batch_5.bin");
  EXPECT_AXON_ERROR((CIFAR10{folder(), CIFAR10::Mode::kTest}),
                    "cannot find the test set in the folder '" + folder() + "'");
  write_batches(folder());
  std::filesystem::remove(path("data_batch_3.bin"));
  try {
    CIFAR10 cifar(folder());
    FAIL() << "expected an axon::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(": missing data_batch_3.bin"), std::string::npos)
        << e.what();
  }
  const std::string test = path("test_batch.bin").string();
  Bytes records = cifar_records(2);
  records.pop_back();
  write_file(test, records);
  EXPECT_AXON_ERROR((CIFAR10{folder(), CIFAR10::Mode::kTest}),
                    test +
                        ": 6145 bytes is not a whole number of 3073-byte records (1 records "
                        "and 3072 bytes over)");
  records = cifar_records(2);
  records[3073] = 10;
  write_file(test, records);
  EXPECT_AXON_ERROR((CIFAR10{folder(), CIFAR10::Mode::kTest}),
                    test + ": label 10 of example 1 is out of range 0..9");
  write_file(test, {});
  EXPECT_AXON_ERROR((CIFAR10{folder(), CIFAR10::Mode::kTest}), test + ": empty file");
  EXPECT_AXON_ERROR(CIFAR10{folder() + "/nowhere"}, "(no such folder)");
}

TEST(ClassNames, TenPerDatasetInLabelOrder) {
  EXPECT_EQ(data::datasets::mnist_classes().size(), 10u);
  EXPECT_EQ(data::datasets::mnist_classes()[7], "7");
  EXPECT_EQ(data::datasets::fashion_mnist_classes().size(), 10u);
  EXPECT_EQ(data::datasets::fashion_mnist_classes()[0], "T-shirt/top");
  EXPECT_EQ(data::datasets::fashion_mnist_classes()[9], "Ankle boot");
  EXPECT_EQ(data::datasets::cifar10_classes().size(), 10u);
  EXPECT_EQ(data::datasets::cifar10_classes()[0], "airplane");
  EXPECT_EQ(data::datasets::cifar10_classes()[9], "truck");
}

TEST(TensorDataset, RowsOfDataAndTargets) {
  data::datasets::TensorDataset dataset(arange(12, kFloat32).view({4, 3}), arange(4, kInt64));
  EXPECT_EQ(dataset.size(), 4u);
  auto example = dataset.get(2);
  EXPECT_TRUE(example.data.equal(tensor({6.f, 7.f, 8.f})));
  EXPECT_EQ(example.target.item<int64_t>(), 2);
  auto batch = dataset.get_stacked_batch(std::vector<size_t>{3, 0, 3});
  EXPECT_TRUE(batch.data.equal(tensor({{9.f, 10.f, 11.f}, {0.f, 1.f, 2.f}, {9.f, 10.f, 11.f}})));
  EXPECT_TRUE(batch.target.equal(tensor(std::vector<int64_t>{3, 0, 3}, {3})));
  EXPECT_AXON_ERROR(dataset.get(4), "TensorDataset: index 4 is out of range for 4 examples");
  EXPECT_AXON_ERROR((data::datasets::TensorDataset{zeros({4, 3}), zeros({5})}),
                    "TensorDataset: data has 4 examples (shape [4, 3]) but targets has 5");
}

}  // namespace
}  // namespace axon::testing
