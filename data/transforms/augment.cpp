// RandomHorizontalFlip and RandomCrop on raw memory: they move whole elements, so one loop per
// element size serves every dtype.
#include "axon/data/transforms/augment.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

#include "axon/data/transforms/generator.h"
#include "axon/error.h"
#include "axon/functions.h"

namespace axon::data::transforms::detail {
namespace {

// torch.rand(1) for float32: 24 random bits.
double draw_uniform(Generator& gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return static_cast<double>(gen.random() & ((1u << 24) - 1)) * 0x1p-24;
}

// torch.randint(0, n) for n < 2^32.
int64_t draw_below(Generator& gen, int64_t n) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return static_cast<int64_t>(gen.random() % static_cast<uint32_t>(n));
}

// A batch of images as the loops see it: `count` images of `planes` planes of height x width.
struct ImageLayout {
  int64_t count, planes, height, width;
  int64_t plane_elements() const { return height * width; }
  int64_t image_elements() const { return planes * height * width; }
};

ImageLayout layout_of(const Tensor& images, bool stacked, const char* op) {
  AXON_CHECK(images.defined(), "{}: undefined tensor", op);
  const int64_t min_dims = stacked ? 3 : 2;
  AXON_CHECK(images.dim() >= min_dims, "{}: expected {} [{}..., H, W], got shape {}", op,
             stacked ? "a batch of images" : "an image", stacked ? "B, " : "", images.sizes());
  AXON_CHECK(images.is_cpu(), "{}: expected images on the CPU, got {}", op, images.device());
  ImageLayout layout{stacked ? images.size(0) : 1, 1, images.size(-2), images.size(-1)};
  for (int64_t d = stacked ? 1 : 0; d < images.dim() - 2; ++d) layout.planes *= images.size(d);
  return layout;
}

// Calls fn(T{}) with the unsigned integer type as wide as one element.
template <typename Fn>
void with_element_type(size_t element_size, const Fn& fn) {
  switch (element_size) {
    case 1:
      return fn(uint8_t{});
    case 2:
      return fn(uint16_t{});
    case 4:
      return fn(uint32_t{});
    case 8:
      return fn(uint64_t{});
    default:
      AXON_INTERNAL_ASSERT(false, "no element type of {} bytes", element_size);
  }
}

// Where row or column `i` of the padded image comes from in the original (-1: a zero).
int64_t source_index(int64_t i, int64_t padding, int64_t size, PaddingMode mode) {
  int64_t s = i - padding;
  if (s >= 0 && s < size) return s;
  if (mode == PaddingMode::kZeros) return -1;
  return s < 0 ? -s : 2 * (size - 1) - s;
}

}  // namespace

Tensor random_horizontal_flip(const Tensor& images, double p, bool stacked) {
  const ImageLayout layout = layout_of(images, stacked, "RandomHorizontalFlip");
  const Tensor input = images.contiguous();
  Tensor out = empty(input.sizes(), TensorOptions(input.dtype()));
  Generator& gen = transform_generator();
  with_element_type(input.element_size(), [&](auto zero) {
    using T = decltype(zero);
    const T* from = static_cast<const T*>(input.data_ptr());
    T* to = static_cast<T*>(out.data_ptr());
    const int64_t width = layout.width;
    for (int64_t image = 0; image < layout.count; ++image) {
      const int64_t offset = image * layout.image_elements();
      if (!(draw_uniform(gen) < p)) {
        std::memcpy(to + offset, from + offset, layout.image_elements() * sizeof(T));
        continue;
      }
      for (int64_t row = 0; row < layout.planes * layout.height; ++row) {
        const T* src = from + offset + row * width;
        std::reverse_copy(src, src + width, to + offset + row * width);
      }
    }
  });
  return out;
}

Tensor random_crop(const Tensor& images, int64_t height, int64_t width, int64_t padding,
                   PaddingMode mode, bool stacked) {
  const ImageLayout in = layout_of(images, stacked, "RandomCrop");
  const int64_t padded_height = in.height + 2 * padding;
  const int64_t padded_width = in.width + 2 * padding;
  AXON_CHECK(height <= padded_height && width <= padded_width,
             "RandomCrop: a {}x{} crop does not fit in a {}x{} image padded by {} ({}x{})", height,
             width, in.height, in.width, padding, padded_height, padded_width);
  AXON_CHECK(mode != PaddingMode::kReflect || (padding < in.height && padding < in.width),
             "RandomCrop: reflect padding of {} needs images larger than that, got {}x{}", padding,
             in.height, in.width);
  const Tensor input = images.contiguous();
  DimVector sizes(input.sizes());
  sizes[sizes.size() - 2] = height;
  sizes[sizes.size() - 1] = width;
  Tensor out = empty(sizes, TensorOptions(input.dtype()));
  Generator& gen = transform_generator();
  std::vector<int64_t> rows(height);
  std::vector<int64_t> cols(width);
  with_element_type(input.element_size(), [&](auto zero) {
    using T = decltype(zero);
    const T* from = static_cast<const T*>(input.data_ptr());
    T* to = static_cast<T*>(out.data_ptr());
    for (int64_t image = 0; image < in.count; ++image) {
      // torchvision draws nothing when the window is the whole padded image.
      int64_t top = 0;
      int64_t left = 0;
      if (height != padded_height || width != padded_width) {
        top = draw_below(gen, padded_height - height + 1);
        left = draw_below(gen, padded_width - width + 1);
      }
      for (int64_t y = 0; y < height; ++y)
        rows[y] = source_index(top + y, padding, in.height, mode);
      for (int64_t x = 0; x < width; ++x) cols[x] = source_index(left + x, padding, in.width, mode);
      for (int64_t plane = 0; plane < in.planes; ++plane) {
        const T* src = from + (image * in.planes + plane) * in.plane_elements();
        T* dst = to + (image * in.planes + plane) * height * width;
        for (int64_t y = 0; y < height; ++y) {
          for (int64_t x = 0; x < width; ++x) {
            dst[y * width + x] =
                rows[y] < 0 || cols[x] < 0 ? T{0} : src[rows[y] * in.width + cols[x]];
          }
        }
      }
    }
  });
  return out;
}

}  // namespace axon::data::transforms::detail
