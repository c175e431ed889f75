#include "plot.h"

#include <fmt/format.h>
#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace axon::train {
namespace {

bool have_gnuplot() {
  static const bool found = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  return found;
}

// gnuplot's single-quoted strings: a quote is written twice.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

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

bool plot_curves(const std::string& dir, const std::vector<EpochMetrics>& history) {
  if (!have_gnuplot()) {
    static bool said = false;
    if (!said) {
      std::fprintf(stderr,
                   "axon-train: gnuplot is not installed, so no loss/accuracy curves "
                   "(apt-get install gnuplot-nox); the image grid is still written\n");
    }
    said = true;
    return false;
  }
  namespace fs = std::filesystem;
  const std::string data = (fs::path(dir) / "curves.dat").string();
  {
    std::ofstream out(data);
    out << "# epoch train_loss test_loss train_accuracy test_accuracy\n";
    for (const EpochMetrics& m : history) {
      out << fmt::format("{} {:.6g} {:.6g} {:.6g} {:.6g}\n", m.epoch, m.train_loss, m.test_loss,
                         100 * m.train_accuracy, 100 * m.test_accuracy);
    }
  }
  std::string script = fmt::format(
      "set terminal pngcairo size 800,500 noenhanced\n"
      "set grid\nset xlabel 'epoch'\nset key top right\n"
      "set xtics 1\nset xrange [0.5:{}]\n"
      "set output {}\nset title 'loss'\nset ylabel 'cross-entropy'\n"
      "plot {} using 1:2 with linespoints title 'train', '' using 1:3 with linespoints "
      "title 'test'\n"
      "set key bottom right\n"
      "set output {}\nset title 'accuracy'\nset ylabel 'accuracy (%)'\n"
      "plot {} using 1:4 with linespoints title 'train', '' using 1:5 with linespoints "
      "title 'test'\n",
      history.empty() ? 1.5 : history.back().epoch + 0.5,
      quoted((fs::path(dir) / "loss.png").string()), quoted(data),
      quoted((fs::path(dir) / "accuracy.png").string()), quoted(data));
  std::FILE* pipe = popen("gnuplot 2>&1", "w");
  if (pipe == nullptr) {
    std::fprintf(stderr, "axon-train: could not start gnuplot; no curves\n");
    return false;
  }
  std::fwrite(script.data(), 1, script.size(), pipe);
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "axon-train: gnuplot failed; no curves\n");
    return false;
  }
  return true;
}

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
             "axon-train: could not write the image grid to {}", path);
}

}  // namespace axon::train
