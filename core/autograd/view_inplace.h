#pragma once
// In-place ops on views while autograd records (Note [In-place on views]).

#include "axon/tensor.h"

namespace axon::autograd::detail {

// True for a tensor made by a view op (it has a base whose history an in-place op must update).
bool is_recorded_view(const Tensor& t);
// Refuses views of leaves that require grad, as PyTorch does.
void check_view_inplace(const Tensor& view, const char* name);
// The view's current value as a differentiable function of its base's current history.
Tensor current_view_value(const Tensor& view, const char* name);
// Writes `result` into the view and rewrites the base's and the view's histories.
const Tensor& inplace_view_result(const Tensor& view, const Tensor& result, const char* name);
// Rebuilds the grad_fn of a view whose base was rewritten since the view last saw it.
void refresh_view_history(const Tensor& view);

}  // namespace axon::autograd::detail
