#include "axon/data/datasets/mnist.h"

#include <filesystem>
#include <string>

#include "axon/data/datasets/parse.h"
#include "axon/error.h"
#include "nn/serialize/file_io.h"

namespace axon::data::datasets {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error) && !fs::is_directory(path, error);
}

// The raw file if it is there, else the .gz one; empty when neither is.
std::string find_idx_file(const std::string& root, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path path = fs::path(root) / candidate;
    if (is_file(path)) return path.string();
  }
  return {};
}

// The file's bytes, decompressed when they are gzip's (told by content, not by name).
std::vector<uint8_t> read_idx_file(const std::string& path) {
  std::vector<uint8_t> bytes = serialize::detail::read_file(path, "MNIST");
  if (is_gzip(bytes.data(), bytes.size())) return gunzip(bytes.data(), bytes.size(), path);
  return bytes;
}

}  // namespace

MNIST::MNIST(const std::string& root, Mode mode) : is_train_(mode == Mode::kTrain) {
  const std::string prefix = is_train_ ? "train" : "t10k";
  const std::string images_name = prefix + "-images-idx3-ubyte";
  const std::string labels_name = prefix + "-labels-idx1-ubyte";
  const std::string images_path = find_idx_file(root, images_name);
  const std::string labels_path = find_idx_file(root, labels_name);
  if (images_path.empty() || labels_path.empty()) {
    std::string missing;
    for (const std::string* name : {&images_name, &labels_name}) {
      if (!find_idx_file(root, *name).empty()) continue;
      missing += fmt::format("{}{} or {}.gz", missing.empty() ? "" : ", and ", *name, *name);
    }
    std::error_code error;
    AXON_ERROR("MNIST: cannot find the {} set in the folder '{}'{}: looked for {}",
               is_train_ ? "training" : "test", root,
               fs::is_directory(root, error) ? ""
               : fs::exists(root, error)     ? " (not a folder)"
                                             : " (no such folder)",
               missing);
  }
  const std::vector<uint8_t> image_bytes = read_idx_file(images_path);
  images_ = parse_idx_images(image_bytes.data(), image_bytes.size(), images_path);
  AXON_CHECK(images_.size(2) == 28 && images_.size(3) == 28,
             "MNIST: {}: images of {}x{} pixels, expected 28x28", images_path, images_.size(2),
             images_.size(3));
  const std::vector<uint8_t> label_bytes = read_idx_file(labels_path);
  targets_ = parse_idx_labels(label_bytes.data(), label_bytes.size(), labels_path);
  AXON_CHECK(images_.size(0) == targets_.size(0),
             "MNIST: {} holds {} images but {} holds {} labels", images_path, images_.size(0),
             labels_path, targets_.size(0));
}

Example<> MNIST::get(size_t index) {
  return detail::row_example(images_, targets_, index, "MNIST");
}

Example<> MNIST::get_stacked_batch(ArrayRef<size_t> indices) {
  return detail::stacked_rows(images_, targets_, indices, "MNIST");
}

std::optional<size_t> MNIST::size() const { return static_cast<size_t>(images_.size(0)); }

const std::vector<std::string>& mnist_classes() {
  static const std::vector<std::string> names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  return names;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace axon::data::datasets
