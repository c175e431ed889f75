#include "course_data.h"

#include <filesystem>
#include <vector>

namespace axon::apps {
namespace {

#ifdef AXON_COURSE_MNIST_DIR
constexpr const char* kDefaultDir = AXON_COURSE_MNIST_DIR;
#else
constexpr const char* kDefaultDir = "../shared/data/mnist-subset";
#endif

// The first `limit` rows of a split, flattened (all rows when limit is 0).
void take(const char* split, const Tensor& images, const Tensor& labels, int64_t limit,
          Tensor& flat_images, Tensor& kept_labels) {
  AXON_CHECK(images.size(0) > 0, "the {} split has no images", split);
  const int64_t n = limit > 0 ? std::min(limit, images.size(0)) : images.size(0);
  flat_images = images.slice(0, 0, n).reshape({n, -1}).contiguous();
  kept_labels = labels.slice(0, 0, n).contiguous();
}

}  // namespace

void add_mnist_data_option(CLI::App& app, std::string& dir) {
  dir = std::filesystem::path(kDefaultDir).lexically_normal().string();
  app.add_option("--data", dir, "folder with MNIST's IDX files (raw or .gz)")
      ->capture_default_str();
}

MnistArrays load_mnist_arrays(const std::string& dir, int64_t max_train, int64_t max_test) {
  using data::datasets::MNIST;
  AXON_CHECK(std::filesystem::is_directory(dir),
             "--data {}: no such folder (it should hold MNIST's IDX files, e.g. "
             "train-images-idx3-ubyte.gz)",
             dir);
  MnistArrays arrays;
  try {
    MNIST train(dir, MNIST::Mode::kTrain), test(dir, MNIST::Mode::kTest);
    take("training", train.images(), train.targets(), max_train, arrays.train_images,
         arrays.train_labels);
    take("test", test.images(), test.targets(), max_test, arrays.test_images, arrays.test_labels);
  } catch (const Error& e) {
    AXON_ERROR("--data {}: {}", dir, e.message());
  }
  return arrays;
}

Tensor take_rows(const Tensor& x, const Tensor& index) {
  std::vector<Tensor> rows;
  const int64_t* i = index.data_ptr<int64_t>();
  for (int64_t k = 0; k < index.numel(); ++k) rows.push_back(x.select(0, i[k]));
  return stack(rows);
}

}  // namespace axon::apps
