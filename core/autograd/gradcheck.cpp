// gradcheck: analytic Jacobians (one backward per output element) against central differences.
#include "axon/autograd/gradcheck.h"

#include <cmath>
#include <iostream>

#include "axon/autograd/engine.h"
#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/tensor_utils.h"

namespace axon::autograd {
namespace {

// Element `flat` (row-major order) of a tensor of any layout and device, as a 0-dim view that
// shares its memory, so that fill_ perturbs the input in place.
Tensor element(const Tensor& t, int64_t flat) {
  std::vector<int64_t> index(static_cast<size_t>(t.dim()));
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    index[static_cast<size_t>(d)] = flat % t.size(d);
    flat /= t.size(d);
  }
  Tensor view = t.detach();
  for (int64_t i : index) view = view[i];
  return view;
}

std::vector<double> flatten_values(const Tensor& t) {
  Tensor c = t.detach().to(kFloat64).cpu().contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

// The function's outputs, copied: an output may share memory with an input (a view), and the
// inputs are about to be perturbed again.
variable_list evaluate(const std::function<variable_list(const variable_list&)>& fn,
                       const variable_list& inputs) {
  variable_list outputs = fn(inputs);
  for (size_t o = 0; o < outputs.size(); ++o) {
    AXON_CHECK(outputs[o].defined(), "gradcheck: output {} of the function is undefined", o);
    AXON_CHECK(outputs[o].is_floating_point(),
               "gradcheck: output {} has dtype {}; outputs must be floating point", o,
               outputs[o].dtype());
  }
  return outputs;
}

variable_list evaluate_values(const std::function<variable_list(const variable_list&)>& fn,
                              const variable_list& inputs) {
  variable_list outputs = evaluate(fn, inputs);
  for (Tensor& out : outputs) out = out.detach().clone();
  return outputs;
}

bool fail(const GradcheckOptions& options, const std::string& message) {
  AXON_CHECK(!options.raise_exception, "{}", message);
  std::cerr << message << '\n';
  return false;
}

}  // namespace

bool gradcheck(const std::function<variable_list(const variable_list&)>& fn,
               const variable_list& inputs, const GradcheckOptions& options) {
  std::vector<size_t> checked;  // indices of inputs that require grad
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    AXON_CHECK(inputs[i].dtype() == kFloat64,
               "gradcheck: input {} requires grad but has dtype {}; use float64 inputs so that "
               "finite differences are accurate",
               i, inputs[i].dtype());
    checked.push_back(i);
  }
  AXON_CHECK(!checked.empty(), "gradcheck: no input requires grad");

  // Analytic Jacobian rows: for each output element, one backward pass.
  AutoGradMode enable_grad(true);
  variable_list outputs = evaluate(fn, inputs);
  variable_list diff_inputs;
  for (size_t i : checked) diff_inputs.push_back(inputs[i]);
  // analytic[o][i][k * numel_in + j] = d out_o[k] / d in_i[j]
  std::vector<std::vector<std::vector<double>>> analytic(outputs.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Tensor& out = outputs[o];
    analytic[o].assign(checked.size(), {});
    for (size_t c = 0; c < checked.size(); ++c) {
      analytic[o][c].assign(static_cast<size_t>(out.numel() * inputs[checked[c]].numel()), 0.0);
    }
    if (!out.requires_grad()) continue;
    for (int64_t k = 0; k < out.numel(); ++k) {
      Tensor grad_out = zeros_like(out);
      {
        NoGradGuard no_grad;
        grad_out.view({-1})[k].fill_(1);
      }
      variable_list grads = autograd::grad({out}, diff_inputs, {grad_out}, /*retain_graph=*/true,
                                           /*create_graph=*/false, /*allow_unused=*/true);
      for (size_t c = 0; c < checked.size(); ++c) {
        if (!grads[c].defined()) continue;
        std::vector<double> row = flatten_values(grads[c]);
        std::copy(row.begin(), row.end(),
                  analytic[o][c].begin() + k * static_cast<int64_t>(row.size()));
      }
    }
  }

  // Numerical Jacobian by central differences, one input element at a time.
  NoGradGuard no_grad;
  for (size_t c = 0; c < checked.size(); ++c) {
    const Tensor& input = inputs[checked[c]];
    int64_t n_in = input.numel();
    for (int64_t j = 0; j < n_in; ++j) {
      Tensor x = element(input, j);
      double original = x.item<double>();
      x.fill_(original + options.eps);
      variable_list plus = evaluate_values(fn, inputs);
      x.fill_(original - options.eps);
      variable_list minus = evaluate_values(fn, inputs);
      x.fill_(original);
      for (size_t o = 0; o < outputs.size(); ++o) {
        std::vector<double> p = flatten_values(plus[o]);
        std::vector<double> m = flatten_values(minus[o]);
        for (size_t k = 0; k < p.size(); ++k) {
          double numerical = (p[k] - m[k]) / (2 * options.eps);
          double analytical = analytic[o][c][k * static_cast<size_t>(n_in) + j];
          if (std::abs(analytical - numerical) >
                  options.atol + options.rtol * std::abs(numerical) ||
              std::isnan(analytical) != std::isnan(numerical)) {
            return fail(options,
                        fmt::format("gradcheck: Jacobian mismatch for output {} with respect to "
                                    "input {}, element {} (output element {}): numerical {:.9g}, "
                                    "analytical {:.9g}",
                                    o, checked[c], j, k, numerical, analytical));
          }
        }
      }
    }
  }
  return true;
}

bool gradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
               const GradcheckOptions& options) {
  return gradcheck([&fn](const variable_list& x) { return variable_list{fn(x)}; }, inputs, options);
}

}  // namespace axon::autograd
