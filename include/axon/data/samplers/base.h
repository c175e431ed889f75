#pragma once
// Samplers choose which indices go into each batch, as LibTorch's torch::data::samplers.

#include <cstddef>
#include <optional>
#include <vector>

namespace axon::data::samplers {

template <typename BatchRequest = std::vector<size_t>>
class Sampler {
 public:
  using BatchRequestType = BatchRequest;

  virtual ~Sampler() = default;
  // Starts a new epoch (over `new_size` indices when given).
  virtual void reset(std::optional<size_t> new_size) = 0;
  // The next batch of up to batch_size indices; nullopt once the epoch is done.
  virtual std::optional<BatchRequest> next(size_t batch_size) = 0;
};

}  // namespace axon::data::samplers
