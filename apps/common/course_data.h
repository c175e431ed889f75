#pragma once
// The MNIST digits of the course's exercises 8, 10, 11 and 14, as the course's numpy code held
// them: every image flattened to 784 float32 values in [0, 1], labels int64.

#include <axon/axon.h>

#include <CLI/CLI.hpp>
#include <string>

namespace axon::apps {

struct MnistArrays {
  Tensor train_images, train_labels;  // [N, 784] float32 and [N] int64
  Tensor test_images, test_labels;
};

// Adds `--data DIR`: a folder with MNIST's four IDX files (raw or .gz). `dir` starts as the
// course's default, the real digit subset beside the checkout.
void add_mnist_data_option(CLI::App& app, std::string& dir);

// Reads both splits from `dir`, keeping at most `max_train` and `max_test` images of each (all
// when 0). Missing or corrupt files are an axon::Error naming --data and the folder.
MnistArrays load_mnist_arrays(const std::string& dir, int64_t max_train = 0, int64_t max_test = 0);

// x[index] for a CPU int64 index, as numpy's x[batch_mask] (axon has no index_select yet).
Tensor take_rows(const Tensor& x, const Tensor& index);

}  // namespace axon::apps
