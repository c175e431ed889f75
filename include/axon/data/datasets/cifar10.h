#pragma once
// CIFAR-10's binary version: data_batch_1.bin .. data_batch_5.bin (training, 50000 images) and
// test_batch.bin (10000), each a list of 3073-byte records (a label byte, then 3 x 32 x 32 pixel
// bytes, channel by channel), read as images N x 3 x 32 x 32 float32 in [0, 1] and int64 labels.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "axon/data/datasets/base.h"

namespace axon::data::datasets {

class CIFAR10 : public Dataset<CIFAR10> {
 public:
  enum class Mode { kTrain, kTest };

  // `root` is the folder holding the .bin files, or the one above it holding
  // cifar-10-batches-bin/ (what cifar-10-binary.tar.gz unpacks to).
  explicit CIFAR10(const std::string& root, Mode mode = Mode::kTrain);

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

// "airplane", "automobile", ..., "truck", in label order.
const std::vector<std::string>& cifar10_classes();

}  // namespace axon::data::datasets
