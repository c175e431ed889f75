#pragma once
// Recording an op's backward, written next to its forward:
//
//   Tensor out = ...forward...;
//   if (autograd::should_record({&self})) {
//     autograd::record("ExpBackward0", out, {&self}, {out},
//                      [](const autograd::BackwardContext& ctx) -> variable_list {
//                        return {ctx.grad() * ctx.saved(0)};
//                      });
//   }
//
// `saved` tensors are kept as SavedVariables (version-checked, released after backward); the
// lambda captures only plain values (shapes, scalars). It returns one gradient per input, an
// undefined Tensor where an input needs none (ctx.needs_grad(i) says which do).

#include <initializer_list>
#include <utility>
#include <vector>

#include "axon/autograd/grad_mode.h"
#include "axon/autograd/node.h"
#include "axon/autograd/saved_variable.h"
#include "axon/tensor.h"

namespace axon::autograd {

// True when grad mode is on and any defined input requires grad.
inline bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}
bool should_record(TensorList inputs);

class BackwardContext {
 public:
  BackwardContext(const variable_list& grads, const std::vector<SavedVariable>& saved,
                  const Node& node)
      : grads_(grads), saved_(saved), node_(node) {}
  // The gradient of the (first) output.
  const Tensor& grad() const { return grads_[0]; }
  const variable_list& grads() const { return grads_; }
  // Saved tensor i, checked against in-place changes since it was saved.
  Tensor saved(size_t i) const { return saved_[i].unpack(); }
  // Whether input i needs a gradient.
  bool needs_grad(size_t i) const { return node_.next_edge(i).is_valid(); }

 private:
  const variable_list& grads_;
  const std::vector<SavedVariable>& saved_;
  const Node& node_;
};

// The node of an op recorded by record(): its backward is the lambda.
template <typename Backward>
class OpNode final : public Node {
 public:
  OpNode(const char* name, Backward backward) : name_(name), backward_(std::move(backward)) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& grads) override {
    return backward_(BackwardContext(grads, saved_, *this));
  }
  void release_variables() override {
    for (SavedVariable& s : saved_) s.reset_data();
  }
  std::vector<SavedVariable>& saved() { return saved_; }

 private:
  const char* name_;
  Backward backward_;
  std::vector<SavedVariable> saved_;
};

namespace detail {
// Gives `node` one edge per input and makes it the grad_fn of `outputs`.
void connect(Node& node, const std::shared_ptr<Node>& self, const Tensor* const* inputs,
             size_t num_inputs, ArrayRef<const Tensor*> outputs);
void save(std::vector<SavedVariable>& saved, std::initializer_list<Tensor> tensors,
          ArrayRef<const Tensor*> outputs);
}  // namespace detail

// For ops with several outputs (split): ctx.grads() holds one gradient per output, undefined
// for outputs that received none.
template <typename Backward>
void record(const char* name, ArrayRef<const Tensor*> outputs,
            std::initializer_list<const Tensor*> inputs, std::initializer_list<Tensor> saved,
            Backward&& backward) {
  auto node =
      std::make_shared<OpNode<std::decay_t<Backward>>>(name, std::forward<Backward>(backward));
  detail::connect(*node, node, inputs.begin(), inputs.size(), outputs);
  detail::save(node->saved(), saved, outputs);
}

template <typename Backward>
void record(const char* name, const Tensor& output, std::initializer_list<const Tensor*> inputs,
            std::initializer_list<Tensor> saved, Backward&& backward) {
  const Tensor* outputs[] = {&output};
  record(name, ArrayRef<const Tensor*>(outputs, 1), inputs, saved,
         std::forward<Backward>(backward));
}

// For ops with a list of inputs (cat, stack).
template <typename Backward>
void record(const char* name, const Tensor& output, TensorList inputs,
            std::initializer_list<Tensor> saved, Backward&& backward) {
  auto node =
      std::make_shared<OpNode<std::decay_t<Backward>>>(name, std::forward<Backward>(backward));
  std::vector<const Tensor*> pointers;
  pointers.reserve(inputs.size());
  for (const Tensor& t : inputs) pointers.push_back(&t);
  detail::connect(*node, node, pointers.data(), pointers.size(), {&output});
  detail::save(node->saved(), saved, {&output});
}

}  // namespace axon::autograd
