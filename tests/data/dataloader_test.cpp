// The DataLoader: batch order and content independent of the worker count, drop_last, the
// bounded prefetch, exceptions from workers, leaving a loop early, destruction mid-epoch, and the
// stacked-batch path against the example-by-example one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "data/data_files.h"
#include "test_utils.h"

namespace axon::testing {
namespace {

using data::DataLoaderOptions;
using data::Example;
using data::make_data_loader;
using data::datasets::TensorDataset;
using data::samplers::RandomSampler;
using data::samplers::SequentialSampler;
namespace transforms = data::transforms;

// Example i is ([i], i); get() can throw at one index, sleep, and count its calls.
class Numbers : public data::datasets::Dataset<Numbers> {
 public:
  explicit Numbers(size_t size) : size_(size) {}
  Numbers& throw_at(size_t index) {
    throw_at_ = index;
    return *this;
  }
  Numbers& sleep_per_example(std::chrono::milliseconds ms) {
    sleep_ = ms;
    return *this;
  }
  Example<> get(size_t index) override {
    calls_->fetch_add(1);
    std::this_thread::sleep_for(sleep_);
    AXON_CHECK(index != throw_at_, "Numbers: bad example {}", index);
    return {tensor({static_cast<float>(index)}), tensor(static_cast<int64_t>(index), kInt64)};
  }
  std::optional<size_t> size() const override { return size_; }
  int calls() const { return calls_->load(); }

 private:
  size_t size_;
  size_t throw_at_ = SIZE_MAX;
  std::chrono::milliseconds sleep_{0};
  std::shared_ptr<std::atomic<int>> calls_ = std::make_shared<std::atomic<int>>(0);
};

// A TensorDataset without the stacked-batch path: examples one by one, then transforms, then
// Stack, as LibTorch does it.
class ExampleByExample : public data::datasets::Dataset<ExampleByExample> {
 public:
  explicit ExampleByExample(TensorDataset inner) : inner_(std::move(inner)) {}
  Example<> get(size_t index) override { return inner_.get(index); }
  std::optional<size_t> size() const override { return inner_.size(); }

 private:
  TensorDataset inner_;
};

template <typename Loader>
std::vector<Example<>> one_epoch(Loader& loader) {
  std::vector<Example<>> batches;
  for (auto& batch : loader) batches.push_back(batch);
  return batches;
}

std::vector<int64_t> targets_of(const Example<>& batch) {
  const Tensor t = batch.target.contiguous();
  return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()};
}

TEST(DataLoader, SequentialBatchesAndDropLast) {
  for (size_t workers : {0, 2}) {
    auto loader = make_data_loader<SequentialSampler>(
        Numbers(10).map(transforms::Stack<>()), DataLoaderOptions().batch_size(4).workers(workers));
    auto batches = one_epoch(*loader);
    ASSERT_EQ(batches.size(), 3u) << workers << " workers";
    EXPECT_EQ(targets_of(batches[0]), std::vector<int64_t>({0, 1, 2, 3}));
    EXPECT_EQ(targets_of(batches[2]), std::vector<int64_t>({8, 9}));
    EXPECT_EQ(batches[1].data.sizes(), IntArrayRef({4, 1}));
    EXPECT_TRUE(batches[1].data.equal(tensor({{4.f}, {5.f}, {6.f}, {7.f}})));

    auto dropping =
        make_data_loader<SequentialSampler>(Numbers(10).map(transforms::Stack<>()),
                                            DataLoaderOptions(4).workers(workers).drop_last(true));
    batches = one_epoch(*dropping);
    ASSERT_EQ(batches.size(), 2u);
    EXPECT_EQ(targets_of(batches[1]), std::vector<int64_t>({4, 5, 6, 7}));
    // A second epoch is the same.
    EXPECT_EQ(one_epoch(*dropping).size(), 2u);
  }
}

// Batches (indices and random augmentation) with a random sampler, for a worker count and seed.
template <typename Dataset>
std::vector<Example<>> augmented_epochs(Dataset dataset, size_t workers, uint64_t seed) {
  manual_seed(seed);
  auto loader =
      make_data_loader(std::move(dataset)
                           .map(transforms::Normalize<>(0.5, 0.25))
                           .map(transforms::RandomCrop<>(6, 2, transforms::PaddingMode::kReflect))
                           .map(transforms::RandomHorizontalFlip<>())
                           .map(transforms::Stack<>()),
                       DataLoaderOptions().batch_size(8).workers(workers).max_jobs(workers * 3));
  std::vector<Example<>> batches = one_epoch(*loader);
  for (auto& batch : one_epoch(*loader)) batches.push_back(batch);
  return batches;
}

void expect_same_batches(const std::vector<Example<>>& a, const std::vector<Example<>>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].target.equal(b[i].target)) << "batch " << i;
    EXPECT_TRUE(a[i].data.equal(b[i].data)) << "batch " << i;
  }
}

TEST(DataLoader, SameBatchesWithAnyNumberOfWorkers) {
  manual_seed(0);
  const TensorDataset dataset(rand({50, 1, 6, 6}), arange(50, kInt64));
  const auto reference = augmented_epochs(dataset, 0, 7);
  ASSERT_EQ(reference.size(), 14u);  // 7 batches (the last of 2) per epoch, 2 epochs
  EXPECT_EQ(reference[6].target.numel(), 2);
  for (size_t workers : {1, 3}) {
    SCOPED_TRACE(std::to_string(workers) + " workers");
    expect_same_batches(augmented_epochs(dataset, workers, 7), reference);
  }
  // Each epoch covers every example once, in a new order.
  std::vector<int64_t> first, second;
  for (size_t i = 0; i < 7; ++i) {
    for (int64_t t : targets_of(reference[i])) first.push_back(t);
    for (int64_t t : targets_of(reference[i + 7])) second.push_back(t);
  }
  EXPECT_NE(first, second);
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.front(), 0);
  EXPECT_EQ(first.back(), 49);
  // Another seed, other batches.
  EXPECT_FALSE(augmented_epochs(dataset, 0, 8)[0].target.equal(reference[0].target));
}

// Note [Stacked batches]: gathering rows and transforming the stacked batch gives what
// transforming examples one by one and stacking them gives, random draws included.
TEST(DataLoader, StackedPathEqualsExampleByExample) {
  manual_seed(0);
  const TensorDataset dataset(rand({30, 1, 6, 6}), arange(30, kInt64));
  for (size_t workers : {0, 2}) {
    expect_same_batches(augmented_epochs(ExampleByExample(dataset), workers, 3),
                        augmented_epochs(dataset, workers, 3));
  }
}

TEST(DataLoader, WorkerExceptionIsRethrownInTheConsumer) {
  for (size_t workers : {0, 2}) {
    SCOPED_TRACE(std::to_string(workers) + " workers");
    auto loader =
        make_data_loader<SequentialSampler>(Numbers(20).throw_at(7).map(transforms::Stack<>()),
                                            DataLoaderOptions().batch_size(4).workers(workers));
    size_t seen = 0;
    EXPECT_AXON_ERROR(
        for (auto& batch
             : *loader) {
          EXPECT_EQ(targets_of(batch).front(), static_cast<int64_t>(4 * seen));
          ++seen;
        },
        "Numbers: bad example 7");
    EXPECT_EQ(seen, 1u);
    // The loader still works: a new epoch starts from the beginning.
    auto it = loader->begin();
    EXPECT_EQ(targets_of(*it).front(), 0);
  }
}

TEST(DataLoader, BreakingOutEarlyThenANewEpoch) {
  auto loader = make_data_loader<SequentialSampler>(Numbers(40).map(transforms::Stack<>()),
                                                    DataLoaderOptions().batch_size(2).workers(3));
  for (auto& batch : *loader) {
    EXPECT_EQ(targets_of(batch), std::vector<int64_t>({0, 1}));
    break;
  }
  auto old = loader->begin();
  auto batches = one_epoch(*loader);  // begin() again: the old iterator's epoch is over
  ASSERT_EQ(batches.size(), 20u);
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(targets_of(batches[i]).front(), static_cast<int64_t>(2 * i));
  }
  EXPECT_AXON_ERROR(++old, "this iterator's epoch is over");
}

TEST(DataLoader, PrefetchIsBounded) {
  Numbers numbers(100);
  numbers.sleep_per_example(std::chrono::milliseconds(1));
  auto loader = make_data_loader<SequentialSampler>(
      numbers, DataLoaderOptions().batch_size(1).workers(2).max_jobs(3));
  auto it = loader->begin();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // The batch handed out, plus at most max_jobs queued or made.
  EXPECT_LE(numbers.calls(), 4);
  EXPECT_GE(numbers.calls(), 1);
}

TEST(DataLoader, DestroyedMidEpochWithoutHanging) {
  const auto start = std::chrono::steady_clock::now();
  {
    auto loader = make_data_loader<SequentialSampler>(
        Numbers(1000).sleep_per_example(std::chrono::milliseconds(2)),
        DataLoaderOptions().batch_size(4).workers(2));
    auto it = loader->begin();
    EXPECT_EQ(it->size(), 4u);
    ++it;
  }  // the workers finish the batch in hand (8 ms) and stop
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
}

TEST(DataLoader, ChecksItsOptions) {
  EXPECT_AXON_ERROR(make_data_loader(Numbers(4), DataLoaderOptions().batch_size(0)),
                    "DataLoader: batch_size must be positive");
  EXPECT_AXON_ERROR(make_data_loader(Numbers(4), DataLoaderOptions().workers(2).max_jobs(0)),
                    "DataLoader: max_jobs must be positive with 2 workers");
}

TEST(DataLoader, DeliversOnTheRequestedDevice) {
  manual_seed(0);
  TensorDataset dataset(rand({8, 3}), arange(8, kInt64));
  auto on_cpu = make_data_loader(dataset.map(transforms::Stack<>()),
                                 DataLoaderOptions(4).workers(1).device(kCPU).pin_memory(true));
  for (auto& batch : *on_cpu) EXPECT_TRUE(batch.data.is_cpu());
  auto on_cuda = make_data_loader(dataset.map(transforms::Stack<>()),
                                  DataLoaderOptions(4).workers(1).device(kCUDA).pin_memory(true));
  if (!cuda::is_available()) {
    // The worker's copy fails; the consumer gets the error.
    EXPECT_THROW(on_cuda->begin(), Error);
    return;
  }
  for (auto& batch : *on_cuda) {
    EXPECT_TRUE(batch.data.is_cuda());
    EXPECT_TRUE(batch.target.is_cuda());
  }
}

// A TensorDataset held on a GPU: its batches are gathered there (index_select) and normalised
// there, and are the host loader's batches bit for bit, in the same order.
TEST(DataLoader, DatasetOnTheGpuGivesTheHostBatches) {
  if (!cuda::is_available()) GTEST_SKIP() << "no GPU";
  manual_seed(0);
  const TensorDataset on_host(rand({21, 3, 4, 4}), arange(21, kInt64));
  const TensorDataset on_gpu(on_host.data().cuda(), on_host.targets().cuda());
  auto epoch = [](TensorDataset dataset, size_t workers) {
    manual_seed(5);
    auto loader =
        make_data_loader(dataset.map(transforms::Normalize<>({0.5, 0.25, 0.125}, {0.2, 0.3, 0.4}))
                             .map(transforms::Stack<>()),
                         RandomSampler(21), DataLoaderOptions(4).workers(workers));
    return one_epoch(*loader);
  };
  const auto expected = epoch(on_host, 0);
  for (size_t workers : {0, 2}) {
    const auto got = epoch(on_gpu, workers);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(got[i].data.is_cuda());
      EXPECT_TRUE(got[i].data.cpu().equal(expected[i].data)) << "batch " << i;
      EXPECT_TRUE(got[i].target.cpu().equal(expected[i].target)) << "batch " << i;
    }
  }
}

class DataLoaderFiles : public ScratchFolderTest {};

TEST_F(DataLoaderFiles, MnistThroughNormalizeAndStack) {
  write_file(path("t10k-images-idx3-ubyte.gz"), gzip(idx_images(10)));
  write_file(path("t10k-labels-idx1-ubyte.gz"), idx_labels(cycling_labels(10)));
  data::datasets::MNIST mnist(folder(), data::datasets::MNIST::Mode::kTest);
  const Tensor images = mnist.images();
  auto loader = make_data_loader<SequentialSampler>(
      std::move(mnist).map(transforms::Normalize<>(0.1307, 0.3081)).map(transforms::Stack<>()),
      DataLoaderOptions().batch_size(4).workers(2));
  auto batches = one_epoch(*loader);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].data.sizes(), IntArrayRef({4, 1, 28, 28}));
  EXPECT_EQ(batches[0].target.dtype(), kInt64);
  EXPECT_EQ(targets_of(batches[2]), std::vector<int64_t>({8, 9}));
  const Tensor expected = images.slice(0, 8, 10).sub(tensor(0.1307f)).div(tensor(0.3081f));
  EXPECT_TRUE(batches[2].data.equal(expected));
}

}  // namespace
}  // namespace axon::testing
