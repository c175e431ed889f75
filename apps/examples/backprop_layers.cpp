// The course's backprop-as-layers exercise ("Deep Learning from Scratch", chapter 5) in axon:
// multiply and add layers with forward and backward (two apples at 100 and tax 1.1; apples and
// three oranges at 150), an Affine layer and softmax-with-loss, then a two-layer net 784-50-10
// on the MNIST subset whose backprop gradients are compared per parameter with numerical ones
// (central differences, float64) and with axon's autograd, and which is then trained with
// minibatches of 100 and lr 0.1, printing the train and test accuracy once per epoch. Every
// layer's forward and backward is written by hand on axon tensors, as the book writes them on
// numpy arrays. It checks what it shows (exit code 1 when a check fails).
//
//   backprop_layers [--data DIR] [--iters N] [--fast] [--plot DIR] [--device cpu|cuda]
//
// --fast: 1000 training and 500 test images, 200 iterations. The gradient check always runs
// on the CPU, in float64; the training runs on --device, in float32.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/checks.h"
#include "common/course_data.h"
#include "common/plot.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::ExampleOptions;
using axon::apps::print_section;

// ---- The apples and oranges of section 5.4 ----------------------------------------------------

// z = x * y: dz/dx = y, dz/dy = x, so backward needs both inputs.
class MulLayer {
 public:
  Tensor forward(const Tensor& x, const Tensor& y) {
    x_ = x;
    y_ = y;
    return x * y;
  }
  std::pair<Tensor, Tensor> backward(const Tensor& dout) const { return {dout * y_, dout * x_}; }

 private:
  Tensor x_, y_;
};

// z = x + y passes the gradient through unchanged to both inputs.
class AddLayer {
 public:
  Tensor forward(const Tensor& x, const Tensor& y) const { return x + y; }
  std::pair<Tensor, Tensor> backward(const Tensor& dout) const { return {dout * 1, dout * 1}; }
};

// A number as the book's comments show it: integers as they are, floats rounded to 12
// significant digits with Python's ".0" on a whole one. (Python's repr would show the binary
// rounding of 1.1 too: 220.00000000000003.)
std::string number(const Tensor& t) {
  if (!t.is_floating_point()) return fmt::format("{}", t.item<int64_t>());
  std::string s = fmt::format("{:.12g}", t.item<double>());
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Checks that `t` prints as `shown` and is `value` up to the rounding of 1.1.
void expect_number(Checks& checks, const std::string& name, const Tensor& t,
                   const std::string& shown, double value) {
  const double v = t.item<double>();
  checks.expect(number(t) == shown && std::abs(v - value) <= 1e-12 * std::abs(value),
                fmt::format("{} is {} (got {})", name, shown, v));
}

void apples(Checks& checks) {
  print_section("Buying two apples at 100 with tax 1.1: two MulLayers");
  // Integers stay int64 and the tax is float64, as Python's int and float.
  const Tensor apple = axon::tensor(100), apple_num = axon::tensor(2);
  const Tensor tax = axon::tensor(1.1, axon::kFloat64);
  MulLayer mul_apple_layer, mul_tax_layer;
  const Tensor apple_price = mul_apple_layer.forward(apple, apple_num);
  const Tensor price = mul_tax_layer.forward(apple_price, tax);

  const auto [dapple_price, dtax] = mul_tax_layer.backward(axon::tensor(1));
  const auto [dapple, dapple_num] = mul_apple_layer.backward(dapple_price);
  fmt::print("price: {}\n", number(price));
  fmt::print("dapple, dapple_num, dtax: {} {} {}\n", number(dapple), number(dapple_num),
             number(dtax));
  expect_number(checks, "price", price, "220.0", 220);
  expect_number(checks, "dapple", dapple, "2.2", 2.2);
  expect_number(checks, "dapple_num", dapple_num, "110.0", 110);
  expect_number(checks, "dtax", dtax, "200", 200);
}

void apples_and_oranges(Checks& checks) {
  print_section("Two apples at 100 and three oranges at 150, tax 1.1: MulLayers and an AddLayer");
  const Tensor apple = axon::tensor(100), apple_num = axon::tensor(2);
  const Tensor orange = axon::tensor(150), orange_num = axon::tensor(3);
  const Tensor tax = axon::tensor(1.1, axon::kFloat64);
  MulLayer mul_apple_layer, mul_orange_layer, mul_tax_layer;
  AddLayer add_apple_orange_layer;
  const Tensor apple_price = mul_apple_layer.forward(apple, apple_num);
  const Tensor orange_price = mul_orange_layer.forward(orange, orange_num);
  const Tensor all_price = add_apple_orange_layer.forward(apple_price, orange_price);
  const Tensor price = mul_tax_layer.forward(all_price, tax);

  const auto [dall_price, dtax] = mul_tax_layer.backward(axon::tensor(1));
  const auto [dapple_price, dorange_price] = add_apple_orange_layer.backward(dall_price);
  const auto [dorange, dorange_num] = mul_orange_layer.backward(dorange_price);
  const auto [dapple, dapple_num] = mul_apple_layer.backward(dapple_price);
  fmt::print("price: {}\n", number(price));
  fmt::print("dapple_num, dapple, dorange, dorange_num, dtax: {} {} {} {} {}\n", number(dapple_num),
             number(dapple), number(dorange), number(dorange_num), number(dtax));
  expect_number(checks, "price", price, "715.0", 715);
  expect_number(checks, "dapple_num", dapple_num, "110.0", 110);
  expect_number(checks, "dapple", dapple, "2.2", 2.2);
  expect_number(checks, "dorange", dorange, "3.3", 3.3);
  expect_number(checks, "dorange_num", dorange_num, "165.0", 165);
  expect_number(checks, "dtax", dtax, "650", 650);
}

// ---- The layers of a network (sections 5.5 and 5.6) -------------------------------------------

class Relu {
 public:
  Tensor forward(const Tensor& x) {
    mask_ = x <= 0;
    return x.masked_fill(mask_, 0);
  }
  Tensor backward(const Tensor& dout) const { return dout.masked_fill(mask_, 0); }
  const Tensor& mask() const { return mask_; }

 private:
  Tensor mask_;
};

// out = x W + b. W and b are the network's own tensors (shared, not copied), so an update of
// the parameters in place is seen here.
class Affine {
 public:
  Affine(Tensor w, Tensor b) : w_(std::move(w)), b_(std::move(b)) {}
  Tensor forward(const Tensor& x) {
    x_ = x;
    return x.matmul(w_) + b_;
  }
  Tensor backward(const Tensor& dout) {
    dw_ = x_.t().matmul(dout);
    db_ = dout.sum({0});
    return dout.matmul(w_.t());
  }
  const Tensor& dw() const { return dw_; }
  const Tensor& db() const { return db_; }

 private:
  Tensor w_, b_, x_, dw_, db_;
};

// Softmax followed by the cross-entropy with one-hot targets t, averaged over the batch. The
// book takes log(y + 1e-7) to keep log away from 0; log_softmax gives the same loss without
// that shift, so that (y - t) / N is its exact gradient. (With the shift the check below sees
// it: b2's difference becomes 1.4e-7 on the real subset, as in the book's own output.)
class SoftmaxWithLoss {
 public:
  double forward(const Tensor& x, const Tensor& t) {
    t_ = t;
    y_ = axon::softmax(x, 1);
    return (-(t * axon::log_softmax(x, 1)).sum() / x.size(0)).item<double>();
  }
  Tensor backward() const { return (y_ - t_) / t_.size(0); }

 private:
  Tensor y_, t_;
};

Tensor one_hot(const Tensor& labels, int64_t classes, axon::DType dtype) {
  return (labels.unsqueeze(1) == axon::arange(classes, labels.options()).unsqueeze(0)).to(dtype);
}

void affine_and_softmax(Checks& checks) {
  print_section("An Affine layer: forward X W + B, backward dX, dW, dB");
  auto f64 = axon::TensorOptions(axon::kFloat64);
  const Tensor x = axon::tensor({{0.0, 0.0}, {5.0, 5.0}}, f64);
  const Tensor w = axon::ones({2, 3}, f64), b = axon::tensor({1.0, 2.0, 3.0}, f64);
  Affine affine(w, b);
  const Tensor y = affine.forward(x);  // X W = [[0, 0, 0], [10, 10, 10]], as the book's
  const Tensor dy = axon::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, f64);
  const Tensor dx = affine.backward(dy);
  fmt::print("Y = X W + B =\n{}\ndY =\n{}\ndX = dY W^T =\n{}\ndW = X^T dY =\n{}\ndB = {}\n", y, dy,
             dx, affine.dw(), affine.db());
  // Exact arithmetic on small integers.
  checks.expect(axon::equal(y, axon::tensor({{1.0, 2.0, 3.0}, {11.0, 12.0, 13.0}}, f64)),
                "Affine forward is [[1, 2, 3], [11, 12, 13]]");
  checks.expect(axon::equal(affine.db(), axon::tensor({5.0, 7.0, 9.0}, f64)),
                "Affine dB is the column sums of dY: [5, 7, 9]");

  // The same derivatives from axon's autograd: the gradient of sum(Y * dY) is dY's backward.
  const Tensor xa = x.clone().requires_grad_(), wa = w.clone().requires_grad_(),
               ba = b.clone().requires_grad_();
  ((xa.matmul(wa) + ba) * dy).sum().backward();
  checks.expect(axon::equal(dx, xa.grad()) && axon::equal(affine.dw(), wa.grad()) &&
                    axon::equal(affine.db(), ba.grad()),
                "Affine's backward equals autograd's dX, dW and dB");

  print_section("Softmax-with-loss: the gradient is (y - t) / N");
  const Tensor a = axon::tensor({{0.3, 2.9, 4.0}}, f64);
  const Tensor t = axon::tensor({{0.0, 0.0, 1.0}}, f64);
  SoftmaxWithLoss last;
  const double loss = last.forward(a, t);
  const Tensor da = last.backward();
  fmt::print("a = {}\nt = {}\nloss = {:.6f}\ndL/da = y - t = {}\n", a, t, loss, da);
  const Tensor aa = a.clone().requires_grad_();
  const Tensor loss_axon = axon::nn::functional::cross_entropy(aa, axon::tensor({2}));
  loss_axon.backward();
  fmt::print("axon cross_entropy: {}\nits gradient:       {}\n", loss_axon, aa.grad());
  checks.expect(
      std::abs(loss - loss_axon.item<double>()) < 1e-12 && axon::allclose(da, aa.grad(), 0, 1e-15),
      "softmax-with-loss by hand equals axon's cross_entropy and its gradient");
}

// ---- The two-layer net (section 5.7) ----------------------------------------------------------

using Params = std::vector<std::pair<std::string, Tensor>>;

class TwoLayerNet {
 public:
  TwoLayerNet(int64_t input_size, int64_t hidden_size, int64_t output_size, double weight_init_std,
              axon::TensorOptions options)
      : params_{{"W1", axon::randn({input_size, hidden_size}, options) * weight_init_std},
                {"b1", axon::zeros({hidden_size}, options)},
                {"W2", axon::randn({hidden_size, output_size}, options) * weight_init_std},
                {"b2", axon::zeros({output_size}, options)}},
        affine1_(params_[0].second, params_[1].second),
        affine2_(params_[2].second, params_[3].second) {}

  Params& params() { return params_; }
  // Which hidden units the last forward cut to 0.
  const Tensor& relu_mask() const { return relu1_.mask(); }

  Tensor predict(const Tensor& x) { return affine2_.forward(relu1_.forward(affine1_.forward(x))); }
  double loss(const Tensor& x, const Tensor& t) { return last_layer_.forward(predict(x), t); }
  double accuracy(const Tensor& x, const Tensor& labels) {
    return (predict(x).argmax(1) == labels).to(axon::kFloat64).mean().item<double>();
  }

  // Backprop: forward once, then each layer's backward in reverse order.
  Params gradient(const Tensor& x, const Tensor& t) {
    loss(x, t);
    Tensor dout = last_layer_.backward();
    dout = affine2_.backward(dout);
    dout = relu1_.backward(dout);
    affine1_.backward(dout);
    return {
        {"W1", affine1_.dw()}, {"b1", affine1_.db()}, {"W2", affine2_.dw()}, {"b2", affine2_.db()}};
  }

 private:
  Params params_;
  Affine affine1_;
  Relu relu1_;
  Affine affine2_;
  SoftmaxWithLoss last_layer_;
};

// The book's numerical_gradient: central differences (h = 1e-4), one element at a time,
// changing the float64 parameter `x` in place and putting it back. It also marks where a hidden
// unit changed sides of ReLU's kink between x + h and x - h: there the difference measures no
// derivative, which the book's check leaves to chance.
struct NumericalGradient {
  Tensor grad, kink;  // kink: bool, per element
};

NumericalGradient numerical_gradient(const std::function<double()>& f,
                                     const std::function<Tensor()>& relu_mask, const Tensor& x) {
  constexpr double h = 1e-4;
  NumericalGradient result{axon::zeros_like(x), axon::zeros_like(x, axon::kBool)};
  double* value = x.data_ptr<double>();
  double* grad = result.grad.data_ptr<double>();
  bool* kink = result.kink.data_ptr<bool>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double saved = value[i];
    value[i] = saved + h;
    const double fxh1 = f();
    const Tensor mask1 = relu_mask();
    value[i] = saved - h;
    const double fxh2 = f();
    grad[i] = (fxh1 - fxh2) / (2 * h);
    kink[i] = !axon::equal(mask1, relu_mask());
    value[i] = saved;
  }
  return result;
}

void gradient_check(Checks& checks, const axon::apps::MnistArrays& data) {
  print_section("Gradient check on 3 images: numerical (h = 1e-4) versus backprop, float64");
  axon::manual_seed(0);
  TwoLayerNet network(784, 50, 10, 0.01, axon::TensorOptions(axon::kFloat64));
  const int64_t n = std::min<int64_t>(3, data.train_images.size(0));
  const Tensor x = data.train_images.slice(0, 0, n).to(axon::kFloat64);
  const Tensor labels = data.train_labels.slice(0, 0, n);
  const Tensor t = one_hot(labels, 10, axon::kFloat64);

  const Params backprop = network.gradient(x, t);
  for (size_t i = 0; i < backprop.size(); ++i) {
    const auto& [key, param] = network.params()[i];
    const NumericalGradient numerical = numerical_gradient(
        [&] { return network.loss(x, t); }, [&] { return network.relu_mask(); }, param);
    const Tensor diff = (backprop[i].second - numerical.grad).abs();
    fmt::print("{}:{}\n", key, diff.mean().item<double>());  // the book's line
    const int64_t kinks = numerical.kink.sum().item<int64_t>();
    const int64_t smooth = param.numel() - kinks;
    const double smooth_diff = diff.masked_fill(numerical.kink, 0).sum().item<double>() /
                               static_cast<double>(std::max<int64_t>(smooth, 1));
    if (kinks > 0) {
      fmt::print("  ({} of {} differences straddle a ReLU kink; the mean over the other {}: {})\n",
                 kinks, param.numel(), smooth, smooth_diff);
    }
    checks.expect(smooth > 0 && smooth_diff < 1e-7,
                  fmt::format("{}: backprop and numerical gradients agree to 1e-7 (mean "
                              "|difference| {} away from ReLU's kink)",
                              key, smooth_diff));
  }

  print_section("The same loss through axon's autograd versus the hand-written backward");
  std::vector<Tensor> leaves;
  for (const auto& [key, param] : network.params())
    leaves.push_back(param.clone().requires_grad_());
  const Tensor logits = axon::relu(x.matmul(leaves[0]) + leaves[1]).matmul(leaves[2]) + leaves[3];
  axon::nn::functional::cross_entropy(logits, labels).backward();
  for (size_t i = 0; i < backprop.size(); ++i) {
    const double diff = (backprop[i].second - leaves[i].grad()).abs().max().item<double>();
    fmt::print("{}: max |backprop - autograd| = {:.3g}\n", backprop[i].first, diff);
    checks.expect(diff < 1e-12, fmt::format("{}: backprop equals autograd's gradient (max "
                                            "|difference| {})",
                                            backprop[i].first, diff));
  }
}

void train(Checks& checks, const ExampleOptions& options, const axon::apps::MnistArrays& data,
           int64_t iters) {
  constexpr int64_t kBatch = 100;
  constexpr double kLearningRate = 0.1;
  print_section(fmt::format("Training: {} iterations, minibatches of {}, lr {}, float32", iters,
                            kBatch, kLearningRate));
  const axon::Device device = axon::apps::resolve_device(options.device);
  axon::manual_seed(0);
  TwoLayerNet network(784, 50, 10, 0.01, axon::TensorOptions(axon::kFloat32).device(device));
  const Tensor train_x = data.train_images.to(device), train_y = data.train_labels.to(device);
  const Tensor test_x = data.test_images.to(device), test_y = data.test_labels.to(device);
  auto loader = axon::data::make_data_loader(
      axon::data::datasets::TensorDataset(data.train_images, data.train_labels)
          .map(axon::data::transforms::Stack<>()),
      axon::data::DataLoaderOptions().batch_size(kBatch));

  std::vector<double> losses, train_accs, test_accs;
  for (int64_t epoch = 1, iter = 0; iter < iters; ++epoch) {
    for (auto& batch : *loader) {
      const Tensor x = batch.data.to(device);
      const Tensor t = one_hot(batch.target.to(device), 10, axon::kFloat32);
      const Params grads = network.gradient(x, t);
      for (size_t i = 0; i < grads.size(); ++i) {
        network.params()[i].second.sub_(grads[i].second * kLearningRate);
      }
      losses.push_back(network.loss(x, t));
      if (++iter == iters) break;
    }
    train_accs.push_back(network.accuracy(train_x, train_y));
    test_accs.push_back(network.accuracy(test_x, test_y));
    fmt::print("epoch {:3d}: train acc, test acc | {:.4f}, {:.4f}\n", epoch, train_accs.back(),
               test_accs.back());
  }

  // Chance is 0.1. The book's 10000 iterations take the real subset well above 0.9.
  const double floor = iters >= 10000 ? 0.9 : 0.5;
  checks.expect(train_accs.back() > floor && test_accs.back() > floor,
                fmt::format("train and test accuracy above {} after training ({:.4f}, {:.4f})",
                            floor, train_accs.back(), test_accs.back()));

  const std::string path = axon::apps::plot_path(options, "backprop_layers_training.png");
  if (path.empty()) return;
  const std::vector<double> epochs = [&] {
    std::vector<double> e = axon::apps::steps(static_cast<int64_t>(train_accs.size()));
    for (double& v : e) v += 1;
    return e;
  }();
  axon::apps::Panel loss_panel{
      "loss per iteration",
      "iteration",
      "loss",
      {{"train loss", axon::apps::steps(static_cast<int64_t>(losses.size())), losses}}};
  axon::apps::Panel acc_panel{"accuracy per epoch",
                              "epoch",
                              "accuracy",
                              {{"train acc", epochs, train_accs, "linespoints"},
                               {"test acc", epochs, test_accs, "linespoints"}},
                              false,
                              "bottom right"};
  axon::apps::plot_panels(path, {loss_panel, acc_panel}, 1, 2);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's backprop-as-layers exercise in axon"};
  ExampleOptions options;
  axon::apps::add_example_options(app, options, /*trains=*/true);
  std::string data_dir;
  axon::apps::add_mnist_data_option(app, data_dir);
  int64_t iters = 10000;
  app.add_option("--iters", iters, "training iterations (the book's 10000; --fast: 200)")
      ->check(CLI::PositiveNumber);
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    apples(checks);
    apples_and_oranges(checks);
    affine_and_softmax(checks);
    const axon::apps::MnistArrays data =
        axon::apps::load_mnist_arrays(data_dir, options.fast ? 1000 : 0, options.fast ? 500 : 0);
    AXON_CHECK(data.train_images.size(0) > 0 && data.test_images.size(0) > 0,
               "--data {}: no images in the training or the test split", data_dir);
    gradient_check(checks, data);
    if (options.fast && app.count("--iters") == 0) iters = 200;
    train(checks, options, data, iters);
  });
}
