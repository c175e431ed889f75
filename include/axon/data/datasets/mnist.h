#pragma once
// MNIST and Fashion-MNIST (the same file format): the four IDX files
//   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
// each raw or gzip-compressed (the same name + ".gz"), read as images N x 1 x 28 x 28 float32
// in [0, 1] and int64 labels 0..9, as LibTorch's torch::data::datasets::MNIST.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "axon/data/datasets/base.h"

namespace axon::data::datasets {

class MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };

  // Reads the training (60000 images in MNIST) or test (10000) set from the folder `root`.
  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);

  Example<> get(size_t index) override;
  Example<> get_stacked_batch(ArrayRef<size_t> indices);
  std::optional<size_t> size() const override;

  bool is_train() const noexcept { return is_train_; }
  const Tensor& images() const { return images_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor images_, targets_;
  bool is_train_;
};

// Class names, in label order: MNIST's digits "0".."9", and Fashion-MNIST's ("T-shirt/top",
// "Trouser", ..., "Ankle boot", as torchvision's FashionMNIST.classes).
const std::vector<std::string>& mnist_classes();
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace axon::data::datasets
