#pragma once
// Transforms of an example's data tensor, as LibTorch's: TensorTransform, TensorLambda and
// Normalize. apply_stacked applies the transform to every example of a stacked batch
// [B, ...] (Note [Stacked batches] in axon/data/datasets/base.h): by default one example at a
// time, in order; transforms that can do the whole batch at once override it.

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "axon/array_ref.h"
#include "axon/data/example.h"
#include "axon/data/transforms/base.h"
#include "axon/functions.h"

namespace axon::data::transforms {

template <typename Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;

  virtual Tensor operator()(Tensor input) = 0;

  E apply(E input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }

  virtual Tensor apply_stacked(Tensor batch) {
    std::vector<Tensor> outputs;
    outputs.reserve(static_cast<size_t>(batch.size(0)));
    for (int64_t i = 0; i < batch.size(0); ++i) outputs.push_back((*this)(batch[i]));
    return stack(outputs);
  }
};

template <typename Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;
  explicit TensorLambda(FunctionType function) : function_(std::move(function)) {}
  Tensor operator()(Tensor input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

namespace detail {
// Normalize's state and arithmetic, shared by every Target.
class Normalization {
 public:
  Normalization(ArrayRef<double> mean, ArrayRef<double> stddev);
  // (input - mean) / stddev in float32, per channel (dim -3) or for every element when one
  // mean was given. `stacked`: the input is a batch of examples (for the error message).
  Tensor apply(const Tensor& input, bool stacked) const;

 private:
  Tensor mean_, stddev_;  // [C, 1, 1], or [] for a single value
  // Per-channel values copied to the GPU of the last input there (a dataset held on a GPU),
  // once; shared by the copies of the transform, which DataLoader workers use at once.
  struct OnDevice {
    std::mutex mutex;
    Tensor mean, stddev;
  };
  std::shared_ptr<OnDevice> on_device_ = std::make_shared<OnDevice>();
};
}  // namespace detail

// (x - mean) / stddev with one mean and stddev per channel, or one for all:
//   Normalize<>(0.1307, 0.3081)   Normalize<>({0.4914, 0.4822, 0.4465}, {0.247, 0.243, 0.261})
template <typename Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  Normalize(ArrayRef<double> mean, ArrayRef<double> stddev) : normalization_(mean, stddev) {}
  Tensor operator()(Tensor input) override { return normalization_.apply(input, false); }
  Tensor apply_stacked(Tensor batch) override { return normalization_.apply(batch, true); }

 private:
  detail::Normalization normalization_;
};

}  // namespace axon::data::transforms
