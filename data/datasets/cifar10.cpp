#include "axon/data/datasets/cifar10.h"

#include <filesystem>
#include <string>

#include "axon/data/datasets/parse.h"
#include "axon/error.h"
#include "axon/functions.h"
#include "nn/serialize/file_io.h"

namespace axon::data::datasets {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error) && !fs::is_directory(path, error);
}

std::vector<std::string> batch_names(bool train) {
  if (!train) return {"test_batch.bin"};
  std::vector<std::string> names;
  for (int i = 1; i <= 5; ++i) names.push_back(fmt::format("data_batch_{}.bin", i));
  return names;
}

// `root` itself when it holds any of the files, else its cifar-10-batches-bin/ if there is one.
fs::path batch_folder(const std::string& root, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (is_file(fs::path(root) / name)) return root;
  }
  const fs::path nested = fs::path(root) / "cifar-10-batches-bin";
  std::error_code error;
  return fs::is_directory(nested, error) ? nested : fs::path(root);
}

}  // namespace

CIFAR10::CIFAR10(const std::string& root, Mode mode) : is_train_(mode == Mode::kTrain) {
  const std::vector<std::string> names = batch_names(is_train_);
  const fs::path folder = batch_folder(root, names);
  std::string missing;
  for (const std::string& name : names) {
    if (!is_file(folder / name)) missing += (missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    std::error_code error;
    AXON_ERROR("CIFAR10: cannot find the {} set in the folder '{}'{}: missing {}",
               is_train_ ? "training" : "test", folder.string(),
               fs::is_directory(folder, error) ? ""
               : fs::exists(folder, error)     ? " (not a folder)"
                                               : " (no such folder)",
               missing);
  }
  std::vector<Tensor> images;
  std::vector<Tensor> labels;
  for (const std::string& name : names) {
    const std::string path = (folder / name).string();
    const std::vector<uint8_t> bytes = serialize::detail::read_file(path, "CIFAR10");
    CifarBatch batch = parse_cifar10_batch(bytes.data(), bytes.size(), path);
    images.push_back(std::move(batch.images));
    labels.push_back(std::move(batch.labels));
  }
  images_ = images.size() == 1 ? images[0] : cat(images);
  targets_ = labels.size() == 1 ? labels[0] : cat(labels);
}

Example<> CIFAR10::get(size_t index) {
  return detail::row_example(images_, targets_, index, "CIFAR10");
}

Example<> CIFAR10::get_stacked_batch(ArrayRef<size_t> indices) {
  return detail::stacked_rows(images_, targets_, indices, "CIFAR10");
}

std::optional<size_t> CIFAR10::size() const { return static_cast<size_t>(images_.size(0)); }

const std::vector<std::string>& cifar10_classes() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

}  // namespace axon::data::datasets
