#include "axon/autograd/node.h"

#include <atomic>
#include <limits>

#include "axon/functions.h"
#include "core/autograd/accumulate_grad.h"
#include "core/autograd/record.h"
#include "core/autograd/view_inplace.h"

namespace axon::autograd {
namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};
}

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

Edge gradient_edge(const Tensor& tensor) {
  if (!tensor.defined()) return {};
  TensorImpl* impl = tensor.unsafeGetTensorImpl();
  if (impl->view_base() && impl->seen_base_history() != impl->view_base()->history_version()) {
    detail::refresh_view_history(tensor);
  }
  if (impl->grad_fn()) return {impl->grad_fn(), impl->output_nr()};
  if (!impl->requires_grad()) return {};
  std::shared_ptr<Node> accumulator = impl->grad_accumulator().lock();
  if (!accumulator) {
    accumulator = std::make_shared<AccumulateGrad>(tensor);
    impl->grad_accumulator() = accumulator;
  }
  return {std::move(accumulator), 0};
}

bool should_record(TensorList inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

namespace detail {

void connect(Node& node, const std::shared_ptr<Node>& self, const Tensor* const* inputs,
             size_t num_inputs, ArrayRef<const Tensor*> outputs) {
  std::vector<Edge> edges;
  edges.reserve(num_inputs);
  for (size_t i = 0; i < num_inputs; ++i) edges.push_back(gradient_edge(*inputs[i]));
  node.set_next_edges(std::move(edges));
  node.set_num_inputs(static_cast<uint32_t>(outputs.size()));
  uint32_t output_nr = 0;
  for (const Tensor* out : outputs) out->unsafeGetTensorImpl()->set_grad_fn(self, output_nr++);
}

void save(std::vector<SavedVariable>& saved, std::initializer_list<Tensor> tensors,
          ArrayRef<const Tensor*> outputs) {
  saved.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    bool is_output = false;
    for (const Tensor* out : outputs) is_output = is_output || (t.defined() && t.is_same(*out));
    saved.emplace_back(t, is_output);
  }
}

}  // namespace detail

// ---- AccumulateGrad -------------------------------------------------------------------------

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(variable.impl()) {}

namespace {
// The incoming gradient may become .grad() itself only when nothing else can see its memory.
bool can_steal(const Tensor& grad) {
  const TensorImpl* impl = grad.unsafeGetTensorImpl();
  return grad.use_count() == 1 && impl->storage().use_count() == 1 && impl->is_contiguous() &&
         impl->storage_offset() == 0 && !grad.requires_grad();
}
}  // namespace

variable_list AccumulateGrad::apply(variable_list&& grads) {
  Tensor incoming = std::move(grads[0]);
  std::shared_ptr<TensorImpl> impl = variable_.lock();
  if (!incoming.defined() || !impl) return {};
  AXON_CHECK(incoming.sizes() == impl->sizes(),
             "AccumulateGrad: the gradient has shape {} but the tensor has shape {}",
             incoming.sizes(), impl->sizes());
  if (incoming.dtype() != impl->dtype()) incoming = incoming.to(impl->dtype());
  Tensor& grad = impl->grad();
  if (GradMode::is_enabled()) {
    // create_graph: keep the gradient differentiable.
    grad = grad.defined() ? grad + incoming : incoming;
  } else if (!grad.defined()) {
    grad = can_steal(incoming) ? incoming : incoming.clone();
  } else {
    grad.add_(incoming);
  }
  return {};
}

}  // namespace axon::autograd
