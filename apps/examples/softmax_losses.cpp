// The course's softmax-and-losses exercise in axon: softmax of [0.4, 2.0, 0.001, 0.32] by hand;
// for the prediction [0.001, 0.9, 0.001, 0.098] against the one-hot answer [0, 0, 0, 1], half
// the sum of squared errors, the cross-entropy (delta 1e-7) and the negative log2-likelihood by
// hand; then the same through axon's functions. In float64, as the course's numpy. It checks
// what it shows (exit code 1 when a check fails).
//
//   softmax_losses [--fast] [--plot DIR]
//
// Nothing here trains, so --fast changes nothing; the plot is the two distributions.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <vector>

#include "common/checks.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;

namespace F = axon::nn::functional;

constexpr double kDelta = 1e-7;  // keeps log away from log(0)

// axon has no log2 yet (torch.log2); log(x) / ln 2 is the same up to rounding.
Tensor log2(const Tensor& x) { return axon::log(x) / std::log(2.0); }

bool close(double a, double b) { return std::abs(a - b) <= 1e-12 + 1e-9 * std::abs(b); }

std::vector<double> to_vector(const Tensor& t) {
  Tensor c = t.contiguous().to(axon::kFloat64);
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

void softmax(Checks& checks, const ExampleOptions& options) {
  print_section("softmax by hand: exp(a - max(a)) / sum(exp(a - max(a)))");
  Tensor a = axon::tensor({0.4, 2.0, 0.001, 0.32}, axon::kFloat64);
  // Subtracting the max changes nothing mathematically and keeps exp from overflowing.
  Tensor exp_a = axon::exp(a - a.max());
  Tensor y = exp_a / exp_a.sum();
  fmt::print("a = {}\nsoftmax(a) = {}\nsum = {}\n", a, y, y.sum());
  Tensor y_axon = axon::softmax(a, 0);
  fmt::print("axon::softmax(a, 0) = {}\n", y_axon);
  checks.expect(axon::allclose(y, y_axon, 1e-12, 1e-15), "softmax by hand equals axon::softmax");
  checks.expect(close(y.sum().item<double>(), 1.0), "softmax sums to 1");

  const std::string path = axon::apps::plot_path(options, "softmax_losses.png");
  if (path.empty()) return;
  std::vector<double> index{0, 1, 2, 3};
  axon::apps::plot_panels(
      path,
      {{"a", "index", "value", {{"a", index, to_vector(a), "boxes"}}},
       {"softmax(a)", "index", "probability", {{"softmax(a)", index, to_vector(y), "boxes"}}}},
      1, 2, 500, 400);
}

void losses(Checks& checks) {
  Tensor y = axon::tensor({0.001, 0.9, 0.001, 0.098}, axon::kFloat64);
  Tensor t = axon::tensor({0.0, 0.0, 0.0, 1.0}, axon::kFloat64);
  fmt::print("\nprediction y = {}\none-hot answer t = {}\n", y, t);

  print_section("The losses by hand");
  const double sse = (0.5 * axon::sum(axon::pow(y - t, 2))).item<double>();
  const double cross_entropy = (-axon::sum(t * axon::log(y + kDelta))).item<double>();
  const double nll2 = (-axon::sum(t * log2(y + kDelta))).item<double>();
  fmt::print("sum of squares error / 2:        {}\n", sse);
  fmt::print("cross-entropy error:             {}\n", cross_entropy);
  fmt::print("negative log2-likelihood:        {}\n", nll2);
  // Exact arithmetic: (0.001^2 + 0.9^2 + 0.001^2 + 0.902^2) / 2, and the answer's class is 3.
  checks.expect(close(sse, 0.811803), "the sum of squares error is 0.811803");
  checks.expect(close(cross_entropy, -std::log(0.098 + kDelta)), "cross-entropy is -ln(0.098)");
  checks.expect(close(nll2, -std::log2(0.098 + kDelta)), "log2-likelihood is -log2(0.098)");

  print_section("The same through axon's functions");
  Tensor mse_sum = F::mse_loss(y, t, F::MSELossFuncOptions().reduction(axon::kSum)) / 2;
  fmt::print("mse_loss(y, t, reduction=sum) / 2:        {}\n", mse_sum);
  // nll_loss on log(y) with the answer as a class index; and cross_entropy on log(y) as logits:
  // y sums to 1, so log_softmax(log(y)) = log(y) and it gives the same number.
  Tensor log_y = axon::log(y + kDelta).unsqueeze(0);
  Tensor target = axon::tensor({int64_t{3}});
  Tensor nll = F::nll_loss(log_y, target);
  Tensor ce = F::cross_entropy(axon::log(y).unsqueeze(0), target);
  Tensor nll_log2 = F::nll_loss(log2(y + kDelta).unsqueeze(0), target);
  fmt::print("nll_loss(log(y + delta), 3):              {}\n", nll);
  fmt::print("cross_entropy(log(y), 3):                 {}\n", ce);
  fmt::print("nll_loss(log2(y + delta), 3):             {}\n", nll_log2);
  checks.expect(close(mse_sum.item<double>(), sse), "mse_loss(sum) / 2 equals the SSE by hand");
  checks.expect(close(nll.item<double>(), cross_entropy), "nll_loss equals cross-entropy by hand");
  // Without delta: -ln(0.098) against -ln(0.098 + 1e-7), about 1e-6 apart.
  checks.expect(std::abs(ce.item<double>() - cross_entropy) < 2e-6,
                "cross_entropy equals cross-entropy by hand");
  checks.expect(close(nll_log2.item<double>(), nll2), "nll_loss on log2 equals it by hand");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's softmax and losses exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/false);
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    softmax(checks, options);
    losses(checks);
  });
}
