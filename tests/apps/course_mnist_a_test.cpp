// The course's MNIST exercises 8 (backprop_layers) and 14 (mnist_mlp) run as a user would, on
// small digit files the test writes in MNIST's gzipped IDX format: their exit status, the key
// lines of their output, their pictures, and their errors (a missing --data folder, a bad
// --activation, labels that cannot be learned).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "apps/run_program.h"
#include "data/data_files.h"

namespace {

namespace fs = std::filesystem;
using axon::testing::Bytes;
using axon::testing::ProgramResult;

// n 28x28 images of class labels[i]: a bright 6x6 block at a place that depends on the class,
// on dim noise, so that the programs' nets can learn them in their --fast runs.
Bytes block_images(const std::vector<uint8_t>& labels, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes bytes;
  for (uint32_t v : {2051u, static_cast<uint32_t>(labels.size()), 28u, 28u}) {
    axon::testing::append_big_endian(bytes, v);
  }
  for (uint8_t label : labels) {
    std::vector<uint8_t> pixels(28 * 28);
    for (auto& p : pixels) p = static_cast<uint8_t>(rng() % 60);
    const int top = 3 + (label / 5) * 12, left = 2 + (label % 5) * 5;
    for (int y = top; y < top + 6; ++y) {
      for (int x = left; x < left + 6; ++x) pixels[y * 28 + x] = 230;
    }
    bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  }
  return bytes;
}

bool has_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// Every match of `pattern`'s first group in `text`, as numbers.
std::vector<double> numbers_after(const std::string& text, const std::string& pattern) {
  std::vector<double> values;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    values.push_back(std::stod((*it)[1].str()));
  }
  return values;
}

class CourseMnistTest : public axon::testing::ScratchFolderTest {
 protected:
  void SetUp() override {
    ScratchFolderTest::SetUp();
    data_ = path("data");
    fs::create_directories(data_);
  }

  // Training and test splits of blocks; `shuffle_labels` draws the training labels at random,
  // so that nothing about the test split can be learned.
  void write_digits(uint32_t train, uint32_t test, bool shuffle_labels = false) {
    std::vector<uint8_t> train_labels = axon::testing::cycling_labels(train);
    const Bytes train_images = block_images(train_labels, 1);
    if (shuffle_labels) {
      std::mt19937 rng(3);
      for (auto& label : train_labels) label = static_cast<uint8_t>(rng() % 10);
    }
    const std::vector<uint8_t> test_labels = axon::testing::cycling_labels(test);
    using axon::testing::gzip;
    using axon::testing::write_file;
    write_file(data_ / "train-images-idx3-ubyte.gz", gzip(train_images));
    write_file(data_ / "train-labels-idx1-ubyte.gz", gzip(axon::testing::idx_labels(train_labels)));
    write_file(data_ / "t10k-images-idx3-ubyte.gz", gzip(block_images(test_labels, 2)));
    write_file(data_ / "t10k-labels-idx1-ubyte.gz", gzip(axon::testing::idx_labels(test_labels)));
  }

  // Runs an example on the written data, or skips when the examples are not built.
  ProgramResult run(const std::string& name, const std::string& args) {
    const std::string program = axon::testing::example_program(name);
    if (program.empty()) return {};
    return axon::testing::run_program(
        program,
        "--fast --data " + data_.string() + " --plot " + path("plots").string() + " " + args,
        folder());
  }

  void expect_plot(const std::string& file) const {
    if (!has_gnuplot()) return;
    ASSERT_TRUE(fs::exists(path("plots") / file)) << file;
    EXPECT_GT(fs::file_size(path("plots") / file), 1000u) << file;
  }

  fs::path data_;
};

#define SKIP_WITHOUT(name)                                              \
  if (axon::testing::example_program(name).empty()) {                   \
    GTEST_SKIP() << "the examples are not built (AXON_BUILD_APPS=OFF)"; \
  }

TEST_F(CourseMnistTest, BackpropLayersPricesGradientsAndTraining) {
  SKIP_WITHOUT("backprop_layers");
  write_digits(1000, 200);
  const ProgramResult r = run("backprop_layers", "");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // The book's numbers for the apples, and for the apples and oranges.
  EXPECT_NE(r.out.find("price: 220.0\ndapple, dapple_num, dtax: 2.2 110.0 200\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("price: 715.0\ndapple_num, dapple, dorange, dorange_num, dtax: "
                       "110.0 2.2 3.3 165.0 650\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("dB = tensor([5., 7., 9.], dtype=axon.float64)"), std::string::npos);

  // One mean |backprop - numerical| per parameter, as the book prints it, and where a central
  // difference straddled a ReLU kink, the mean over the others: below 1e-7 in float64.
  const std::vector<std::string> keys = {"W1", "b1", "W2", "b2"};
  for (const std::string& key : keys) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(
        r.out, match,
        std::regex("\n" + key +
                   ":([0-9.e+-]+)\n(  \\(\\d+ of \\d+ differences straddle a ReLU kink; the "
                   "mean over the other \\d+: ([0-9.e+-]+)\\)\n)?")))
        << key << "\n"
        << r.out;
    EXPECT_LT(std::stod(match[match[2].matched ? 3 : 1].str()), 1e-7) << key << "\n" << r.out;
    const std::vector<double> autograd =
        numbers_after(r.out, key + ": max \\|backprop - autograd\\| = ([0-9.e+-]+)");
    ASSERT_EQ(autograd.size(), 1u) << key;
    EXPECT_LT(autograd[0], 1e-12) << key;
  }

  // 200 iterations of 100 from 1000 images: 20 epochs, one accuracy line each.
  const std::vector<double> test_acc =
      numbers_after(r.out, "train acc, test acc \\| [0-9.]+, ([0-9.]+)\n");
  ASSERT_EQ(test_acc.size(), 20u) << r.out;
  EXPECT_GT(test_acc.back(), 0.9);
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos);
  expect_plot("backprop_layers_training.png");
}

TEST_F(CourseMnistTest, MnistMlpReluLearnsTheDigits) {
  SKIP_WITHOUT("mnist_mlp");
  write_digits(2048, 200);
  const ProgramResult r = run("mnist_mlp", "");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("(fc1): Linear(in_features=784, out_features=128, bias=True)\n  "
                       "(act1): ReLU()\n  (fc2): Linear(in_features=128, out_features=64"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("batch 512, SGD lr 0.5, relu activations"), std::string::npos);
  const std::vector<double> train_loss = numbers_after(r.out, "train loss ([0-9.]+)");
  const std::vector<double> accuracy = numbers_after(r.out, "/10 .*accuracy ([0-9.]+)\n");
  ASSERT_EQ(train_loss.size(), 10u) << r.out;  // --fast: 10 epochs
  ASSERT_EQ(accuracy.size(), 10u) << r.out;
  EXPECT_LT(train_loss.back(), 0.5 * train_loss.front());
  EXPECT_GT(accuracy.back(), 0.9);
  expect_plot("mnist_mlp_relu.png");
}

TEST_F(CourseMnistTest, MnistMlpLogSigmoidVariant) {
  SKIP_WITHOUT("mnist_mlp");
  write_digits(2048, 200);
  const ProgramResult r = run("mnist_mlp", "--activation logsigmoid --epochs 12");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("(act1): LogSigmoid()"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(act2): LogSigmoid()"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ReLU"), std::string::npos) << r.out;
  const std::vector<double> accuracy = numbers_after(r.out, "/12 .*accuracy ([0-9.]+)\n");
  ASSERT_EQ(accuracy.size(), 12u) << r.out;  // --epochs wins over --fast
  EXPECT_GT(accuracy.back(), 0.5);
  expect_plot("mnist_mlp_logsigmoid.png");
}

TEST_F(CourseMnistTest, MissingDataFolderIsAnErrorNamingIt) {
  SKIP_WITHOUT("backprop_layers");
  const std::string nowhere = path("nowhere").string();
  for (const std::string name : {"backprop_layers", "mnist_mlp"}) {
    const ProgramResult r = axon::testing::run_program(axon::testing::example_program(name),
                                                       "--fast --data " + nowhere, folder());
    EXPECT_EQ(r.status, 1) << name << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("--data " + nowhere + ": no such folder"), std::string::npos)
        << name << "\n"
        << r.err;
    EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
  }
}

TEST_F(CourseMnistTest, BadCommandLinesExitWithTwo) {
  SKIP_WITHOUT("mnist_mlp");
  write_digits(20, 10);
  const ProgramResult activation = run("mnist_mlp", "--activation tanh");
  EXPECT_EQ(activation.status, 2) << activation.out << activation.err;
  EXPECT_NE(activation.err.find("tanh"), std::string::npos) << activation.err;
  const ProgramResult epochs = run("mnist_mlp", "--epochs 0");
  EXPECT_EQ(epochs.status, 2) << epochs.err;
  const ProgramResult iters = run("backprop_layers", "--iters -3");
  EXPECT_EQ(iters.status, 2) << iters.err;
}

// The accuracy checks can fail: with training labels drawn at random there is nothing to learn,
// and each program says so and exits with 1.
TEST_F(CourseMnistTest, UnlearnableLabelsFailTheAccuracyChecks) {
  SKIP_WITHOUT("mnist_mlp");
  write_digits(1000, 200, /*shuffle_labels=*/true);
  const ProgramResult mlp = run("mnist_mlp", "--epochs 3");
  EXPECT_EQ(mlp.status, 1) << mlp.out << mlp.err;
  EXPECT_NE(mlp.err.find("CHECK FAILED: test accuracy"), std::string::npos) << mlp.err;
  const ProgramResult layers = run("backprop_layers", "--iters 50");
  EXPECT_EQ(layers.status, 1) << layers.out << layers.err;
  EXPECT_NE(layers.err.find("CHECK FAILED: train and test accuracy above 0.5"), std::string::npos)
      << layers.err;
  // The gradient check does not depend on what the labels mean.
  EXPECT_EQ(layers.err.find("gradients agree"), std::string::npos) << layers.err;
}

}  // namespace
