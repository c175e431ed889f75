#include "axon/autograd/saved_variable.h"

#include "axon/autograd/node.h"
#include "axon/error.h"
#include "core/tensor_utils.h"

namespace axon::autograd {

SavedVariable::SavedVariable(const Tensor& tensor, bool is_output) {
  if (!tensor.defined()) return;
  was_defined_ = true;
  is_output_ = is_output;
  saved_version_ = tensor.storage()->version();
  requires_grad_ = tensor.requires_grad();
  if (is_output) {
    // Keep the data without the grad_fn: the node holding this would otherwise own itself.
    TensorImpl* impl = tensor.unsafeGetTensorImpl();
    data_ = Tensor(std::make_shared<TensorImpl>(impl->storage(), impl->dtype(), impl->sizes(),
                                                impl->strides(), impl->storage_offset()));
    weak_grad_fn_ = impl->grad_fn();
    output_nr_ = impl->output_nr();
  } else {
    data_ = tensor;
  }
}

Tensor SavedVariable::unpack() const {
  if (!was_defined_) return {};
  AXON_CHECK(!released_,
             "Trying to backward through the graph a second time (or directly access saved "
             "tensors after they have already been freed). Saved intermediate values of the "
             "graph are freed when you call .backward() or autograd::grad(). Specify "
             "retain_graph=true if you need to backward through the graph a second time or if "
             "you need to access saved tensors after calling backward.");
  uint32_t current = data_.storage()->version();
  if (current != saved_version_) {
    std::string producer = "a leaf";
    if (is_output_) {
      if (auto fn = weak_grad_fn_.lock()) {
        producer = fmt::format("output {} of {}", output_nr_, fn->name());
      }
    } else if (data_.grad_fn()) {
      producer = fmt::format("output {} of {}", data_.output_nr(), data_.grad_fn()->name());
    }
    AXON_ERROR(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [{} {}], which is {}, is at version {}; expected version {} instead.",
        data_.dtype(), data_.sizes(), producer, current, saved_version_);
  }
  if (!is_output_) return data_;
  TensorImpl* impl = data_.unsafeGetTensorImpl();
  Tensor out(std::make_shared<TensorImpl>(impl->storage(), impl->dtype(), impl->sizes(),
                                          impl->strides(), impl->storage_offset()));
  if (auto fn = weak_grad_fn_.lock()) {
    out.unsafeGetTensorImpl()->set_grad_fn(std::move(fn), output_nr_);
  } else if (requires_grad_) {
    out.unsafeGetTensorImpl()->set_requires_grad(true);
  }
  return out;
}

void SavedVariable::reset_data() {
  data_ = Tensor();
  released_ = was_defined_;
}

}  // namespace axon::autograd
