// User mistakes in the nn layer: each is an axon::Error whose message names the op and the
// offending values (never a crash, an abort or an out-of-bounds read).
#include <string>

#include "test_utils.h"

namespace axon {
namespace {

namespace F = nn::functional;

class NNErrors : public testing::DeviceTest {
 protected:
  Tensor ones_of(IntArrayRef shape) const { return ones(shape, options()); }
  Tensor classes(const TensorData& data) const { return tensor(data, options(kInt64)); }
};

// ---- layers: input rank and channels ---------------------------------------------------------

TEST_P(NNErrors, Conv2dInputRankAndChannels) {
  nn::Conv2d conv(3, 4, 3);
  conv->to(device());
  EXPECT_AXON_ERROR(conv(ones_of({3, 5})), "input to conv2d, but got input of size: [3, 5]");
  EXPECT_AXON_ERROR(conv(ones_of({1, 1, 3, 5, 5})), "[1, 1, 3, 5, 5]");
  EXPECT_AXON_ERROR(conv(ones_of({2, 4, 5, 5})),
                    "conv2d: Given groups=1, weight of size [4, 3, 3, 3], expected input[2, 4, 5, "
                    "5] to have 3 channels, but got 4 channels instead");
  EXPECT_AXON_ERROR(conv(ones_of({1, 3, 2, 5})), "Kernel size can't be greater than actual input");
  nn::Conv2d grouped(nn::Conv2dOptions(4, 6, 1).groups(2));
  grouped->to(device());
  EXPECT_AXON_ERROR(grouped(ones_of({1, 6, 2, 2})),
                    "expected input[1, 6, 2, 2] to have 4 channels");
}

TEST_P(NNErrors, BatchNormInputRankAndChannels) {
  nn::BatchNorm1d bn1(3);
  nn::BatchNorm2d bn2(3);
  bn1->to(device());
  bn2->to(device());
  EXPECT_AXON_ERROR(bn1(ones_of({2, 3, 4, 5})), "BatchNorm1d: expected 2D or 3D input (got 4D");
  EXPECT_AXON_ERROR(bn1(ones_of({3})), "BatchNorm1d: expected 2D or 3D input (got 1D input");
  EXPECT_AXON_ERROR(bn2(ones_of({2, 3, 4})), "BatchNorm2d: expected 4D input (got 3D input");
  EXPECT_AXON_ERROR(bn1(ones_of({4, 5})),
                    "BatchNorm1d: expected 3 channels (dim 1) in an input of shape [4, 5], got 5");
  EXPECT_AXON_ERROR(bn2(ones_of({2, 2, 3, 3})), "BatchNorm2d: expected 3 channels");
  // Batch statistics of one value per channel are undefined (a variance of 0 / 0).
  EXPECT_AXON_ERROR(bn1(ones_of({1, 3})), "expected more than 1 value per channel when training");
  EXPECT_AXON_ERROR(nn::BatchNorm1d(0), "BatchNorm: num_features must be positive, got 0");
  EXPECT_AXON_ERROR(
      F::batch_norm(ones_of({4, 3}), ones_of({2}), ones_of({3}), F::BatchNormFuncOptions()),
      "batch_norm: expected running_mean to have shape [3]");
}

TEST_P(NNErrors, LinearInputFeatures) {
  nn::Linear linear(4, 3);
  linear->to(device());
  EXPECT_AXON_ERROR(linear(ones_of({2, 5})),
                    "linear: input of shape [2, 5] cannot be multiplied by a weight of shape [3, "
                    "4] (expected the input's last dim to be 4)");
  EXPECT_AXON_ERROR(linear(ones_of({})), "linear: input of shape []");
  EXPECT_AXON_ERROR(nn::Linear(-1, 2), "Linear: in_features and out_features must be non-negative");
}

// ---- losses -----------------------------------------------------------------------------------

TEST_P(NNErrors, PointwiseLossTargetShapeMismatch) {
  const Tensor x = ones_of({2, 3}), y = ones_of({3, 2});
  EXPECT_AXON_ERROR(nn::MSELoss()(x, y),
                    "mse_loss: the target size [3, 2] must be the same as the input size [2, 3]");
  EXPECT_AXON_ERROR(nn::L1Loss()(x, y), "l1_loss: the target size [3, 2]");
  EXPECT_AXON_ERROR(nn::SmoothL1Loss()(x, y), "smooth_l1_loss: the target size [3, 2]");
  EXPECT_AXON_ERROR(nn::HuberLoss()(x, y), "huber_loss: the target size [3, 2]");
  EXPECT_AXON_ERROR(nn::BCELoss()(x * 0.5, y), "binary_cross_entropy: the target size [3, 2]");
  EXPECT_AXON_ERROR(nn::BCEWithLogitsLoss()(x, ones_of({2, 1})),
                    "binary_cross_entropy_with_logits: the target size [2, 1] must be the same "
                    "as the input size [2, 3]");
}

// cross_entropy with class indices is nll_loss on log_softmax: its target errors come from (and
// name) nll_loss.
TEST_P(NNErrors, ClassificationLossTargetShapeMismatch) {
  const Tensor logits = ones_of({4, 3});
  EXPECT_AXON_ERROR(nn::NLLLoss()(logits, classes({0, 1, 2})),
                    "nll_loss: expected target of shape [4] for input of shape [4, 3], got [3]");
  EXPECT_AXON_ERROR(nn::CrossEntropyLoss()(logits, classes({{0, 1}, {2, 0}})),
                    "expected target of shape [4] for input of shape [4, 3], got [2, 2]");
  EXPECT_AXON_ERROR(nn::CrossEntropyLoss()(logits, ones_of({4, 2})),
                    "cross_entropy: a probability target must have the input's shape [4, 3], got "
                    "[4, 2]");
  EXPECT_AXON_ERROR(nn::NLLLoss()(logits, ones_of({4})),
                    "nll_loss: expected target of dtype int64");
  EXPECT_AXON_ERROR(
      nn::NLLLoss(nn::NLLLossOptions().weight(ones_of({4})))(logits, classes({0, 1, 2, 0})),
      "nll_loss: weight should be a 1-D tensor of 3 entries (one per class), got shape [4]");
}

TEST_P(NNErrors, ClassIndexOutOfRange) {
  // On CUDA the targets are checked on the device and the error comes at the next
  // synchronisation, here the copy of the loss to the CPU (on the CPU, at once).
  const Tensor logits = ones_of({3, 4});
  for (int64_t bad : {4, 7, -1, -100 + 1}) {
    const Tensor target = classes({0, bad, 2});
    const std::string message = "target " + std::to_string(bad) + " is out of bounds for 4 classes";
    EXPECT_AXON_ERROR(nn::NLLLoss()(logits, target).cpu(), "nll_loss: " + message);
    EXPECT_AXON_ERROR(nn::CrossEntropyLoss()(logits, target).cpu(), message);
    EXPECT_AXON_ERROR(
        nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(0.1))(logits, target)
            .cpu(),
        message);
  }
  // The ignore_index itself is not a class, and is not out of range.
  EXPECT_NO_THROW(
      nn::NLLLoss(nn::NLLLossOptions().ignore_index(9))(logits, classes({0, 9, 1})).cpu());
  EXPECT_AXON_ERROR(nn::NLLLoss()(ones_of({2, 3, 2}), classes({{0, 3}, {1, 2}})).cpu(),
                    "target 3 is out of bounds for 3 classes");
}

TEST_P(NNErrors, BinaryCrossEntropyInputOutsideZeroOne) {
  const Tensor y = ones_of({3}) * 0.5;
  nn::BCELoss bce;
  EXPECT_AXON_ERROR(bce(make({0.5, 1.5, 0.25}), y),
                    "binary_cross_entropy: all elements of input should be between 0 and 1");
  EXPECT_AXON_ERROR(bce(make({0.5, 1.5, 0.25}), y), "1.5");
  EXPECT_AXON_ERROR(bce(make({-0.25, 0.5, 0.5}), y), "-0.25");
  EXPECT_AXON_ERROR(bce(make({0.5, testing::kNaN, 0.5}), y), "between 0 and 1");
  EXPECT_NO_THROW(bce(make({0.0, 1.0, 0.5}), y));  // the closed interval is allowed
}

TEST_P(NNErrors, LossOptionsOutOfRange) {
  const Tensor x = ones_of({2, 3});
  EXPECT_AXON_ERROR(nn::SmoothL1Loss(nn::SmoothL1LossOptions().beta(-1))(x, x),
                    "smooth_l1_loss: beta must be non-negative, got -1");
  EXPECT_AXON_ERROR(nn::HuberLoss(nn::HuberLossOptions().delta(0))(x, x),
                    "huber_loss: delta must be positive, got 0");
  EXPECT_AXON_ERROR(
      nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(1.5))(x, classes({0, 1})),
      "cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5");
}

// ---- dropout ----------------------------------------------------------------------------------

TEST_P(NNErrors, DropoutProbabilityOutsideZeroOne) {
  EXPECT_AXON_ERROR(nn::Dropout(1.5),
                    "Dropout: dropout probability has to be between 0 and 1, "
                    "but got 1.5");
  EXPECT_AXON_ERROR(nn::Dropout(-0.1),
                    "Dropout: dropout probability has to be between 0 and 1, "
                    "but got -0.1");
  EXPECT_AXON_ERROR(nn::Dropout2d(2.0),
                    "Dropout2d: dropout probability has to be between 0 and "
                    "1, but got 2");
  const Tensor x = ones_of({2, 3, 2, 2});
  // Checked in eval mode too, as PyTorch's functional forms do.
  EXPECT_AXON_ERROR(F::dropout(x, F::DropoutFuncOptions().p(1.25).training(false)),
                    "dropout: dropout probability has to be between 0 and 1, but got 1.25");
  EXPECT_AXON_ERROR(F::dropout2d(x, F::Dropout2dFuncOptions().p(-0.5)),
                    "feature_dropout: dropout probability has to be between 0 and 1, but got -0.5");
  EXPECT_AXON_ERROR(F::dropout2d(ones_of({2, 3}), F::Dropout2dFuncOptions()),
                    "dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                    "[2, 3]");
}

// ---- pooling and convolution options ------------------------------------------------------

TEST_P(NNErrors, PoolingOptions) {
  const Tensor x = ones_of({1, 2, 6, 6});
  EXPECT_AXON_ERROR(nn::MaxPool2d(-2)(x),
                    "max_pool2d: kernel size should be greater than zero, but got kH: -2 kW: -2");
  EXPECT_AXON_ERROR(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(0))(x),
                    "max_pool2d: stride should be greater than zero, but got dH: 0 dW: 0");
  EXPECT_AXON_ERROR(nn::MaxPool2d(nn::MaxPool2dOptions(3).padding(2))(x),
                    "max_pool2d: pad should be at most half of kernel size, but got padH = 2, padW "
                    "= 2, kH = 3, kW = 3");
  EXPECT_AXON_ERROR(nn::MaxPool2d(nn::MaxPool2dOptions(2).padding(-1))(x),
                    "max_pool2d: pad must be non-negative, but got padH: -1");
  EXPECT_AXON_ERROR(nn::MaxPool2d(nn::MaxPool2dOptions(2).dilation(0))(x),
                    "max_pool2d: dilation should be greater than zero");
  EXPECT_AXON_ERROR(nn::AvgPool2d(nn::AvgPool2dOptions({0, 2}))(x),
                    "avg_pool2d: kernel size should be greater than zero, but got kH: 0 kW: 2");
  EXPECT_AXON_ERROR(nn::AvgPool2d(nn::AvgPool2dOptions(2).stride({1, 0}))(x),
                    "avg_pool2d: stride should be greater than zero, but got dH: 1 dW: 0");
  EXPECT_AXON_ERROR(nn::AvgPool2d(nn::AvgPool2dOptions({4, 2}).padding({1, 2}))(x),
                    "avg_pool2d: pad should be at most half of kernel size, but got padH = 1, padW "
                    "= 2, kH = 4, kW = 2");
  EXPECT_AXON_ERROR(nn::AvgPool2d(nn::AvgPool2dOptions(2).divisor_override(0))(x),
                    "avg_pool2d: divisor must be not zero");
  EXPECT_AXON_ERROR(nn::MaxPool2d(7)(x),
                    "max_pool2d: Given input size: (2x6x6). Calculated "
                    "output size: (2x0x0). Output size is too small");
  EXPECT_AXON_ERROR(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({-1, 2}))(x),
                    "adaptive_avg_pool2d: elements of output_size must be greater than or equal "
                    "to 0 but received [-1, 2]");
  EXPECT_AXON_ERROR(nn::MaxPool2d(2)(ones_of({6, 6})), "max_pool2d: Expected 3D or 4D");
}

TEST_P(NNErrors, Conv2dOptions) {
  EXPECT_AXON_ERROR(nn::Conv2d(3, 4, -1), "Conv2d: kernel_size must be positive, got (-1, -1)");
  EXPECT_AXON_ERROR(nn::Conv2d(nn::Conv2dOptions(3, 4, {3, 0})),
                    "Conv2d: kernel_size must be positive, got (3, 0)");
  EXPECT_AXON_ERROR(nn::Conv2d(nn::Conv2dOptions(3, 4, 3).groups(2)),
                    "Conv2d: in_channels (3) must be divisible by groups (2)");
  EXPECT_AXON_ERROR(nn::Conv2d(nn::Conv2dOptions(4, 3, 3).groups(2)),
                    "Conv2d: out_channels (3) must be divisible by groups (2)");
  EXPECT_AXON_ERROR(nn::Conv2d(0, 4, 3), "Conv2d: in_channels and out_channels must be positive");
  const Tensor x = ones_of({1, 3, 5, 5});
  nn::Conv2d strided(nn::Conv2dOptions(3, 4, 3).stride(0));
  strided->to(device());
  EXPECT_AXON_ERROR(strided(x), "conv2d: non-positive stride is not supported, got [0, 0]");
  nn::Conv2d padded(nn::Conv2dOptions(3, 4, 3).padding({-1, 0}));
  padded->to(device());
  EXPECT_AXON_ERROR(padded(x), "conv2d: negative padding is not supported, got [-1, 0]");
  nn::Conv2d dilated(nn::Conv2dOptions(3, 4, 3).dilation(0));
  dilated->to(device());
  EXPECT_AXON_ERROR(dilated(x), "conv2d: non-positive dilation is not supported, got [0, 0]");
}

AXON_INSTANTIATE_DEVICE_TEST(NNErrors);

// ---- initialisers (no device involved) ------------------------------------------------------

// Fans are defined for tensors of 2 or more dims only.
TEST(NNInitErrors, FanOfAOneDimensionalTensorIsUndefined) {
  const Tensor v = empty({5});
  EXPECT_AXON_ERROR(nn::init::xavier_uniform_(v),
                    "nn::init::xavier_uniform_: fan in and fan out can not be computed for a "
                    "tensor with fewer than 2 dimensions (shape [5])");
  EXPECT_AXON_ERROR(nn::init::xavier_normal_(v), "nn::init::xavier_normal_: fan in and fan out");
  EXPECT_AXON_ERROR(nn::init::kaiming_uniform_(v),
                    "nn::init::kaiming_uniform_: fan in and fan out");
  EXPECT_AXON_ERROR(nn::init::kaiming_normal_(v, 0, kFanOut),
                    "nn::init::kaiming_normal_: fan in and fan out");
  EXPECT_AXON_ERROR(nn::init::kaiming_uniform_(empty({})), "(shape [])");
  EXPECT_AXON_ERROR(nn::init::_calculate_fan_in_and_fan_out(v),
                    "nn::init::_calculate_fan_in_and_fan_out: fan in and fan out can not be "
                    "computed for a tensor with fewer than 2 dimensions (shape [5])");
  EXPECT_AXON_ERROR(nn::init::eye_(empty({2, 2, 2})),
                    "nn::init::eye_: only 2-D tensors are supported, got shape [2, 2, 2]");
  EXPECT_AXON_ERROR(nn::init::xavier_uniform_(Tensor()), "the tensor is undefined");
}

// A zero-element tensor is left as it is, as PyTorch's kaiming initialisers do (with a
// warning there), so that layers with a zero-sized dim can be built.
TEST(NNInitErrors, ZeroElementTensorsAreLeftAlone) {
  Tensor w = empty({3, 0});
  EXPECT_NO_THROW(nn::init::kaiming_uniform_(w));
  EXPECT_NO_THROW(nn::init::kaiming_normal_(w, 0, kFanOut));
  nn::Linear linear(0, 3);
  EXPECT_EQ(linear->weight.sizes().vec(), (testing::Shape{3, 0}));
  EXPECT_TRUE(testing::same_values(linear->bias, zeros({3})));  // bound 0, as PyTorch
}

}  // namespace
}  // namespace axon
