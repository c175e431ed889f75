// The autograd engine: runs the graph from the roots in reverse topological order.
//
// Note [Engine]: a first pass counts, for every node reachable from the roots, how many edges
// point at it. Nodes whose count drops to zero are ready; among ready nodes the newest (highest
// sequence number) runs first, as in PyTorch, so results do not depend on hash order.
// Gradients arriving at the same input of a node are summed in its input buffer before it runs.
// autograd::grad and backward(inputs=...) mark the nodes that lead to the requested inputs and
// run only those; autograd::grad captures the gradient at each input instead of accumulating.
// In anomaly mode (axon/autograd/anomaly_mode.h) every gradient a node returns is checked.
#include "axon/autograd/engine.h"

#include <algorithm>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "axon/autograd/anomaly_mode.h"
#include "axon/autograd/grad_mode.h"
#include "axon/autograd/node.h"
#include "axon/functions.h"
#include "core/autograd/accumulate_grad.h"
#include "core/profiling.h"

namespace axon::autograd {
namespace {

struct NodeState {
  int dependencies = 0;
  bool needed = true;
  variable_list buffer;
};

struct CaptureSlot {
  Node* node;
  uint32_t input_nr;
  size_t index;  // which requested input
};

struct ReadyOrder {
  bool operator()(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

// Throws at the first gradient in `outputs` holding nan or inf, naming `node` and the node that
// created the forward input the gradient is for (its next edge: no forward bookkeeping needed).
void check_finite(const Node& node, const variable_list& outputs) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& g = outputs[i];
    if (!g.defined() || g.isfinite().all().item<bool>()) continue;
    const Edge& edge = node.next_edge(i);
    std::string input = !edge.is_valid() ? "an input that needs no gradient"
                        : dynamic_cast<AccumulateGrad*>(edge.function.get()) != nullptr
                            ? "a leaf tensor"
                            : fmt::format("an input created by '{}'", edge.function->name());
    AXON_ERROR("Function '{}' returned {} values in its {}th output, the gradient of {}",
               node.name(), g.isnan().any().item<bool>() ? "nan" : "inf", i, input);
  }
}

class GraphTask {
 public:
  GraphTask(bool keep_graph, bool create_graph)
      : keep_graph_(keep_graph), create_graph_(create_graph) {}

  void add_root(const Edge& edge, Tensor grad) {
    roots_.push_back(edge);
    root_grads_.push_back(std::move(grad));
  }

  // Gradients flowing into these edges are returned by run() instead of (for leaves) being
  // accumulated; with `only_needed`, nodes that do not lead to them are skipped.
  void capture(const std::vector<Edge>& edges, bool accumulate) {
    capture_edges_ = edges;
    accumulate_captured_ = accumulate;
  }

  variable_list run() {
    count_dependencies();
    if (!capture_edges_.empty()) mark_needed();
    captured_.assign(capture_edges_.size(), Tensor());

    std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, ReadyOrder>
        ready;
    for (size_t i = 0; i < roots_.size(); ++i) {
      add_gradient(roots_[i], std::move(root_grads_[i]));
    }
    for (const Edge& root : roots_) {
      NodeState& state = states_[root.function.get()];
      if (state.dependencies == 0 && !queued_.count(root.function.get())) {
        queued_.insert(root.function.get());
        ready.push(root.function);
      }
    }

    AutoGradMode grad_mode(create_graph_);
    const bool check_anomaly = AnomalyMode::is_enabled() && AnomalyMode::should_check_nan();
    while (!ready.empty()) {
      std::shared_ptr<Node> node = ready.top();
      ready.pop();
      NodeState& state = states_[node.get()];
      variable_list inputs = std::move(state.buffer);
      inputs.resize(node->num_inputs());
      bool is_capture_target = capture_inputs(node.get(), inputs);
      if (!state.needed) continue;
      if (is_capture_target && !accumulate_captured_ &&
          dynamic_cast<AccumulateGrad*>(node.get()) != nullptr) {
        continue;
      }
      std::optional<profiler::RecordFunction> profiled;
      if (detail::profiler_recording()) [[unlikely]] {
        profiled.emplace(node->name());  // the node's time, its kernels' inside it
      }
      variable_list outputs = node->apply(std::move(inputs));
      profiled.reset();
      if (!keep_graph_) node->release_variables();
      AXON_INTERNAL_ASSERT(outputs.size() == node->num_outputs() ||
                               dynamic_cast<AccumulateGrad*>(node.get()) != nullptr,
                           "{} returned {} gradients for {} inputs", node->name(), outputs.size(),
                           node->num_outputs());
      if (check_anomaly) check_finite(*node, outputs);
      for (size_t i = 0; i < outputs.size(); ++i) {
        const Edge& edge = node->next_edge(i);
        if (!edge.is_valid()) continue;
        add_gradient(edge, std::move(outputs[i]));
        NodeState& next = states_[edge.function.get()];
        if (--next.dependencies == 0) ready.push(edge.function);
      }
    }
    return std::move(captured_);
  }

 private:
  void count_dependencies() {
    std::vector<Node*> stack;
    std::unordered_set<Node*> seen;
    for (const Edge& root : roots_) {
      if (seen.insert(root.function.get()).second) stack.push_back(root.function.get());
    }
    while (!stack.empty()) {
      Node* node = stack.back();
      stack.pop_back();
      states_[node];
      for (const Edge& edge : node->next_edges()) {
        if (!edge.is_valid()) continue;
        states_[edge.function.get()].dependencies++;
        if (seen.insert(edge.function.get()).second) stack.push_back(edge.function.get());
      }
    }
  }

  // A node is needed when a captured edge can be reached from it.
  void mark_needed() {
    std::unordered_set<Node*> targets;
    for (const Edge& e : capture_edges_) targets.insert(e.function.get());
    std::unordered_map<Node*, bool> memo;
    // Iterative post-order DFS over the reachable graph.
    for (auto& [node, state] : states_) state.needed = false;
    std::vector<std::pair<Node*, size_t>> stack;
    for (const Edge& root : roots_) {
      if (memo.count(root.function.get())) continue;
      stack.emplace_back(root.function.get(), 0);
      memo[root.function.get()] = false;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next < node->next_edges().size()) {
          const Edge& edge = node->next_edge(next++);
          if (edge.is_valid() && !memo.count(edge.function.get())) {
            memo[edge.function.get()] = false;
            stack.emplace_back(edge.function.get(), 0);
          }
          continue;
        }
        bool needed = targets.count(node) > 0;
        for (const Edge& edge : node->next_edges()) {
          if (edge.is_valid() && memo[edge.function.get()]) needed = true;
        }
        memo[node] = needed;
        states_[node].needed = needed;
        stack.pop_back();
      }
    }
  }

  void add_gradient(const Edge& edge, Tensor grad) {
    if (!grad.defined()) return;
    NodeState& state = states_[edge.function.get()];
    if (state.buffer.size() < edge.function->num_inputs()) {
      state.buffer.resize(edge.function->num_inputs());
    }
    Tensor& slot = state.buffer[edge.input_nr];
    // Out of place: `grad` or `slot` may be shared with another node's outputs.
    slot = slot.defined() ? slot + grad : std::move(grad);
  }

  // Records the gradients arriving at captured edges of `node`, and those that non-leaf tensors
  // asked to keep (retain_grad). Returns whether the node is a capture target.
  bool capture_inputs(Node* node, const variable_list& inputs) {
    bool target = false;
    for (size_t i = 0; i < capture_edges_.size(); ++i) {
      const Edge& e = capture_edges_[i];
      if (e.function.get() != node) continue;
      target = true;
      const Tensor& g = inputs[e.input_nr];
      if (g.defined()) {
        captured_[i] = captured_[i].defined() ? captured_[i] + g : g;
      }
    }
    for (const auto& [input_nr, weak] : node->retained_grads()) {
      std::shared_ptr<TensorImpl> impl = weak.lock();
      const Tensor& g = inputs[input_nr];
      if (!impl || !g.defined()) continue;
      Tensor& grad = impl->grad();
      if (create_graph_) {
        grad = grad.defined() ? grad + g : g;
      } else {
        grad = grad.defined() ? grad + g.detach() : g.detach().clone();
      }
    }
    return target;
  }

  bool keep_graph_;
  bool create_graph_;
  std::vector<Edge> roots_;
  variable_list root_grads_;
  std::vector<Edge> capture_edges_;
  bool accumulate_captured_ = true;
  variable_list captured_;
  std::unordered_map<Node*, NodeState> states_;
  std::unordered_set<Node*> queued_;
};

// Root edges and their starting gradients, checked as PyTorch checks them.
void add_roots(GraphTask& task, const variable_list& tensors, const variable_list& grad_tensors,
               const char* api) {
  AXON_CHECK(!tensors.empty(), "{}: no tensors to differentiate", api);
  AXON_CHECK(grad_tensors.empty() || grad_tensors.size() == tensors.size(),
             "{}: got {} tensors but {} gradients", api, tensors.size(), grad_tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    AXON_CHECK(t.defined(), "{}: tensor {} is undefined", api, i);
    Edge edge = gradient_edge(t);
    AXON_CHECK(edge.is_valid(),
               "element {} of tensors does not require grad and does not have a grad_fn", i);
    Tensor grad = grad_tensors.empty() ? Tensor() : grad_tensors[i];
    if (!grad.defined()) {
      AXON_CHECK(t.numel() == 1,
                 "grad can be implicitly created only for scalar outputs: tensor {} has shape "
                 "{}; pass a gradient of that shape to backward()",
                 i, t.sizes());
      grad = ones_like(t);
    } else {
      AXON_CHECK(grad.sizes() == t.sizes(),
                 "{}: the gradient for tensor {} has shape {} but the tensor has shape {}", api, i,
                 grad.sizes(), t.sizes());
      AXON_CHECK(grad.device() == t.device(),
                 "{}: the gradient for tensor {} is on {} but the tensor is on {}", api, i,
                 grad.device(), t.device());
    }
    task.add_root(edge, std::move(grad));
  }
}

std::vector<Edge> input_edges(const variable_list& inputs, const char* api) {
  std::vector<Edge> edges;
  for (size_t i = 0; i < inputs.size(); ++i) {
    AXON_CHECK(inputs[i].defined(), "{}: input {} is undefined", api, i);
    AXON_CHECK(inputs[i].requires_grad(), "{}: input {} does not require grad", api, i);
    edges.push_back(gradient_edge(inputs[i]));
  }
  return edges;
}

}  // namespace

void backward(const variable_list& tensors, const variable_list& grad_tensors,
              std::optional<bool> retain_graph, bool create_graph, const variable_list& inputs) {
  GraphTask task(retain_graph.value_or(create_graph), create_graph);
  add_roots(task, tensors, grad_tensors, "backward");
  if (!inputs.empty()) {
    for (const Tensor& input : inputs) {
      AXON_CHECK(input.defined() && input.is_leaf(),
                 "backward: `inputs` must be leaf tensors that require grad");
    }
    task.capture(input_edges(inputs, "backward"), /*accumulate=*/true);
  }
  task.run();
}

variable_list grad(const variable_list& outputs, const variable_list& inputs,
                   const variable_list& grad_outputs, std::optional<bool> retain_graph,
                   bool create_graph, bool allow_unused) {
  AXON_CHECK(!inputs.empty(), "grad: no inputs to differentiate with respect to");
  GraphTask task(retain_graph.value_or(create_graph), create_graph);
  add_roots(task, outputs, grad_outputs, "grad");
  task.capture(input_edges(inputs, "grad"), /*accumulate=*/false);
  variable_list result = task.run();
  for (size_t i = 0; i < result.size(); ++i) {
    AXON_CHECK(result[i].defined() || allow_unused,
               "grad: one of the differentiated tensors (input {}) appears to not have been used "
               "in the graph. Set allow_unused=true if this is the desired behavior.",
               i);
    if (result[i].defined() && !create_graph) result[i] = result[i].detach();
  }
  return result;
}

}  // namespace axon::autograd
