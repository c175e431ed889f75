#pragma once
// A tensor saved for backward. It remembers the tensor's version so that an in-place change
// made after saving is reported at backward instead of silently giving a wrong gradient.
// An op's own output is saved without a strong reference to the op's node (that would be a
// cycle); unpacking gives it back its grad_fn.

#include <cstdint>
#include <memory>

#include "axon/tensor.h"

namespace axon::autograd {

class Node;

class SavedVariable {
 public:
  SavedVariable() = default;
  SavedVariable(const Tensor& tensor, bool is_output);

  // The saved tensor; throws if it was released or modified in place since it was saved.
  Tensor unpack() const;
  // Frees the tensor (after backward without retain_graph).
  void reset_data();
  bool defined() const { return was_defined_; }

 private:
  Tensor data_;
  std::weak_ptr<Node> weak_grad_fn_;  // outputs only
  uint32_t saved_version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool was_defined_ = false;
  bool released_ = false;
  bool requires_grad_ = false;
};

}  // namespace axon::autograd
