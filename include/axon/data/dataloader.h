#pragma once
// The DataLoader, as LibTorch's: batches of a dataset in the order a sampler gives, made on
// worker threads ahead of the consumer.
//
//   auto dataset = datasets::MNIST(root).map(transforms::Normalize<>(0.1307, 0.3081))
//                                       .map(transforms::Stack<>());
//   auto loader = make_data_loader<samplers::RandomSampler>(
//       std::move(dataset), DataLoaderOptions().batch_size(64).workers(2));
//   for (auto& batch : *loader) { ... batch.data ... batch.target ... }
//
// Note [DataLoader workers]: each begin() starts an epoch (the sampler is reset, and one seed is
// drawn from the default generator for the epoch's random transforms). The consumer's thread
// takes index lists from the sampler and queues them as jobs numbered 0, 1, ...; at most
// max_jobs are queued, being made, or made and waiting. Each worker holds its own copy of the
// dataset, makes a job's batch under a transform generator seeded from the epoch seed and the
// job's number (axon/data/transforms/generator.h), and files it under that number; the consumer
// takes batches strictly in number order. So batch i holds the same indices and the same random
// augmentation with 0, 1 or 8 workers. An exception in a worker is filed in place of its batch
// and rethrown on the consumer's thread when that batch is due. Leaving a loop early needs no
// care: the next begin() drops the old epoch's jobs, and the destructor stops and joins the
// workers after they finish the batch in hand.
//
// With options.device() set to a CUDA device, workers copy each batch there on the device's
// current stream, so the copy is ordered before the step that uses the batch. With pin_memory
// the batch is staged in page-locked memory and copied non_blocking; on the CPU device the copy
// is skipped.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "axon/data/dataloader_options.h"
#include "axon/data/example.h"
#include "axon/data/iterator.h"
#include "axon/data/samplers/random.h"
#include "axon/data/transforms/generator.h"
#include "axon/error.h"
#include "axon/tensor.h"

namespace axon::data {

namespace detail {
// One draw from the default generator: the seed of an epoch's random transforms.
uint64_t draw_epoch_seed();
// The seed of batch `sequence`'s transform generator (a SplitMix64 step: nearby inputs give
// unrelated seeds).
uint64_t batch_seed(uint64_t epoch_seed, size_t sequence);
// Worker threads run ops on one OpenMP thread each: the workers are the parallelism.
void prepare_worker_thread();

// Moves every tensor of a batch to `device`; other values stay as they are.
inline void to_device(Tensor& tensor, Device device, bool non_blocking);
template <typename T>
void to_device(T&, Device, bool) {}
template <typename Data, typename Target>
void to_device(Example<Data, Target>& example, Device device, bool non_blocking);
template <typename T>
void to_device(std::vector<T>& values, Device device, bool non_blocking);

// A non_blocking copy is only asynchronous from page-locked memory: stage the batch there first.
inline void to_device(Tensor& tensor, Device device, bool non_blocking) {
  if (!tensor.defined()) return;
  if (non_blocking && tensor.is_cpu() && !tensor.is_pinned()) tensor = tensor.pin_memory();
  tensor = tensor.to(TensorOptions(device), non_blocking);
}
template <typename Data, typename Target>
void to_device(Example<Data, Target>& example, Device device, bool non_blocking) {
  to_device(example.data, device, non_blocking);
  to_device(example.target, device, non_blocking);
}
template <typename T>
void to_device(std::vector<T>& values, Device device, bool non_blocking) {
  for (T& value : values) to_device(value, device, non_blocking);
}
}  // namespace detail

template <typename Dataset, typename Sampler = samplers::RandomSampler>
class StatelessDataLoader {
 public:
  using BatchType = typename Dataset::BatchType;
  using BatchRequestType = typename Sampler::BatchRequestType;

  StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
      : options_(std::move(options)),
        max_jobs_(options_.max_jobs().value_or(2 * options_.workers())),
        sampler_(std::move(sampler)) {
    AXON_CHECK(options_.batch_size() > 0, "DataLoader: batch_size must be positive, got 0");
    AXON_CHECK(options_.workers() == 0 || max_jobs_ > 0,
               "DataLoader: max_jobs must be positive with {} workers, got 0", options_.workers());
    if (options_.workers() == 0) {
      main_thread_dataset_.emplace(std::move(dataset));
      return;
    }
    try {
      for (size_t w = 0; w < options_.workers(); ++w) {
        workers_.emplace_back([this, dataset]() mutable { worker_loop(dataset); });
      }
    } catch (const std::system_error& e) {
      // The system's message alone ("Resource temporarily unavailable") does not say what failed.
      const size_t started = workers_.size();
      join();
      AXON_ERROR("DataLoader: cannot start worker thread {} of {}: {}", started + 1,
                 options_.workers(), e.what());
    } catch (...) {
      join();
      throw;
    }
  }
  ~StatelessDataLoader() { join(); }
  StatelessDataLoader(const StatelessDataLoader&) = delete;
  StatelessDataLoader& operator=(const StatelessDataLoader&) = delete;

  // Starts an epoch (dropping what is left of the previous one) and returns its first batch.
  Iterator<BatchType> begin() {
    AXON_CHECK(!joined_, "DataLoader: begin() after join()");
    const uint64_t epoch = start_epoch();
    return Iterator<BatchType>([this, epoch] { return next(epoch); });
  }
  Iterator<BatchType> end() { return Iterator<BatchType>(); }

  // Stops the workers (each after the batch in hand); the destructor calls it.
  void join() {
    if (joined_) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
      jobs_.clear();
    }
    job_ready_.notify_all();
    for (auto& worker : workers_) worker.join();
    joined_ = true;
  }

  const DataLoaderOptions& options() const noexcept { return options_; }

 private:
  struct Job {
    uint64_t epoch;
    size_t sequence;
    BatchRequestType indices;
    uint64_t seed;
  };
  struct Result {
    std::optional<BatchType> batch;
    std::exception_ptr error;
  };

  uint64_t start_epoch() {
    std::map<size_t, Result> stale;  // freed after the lock is released
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++epoch_;
      jobs_.clear();
      stale.swap(results_);
    }
    sampler_.reset(std::nullopt);
    epoch_seed_ = detail::draw_epoch_seed();
    submitted_ = 0;
    returned_ = 0;
    if (!workers_.empty()) prefetch(max_jobs_);
    return epoch_;
  }

  std::optional<BatchRequestType> next_request() {
    std::optional<BatchRequestType> indices = sampler_.next(options_.batch_size());
    if (!indices || indices->empty() ||
        (options_.drop_last() && indices->size() < options_.batch_size())) {
      return std::nullopt;
    }
    return indices;
  }

  void prefetch(size_t jobs) {
    for (size_t j = 0; j < jobs; ++j) {
      std::optional<BatchRequestType> indices = next_request();
      if (!indices) return;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(Job{epoch_, submitted_, std::move(*indices),
                            detail::batch_seed(epoch_seed_, submitted_)});
      }
      ++submitted_;
      job_ready_.notify_one();
    }
  }

  std::optional<BatchType> next(uint64_t epoch) {
    AXON_CHECK(epoch == epoch_,
               "DataLoader: this iterator's epoch is over; begin() has started another");
    if (workers_.empty()) {
      std::optional<BatchRequestType> indices = next_request();
      if (!indices) return std::nullopt;
      return make_batch(*main_thread_dataset_, *indices,
                        detail::batch_seed(epoch_seed_, submitted_++));
    }
    if (returned_ == submitted_) return std::nullopt;  // nothing in flight: the epoch is done
    Result result;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      result_ready_.wait(lock, [&] { return results_.count(returned_) > 0; });
      auto node = results_.extract(returned_);
      result = std::move(node.mapped());
    }
    ++returned_;
    prefetch(1);
    if (result.error) std::rethrow_exception(result.error);
    return std::move(result.batch);
  }

  BatchType make_batch(Dataset& dataset, const BatchRequestType& indices, uint64_t seed) {
    TransformGeneratorScope generator(seed);
    BatchType batch = dataset.get_batch(indices);
    if (options_.device() && !options_.device()->is_cpu()) {
      detail::to_device(batch, *options_.device(), options_.pin_memory());
    }
    return batch;
  }

  void worker_loop(Dataset& dataset) {
    detail::prepare_worker_thread();
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        job_ready_.wait(lock, [&] { return quit_ || !jobs_.empty(); });
        if (quit_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Result result;
      try {
        result.batch = make_batch(dataset, job.indices, job.seed);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (job.epoch != epoch_) continue;  // begin() has dropped this job's epoch
        results_.emplace(job.sequence, std::move(result));
      }
      result_ready_.notify_one();
    }
  }

  const DataLoaderOptions options_;
  const size_t max_jobs_;
  Sampler sampler_;
  std::optional<Dataset> main_thread_dataset_;  // with no workers
  std::vector<std::thread> workers_;
  bool joined_ = false;

  // The consumer's side (its thread only).
  uint64_t epoch_seed_ = 0;
  size_t submitted_ = 0;  // jobs made this epoch
  size_t returned_ = 0;   // batches handed out this epoch

  // Shared with the workers, under mutex_.
  std::mutex mutex_;
  std::condition_variable job_ready_;
  std::condition_variable result_ready_;
  uint64_t epoch_ = 0;
  bool quit_ = false;
  std::deque<Job> jobs_;
  std::map<size_t, Result> results_;
};

template <typename Dataset, typename Sampler>
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset,
                                                                        Sampler sampler,
                                                                        DataLoaderOptions options) {
  return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(
      std::move(dataset), std::move(sampler), std::move(options));
}

// A loader with a sampler made from the dataset's size: make_data_loader<SequentialSampler>(...).
template <typename Sampler = samplers::RandomSampler, typename Dataset>
requires std::is_constructible_v<Sampler, size_t>
    std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(
        Dataset dataset, DataLoaderOptions options = DataLoaderOptions()) {
  const std::optional<size_t> size = dataset.size();
  AXON_CHECK(size.has_value(), "make_data_loader: the dataset has no size to make a sampler from");
  return make_data_loader(std::move(dataset), Sampler(*size), std::move(options));
}

}  // namespace axon::data
