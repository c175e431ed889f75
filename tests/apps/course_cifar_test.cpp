// The course's CIFAR-10 example (apps/examples/cifar10_tutorial.cpp) run as a user runs it, on
// small CIFAR-10 binary files written here: the tutorial pipeline's output lines and its grid of
// test images, the course's variants, NLLLoss on raw outputs turning nan, and --data errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
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

const std::vector<std::string> kClasses = {"plane", "car",  "bird",  "cat",  "deer",
                                           "dog",   "frog", "horse", "ship", "truck"};

// `n` CIFAR-10 records of labels i % 10 that a small CNN tells apart: dim noise, and class c's
// colour channel c % 3 bright in the band of rows 8 * (c / 3) .. + 7.
Bytes learnable_records(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes bytes;
  for (size_t i = 0; i < n; ++i) {
    const size_t label = i % 10, channel = label % 3, band = label / 3;
    bytes.push_back(static_cast<uint8_t>(label));
    Bytes pixels(3072);
    for (uint8_t& p : pixels) p = static_cast<uint8_t>(rng() % 50);
    for (size_t y = band * 8; y < band * 8 + 8; ++y) {
      for (size_t x = 0; x < 32; ++x) pixels[channel * 1024 + y * 32 + x] = 220;
    }
    bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  }
  return bytes;
}

// CIFAR-10's six binary batches in `dir`: `per_file` records in each training batch (5 x
// per_file training images) and `test` in the test batch.
void write_cifar(const fs::path& dir, size_t per_file, size_t test) {
  fs::create_directories(dir);
  for (uint32_t b = 1; b <= 5; ++b) {
    axon::testing::write_file(dir / ("data_batch_" + std::to_string(b) + ".bin"),
                              learnable_records(per_file, b));
  }
  axon::testing::write_file(dir / "test_batch.bin", learnable_records(test, 9));
}

bool has_line(const std::string& out, const std::string& pattern) {
  return std::regex_search(out, std::regex("(^|\n)" + pattern + "(\n|$)"));
}

class CourseCifarTest : public axon::testing::ScratchFolderTest {
 protected:
  void SetUp() override {
    ScratchFolderTest::SetUp();
    program_ = axon::testing::example_program("cifar10_tutorial");
    if (program_.empty()) GTEST_SKIP() << "the examples are not built (AXON_BUILD_APPS=OFF)";
  }
  ProgramResult run(const std::string& args) {
    return axon::testing::run_program(program_, args, folder());
  }
  std::string program_;
};

// The tutorial's pipeline in --fast mode: 1000 training images, 2 epochs of 250 mini-batches
// of 4 with the running loss every 100, then the 200 test images.
TEST_F(CourseCifarTest, TutorialPipelinePrintsLossesAccuraciesAndTheGrid) {
  write_cifar(path("data"), 200, 200);
  ProgramResult r =
      run("--fast --data " + path("data").string() + " --plot " + path("plots").string());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(
      has_line(r.out,
               "1000 training and 200 test images; tutorial net, SGD \\(lr 0.001, "
               "momentum 0.9, weight decay 0\\), CrossEntropyLoss, batch 4, 2 epoch\\(s\\)"))
      << r.out;
  for (const char* step :
       {"\\[1,   100\\]", "\\[1,   200\\]", "\\[2,   100\\]", "\\[2,   200\\]"}) {
    EXPECT_TRUE(has_line(r.out, std::string(step) + " loss: [0-9]\\.[0-9]{3}")) << step << r.out;
  }
  EXPECT_FALSE(has_line(r.out, "\\[1,   300\\].*")) << r.out;  // 250 mini-batches an epoch
  EXPECT_TRUE(has_line(r.out, "Finished Training")) << r.out;
  // The test images are in label order: the first batch is a plane, a car, a bird and a cat.
  EXPECT_TRUE(has_line(r.out, "GroundTruth:  plane car   bird  cat  ")) << r.out;
  EXPECT_TRUE(has_line(r.out, "Predicted:  ([a-z ]{5} ){3}[a-z ]{5}")) << r.out;
  std::smatch accuracy;
  ASSERT_TRUE(std::regex_search(
      r.out, accuracy, std::regex("\nAccuracy of the network on the 200 test images: (\\d+) %\n")))
      << r.out;
  EXPECT_GE(std::stoi(accuracy[1]), 50) << r.out;  // the bands are easy to tell apart
  for (const std::string& name : kClasses) {
    const std::string padded = name + std::string(5 - name.size(), ' ');
    EXPECT_TRUE(has_line(r.out, "Accuracy for class: " + padded + " is \\d+\\.\\d %")) << name;
  }
  const fs::path grid = path("plots") / "cifar10_predictions.png";
  ASSERT_TRUE(fs::exists(grid));
  EXPECT_GT(fs::file_size(grid), 1000u);
  std::ifstream png(grid, std::ios::binary);
  char magic[4] = {};
  png.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  EXPECT_TRUE(has_line(r.out, "all checks passed")) << r.out;
}

// The course's variants at once, on 200 training images for one epoch: the deeper conv stack
// with BatchNorm, Adam with weight decay, flipped training images, NLLLoss after LogSoftmax;
// --data names the folder above cifar-10-batches-bin.
TEST_F(CourseCifarTest, DeepBatchNormAdamAugmentNllLogSoftmax) {
  write_cifar(path("cifar") / "cifar-10-batches-bin", 40, 40);
  ProgramResult r = run("--fast --data " + path("cifar").string() +
                        " --arch deep --batch-norm --optimizer adam --augment --weight-decay 1e-6 "
                        "--loss nll-log-softmax --epochs 1");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has_line(r.out,
                       "200 training and 40 test images; deep net with BatchNorm, Adam \\(lr "
                       "0.001, eps 1e-3, weight decay 1e-06\\), NLLLoss after LogSoftmax, batch 4, "
                       "1 epoch\\(s\\), RandomHorizontalFlip"))
      << r.out;
  std::smatch accuracy;
  ASSERT_TRUE(std::regex_search(
      r.out, accuracy, std::regex("\nAccuracy of the network on the 40 test images: (\\d+) %\n")))
      << r.out;
  EXPECT_GE(std::stoi(accuracy[1]), 50) << r.out;
  for (const std::string& name : kClasses) {
    const std::string padded = name + std::string(5 - name.size(), ' ');
    EXPECT_TRUE(has_line(r.out, "Accuracy for class: " + padded + " is \\d+\\.\\d %")) << name;
  }
  EXPECT_TRUE(has_line(r.out, "all checks passed")) << r.out;
}

// NLLLoss on the raw outputs rewards growing the true class's output without bound: within an
// epoch the loss overflows and turns nan, which the program shows (as PyTorch would print it)
// and does not count as a failure. With nan outputs, max picks class 0 (nan is the largest), as
// torch.max does: every test image is called a plane.
TEST_F(CourseCifarTest, NllLossOnRawOutputsTurnsNan) {
  write_cifar(path("data"), 200, 200);
  ProgramResult r = run("--fast --data " + path("data").string() + " --loss nll-raw --epochs 1");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(has_line(r.out, "\\[1, +\\d+\\] this mini-batch's loss is nan")) << r.out;
  EXPECT_TRUE(has_line(r.out, "\\[1,   200\\] loss: nan")) << r.out;
  EXPECT_TRUE(has_line(r.out, "Predicted:  plane plane plane plane")) << r.out;
  EXPECT_TRUE(has_line(r.out, "Accuracy of the network on the 200 test images: 10 %")) << r.out;
  EXPECT_TRUE(has_line(r.out, "Accuracy for class: plane is 100\\.0 %")) << r.out;
  EXPECT_TRUE(has_line(r.out, "Accuracy for class: truck is 0\\.0 %")) << r.out;
  EXPECT_TRUE(has_line(r.out, "all checks passed")) << r.out;
}

TEST_F(CourseCifarTest, MissingOrWrongDataFolderIsAnError) {
  ProgramResult none = run("--fast");
  EXPECT_EQ(none.status, 1) << none.out;
  EXPECT_NE(none.err.find("--data: no CIFAR-10 folder given"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("cifar-10-binary.tar.gz"), std::string::npos) << none.err;

  const std::string nowhere = path("nowhere").string();
  ProgramResult wrong = run("--fast --data " + nowhere);
  EXPECT_EQ(wrong.status, 1) << wrong.out;
  EXPECT_NE(wrong.err.find("--data " + nowhere + ": CIFAR10: cannot find the training set"),
            std::string::npos)
      << wrong.err;

  ProgramResult bad_flag = run("--fast --data " + folder() + " --loss mse");
  EXPECT_EQ(bad_flag.status, 2);
  EXPECT_NE(bad_flag.err.find("--loss"), std::string::npos) << bad_flag.err;
}

}  // namespace
