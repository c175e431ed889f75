// Loss functions. nll_loss has its own kernels (kernels/*/loss.*); cross_entropy is log_softmax
// + nll_loss; the rest are compositions of elementwise ops and reductions, so their backward
// comes from those ops and they run on every device. Formulas as PyTorch's
// (aten/src/ATen/native/Loss.cpp, LossNLL.cpp).
#include "kernels/common/loss.h"

#include <algorithm>
#include <cmath>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::nll_loss_kernel);
AXON_DEFINE_KERNEL(kernels::nll_loss_backward_kernel);

namespace {

using autograd::BackwardContext;

Tensor apply_reduction(const Tensor& loss, Reduction::Reduction reduction, const char* op) {
  switch (reduction) {
    case Reduction::None:
      return loss;
    case Reduction::Mean:
      return loss.mean();
    case Reduction::Sum:
      return loss.sum();
  }
  AXON_ERROR("{}: unknown reduction {}", op, static_cast<int>(reduction));
}

// Losses between an input and a target of the same shape (PyTorch broadcasts with a warning;
// a shape mismatch there is almost always a bug, so it is an error here).
void check_pointwise(const Tensor& input, const Tensor& target, const char* op) {
  detail::check_defined(input, op, "input");
  detail::check_defined(target, op, "target");
  AXON_CHECK(input.sizes() == target.sizes(),
             "{}: the target size {} must be the same as the input size {}", op, target.sizes(),
             input.sizes());
  AXON_CHECK(input.is_floating_point() && target.is_floating_point(),
             "{}: expected floating-point input and target, got {} and {}", op, input.dtype(),
             target.dtype());
  detail::check_same_device(input, target, op);
}

// A weight (or pos_weight) multiplies the elementwise loss, so it must broadcast with the input;
// checked here so that the error names the loss and the argument.
void check_loss_weight(const Tensor& weight, const Tensor& input, const char* name,
                       const char* op) {
  if (!weight.defined()) return;
  detail::check_same_device(input, weight, op);
  bool broadcasts = true;
  for (int64_t i = 1; i <= std::min(weight.dim(), input.dim()); ++i) {
    const int64_t w = weight.size(-i), x = input.size(-i);
    broadcasts &= w == x || w == 1 || x == 1;
  }
  AXON_CHECK(broadcasts, "{}: {} of shape {} does not broadcast with the input's shape {}", op,
             name, weight.sizes(), input.sizes());
}

// A CUDA kernel cannot throw (a bad target gives a NaN loss there), so targets on a GPU are
// checked on the device and the verdict read at the next synchronisation (core/cuda_hooks.h):
// no host wait inside a step. The CPU kernel checks as it goes.
void check_targets_on_device(const Tensor& target, int64_t classes, int64_t ignore_index) {
  detail::defer_index_range_check(target, classes, ignore_index, [classes](int64_t t) {
    return fmt::format("nll_loss: target {} is out of bounds for {} classes", t, classes);
  });
}

}  // namespace

// ---- nll_loss and cross_entropy -------------------------------------------------------------

Tensor nll_loss(const Tensor& self, const Tensor& target, const Tensor& weight,
                Reduction::Reduction reduction, int64_t ignore_index) {
  detail::check_defined(self, "nll_loss", "input");
  detail::check_defined(target, "nll_loss", "target");
  AXON_CHECK(self.dim() >= 1, "nll_loss: expected an input with at least 1 dim, got shape {}",
             self.sizes());
  AXON_CHECK(self.is_floating_point(), "nll_loss: expected a floating-point input, got {}",
             self.dtype());
  AXON_CHECK(target.dtype() == DType::Int64,
             "nll_loss: expected target of dtype int64 (class indices), got {}", target.dtype());
  detail::check_same_device(self, target, "nll_loss");
  // Input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...).
  const bool unbatched = self.dim() == 1;
  const int64_t classes = unbatched ? self.size(0) : self.size(1);
  DimVector expected_target;
  if (!unbatched) {
    expected_target.push_back(self.size(0));
    for (int64_t d = 2; d < self.dim(); ++d) expected_target.push_back(self.size(d));
  }
  AXON_CHECK(target.sizes() == IntArrayRef(expected_target),
             "nll_loss: expected target of shape {} for input of shape {}, got {}", expected_target,
             self.sizes(), target.sizes());
  if (weight.defined()) {
    AXON_CHECK(
        weight.dim() == 1 && weight.size(0) == classes,
        "nll_loss: weight should be a 1-D tensor of {} entries (one per class), got shape {}",
        classes, weight.sizes());
    AXON_CHECK(weight.dtype() == self.dtype(), "nll_loss: expected weight of dtype {}, got {}",
               self.dtype(), weight.dtype());
    detail::check_same_device(self, weight, "nll_loss");
  }

  // Classes last: [M, C] rows, one per target element.
  Tensor rows = self.dim() > 2 ? self.flatten(2).transpose(1, 2).reshape({-1, classes})
                               : self.reshape({-1, classes});
  rows = rows.contiguous();
  const Tensor flat_target = target.reshape({-1}).contiguous();
  if (!self.is_cpu()) check_targets_on_device(flat_target, classes, ignore_index);
  // Kernels index the weight as a plain array.
  const Tensor class_weight = weight.defined() ? weight.contiguous() : weight;
  const int64_t m = rows.size(0);
  Tensor out = detail::empty_tensor(reduction == Reduction::None ? IntArrayRef{m} : IntArrayRef{},
                                    self.dtype(), self.device());
  Tensor total_weight = detail::empty_tensor({}, self.dtype(), self.device());
  kernels::nll_loss_kernel(self.device())(out, total_weight, rows, flat_target, class_weight,
                                          ignore_index, reduction);
  if (reduction == Reduction::None) out = out.view(target.sizes());

  if (autograd::should_record({&self})) {
    AXON_CHECK(!weight.requires_grad(), "nll_loss: gradients for weight are not supported");
    DimVector input_sizes(self.sizes());
    autograd::record(
        "NllLossBackward0", out, {&self}, {flat_target, class_weight, total_weight},
        [input_sizes, classes, m, ignore_index, reduction](const BackwardContext& ctx) {
          const Tensor& grad = ctx.grad();
          AXON_CHECK(!autograd::should_record({&grad}),
                     "nll_loss: double backward (create_graph through nll_loss) is not supported");
          Tensor grad_rows = detail::empty_tensor({m, classes}, grad.dtype(), grad.device());
          kernels::nll_loss_backward_kernel(grad.device())(grad_rows, grad.contiguous(),
                                                           ctx.saved(0), ctx.saved(1), ctx.saved(2),
                                                           ignore_index, reduction);
          const int64_t ndim = static_cast<int64_t>(input_sizes.size());
          if (ndim <= 2) return variable_list{grad_rows.view(input_sizes)};
          // [N * d, C] -> [N, d..., C] -> [N, C, d...]
          DimVector classes_last{input_sizes[0]};
          for (int64_t d = 2; d < ndim; ++d) classes_last.push_back(input_sizes[d]);
          classes_last.push_back(classes);
          Tensor g = grad_rows.view(classes_last).flatten(1, ndim - 2).transpose(1, 2);
          return variable_list{g.reshape(input_sizes)};
        });
  }
  return out;
}

Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const Tensor& weight,
                          Reduction::Reduction reduction, int64_t ignore_index,
                          double label_smoothing) {
  detail::check_defined(self, "cross_entropy", "input");
  detail::check_defined(target, "cross_entropy", "target");
  AXON_CHECK(label_smoothing >= 0 && label_smoothing <= 1,
             "cross_entropy: label_smoothing must be between 0.0 and 1.0, got {}", label_smoothing);
  AXON_CHECK(self.dim() >= 1, "cross_entropy: expected an input with at least 1 dim, got shape {}",
             self.sizes());
  const int64_t class_dim = self.dim() == 1 ? 0 : 1;
  const int64_t classes = self.size(class_dim);
  const Tensor log_probs = log_softmax(self, class_dim);
  // Weights broadcast along the class dim: [C] -> [C, 1, ...].
  auto class_weight_view = [&]() {
    DimVector shape(static_cast<size_t>(self.dim()), 1);
    shape[static_cast<size_t>(class_dim)] = classes;
    return weight.view(shape);
  };

  if (target.is_floating_point()) {
    // Class probabilities: -(sum over classes of w * p * log q), then the reduction over
    // samples (mean divides by the batch size, as PyTorch).
    AXON_CHECK(target.sizes() == self.sizes(),
               "cross_entropy: a probability target must have the input's shape {}, got {}",
               self.sizes(), target.sizes());
    Tensor t =
        label_smoothing > 0 ? target * (1 - label_smoothing) + label_smoothing / classes : target;
    Tensor terms = log_probs * t;
    if (weight.defined()) terms = terms * class_weight_view();
    Tensor loss = -terms.sum({class_dim});
    if (reduction == Reduction::Mean) {
      return self.dim() == 1 ? loss : loss.sum() / (self.numel() / classes);
    }
    return apply_reduction(loss, reduction, "cross_entropy");
  }

  Tensor nll = nll_loss(log_probs, target, weight, reduction, ignore_index);
  if (label_smoothing == 0) return nll;
  // PyTorch's label smoothing: (1 - eps) * nll + eps / C * smooth, where smooth is the
  // (weighted) sum of -log q over the classes, zero for ignored targets.
  Tensor logp = weight.defined() ? log_probs * class_weight_view() : log_probs;
  Tensor smooth = -logp.sum({class_dim});
  const Tensor ignored = target == ignore_index;
  smooth = masked_fill(smooth, ignored, 0);
  Tensor smooth_reduced;
  switch (reduction) {
    case Reduction::None:
      smooth_reduced = smooth;
      break;
    case Reduction::Sum:
      smooth_reduced = smooth.sum();
      break;
    case Reduction::Mean:
      if (weight.defined()) {
        // Normalised by the weights of the targets not ignored, as nll_loss is: that sum is
        // nll_loss's denominator, the nll of a "log-probability" of -weight.
        Tensor target_weight;
        {
          NoGradGuard no_grad;
          Tensor rows = (-weight).expand({target.numel(), classes});
          target_weight = nll_loss(rows, target.reshape({-1}), {}, Reduction::Sum, ignore_index);
        }
        smooth_reduced = smooth.sum() / target_weight;
      } else {
        // Normalised by the number of targets not ignored, as nll_loss is.
        smooth_reduced = smooth.sum() / logical_not(ignored).sum();
      }
      break;
  }
  return nll * (1 - label_smoothing) + smooth_reduced * (label_smoothing / classes);
}

// ---- pointwise losses -----------------------------------------------------------------------

Tensor mse_loss(const Tensor& self, const Tensor& target, Reduction::Reduction reduction) {
  check_pointwise(self, target, "mse_loss");
  return apply_reduction(square(self - target), reduction, "mse_loss");
}

Tensor l1_loss(const Tensor& self, const Tensor& target, Reduction::Reduction reduction) {
  check_pointwise(self, target, "l1_loss");
  return apply_reduction(abs(self - target), reduction, "l1_loss");
}

Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, Reduction::Reduction reduction,
                      double beta) {
  check_pointwise(self, target, "smooth_l1_loss");
  AXON_CHECK(beta >= 0, "smooth_l1_loss: beta must be non-negative, got {}", beta);
  if (beta == 0) return l1_loss(self, target, reduction);
  Tensor z = abs(self - target);
  Tensor loss = where(z < beta, square(z) * (0.5 / beta), z - 0.5 * beta);
  return apply_reduction(loss, reduction, "smooth_l1_loss");
}

Tensor huber_loss(const Tensor& self, const Tensor& target, Reduction::Reduction reduction,
                  double delta) {
  check_pointwise(self, target, "huber_loss");
  AXON_CHECK(delta > 0, "huber_loss: delta must be positive, got {}", delta);
  Tensor z = abs(self - target);
  Tensor loss = where(z < delta, square(z) * 0.5, (z - 0.5 * delta) * delta);
  return apply_reduction(loss, reduction, "huber_loss");
}

Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const Tensor& weight,
                            Reduction::Reduction reduction) {
  check_pointwise(self, target, "binary_cross_entropy");
  check_loss_weight(weight, self, "weight", "binary_cross_entropy");
  {
    NoGradGuard no_grad;
    const Tensor in_range = logical_and(self >= 0, self <= 1).all();
    AXON_CHECK(in_range.to(kCPU).item<bool>(),
               "binary_cross_entropy: all elements of input should be between 0 and 1, but the "
               "input ranges from {} to {}",
               self.min().item<double>(), self.max().item<double>());
  }
  // -(y log x + (1 - y) log(1 - x)) with each log clamped at -100 (as PyTorch), and PyTorch's
  // gradient (x - y) / max(x (1 - x), eps), which the clamp would otherwise zero. PyTorch's eps
  // is the float 1e-12 (its EPSILON constant is a float), in every dtype.
  Tensor loss;
  {
    NoGradGuard no_grad;
    loss = -(target * clamp_min(log(self), -100) + (1 - target) * clamp_min(log(1 - self), -100));
  }
  if (autograd::should_record({&self, &target})) {
    autograd::record("BinaryCrossEntropyBackward0", loss, {&self, &target}, {self, target},
                     [](const BackwardContext& ctx) {
                       Tensor x = ctx.saved(0), y = ctx.saved(1);
                       Tensor grad_x, grad_y;
                       if (ctx.needs_grad(0)) {
                         grad_x = ctx.grad() * (x - y) / clamp_min((1 - x) * x, double{1e-12f});
                       }
                       if (ctx.needs_grad(1)) {
                         grad_y = ctx.grad() * (log(1 - x) - log(x));
                       }
                       return variable_list{grad_x, grad_y};
                     });
  }
  if (weight.defined()) loss = loss * weight;
  return apply_reduction(loss, reduction, "binary_cross_entropy");
}

Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        Reduction::Reduction reduction) {
  check_pointwise(self, target, "binary_cross_entropy_with_logits");
  check_loss_weight(weight, self, "weight", "binary_cross_entropy_with_logits");
  check_loss_weight(pos_weight, self, "pos_weight", "binary_cross_entropy_with_logits");
  // (1 - y) x + lw * log(1 + exp(-x)), lw = 1 + (pos_weight - 1) y, with log(1 + exp(-x)) as
  // m + log(exp(-m) + exp(-x - m)), m = max(-x, 0): stable for any x, and its gradient is
  // -sigmoid(-x) at x = 0 too (log1p(exp(-|x|)) + m would get abs's and clamp's kinks there).
  Tensor max_val = clamp_min(-self, 0);
  Tensor log1p_exp_neg = max_val + log(exp(-max_val) + exp(-self - max_val));
  Tensor loss =
      (1 - target) * self +
      (pos_weight.defined() ? ((pos_weight - 1) * target + 1) * log1p_exp_neg : log1p_exp_neg);
  if (weight.defined()) loss = loss * weight;
  return apply_reduction(loss, reduction, "binary_cross_entropy_with_logits");
}

}  // namespace axon
