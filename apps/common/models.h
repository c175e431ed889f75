#pragma once
// The models axon-train trains and axon-bench times, written as a LibTorch user writes them.
// Layer names follow the PyTorch originals, so checkpoints load into the equivalent torch
// modules.

#include <axon/axon.h>

#include <memory>
#include <string>
#include <vector>

namespace axon::train {

// A classifier: images [N, C, H, W] in, class scores [N, classes] out.
class Classifier : public nn::Module {
 public:
  virtual Tensor forward(Tensor x) = 0;
};

// mlp: 784-128-64-10 with ReLU (flattens its input).
class MLPImpl : public Classifier {
 public:
  MLPImpl(int64_t in_features, int64_t classes);
  Tensor forward(Tensor x) override;

 private:
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

// lenet5: conv 1->6 5x5 (padding 2 for 28x28 input, so the feature map is 32x32's), max-pool,
// conv 6->16 5x5, max-pool, fc 400->120->84->classes.
class LeNet5Impl : public Classifier {
 public:
  LeNet5Impl(int64_t in_channels, int64_t image_size, int64_t classes);
  Tensor forward(Tensor x) override;

 private:
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::MaxPool2d pool1{nullptr}, pool2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

// cifar-cnn: the network of PyTorch's CIFAR-10 tutorial (conv 3->6 5x5, pool, conv 6->16 5x5,
// pool, 400->120->84->classes), optionally with BatchNorm2d after each conv.
class CifarCNNImpl : public Classifier {
 public:
  CifarCNNImpl(int64_t in_channels, int64_t classes, bool batch_norm);
  Tensor forward(Tensor x) override;

 private:
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::MaxPool2d pool{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};

const std::vector<std::string>& model_names();

// `name` for images of `channels` x `size` x `size` (checked: lenet5 wants 28 or 32, cifar-cnn
// 32, mlp any) and `classes` classes.
std::shared_ptr<Classifier> make_model(const std::string& name, int64_t channels, int64_t size,
                                       int64_t classes, bool batch_norm);

}  // namespace axon::train
