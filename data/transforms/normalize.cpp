#include <fmt/ranges.h>

#include "axon/data/transforms/tensor.h"
#include "axon/error.h"

namespace axon::data::transforms::detail {

Normalization::Normalization(ArrayRef<double> mean, ArrayRef<double> stddev) {
  AXON_CHECK(!mean.empty() && mean.size() == stddev.size(),
             "Normalize: expected as many means as standard deviations (at least one), got {} "
             "and {}",
             mean.size(), stddev.size());
  for (double s : stddev) {
    AXON_CHECK(s != 0, "Normalize: a standard deviation of 0 would divide by zero (std {})",
               stddev.vec());
  }
  // One value applies to every element; several apply per channel (dim -3), as [C, 1, 1].
  const auto channels = static_cast<int64_t>(mean.size());
  const DimVector shape = channels == 1 ? DimVector{} : DimVector{channels, 1, 1};
  mean_ = tensor(mean.vec(), {channels}, kFloat32).view(shape);
  stddev_ = tensor(stddev.vec(), {channels}, kFloat32).view(shape);
}

Tensor Normalization::apply(const Tensor& input, bool stacked) const {
  if (mean_.dim() > 0) {
    const int64_t channels = mean_.size(0);
    const int64_t min_dims = stacked ? 4 : 3;
    AXON_CHECK(input.dim() >= min_dims && input.size(-3) == channels,
               "Normalize: {} means and standard deviations need {} of {} channels in dim -3, "
               "got shape {}",
               channels, stacked ? "batches" : "images", channels, input.sizes());
  }
  // A 0-d mean is a host scalar on any device; [C, 1, 1] ones must be on the input's.
  if (input.is_cpu() || mean_.dim() == 0) return input.sub(mean_).div(stddev_);
  Tensor mean, stddev;
  {
    std::lock_guard<std::mutex> lock(on_device_->mutex);
    if (!on_device_->mean.defined() || on_device_->mean.device() != input.device()) {
      on_device_->mean = mean_.to(input.device());
      on_device_->stddev = stddev_.to(input.device());
    }
    mean = on_device_->mean;
    stddev = on_device_->stddev;
  }
  return input.sub(mean).div(stddev);
}

}  // namespace axon::data::transforms::detail
