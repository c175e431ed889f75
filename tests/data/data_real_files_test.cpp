// The readers on real files where the machine has them (skipped otherwise; CI has neither):
// ../shared/data/mnist-subset (MNIST digits, 8004 training and 1996 test images, gzip) and
// Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist: 60000 + 10000, gzip).
#include <gtest/gtest.h>

#include <filesystem>

#include "test_utils.h"

namespace axon::testing {
namespace {

using data::datasets::MNIST;

const char* const kMnistSubset = "/work/shared/data/mnist-subset";
const char* const kFashionMnist = "/usr/share/datasets/fashion-mnist";

// Images of the right shape with values in [0, 1], a mean pixel in `mean_range`, and each class
// within [min_share, max_share] of the labels.
void check_set(const MNIST& set, int64_t count, std::pair<double, double> mean_range,
               double min_share, double max_share) {
  EXPECT_EQ(set.images().sizes(), IntArrayRef({count, 1, 28, 28}));
  EXPECT_EQ(set.targets().sizes(), IntArrayRef({count}));
  EXPECT_GE(set.images().min().item<float>(), 0.0f);
  EXPECT_LE(set.images().max().item<float>(), 1.0f);
  EXPECT_EQ(set.images().max().item<float>(), 1.0f);  // some pixel is full ink
  const double mean = set.images().mean().item<double>();
  EXPECT_GT(mean, mean_range.first);
  EXPECT_LT(mean, mean_range.second);
  const Tensor targets = set.targets();
  for (int64_t label = 0; label < 10; ++label) {
    const double share = targets.eq(label).sum().item<double>() / static_cast<double>(count);
    EXPECT_GE(share, min_share) << "class " << label;
    EXPECT_LE(share, max_share) << "class " << label;
  }
}

TEST(RealFiles, MnistSubset) {
  if (!std::filesystem::exists(kMnistSubset)) GTEST_SKIP() << kMnistSubset << " is not here";
  // MNIST's mean pixel is 0.1307; its classes hold 9% to 11.3% of the images each.
  check_set(MNIST(kMnistSubset, MNIST::Mode::kTrain), 8004, {0.12, 0.14}, 0.08, 0.125);
  check_set(MNIST(kMnistSubset, MNIST::Mode::kTest), 1996, {0.12, 0.14}, 0.08, 0.125);
}

TEST(RealFiles, FashionMnist) {
  if (!std::filesystem::exists(kFashionMnist)) GTEST_SKIP() << kFashionMnist << " is not here";
  // Fashion-MNIST's mean pixel is 0.286, and every class holds exactly a tenth of each set.
  check_set(MNIST(kFashionMnist, MNIST::Mode::kTrain), 60000, {0.27, 0.30}, 0.1, 0.1);
  check_set(MNIST(kFashionMnist, MNIST::Mode::kTest), 10000, {0.27, 0.30}, 0.1, 0.1);
}

}  // namespace
}  // namespace axon::testing
