#include "common/models.h"

namespace axon::train {

namespace F = nn::functional;

MLPImpl::MLPImpl(int64_t in_features, int64_t classes) {
  fc1 = register_module("fc1", nn::Linear(in_features, 128));
  fc2 = register_module("fc2", nn::Linear(128, 64));
  fc3 = register_module("fc3", nn::Linear(64, classes));
}

Tensor MLPImpl::forward(Tensor x) {
  x = F::relu(fc1(x.flatten(1)));
  x = F::relu(fc2(x));
  return fc3(x);
}

LeNet5Impl::LeNet5Impl(int64_t in_channels, int64_t image_size, int64_t classes) {
  // 28x28 images get conv1's padding 2, so that both sizes reach fc1 as 16 x 5 x 5.
  int64_t padding = image_size == 28 ? 2 : 0;
  conv1 =
      register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in_channels, 6, 5).padding(padding)));
  pool1 = register_module("pool1", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
  pool2 = register_module("pool2", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  fc1 = register_module("fc1", nn::Linear(400, 120));
  fc2 = register_module("fc2", nn::Linear(120, 84));
  fc3 = register_module("fc3", nn::Linear(84, classes));
}

Tensor LeNet5Impl::forward(Tensor x) {
  x = pool1(F::relu(conv1(x)));
  x = pool2(F::relu(conv2(x)));
  x = F::relu(fc1(x.flatten(1)));
  x = F::relu(fc2(x));
  return fc3(x);
}

CifarCNNImpl::CifarCNNImpl(int64_t in_channels, int64_t classes, bool batch_norm) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in_channels, 6, 5)));
  if (batch_norm) bn1 = register_module("bn1", nn::BatchNorm2d(6));
  pool = register_module("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
  if (batch_norm) bn2 = register_module("bn2", nn::BatchNorm2d(16));
  fc1 = register_module("fc1", nn::Linear(400, 120));
  fc2 = register_module("fc2", nn::Linear(120, 84));
  fc3 = register_module("fc3", nn::Linear(84, classes));
}

Tensor CifarCNNImpl::forward(Tensor x) {
  x = conv1(x);
  if (bn1) x = bn1(x);
  x = pool(F::relu(x));
  x = conv2(x);
  if (bn2) x = bn2(x);
  x = pool(F::relu(x));
  x = F::relu(fc1(x.flatten(1)));
  x = F::relu(fc2(x));
  return fc3(x);
}

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"mlp", "lenet5", "cifar-cnn"};
  return names;
}

std::shared_ptr<Classifier> make_model(const std::string& name, int64_t channels, int64_t size,
                                       int64_t classes, bool batch_norm) {
  if (name == "mlp") {
    AXON_CHECK(!batch_norm, "--batch-norm applies to cifar-cnn only, not to mlp");
    return std::make_shared<MLPImpl>(channels * size * size, classes);
  }
  if (name == "lenet5") {
    AXON_CHECK(!batch_norm, "--batch-norm applies to cifar-cnn only, not to lenet5");
    AXON_CHECK(size == 28 || size == 32,
               "lenet5 takes 28x28 or 32x32 images; this dataset has {}x{}", size, size);
    return std::make_shared<LeNet5Impl>(channels, size, classes);
  }
  if (name == "cifar-cnn") {
    AXON_CHECK(size == 32, "cifar-cnn takes 32x32 images; this dataset has {}x{}", size, size);
    return std::make_shared<CifarCNNImpl>(channels, classes, batch_norm);
  }
  AXON_ERROR("unknown model \"{}\" (choose mlp, lenet5 or cifar-cnn)", name);
}

}  // namespace axon::train
