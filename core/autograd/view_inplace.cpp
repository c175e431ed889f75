// In-place ops on views while autograd records.
//
// Note [In-place on views]: writing through a view v of a base b changes b, so b's history must
// change too (PyTorch's CopySlices). An in-place op on v, while recording:
//   1. takes v's current value as a strided view of b's current history (AsStridedBackward0),
//      clones it, and runs the out-of-place op on the clone (so what the op saves is never the
//      memory about to be overwritten);
//   2. writes the result into v's memory;
//   3. gives b a CopySlices node: the gradient of b's old value is b's gradient with v's region
//      zeroed, and the gradient of the result is that region;
//   4. makes v a strided view of b's new history.
// Other views of b made earlier would still point at b's old history: b's history version is
// bumped, and gradient_edge() rebuilds such a view's grad_fn from b when it is next used.
// The geometry is taken relative to b, which must be contiguous (views of fresh tensors are).
#include "core/autograd/view_inplace.h"

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon::autograd::detail {
namespace {

// Where a view sits inside its (contiguous) base.
struct ViewGeometry {
  DimVector sizes;
  DimVector strides;
  int64_t offset = 0;  // elements from the base's first element
};

ViewGeometry geometry_of(const TensorImpl& view, const TensorImpl& base) {
  return {DimVector(view.sizes()), DimVector(view.strides()),
          view.storage_offset() - base.storage_offset()};
}

// A view of `t` (contiguous, shaped like the base) with the view's geometry, not recorded.
Tensor region_of(const Tensor& t, const ViewGeometry& g) {
  return axon::detail::make_view(t, g.sizes, g.strides, t.storage_offset() + g.offset);
}

// Makes `view` a differentiable function of `base`: the backward scatters the gradient into
// zeros of the base's shape.
void link_to_base(const Tensor& view, const Tensor& base, const ViewGeometry& g) {
  record("AsStridedBackward0", view, {&base}, {},
         [g, sizes = DimVector(base.sizes())](const BackwardContext& ctx) {
           Tensor grad_base = zeros(sizes, ctx.grad().options());
           region_of(grad_base, g).copy_(ctx.grad());
           return variable_list{grad_base};
         });
}

Tensor as_strided_of(const Tensor& base, const ViewGeometry& g) {
  Tensor out = region_of(base, g);
  if (should_record({&base})) link_to_base(out, base, g);
  return out;
}

bool overlaps_itself(const TensorImpl& view) {
  for (int64_t d = 0; d < view.dim(); ++d) {
    if (view.strides()[d] == 0 && view.sizes()[d] > 1) return true;
  }
  return false;
}

Tensor base_of(const Tensor& view, const char* name) {
  const std::shared_ptr<TensorImpl>& base = view.unsafeGetTensorImpl()->view_base();
  AXON_INTERNAL_ASSERT(base != nullptr, "{}: a view without a base", name);
  AXON_CHECK(base->is_contiguous(),
             "{}: in-place operations on a view of a non-contiguous tensor are not supported "
             "while autograd records; clone() the tensor first",
             name);
  return Tensor(base);
}

}  // namespace

bool is_recorded_view(const Tensor& t) {
  const TensorImpl* impl = t.unsafeGetTensorImpl();
  return impl->is_view() && impl->view_base() != nullptr;
}

void check_view_inplace(const Tensor& view, const char* name) {
  Tensor base = base_of(view, name);
  AXON_CHECK(!(base.is_leaf() && base.requires_grad()),
             "a view of a leaf Variable that requires grad is being used in an in-place "
             "operation ({}).",
             name);
}

Tensor current_view_value(const Tensor& view, const char* name) {
  Tensor base = base_of(view, name);
  return as_strided_of(base, geometry_of(*view.unsafeGetTensorImpl(), *base.unsafeGetTensorImpl()));
}

const Tensor& inplace_view_result(const Tensor& view, const Tensor& result, const char* name) {
  AXON_CHECK(result.sizes() == view.sizes(),
             "{}: output with shape {} doesn't match the broadcast shape {}", name, view.sizes(),
             result.sizes());
  Tensor base = base_of(view, name);
  ViewGeometry g = geometry_of(*view.unsafeGetTensorImpl(), *base.unsafeGetTensorImpl());
  {
    NoGradGuard no_grad;
    axon::detail::copy_raw(view, result);
    view.storage()->bump_version();
  }
  record("CopySlices", base, {&base, &result}, {}, [g](const BackwardContext& ctx) {
    Tensor grad = ctx.grad().contiguous();
    Tensor mask = zeros(grad.sizes(), TensorOptions(kBool).device(grad.device()));
    {
      NoGradGuard no_grad;
      region_of(mask, g).fill_(true);
    }
    Tensor grad_result = ctx.needs_grad(1) ? as_strided_of(grad, g).clone() : Tensor();
    return variable_list{ctx.needs_grad(0) ? grad.masked_fill(mask, 0) : Tensor(), grad_result};
  });
  base.unsafeGetTensorImpl()->bump_history_version();
  refresh_view_history(view);
  return view;
}

void refresh_view_history(const Tensor& view) {
  TensorImpl* impl = view.unsafeGetTensorImpl();
  const std::shared_ptr<TensorImpl>& base_impl = impl->view_base();
  if (base_impl == nullptr || impl->seen_base_history() == base_impl->history_version()) return;
  impl->set_seen_base_history(base_impl->history_version());
  if (!base_impl->is_contiguous() || overlaps_itself(*impl) || !base_impl->grad_fn()) return;
  link_to_base(view, Tensor(base_impl), geometry_of(*impl, *base_impl));
}

}  // namespace axon::autograd::detail
