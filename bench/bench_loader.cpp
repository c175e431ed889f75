// The DataLoader alone, timed: images per second over MNIST-format data (MNIST or
// Fashion-MNIST, IDX files raw or gzip), batch 64, random order, for each worker count, through
//   stacked      Normalize + Stack, gathering rows (Note [Stacked batches] in datasets/base.h)
//   per-example  the same chain one example at a time (what LibTorch's loader does)
//   augmented    RandomCrop(28, padding 2) + RandomHorizontalFlip + Normalize + Stack, stacked
// The target: at least 5x what CPU LeNet-5 training consumes (bench_lenet).
//
//   bench_loader [--data DIR] [--threads 2] [--batch 64] [--seconds 1] [--repeats 3]
// DIR defaults to /usr/share/datasets/fashion-mnist, else /work/shared/data/mnist-subset.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "axon/axon.h"

namespace data = axon::data;
namespace transforms = axon::data::transforms;

// Keeps the per-example path off the stacked one: a dataset without get_stacked_batch.
class ExampleByExample : public data::datasets::Dataset<ExampleByExample> {
 public:
  explicit ExampleByExample(data::datasets::MNIST mnist) : mnist_(std::move(mnist)) {}
  data::Example<> get(size_t index) override { return mnist_.get(index); }
  std::optional<size_t> size() const override { return mnist_.size(); }

 private:
  data::datasets::MNIST mnist_;
};

// Best images/s of `repeats` runs of whole epochs lasting at least `seconds` each.
template <typename Dataset>
double images_per_second(const Dataset& dataset, size_t workers, int64_t batch, double seconds,
                         int repeats) {
  auto loader = data::make_data_loader(
      dataset, data::DataLoaderOptions().batch_size(static_cast<size_t>(batch)).workers(workers));
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    int64_t images = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      for (auto& b : *loader) images += b.data.size(0);
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    best = std::max(best, static_cast<double>(images) / elapsed);
  }
  return best;
}

int main(int argc, char** argv) {
  std::string folder = std::filesystem::exists("/usr/share/datasets/fashion-mnist")
                           ? "/usr/share/datasets/fashion-mnist"
                           : "/work/shared/data/mnist-subset";
  int threads = 2, repeats = 3;
  int64_t batch = 64;
  double seconds = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* flag = argv[i];
    if (!std::strcmp(flag, "--data"))
      folder = argv[i + 1];
    else if (!std::strcmp(flag, "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(flag, "--batch"))
      batch = std::atoi(argv[i + 1]);
    else if (!std::strcmp(flag, "--seconds"))
      seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(flag, "--repeats"))
      repeats = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag);
      return 2;
    }
  }
  axon::set_num_threads(threads);
  axon::manual_seed(0);
  try {
    const auto load_start = std::chrono::steady_clock::now();
    data::datasets::MNIST mnist(folder, data::datasets::MNIST::Mode::kTrain);
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    std::printf("data: %s (%zu training images, read in %.2f s)\n", folder.c_str(), *mnist.size(),
                load_seconds);
    std::printf("batch %lld, %d OpenMP threads, best of %d runs of >= %.1f s\n",
                static_cast<long long>(batch), threads, repeats, seconds);
    const auto normalize = transforms::Normalize<>(0.1307, 0.3081);
    const auto stacked = mnist.map(normalize).map(transforms::Stack<>());
    const auto per_example = ExampleByExample(mnist).map(normalize).map(transforms::Stack<>());
    const auto augmented = mnist.map(transforms::RandomCrop<>(28, 2))
                               .map(transforms::RandomHorizontalFlip<>())
                               .map(normalize)
                               .map(transforms::Stack<>());
    std::printf("%-12s %8s %14s\n", "path", "workers", "images/s");
    for (size_t workers : {0, 2}) {
      std::printf("%-12s %8zu %14.0f\n", "stacked", workers,
                  images_per_second(stacked, workers, batch, seconds, repeats));
      std::printf("%-12s %8zu %14.0f\n", "per-example", workers,
                  images_per_second(per_example, workers, batch, seconds, repeats));
      std::printf("%-12s %8zu %14.0f\n", "augmented", workers,
                  images_per_second(augmented, workers, batch, seconds, repeats));
    }
  } catch (const axon::Error& e) {
    std::fprintf(stderr, "bench_loader: %s\n", e.what());
    return 1;
  }
  return 0;
}
