#pragma once
// A node of the autograd graph: the backward of one op. It takes the gradients of the op's
// outputs and returns the gradients of its inputs, one per next edge.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axon/tensor.h"

namespace axon::autograd {

class Node;

// Where a gradient goes: input `input_nr` of `function`. An edge with no function means the
// input needs no gradient.
struct Edge {
  std::shared_ptr<Node> function;
  uint32_t input_nr = 0;
  bool is_valid() const { return function != nullptr; }
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // PyTorch's name for the node: "MulBackward0", "AccumulateGrad", "MyReLUBackward".
  virtual std::string name() const = 0;
  // Gradients of the forward outputs in, gradients of the forward inputs out (one per edge;
  // an undefined tensor where there is none).
  virtual variable_list apply(variable_list&& grad_outputs) = 0;
  // Frees the tensors saved for backward (after a backward pass without retain_graph).
  virtual void release_variables() {}

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_[i]; }
  size_t num_outputs() const { return next_edges_.size(); }
  // How many forward outputs (gradient inputs) this node has.
  uint32_t num_inputs() const { return num_inputs_; }
  // Creation order; the engine runs ready nodes newest first, as PyTorch does.
  uint64_t sequence_nr() const { return sequence_nr_; }

  // Non-leaf tensors that asked to keep their gradient (retain_grad): the engine stores the
  // gradient arriving at input `input_nr` into them.
  void add_retained_grad(uint32_t input_nr, const std::shared_ptr<TensorImpl>& tensor) {
    retained_grads_.emplace_back(input_nr, tensor);
  }
  const std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>>& retained_grads() const {
    return retained_grads_;
  }

  void set_next_edges(std::vector<Edge> edges) { next_edges_ = std::move(edges); }
  void add_next_edge(Edge edge) { next_edges_.push_back(std::move(edge)); }
  void set_num_inputs(uint32_t n) { num_inputs_ = n; }

 private:
  std::vector<Edge> next_edges_;
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained_grads_;
  uint32_t num_inputs_ = 1;
  uint64_t sequence_nr_;
};

// The edge a gradient for `tensor` should flow into: its grad_fn, or the accumulator of a
// leaf that requires grad, or an invalid edge.
Edge gradient_edge(const Tensor& tensor);

}  // namespace axon::autograd
