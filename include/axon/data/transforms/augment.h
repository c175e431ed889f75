#pragma once
// Random augmentations, as torchvision's (LibTorch has none): RandomHorizontalFlip and
// RandomCrop. They take images [..., H, W] on the CPU, of any dtype, and draw from
// transform_generator() (axon/data/transforms/generator.h) as torchvision draws from torch's
// generator: torch.rand(1) < p for a flip; randint(0, H - h + 1) then randint(0, W - w + 1) for
// the crop's top-left corner.

#include <cstdint>

#include "axon/data/transforms/tensor.h"
#include "axon/nn/arg.h"

namespace axon::data::transforms {

// How RandomCrop fills the border it adds: zeros, or the image mirrored about its edge without
// repeating the edge (torchvision's and NumPy's "reflect": 1 2 3 | 2 1 for a border of 2).
enum class PaddingMode { kZeros, kReflect };

namespace detail {
// Flips each image of `images` ([B, ..., H, W] when stacked, else one image [..., H, W]) with
// probability p, drawing once per image in order.
Tensor random_horizontal_flip(const Tensor& images, double p, bool stacked);
// Pads each image by `padding` on every side and crops a random height x width window from it.
Tensor random_crop(const Tensor& images, int64_t height, int64_t width, int64_t padding,
                   PaddingMode mode, bool stacked);
}  // namespace detail

template <typename Target = Tensor>
struct RandomHorizontalFlip : public TensorTransform<Target> {
  explicit RandomHorizontalFlip(double p = 0.5) : p_(p) {
    AXON_CHECK(p >= 0 && p <= 1, "RandomHorizontalFlip: p must be in [0, 1], got {}", p);
  }
  Tensor operator()(Tensor input) override {
    return detail::random_horizontal_flip(input, p_, false);
  }
  Tensor apply_stacked(Tensor batch) override {
    return detail::random_horizontal_flip(batch, p_, true);
  }

 private:
  double p_;
};

// RandomCrop<>(32, 4) pads a 32x32 image by 4 zeros on every side and takes a random 32x32
// window; RandomCrop<>({24, 28}) crops 24 rows and 28 columns without padding.
template <typename Target = Tensor>
struct RandomCrop : public TensorTransform<Target> {
  explicit RandomCrop(ExpandingArray<2> size, int64_t padding = 0,
                      PaddingMode padding_mode = PaddingMode::kZeros)
      : size_(size), padding_(padding), padding_mode_(padding_mode) {
    AXON_CHECK(size_[0] > 0 && size_[1] > 0, "RandomCrop: size must be positive, got ({}, {})",
               size_[0], size_[1]);
    AXON_CHECK(padding >= 0, "RandomCrop: padding must be non-negative, got {}", padding);
  }
  Tensor operator()(Tensor input) override {
    return detail::random_crop(input, size_[0], size_[1], padding_, padding_mode_, false);
  }
  Tensor apply_stacked(Tensor batch) override {
    return detail::random_crop(batch, size_[0], size_[1], padding_, padding_mode_, true);
  }

 private:
  ExpandingArray<2> size_;
  int64_t padding_;
  PaddingMode padding_mode_;
};

}  // namespace axon::data::transforms
