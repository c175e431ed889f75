// Transforms: Normalize, RandomHorizontalFlip and RandomCrop against torchvision's arithmetic and
// random draws (tests/reference/data_golden.json), exact flips and crops, reflect padding, the
// stacked-batch path, Lambda and Stack.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_utils.h"

namespace axon::testing {
namespace {

using data::Example;
using data::transforms::PaddingMode;
using data::transforms::RandomCrop;
using data::transforms::RandomHorizontalFlip;

const nlohmann::json& golden() {
  static const nlohmann::json json = [] {
    std::ifstream in(AXON_TEST_REFERENCE_DIR "/data_golden.json");
    if (!in) throw std::runtime_error("cannot open " AXON_TEST_REFERENCE_DIR "/data_golden.json");
    return nlohmann::json::parse(in);
  }();
  return json;
}

Tensor float_tensor(const nlohmann::json& values, const nlohmann::json& shape) {
  return tensor(values.get<std::vector<float>>(), shape.get<std::vector<int64_t>>(), kFloat32);
}

// The generator script's images: (arange + offset) / 7 in float32.
Tensor test_image(const std::vector<int64_t>& shape, int64_t offset) {
  return arange(offset, offset + product(shape), kFloat32).div(7).view(shape);
}

DimVector with_size(IntArrayRef shape, int64_t height, int64_t width) {
  DimVector sizes(shape);
  sizes[sizes.size() - 2] = height;
  sizes[sizes.size() - 1] = width;
  return sizes;
}

TEST(Normalize, MatchesTorchvision) {
  for (const auto& c : golden()["normalize"]) {
    const auto mean = c["mean"].get<std::vector<double>>();
    const auto stddev = c["std"].get<std::vector<double>>();
    data::transforms::Normalize<> normalize(mean, stddev);
    const Tensor input = float_tensor(c["input"], c["shape"]);
    EXPECT_TRUE(normalize(input).equal(float_tensor(c["output"], c["shape"])))
        << mean.size() << " channels";
    // Per example or on a stacked batch, the same bits.
    const Tensor batch = stack({input, input.mul(0.5)});
    EXPECT_TRUE(
        normalize.apply_stacked(batch).equal(stack({normalize(input), normalize(input.mul(0.5))})));
  }
}

TEST(Normalize, ChecksItsArguments) {
  EXPECT_AXON_ERROR(data::transforms::Normalize<>({0.5, 0.5}, {0.5}),
                    "Normalize: expected as many means as standard deviations");
  EXPECT_AXON_ERROR(data::transforms::Normalize<>(0.5, 0.0), "a standard deviation of 0");
  data::transforms::Normalize<> per_channel({0.1, 0.2, 0.3}, {1, 1, 1});
  EXPECT_AXON_ERROR(per_channel(zeros({2, 4, 4})),
                    "Normalize: 3 means and standard deviations need images of 3 channels in dim "
                    "-3, got shape [2, 4, 4]");
  EXPECT_AXON_ERROR(per_channel.apply_stacked(zeros({3, 4, 4})), "need batches of 3 channels");
  // One mean and std keeps any shape.
  EXPECT_EQ(data::transforms::Normalize<>(0.5, 2.0)(ones({5})).sizes(), IntArrayRef({5}));
}

TEST(RandomHorizontalFlip, FlipsExactly) {
  const Tensor image = arange(24, kInt64).view({2, 3, 4});
  const Tensor flipped = RandomHorizontalFlip<>(1.0)(image);
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t y = 0; y < 3; ++y) {
      for (int64_t x = 0; x < 4; ++x) {
        EXPECT_EQ(flipped[c][y][x].item<int64_t>(), image[c][y][3 - x].item<int64_t>());
      }
    }
  }
  EXPECT_TRUE(RandomHorizontalFlip<>(0.0)(image).equal(image));
  // A view (as a dataset's example is) is read, never written.
  const Tensor rows = arange(6, kFloat32).view({2, 3});
  EXPECT_TRUE(RandomHorizontalFlip<>(1.0)(rows[1].unsqueeze(0)).equal(tensor({{5.f, 4.f, 3.f}})));
  EXPECT_TRUE(rows.equal(arange(6, kFloat32).view({2, 3})));
  EXPECT_AXON_ERROR(RandomHorizontalFlip<>(1.5), "p must be in [0, 1]");
  EXPECT_AXON_ERROR(RandomHorizontalFlip<>()(zeros({4})), "expected an image [..., H, W]");
}

TEST(RandomHorizontalFlip, DrawsAsTorchvision) {
  for (const auto& c : golden()["flip"]) {
    const auto shape = c["shape"].get<std::vector<int64_t>>();
    RandomHorizontalFlip<> flip(c["p"].get<double>());
    manual_seed(c["seed"].get<uint64_t>());
    for (int64_t k = 0; k < c["count"].get<int64_t>(); ++k) {
      const Tensor out = flip(test_image(shape, 100 * k));
      EXPECT_TRUE(out.equal(float_tensor(c["outputs"][k], c["shape"])))
          << "image " << k << ", torchvision flipped: " << c["flipped"][k];
    }
  }
}

TEST(RandomCrop, DrawsAndPadsAsTorchvision) {
  for (const auto& c : golden()["crop"]) {
    const auto shape = c["shape"].get<std::vector<int64_t>>();
    const auto size = c["size"].get<std::vector<int64_t>>();
    const PaddingMode mode = c["mode"] == "reflect" ? PaddingMode::kReflect : PaddingMode::kZeros;
    RandomCrop<> crop(size, c["padding"].get<int64_t>(), mode);
    manual_seed(c["seed"].get<uint64_t>());
    const DimVector out_shape = with_size(shape, size[0], size[1]);
    for (int64_t k = 0; k < c["count"].get<int64_t>(); ++k) {
      const Tensor out = crop(test_image(shape, 100 * k));
      const Tensor expected = tensor(c["outputs"][k].get<std::vector<float>>(), out_shape);
      EXPECT_TRUE(out.equal(expected))
          << c["mode"] << " image " << k << ", torchvision's corner " << c["corners"][k];
    }
  }
}

TEST(RandomCrop, PaddingValuesExactly) {
  // A crop as large as the padded image draws nothing and returns the whole padded image.
  const Tensor image = tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, kInt64).unsqueeze(0);
  const Tensor reflect = RandomCrop<>(7, 2, PaddingMode::kReflect)(image);
  // NumPy's "reflect": the edge is the mirror, not repeated (3 2 | 1 2 3 | 2 1).
  const Tensor expected_reflect = tensor({{9, 8, 7, 8, 9, 8, 7},
                                          {6, 5, 4, 5, 6, 5, 4},
                                          {3, 2, 1, 2, 3, 2, 1},
                                          {6, 5, 4, 5, 6, 5, 4},
                                          {9, 8, 7, 8, 9, 8, 7},
                                          {6, 5, 4, 5, 6, 5, 4},
                                          {3, 2, 1, 2, 3, 2, 1}},
                                         kInt64);
  EXPECT_TRUE(reflect.equal(expected_reflect.unsqueeze(0))) << reflect;
  const Tensor zero = RandomCrop<>(5, 1)(image);
  const Tensor expected_zero =
      tensor({{0, 0, 0, 0, 0}, {0, 1, 2, 3, 0}, {0, 4, 5, 6, 0}, {0, 7, 8, 9, 0}, {0, 0, 0, 0, 0}},
             kInt64);
  EXPECT_TRUE(zero.equal(expected_zero.unsqueeze(0))) << zero;
  // Without padding, a crop of the full size is the image.
  EXPECT_TRUE(RandomCrop<>(3)(image).equal(image));
}

TEST(RandomCrop, ChecksItsArguments) {
  EXPECT_AXON_ERROR(RandomCrop<>(5)(zeros({1, 4, 4})),
                    "RandomCrop: a 5x5 crop does not fit in a 4x4 image padded by 0 (4x4)");
  EXPECT_AXON_ERROR(RandomCrop<>(4, 4, PaddingMode::kReflect)(zeros({1, 4, 4})),
                    "reflect padding of 4 needs images larger than that, got 4x4");
  EXPECT_AXON_ERROR(RandomCrop<>(0), "size must be positive");
  EXPECT_AXON_ERROR(RandomCrop<>(2, -1), "padding must be non-negative");
  EXPECT_AXON_ERROR(RandomCrop<>(2).apply_stacked(zeros({4, 4})),
                    "expected a batch of images [B, ..., H, W]");
}

// A stacked batch is transformed as its examples would be one by one, with the same draws.
TEST(RandomTransforms, StackedBatchEqualsExamplesInOrder) {
  const Tensor batch = rand({6, 3, 8, 8});
  RandomCrop<> crop(8, 2, PaddingMode::kReflect);
  RandomHorizontalFlip<> flip;
  manual_seed(11);
  const Tensor stacked = flip.apply_stacked(crop.apply_stacked(batch));
  manual_seed(11);
  std::vector<Tensor> examples;
  Tensor cropped = crop.apply_stacked(batch);  // crops all first, as the stacked chain does
  for (int64_t i = 0; i < 6; ++i) examples.push_back(flip(cropped[i]));
  EXPECT_TRUE(stacked.equal(stack(examples)));
}

TEST(RandomTransforms, SeededRunsRepeat) {
  const Tensor batch = rand({8, 1, 6, 6});
  auto run = [&](uint64_t seed) {
    manual_seed(seed);
    return RandomHorizontalFlip<>().apply_stacked(RandomCrop<>(6, 2).apply_stacked(batch));
  };
  EXPECT_TRUE(run(3).equal(run(3)));
  EXPECT_FALSE(run(3).equal(run(4)));
  // A TransformGeneratorScope (what the DataLoader gives each batch) fixes the draws however
  // the default generator stands, and leaves the default generator alone.
  auto scoped = [&](uint64_t seed) {
    data::TransformGeneratorScope scope(seed);
    return RandomCrop<>(6, 2).apply_stacked(batch);
  };
  manual_seed(1);
  const Tensor a = scoped(99);
  const Tensor after_a = rand({4});
  manual_seed(1);
  rand({3});
  const Tensor b = scoped(99);
  EXPECT_TRUE(a.equal(b));
  manual_seed(1);
  EXPECT_TRUE(rand({4}).equal(after_a));
}

TEST(Lambdas, MapExamplesAndTensors) {
  data::transforms::Lambda<Example<>> add_one(
      [](Example<> e) { return Example<>(e.data + 1, e.target); });
  auto out = add_one.apply_batch({Example<>(zeros({2}), tensor(3, kInt64))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].data.equal(ones({2})));
  // TensorLambda's stacked path is its function on each example.
  data::transforms::TensorLambda<> sum_rows([](Tensor t) { return t.sum({0}); });
  const Tensor batch = arange(12, kFloat32).view({2, 2, 3});
  EXPECT_TRUE(sum_rows.apply_stacked(batch).equal(stack({batch[0].sum({0}), batch[1].sum({0})})));
}

TEST(Stack, StacksDataAndTargets) {
  data::transforms::Stack<> collate;
  Example<> batch = collate.apply_batch(
      {Example<>(zeros({2, 3}), tensor(1, kInt64)), Example<>(ones({2, 3}), tensor(4, kInt64))});
  EXPECT_EQ(batch.data.sizes(), IntArrayRef({2, 2, 3}));
  EXPECT_TRUE(batch.data[1].equal(ones({2, 3})));
  EXPECT_TRUE(batch.target.equal(tensor(std::vector<int64_t>{1, 4}, {2})));
}

}  // namespace
}  // namespace axon::testing
