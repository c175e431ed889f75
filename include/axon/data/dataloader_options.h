#pragma once
// DataLoaderOptions, as LibTorch's, plus where batches go:
//   DataLoaderOptions().batch_size(64).workers(2).drop_last(true).device(kCUDA)

#include <cstddef>
#include <optional>

#include "axon/device.h"
#include "axon/nn/arg.h"

namespace axon::data {

struct DataLoaderOptions {
  DataLoaderOptions() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): DataLoaderOptions(64), as LibTorch's.
  DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}

  // Examples per batch.
  AXON_ARG(size_t, batch_size) = 1;
  // Worker threads making batches ahead of the consumer; 0 makes them on the consumer's thread.
  AXON_ARG(size_t, workers) = 0;
  // How many batches may be queued or being made at once (default: 2 x workers).
  AXON_ARG(std::optional<size_t>, max_jobs);
  // Drop the last batch of an epoch when it is smaller than batch_size.
  AXON_ARG(bool, drop_last) = false;
  // The device batches are delivered on (the worker copies them there); default: where the
  // dataset makes them (the CPU).
  AXON_ARG(std::optional<Device>, device);
  // Copy to the device asynchronously (non_blocking). Staging the batch in page-locked host
  // memory first comes with the CUDA backend's pinned allocator.
  AXON_ARG(bool, pin_memory) = false;
};

}  // namespace axon::data
