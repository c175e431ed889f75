// The course's autograd exercise in axon: gradients by hand and by backward(), one tanh RNN
// cell, and a two-layer ReLU network trained three ways (manual gradients, autograd, a custom
// autograd Function). It checks what it shows, so it doubles as a test: exit code 0 when every
// check holds, 1 (with a message) when one fails, 2 on a bad command line.
//
//   autograd_basics [--steps N]    (N >= 2 training steps per way; default 500)

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/checks.h"

namespace {

using axon::Tensor;

using axon::apps::Checks;
using axon::apps::print_section;
using axon::apps::py_bool;

// (a) c = sum(x * y + z): dc/db = 1, so dc/dx = y and dc/dy = x.
void gradients_by_hand_and_by_backward(Checks& checks) {
  print_section("(a) c = sum(x * y + z): gradients by hand and by backward()");
  constexpr int64_t N = 3, D = 4;
  Tensor x = axon::randn({N, D}).requires_grad_();
  Tensor y = axon::randn({N, D}).requires_grad_();
  Tensor z = axon::randn({N, D}).requires_grad_();

  Tensor a = x * y;
  Tensor b = a + z;
  Tensor c = axon::sum(b);

  // Backpropagate by hand: c = sum(b) gives grad_b = 1; b = a + z passes it to a and z
  // unchanged; a = x * y sends grad_a * y to x and grad_a * x to y.
  Tensor grad_x_by_hand, grad_y_by_hand;
  {
    axon::NoGradGuard no_grad;
    Tensor grad_b = axon::ones_like(b);
    Tensor grad_a = grad_b.clone();
    grad_x_by_hand = grad_a * y;
    grad_y_by_hand = grad_a * x;
  }

  c.backward();

  fmt::print("x =\n{}\ny =\n{}\nc = {}\n\n", x, y, c);
  bool x_equal = axon::allclose(grad_x_by_hand, x.grad());
  bool y_equal = axon::allclose(grad_y_by_hand, y.grad());
  fmt::print("grad_x by hand (= y):\n{}\ngrad_x by backward():\n{}\nequal: {}\n\n", grad_x_by_hand,
             x.grad(), py_bool(x_equal));
  fmt::print("grad_y by hand (= x):\n{}\ngrad_y by backward():\n{}\nequal: {}\n", grad_y_by_hand,
             y.grad(), py_bool(y_equal));
  checks.expect(x_equal, "(a) grad_x by hand equals x.grad()");
  checks.expect(y_equal, "(a) grad_y by hand equals y.grad()");
}

// (b) One step of a tanh RNN cell: next_h = tanh(w_x x^T + w_h prev_h^T), loss = sum(next_h).
void rnn_cell(Checks& checks) {
  print_section("(b) One tanh RNN cell: next_h = tanh(w_x x^T + w_h prev_h^T)");
  Tensor x = axon::randn({1, 10}).requires_grad_();
  Tensor prev_h = axon::randn({1, 20}).requires_grad_();
  Tensor w_x = axon::randn({20, 10}).requires_grad_();
  Tensor w_h = axon::randn({20, 20}).requires_grad_();

  Tensor i2h = axon::matmul(w_x, x.t());
  Tensor h2h = axon::matmul(w_h, prev_h.t());
  Tensor next_h = (i2h + h2h).tanh();
  Tensor loss = next_h.sum();
  loss.backward();

  fmt::print("next_h: {}  loss = {}\n", next_h.sizes(), loss.item<double>());
  fmt::print("gradient shapes: x {}  prev_h {}  w_x {}  w_h {}\n", x.grad().sizes(),
             prev_h.grad().sizes(), w_x.grad().sizes(), w_h.grad().sizes());
  fmt::print("w_x.grad():\n{}\nw_h.grad():\n{}\n", w_x.grad(), w_h.grad());

  // tanh' = 1 - tanh^2, and d(w v^T)/dw sends the upstream gradient g [20,1] to g v [20,k].
  Tensor grad_w_x_by_hand, grad_w_h_by_hand;
  {
    axon::NoGradGuard no_grad;
    Tensor grad_pre_activation = 1 - next_h.pow(2);
    grad_w_x_by_hand = grad_pre_activation.matmul(x);
    grad_w_h_by_hand = grad_pre_activation.matmul(prev_h);
  }
  // 1 - next_h^2 cancels where next_h is near +-1: tanh's backward kernel rounds next_h^2 once
  // less than the two ops here (PyTorch's does too), so the two differ by ~1e-7 absolute, and
  // PyTorch's allclose with the default atol fails on this very check.
  constexpr double kRtol = 1e-5, kAtol = 1e-6;
  bool w_x_equal = axon::allclose(grad_w_x_by_hand, w_x.grad(), kRtol, kAtol);
  bool w_h_equal = axon::allclose(grad_w_h_by_hand, w_h.grad(), kRtol, kAtol);
  fmt::print("w_x.grad() equals (1 - next_h^2) . x:      {}\n", py_bool(w_x_equal));
  fmt::print("w_h.grad() equals (1 - next_h^2) . prev_h: {}\n", py_bool(w_h_equal));
  checks.expect(w_x_equal, "(b) w_x.grad() equals (1 - next_h^2) . x");
  checks.expect(w_h_equal, "(b) w_h.grad() equals (1 - next_h^2) . prev_h");
}

// ---- (c) a two-layer ReLU network, trained three ways ----

constexpr int64_t kBatch = 64, kDimIn = 1000, kHidden = 100, kDimOut = 10;
constexpr int64_t kLogEvery = 100;

// A ReLU written as a custom autograd function, as the course's MyReLU.
struct MyReLU : axon::autograd::Function<MyReLU> {
  static Tensor forward(axon::autograd::AutogradContext* ctx, Tensor input) {
    ctx->save_for_backward({input});
    return input.clamp_min(0);
  }
  static axon::autograd::variable_list backward(axon::autograd::AutogradContext* ctx,
                                                axon::autograd::variable_list grad_outputs) {
    Tensor input = ctx->get_saved_variables()[0];
    // Zero where input < 0, as the course does (grad_input[input < 0] = 0): at input == 0 the
    // gradient passes, as in clamp_min's backward and the manual version. grad * (input > 0)
    // would block it there, and with this seed some h is exactly 0 (step 121), which sends
    // that way's weights off by more than rounding.
    return {grad_outputs[0].masked_fill(input < 0, 0)};
  }
};

struct TwoLayerProblem {
  Tensor x, y, w1, w2;
};

// Re-seeds first, so that every way starts from the same data and weights.
TwoLayerProblem make_two_layer_problem(bool weights_require_grad) {
  axon::manual_seed(0);
  TwoLayerProblem p;
  p.x = axon::randn({kBatch, kDimIn});
  p.y = axon::randn({kBatch, kDimOut});
  p.w1 = axon::randn({kDimIn, kHidden}).requires_grad_(weights_require_grad);
  p.w2 = axon::randn({kHidden, kDimOut}).requires_grad_(weights_require_grad);
  return p;
}

struct TrainResult {
  Tensor w1, w2;
  double first_loss = 0;
  double last_loss = 0;
  int64_t last_step = 0;
  std::optional<int64_t> first_non_finite_step;
};

// Prints "t loss" as the course does, every `log_every` steps and at a non-finite loss.
// Returns false when the loss is not finite, to stop training there.
bool log_loss(TrainResult& result, int64_t t, double loss, int64_t log_every) {
  if (t == 0) result.first_loss = loss;
  result.last_loss = loss;
  result.last_step = t;
  bool finite = std::isfinite(loss);
  if (t % log_every == log_every - 1 || !finite) fmt::print("{} {}\n", t, loss);
  if (!finite) result.first_non_finite_step = t;
  return finite;
}

TrainResult train_manual(int64_t steps, double learning_rate) {
  TwoLayerProblem p = make_two_layer_problem(/*weights_require_grad=*/false);
  TrainResult result;
  for (int64_t t = 0; t < steps; ++t) {
    Tensor h = p.x.mm(p.w1);
    Tensor h_relu = h.clamp_min(0);
    Tensor y_pred = h_relu.mm(p.w2);
    Tensor loss = (y_pred - p.y).pow(2).sum();
    if (!log_loss(result, t, loss.item<double>(), kLogEvery)) break;

    Tensor grad_y_pred = 2.0 * (y_pred - p.y);
    Tensor grad_w2 = h_relu.t().mm(grad_y_pred);
    Tensor grad_h_relu = grad_y_pred.mm(p.w2.t());
    Tensor grad_h = grad_h_relu.masked_fill(h < 0, 0);
    Tensor grad_w1 = p.x.t().mm(grad_h);

    axon::NoGradGuard no_grad;
    p.w1 -= learning_rate * grad_w1;
    p.w2 -= learning_rate * grad_w2;
  }
  result.w1 = p.w1;
  result.w2 = p.w2;
  return result;
}

using Relu = std::function<Tensor(const Tensor&)>;

TrainResult train_autograd(int64_t steps, double learning_rate, const Relu& relu,
                           int64_t log_every = kLogEvery) {
  TwoLayerProblem p = make_two_layer_problem(/*weights_require_grad=*/true);
  TrainResult result;
  for (int64_t t = 0; t < steps; ++t) {
    Tensor y_pred = relu(p.x.mm(p.w1)).mm(p.w2);
    Tensor loss = (y_pred - p.y).pow(2).sum();
    if (!log_loss(result, t, loss.item<double>(), log_every)) break;

    loss.backward();
    axon::NoGradGuard no_grad;
    p.w1 -= learning_rate * p.w1.grad();
    p.w2 -= learning_rate * p.w2.grad();
    p.w1.mutable_grad().zero_();
    p.w2.mutable_grad().zero_();
  }
  result.w1 = p.w1.detach();
  result.w2 = p.w2.detach();
  return result;
}

void check_loss_fell(Checks& checks, const TrainResult& result, const std::string& way) {
  bool fell = result.last_loss < result.first_loss;  // false for nan or inf as well
  fmt::print("loss fell from {} (step 0) to {} (step {}): {}\n", result.first_loss,
             result.last_loss, result.last_step, py_bool(fell));
  checks.expect(fell, fmt::format("(c) the loss fell when training {}", way));
}

bool same_weights(const TrainResult& a, const TrainResult& b) {
  // Float32 sums taken in different orders (a matmul's backward versus the hand-written one)
  // may differ in the last bits; 500 steps of gradient descent do not amplify that much.
  constexpr double kRtol = 1e-4, kAtol = 1e-5;
  return axon::allclose(a.w1, b.w1, kRtol, kAtol) && axon::allclose(a.w2, b.w2, kRtol, kAtol);
}

void two_layer_network(Checks& checks, int64_t steps) {
  constexpr double kLearningRate = 1e-6;
  fmt::print("\nN={} D_in={} H={} D_out={}, learning rate {}, {} steps\n", kBatch, kDimIn, kHidden,
             kDimOut, kLearningRate, steps);

  print_section("(c1) Manual forward and backward");
  TrainResult manual = train_manual(steps, kLearningRate);
  check_loss_fell(checks, manual, "with manual gradients");

  print_section("(c2) Autograd: loss.backward()");
  TrainResult autograd =
      train_autograd(steps, kLearningRate, [](const Tensor& h) { return h.clamp_min(0); });
  check_loss_fell(checks, autograd, "with autograd");

  print_section("(c3) A custom autograd Function: MyReLU");
  TrainResult custom =
      train_autograd(steps, kLearningRate, [](const Tensor& h) { return MyReLU::apply(h); });
  check_loss_fell(checks, custom, "with MyReLU");

  print_section("Do the three ways agree?");
  bool manual_autograd = same_weights(manual, autograd);
  bool autograd_custom = same_weights(autograd, custom);
  fmt::print("final w1, w2 of manual == autograd: {}\n", py_bool(manual_autograd));
  fmt::print("final w1, w2 of autograd == MyReLU: {}\n", py_bool(autograd_custom));
  checks.expect(manual_autograd, "(c) manual and autograd training give the same weights");
  checks.expect(autograd_custom, "(c) autograd and MyReLU training give the same weights");

  // Ten times the step overshoots: each step grows the loss until it overflows float32. This
  // takes a handful of steps, so it runs to its own limit whatever --steps says.
  constexpr double kTooLarge = 1e-5;
  constexpr int64_t kDivergenceSteps = 100;
  print_section(fmt::format("(c4) Learning rate {} diverges (loss at every step)", kTooLarge));
  TrainResult diverged = train_autograd(
      kDivergenceSteps, kTooLarge, [](const Tensor& h) { return h.clamp_min(0); },
      /*log_every=*/1);
  if (diverged.first_non_finite_step) {
    fmt::print("the loss is not finite from step {} on\n", *diverged.first_non_finite_step);
  }
  checks.expect(diverged.first_non_finite_step.has_value(),
                fmt::format("(c4) learning rate {} made the loss non-finite within {} steps",
                            kTooLarge, kDivergenceSteps));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's autograd exercise in axon"};
  int64_t steps = 500;
  // The loss-fell check compares the first and the last step, so it needs two.
  app.add_option("--steps", steps, "training steps per way (>= 2)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    axon::manual_seed(0);
    gradients_by_hand_and_by_backward(checks);
    rnn_cell(checks);
    two_layer_network(checks, steps);
  });
}
