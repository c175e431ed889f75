#include "image_grid.h"

#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace axon::apps {
namespace {

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  Canvas(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, 255) {}
  void set(int x, int y, const uint8_t color[3]) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    std::copy(color, color + 3, &rgb[(static_cast<size_t>(y) * width + x) * 3]);
  }
  // stb_easy_font gives each character as axis-aligned quads; filling them rasterises the text.
  void text(int x, int y, const std::string& s, const uint8_t color[3]) {
    std::vector<char> buffer(s.size() * 300);
    std::string copy = s;
    int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(),
                                    static_cast<int>(buffer.size()));
    // Each vertex: x, y, z (floats) and a 4-byte colour: 16 bytes.
    for (int q = 0; q < quads; ++q) {
      const float* v0 = reinterpret_cast<const float*>(buffer.data() + q * 64);
      const float* v2 = reinterpret_cast<const float*>(buffer.data() + q * 64 + 32);
      for (int yy = static_cast<int>(v0[1]); yy < static_cast<int>(v2[1]); ++yy) {
        for (int xx = static_cast<int>(v0[0]); xx < static_cast<int>(v2[0]); ++xx) {
          set(x + xx, y + yy, color);
        }
      }
    }
  }
};

}  // namespace

void write_image_grid(const std::string& path, const Tensor& images, const Tensor& truth,
                      const Tensor& predicted, const std::vector<std::string>& class_names,
                      int64_t columns) {
  AXON_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3),
             "write_image_grid: expected images [N, 1 or 3, H, W], got {}", images.sizes());
  const int64_t n = images.size(0), channels = images.size(1), h = images.size(2),
                w = images.size(3);
  constexpr int kScale = 3, kPad = 4, kText = 24;
  const int cell_w = static_cast<int>(std::max<int64_t>(w * kScale, 84)) + 2 * kPad;
  const int cell_h = static_cast<int>(h * kScale) + kText + 2 * kPad;
  const int64_t cols = std::min(columns, std::max<int64_t>(n, 1));
  const int64_t rows = (n + cols - 1) / cols;
  Canvas canvas(static_cast<int>(cols) * cell_w,
                static_cast<int>(std::max<int64_t>(rows, 1)) * cell_h);
  Tensor pixels = (images.detach().cpu().to(kFloat32).clamp(0, 1) * 255).contiguous();
  const float* px = pixels.data_ptr<float>();
  Tensor t = truth.cpu().contiguous(), p = predicted.cpu().contiguous();
  const uint8_t black[3] = {0, 0, 0}, green[3] = {0, 130, 0}, red[3] = {200, 0, 0};
  auto name = [&](int64_t c) {
    return c >= 0 && c < static_cast<int64_t>(class_names.size()) ? class_names[c]
                                                                  : std::to_string(c);
  };
  for (int64_t i = 0; i < n; ++i) {
    const int x0 = static_cast<int>(i % cols) * cell_w + kPad;
    const int y0 = static_cast<int>(i / cols) * cell_h + kPad;
    for (int64_t y = 0; y < h * kScale; ++y) {
      for (int64_t x = 0; x < w * kScale; ++x) {
        uint8_t color[3];
        for (int64_t c = 0; c < 3; ++c) {
          const int64_t channel = channels == 1 ? 0 : c;
          color[c] = static_cast<uint8_t>(
              px[((i * channels + channel) * h + y / kScale) * w + x / kScale] + 0.5f);
        }
        canvas.set(x0 + static_cast<int>(x), y0 + static_cast<int>(y), color);
      }
    }
    const int64_t truth_class = t.data_ptr<int64_t>()[i], guess = p.data_ptr<int64_t>()[i];
    const int text_y = y0 + static_cast<int>(h * kScale) + 2;
    canvas.text(x0, text_y, "T:" + name(truth_class), black);
    canvas.text(x0, text_y + 11, "P:" + name(guess), guess == truth_class ? green : red);
  }
  AXON_CHECK(stbi_write_png(path.c_str(), canvas.width, canvas.height, 3, canvas.rgb.data(),
                            canvas.width * 3) != 0,
             "write_image_grid: could not write the image grid to {}", path);
}

}  // namespace axon::apps
