// axon's nn layer against PyTorch: every loss with every reduction (outputs and gradients),
// activation modules, BatchNorm1d/2d over train steps and eval, initialisers after
// manual_seed, the default init of Linear and Conv2d, and dropout masks. The expected values
// are in tests/reference/golden_nn.json, written by generate_nn_golden.py (torch is not needed
// here).
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using json = nlohmann::json;
namespace F = nn::functional;

const json& golden() {
  static const json data = [] {
    std::ifstream in(AXON_TEST_REFERENCE_DIR "/golden_nn.json");
    if (!in) throw std::runtime_error("cannot open " AXON_TEST_REFERENCE_DIR "/golden_nn.json");
    return json::parse(in);
  }();
  return data;
}

DType parse_dtype(const std::string& name) {
  if (name == "float64") return kFloat64;
  if (name == "float32") return kFloat32;
  if (name == "int64") return kInt64;
  throw std::runtime_error("golden_nn.json: unexpected dtype " + name);
}
const char* dtype_key(DType dtype) { return dtype == kFloat64 ? "float64" : "float32"; }

// {"dtype", "shape", "data"} as a tensor of `dtype` on `device` (int64 data stays int64). The
// file's float32 values are decimals that convert back to the float32 PyTorch gave exactly.
Tensor decode(const json& enc, DType dtype, Device device = Device(kCPU)) {
  const std::vector<int64_t> shape = enc.at("shape").get<std::vector<int64_t>>();
  if (enc.at("dtype") == "int64") {
    return tensor(enc.at("data").get<std::vector<int64_t>>(), shape).to(device);
  }
  return tensor(enc.at("data").get<std::vector<double>>(), shape).to(device, dtype);
}
// The tensor PyTorch gave, in its own dtype, on the CPU.
Tensor expected(const json& enc) { return decode(enc, parse_dtype(enc.at("dtype"))); }

// Float64: PyTorch and axon differ only in summation order and in last bits of libm vs SLEEF;
// results are O(1e-3..1e4), so 1e-10 relative is far below any formula error and far above
// rounding. Float32: the inputs are exact in both dtypes, so the difference is float32
// rounding in a different order (a few ulp, 1.2e-7 each): 1e-5 relative. The absolute terms
// cover results that cancel toward 0 (an error of a few ulp of the terms).
struct Tolerance {
  double rtol, atol;
};
Tolerance tolerance(DType dtype) {
  return dtype == kFloat64 ? Tolerance{1e-10, 1e-12} : Tolerance{1e-5, 1e-6};
}

// `actual` against PyTorch's value: dtype, shape, and every element within the tolerance.
::testing::AssertionResult matches(const Tensor& actual, const json& want, Tolerance tol) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "the tensor is undefined";
  const Tensor w = expected(want);
  if (actual.dtype() != w.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << actual.dtype() << ", PyTorch gives " << w.dtype();
  }
  return testing::approx(actual, w, tol.rtol, tol.atol);
}

Reduction::Reduction parse_reduction(const std::string& name) {
  if (name == "none") return kNone;
  if (name == "mean") return kMean;
  if (name == "sum") return kSum;
  throw std::runtime_error("golden_nn.json: unknown reduction " + name);
}

std::vector<json> cases_of(const char* section, const char* key, const std::string& value) {
  std::vector<json> out;
  for (const json& c : golden().at(section)) {
    if (c.at(key) == value) out.push_back(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Losses, through the loss modules (which call the functional forms).
// ---------------------------------------------------------------------------------------------

using TensorMap = std::map<std::string, Tensor>;

Tensor optional_tensor(const TensorMap& t, const std::string& name) {
  auto it = t.find(name);
  return it == t.end() ? Tensor() : it->second;
}

Tensor run_loss(const std::string& loss, const TensorMap& t, const json& args,
                Reduction::Reduction reduction) {
  const Tensor& x = t.at("input");
  const Tensor& y = t.at("target");
  const Tensor weight = optional_tensor(t, "weight");
  if (loss == "mse_loss") return nn::MSELoss(nn::MSELossOptions(reduction))(x, y);
  if (loss == "l1_loss") return nn::L1Loss(nn::L1LossOptions(reduction))(x, y);
  if (loss == "smooth_l1_loss") {
    return nn::SmoothL1Loss(nn::SmoothL1LossOptions(reduction).beta(args.value("beta", 1.0)))(x, y);
  }
  if (loss == "huber_loss") {
    return nn::HuberLoss(nn::HuberLossOptions(reduction).delta(args.value("delta", 1.0)))(x, y);
  }
  if (loss == "nll_loss") {
    return nn::NLLLoss(nn::NLLLossOptions().weight(weight).reduction(reduction).ignore_index(
        args.value("ignore_index", int64_t{-100})))(x, y);
  }
  if (loss == "cross_entropy") {
    return nn::CrossEntropyLoss(nn::CrossEntropyLossOptions()
                                    .weight(weight)
                                    .reduction(reduction)
                                    .ignore_index(args.value("ignore_index", int64_t{-100}))
                                    .label_smoothing(args.value("label_smoothing", 0.0)))(x, y);
  }
  if (loss == "binary_cross_entropy") {
    return nn::BCELoss(nn::BCELossOptions().weight(weight).reduction(reduction))(x, y);
  }
  if (loss == "binary_cross_entropy_with_logits") {
    return nn::BCEWithLogitsLoss(nn::BCEWithLogitsLossOptions()
                                     .weight(weight)
                                     .pos_weight(optional_tensor(t, "pos_weight"))
                                     .reduction(reduction))(x, y);
  }
  throw std::runtime_error("golden_nn.json: unknown loss " + loss);
}

class NNGolden : public testing::DeviceTest {
 protected:
  // Checks every case of `loss` in both dtypes; returns how many cases there were.
  size_t check_loss(const std::string& loss) const {
    const std::vector<json> cases = cases_of("losses", "loss", loss);
    for (const json& c : cases) {
      SCOPED_TRACE(c.at("name").get<std::string>());
      for (DType dtype : {kFloat64, kFloat32}) {
        SCOPED_TRACE(dtype_key(dtype));
        const json& want = c.at(dtype_key(dtype));
        TensorMap t;
        for (const auto& [name, enc] : c.at("tensors").items())
          t[name] = decode(enc, dtype, device());
        std::vector<std::string> differentiated;
        for (const auto& [name, enc] : want.at("grads").items()) {
          t[name].requires_grad_();
          differentiated.push_back(name);
        }
        const Tensor out = run_loss(loss, t, c.at("args"), parse_reduction(c.at("reduction")));
        EXPECT_TRUE(matches(out, want.at("output"), tolerance(dtype))) << "output";
        (out * decode(c.at("upstream"), dtype, device())).sum().backward();
        for (const std::string& name : differentiated) {
          EXPECT_TRUE(matches(t[name].grad(), want.at("grads").at(name), tolerance(dtype)))
              << "gradient of " << name;
        }
      }
    }
    return cases.size();
  }
};

TEST_P(NNGolden, MSELoss) { EXPECT_EQ(check_loss("mse_loss"), 3u); }
TEST_P(NNGolden, L1Loss) { EXPECT_EQ(check_loss("l1_loss"), 3u); }
TEST_P(NNGolden, SmoothL1LossWithBeta) { EXPECT_EQ(check_loss("smooth_l1_loss"), 5u); }
TEST_P(NNGolden, HuberLossWithDelta) { EXPECT_EQ(check_loss("huber_loss"), 4u); }
TEST_P(NNGolden, CrossEntropyLoss) { EXPECT_EQ(check_loss("cross_entropy"), 37u); }
TEST_P(NNGolden, NLLLoss) { EXPECT_EQ(check_loss("nll_loss"), 15u); }
TEST_P(NNGolden, BCELoss) { EXPECT_EQ(check_loss("binary_cross_entropy"), 8u); }
TEST_P(NNGolden, BCEWithLogitsLoss) {
  EXPECT_EQ(check_loss("binary_cross_entropy_with_logits"), 12u);
}

// Every loss is pinned with each reduction (the file, not only the code above, must say so).
TEST(NNGoldenFile, EveryLossHasEveryReduction) {
  std::map<std::string, std::set<std::string>> seen;
  for (const json& c : golden().at("losses")) seen[c.at("loss")].insert(c.at("reduction"));
  const std::set<std::string> all = {"none", "mean", "sum"};
  for (const char* loss :
       {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
        "binary_cross_entropy", "binary_cross_entropy_with_logits"}) {
    EXPECT_EQ(seen[loss], all) << loss;
  }
}

// A weight that is a strided view weighs each class by its own element, as a contiguous one.
TEST_P(NNGolden, NLLLossWithAStridedWeight) {
  const Tensor log_probs = make({{-1.0, -2.0, -3.0}, {-4.0, -5.0, -6.0}}).requires_grad_();
  const Tensor target = make({2, 1}, kInt64);
  const Tensor strided = make({1.0, 10.0, 2.0, 20.0, 3.0, 30.0}).slice(0, 0, 6, 2);
  const Tensor loss = nll_loss(log_probs, target, strided);
  // (3 * 3 + 2 * 5) / (3 + 2)
  EXPECT_TRUE(testing::same_values(loss, ref(3.8)));
  loss.backward();
  // -weight[t] / total_weight at each target
  EXPECT_TRUE(
      testing::same_values(log_probs.grad(), ref({{0.0, 0.0, -0.6}, {0.0, -0.4, 0.0}}), 1e-6, 0));
}

// Logits of +-1e4: exp overflows in any float type, so only a log-sum-exp form is finite.
TEST_P(NNGolden, CrossEntropyOfLargeLogitsIsFiniteAndPyTorchs) {
  for (const json& c : cases_of("losses", "loss", "cross_entropy")) {
    if (c.at("name").get<std::string>().find("large_logits") == std::string::npos) continue;
    SCOPED_TRACE(c.at("name").get<std::string>());
    for (DType dtype : {kFloat64, kFloat32}) {
      SCOPED_TRACE(dtype_key(dtype));
      Tensor x = decode(c.at("tensors").at("input"), dtype, device()).requires_grad_();
      const Tensor y = decode(c.at("tensors").at("target"), kInt64, device());
      const Tensor loss =
          F::cross_entropy(x, y,
                           F::CrossEntropyFuncOptions()
                               .reduction(parse_reduction(c.at("reduction")))
                               .label_smoothing(c.at("args").value("label_smoothing", 0.0)));
      loss.sum().backward();
      EXPECT_TRUE(isfinite(loss).all().item<bool>()) << loss;
      EXPECT_TRUE(isfinite(x.grad()).all().item<bool>()) << x.grad();
      EXPECT_TRUE(matches(loss, c.at(dtype_key(dtype)).at("output"), tolerance(dtype)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Activations, as modules.
// ---------------------------------------------------------------------------------------------

std::function<Tensor(const Tensor&)> make_activation(const std::string& module, const json& args) {
  if (module == "ReLU") return [m = nn::ReLU()](const Tensor& x) mutable { return m(x); };
  if (module == "LeakyReLU") {
    nn::LeakyReLU m(nn::LeakyReLUOptions().negative_slope(args.value("negative_slope", 0.01)));
    return [m](const Tensor& x) mutable { return m(x); };
  }
  if (module == "ELU") {
    nn::ELU m(nn::ELUOptions().alpha(args.value("alpha", 1.0)));
    return [m](const Tensor& x) mutable { return m(x); };
  }
  if (module == "GELU") {
    nn::GELU m(nn::GELUOptions().approximate(args.value("approximate", std::string("none"))));
    return [m](const Tensor& x) mutable { return m(x); };
  }
  if (module == "SiLU") return [m = nn::SiLU()](const Tensor& x) mutable { return m(x); };
  if (module == "Sigmoid") return [m = nn::Sigmoid()](const Tensor& x) mutable { return m(x); };
  if (module == "Tanh") return [m = nn::Tanh()](const Tensor& x) mutable { return m(x); };
  if (module == "LogSigmoid") {
    return [m = nn::LogSigmoid()](const Tensor& x) mutable { return m(x); };
  }
  if (module == "Softmax") {
    return
        [m = nn::Softmax(args.at("dim").get<int64_t>())](const Tensor& x) mutable { return m(x); };
  }
  if (module == "LogSoftmax") {
    return [m = nn::LogSoftmax(args.at("dim").get<int64_t>())](const Tensor& x) mutable {
      return m(x);
    };
  }
  throw std::runtime_error("golden_nn.json: unknown activation " + module);
}

TEST_P(NNGolden, ActivationModules) {
  std::set<std::string> modules;
  for (const json& c : golden().at("activations")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    modules.insert(c.at("module"));
    auto activation = make_activation(c.at("module"), c.at("args"));
    for (DType dtype : {kFloat64, kFloat32}) {
      SCOPED_TRACE(dtype_key(dtype));
      const json& want = c.at(dtype_key(dtype));
      Tensor x = decode(c.at("input"), dtype, device()).requires_grad_();
      const Tensor out = activation(x);
      EXPECT_TRUE(matches(out, want.at("output"), tolerance(dtype))) << "output";
      (out * decode(c.at("upstream"), dtype, device())).sum().backward();
      EXPECT_TRUE(matches(x.grad(), want.at("grad"), tolerance(dtype))) << "gradient";
    }
  }
  EXPECT_EQ(modules.size(), 10u);
}

// ---------------------------------------------------------------------------------------------
// Batch norm: three train-mode steps, then eval.
// ---------------------------------------------------------------------------------------------

nn::BatchNormOptions batchnorm_options(const json& c) {
  const json& o = c.at("options");
  nn::BatchNormOptions options(c.at("num_features").get<int64_t>());
  if (o.contains("momentum")) {
    options.momentum(o.at("momentum").is_null() ? std::nullopt
                                                : std::optional<double>(o.at("momentum")));
  }
  if (o.contains("eps")) options.eps(o.at("eps").get<double>());
  if (o.contains("affine")) options.affine(o.at("affine").get<bool>());
  if (o.contains("track_running_stats")) {
    options.track_running_stats(o.at("track_running_stats").get<bool>());
  }
  return options;
}

// Statistics are computed in double by axon and in float32 by PyTorch's float32 kernel: the
// normalised values are O(1), so the float32 tolerance above holds.
void check_batchnorm(const json& c, nn::BatchNormImplBase& bn, Device device, DType dtype) {
  SCOPED_TRACE(dtype_key(dtype));
  bn.to(device, dtype);
  if (bn.options.affine()) {
    NoGradGuard no_grad;
    bn.weight.copy_(decode(c.at("weight"), dtype, device));
    bn.bias.copy_(decode(c.at("bias"), dtype, device));
  }
  const Tolerance tol = tolerance(dtype);
  const json& steps = c.at(dtype_key(dtype));
  ASSERT_EQ(steps.size(), 4u);
  for (size_t step = 0; step < steps.size(); ++step) {
    SCOPED_TRACE(step == 3 ? std::string("eval") : "train step " + std::to_string(step));
    if (step == 3) bn.eval();
    const json& want = steps[step];
    Tensor x = decode(c.at("inputs")[step], dtype, device).requires_grad_();
    const Tensor out = bn.forward(x);
    EXPECT_TRUE(matches(out, want.at("output"), tol)) << "output";
    variable_list wrt{x};
    if (bn.options.affine()) wrt.insert(wrt.end(), {bn.weight, bn.bias});
    const variable_list grads =
        autograd::grad({(out * decode(c.at("upstreams")[step], dtype, device)).sum()}, wrt);
    EXPECT_TRUE(matches(grads[0], want.at("grad_input"), tol)) << "input gradient";
    if (bn.options.affine()) {
      EXPECT_TRUE(matches(grads[1], want.at("grad_weight"), tol)) << "weight gradient";
      EXPECT_TRUE(matches(grads[2], want.at("grad_bias"), tol)) << "bias gradient";
    }
    if (bn.options.track_running_stats()) {
      EXPECT_TRUE(matches(bn.running_mean, want.at("running_mean"), tol)) << "running_mean";
      EXPECT_TRUE(matches(bn.running_var, want.at("running_var"), tol)) << "running_var";
      EXPECT_TRUE(matches(bn.num_batches_tracked, want.at("num_batches_tracked"), {0, 0}))
          << "num_batches_tracked";
    } else {
      EXPECT_FALSE(bn.running_mean.defined());
      EXPECT_FALSE(bn.running_var.defined());
    }
  }
}

TEST_P(NNGolden, BatchNorm) {
  int checked = 0;
  for (const json& c : golden().at("batchnorm")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    for (DType dtype : {kFloat64, kFloat32}) {
      if (c.at("module") == "BatchNorm1d") {
        nn::BatchNorm1d bn(batchnorm_options(c));
        check_batchnorm(c, *bn, device(), dtype);
      } else {
        nn::BatchNorm2d bn(batchnorm_options(c));
        check_batchnorm(c, *bn, device(), dtype);
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 13);
}

AXON_INSTANTIATE_DEVICE_TEST(NNGolden);

// ---------------------------------------------------------------------------------------------
// Initialisers (the CPU generator: PyTorch's CUDA generator is another stream).
// ---------------------------------------------------------------------------------------------

nn::init::Nonlinearity parse_nonlinearity(const std::string& name) {
  static const std::map<std::string, nn::init::Nonlinearity> names = {
      {"linear", kLinear}, {"conv1d", kConv1D},        {"conv2d", kConv2D},
      {"conv3d", kConv3D}, {"sigmoid", kSigmoid},      {"tanh", kTanh},
      {"relu", kReLU},     {"leaky_relu", kLeakyReLU}, {"selu", kSELU}};
  return names.at(name);
}

TEST(NNGoldenInit, CalculateGainOfEveryNonlinearity) {
  std::set<std::string> seen;
  for (const json& g : golden().at("init").at("gains")) {
    const std::string name = g.at("nonlinearity");
    seen.insert(name);
    const double gain = g.contains("param")
                            ? nn::init::calculate_gain(parse_nonlinearity(name), g.at("param"))
                            : nn::init::calculate_gain(parse_nonlinearity(name));
    EXPECT_DOUBLE_EQ(gain, g.at("gain").get<double>()) << name;
  }
  EXPECT_EQ(seen.size(), 9u);
}

TEST(NNGoldenInit, FanInAndFanOut) {
  for (const json& f : golden().at("init").at("fans")) {
    const Tensor t = axon::empty(f.at("shape").get<std::vector<int64_t>>());
    const auto [fan_in, fan_out] = nn::init::_calculate_fan_in_and_fan_out(t);
    EXPECT_EQ(fan_in, f.at("fan_in").get<int64_t>()) << t.sizes();
    EXPECT_EQ(fan_out, f.at("fan_out").get<int64_t>()) << t.sizes();
  }
}

Tensor init_call(const json& call) {
  const std::vector<int64_t> shape = call.at("shape").get<std::vector<int64_t>>();
  const std::string fn = call.at("fn");
  if (fn == "rand") return rand(shape);
  Tensor t =
      axon::empty(shape, TensorOptions(parse_dtype(call.value("dtype", std::string("float32")))));
  if (fn == "uniform_") return nn::init::uniform_(t, call.at("a"), call.at("b"));
  if (fn == "normal_") return nn::init::normal_(t, call.at("mean"), call.at("std"));
  if (fn == "xavier_uniform_") return nn::init::xavier_uniform_(t, call.at("gain"));
  if (fn == "xavier_normal_") return nn::init::xavier_normal_(t, call.at("gain"));
  const nn::init::FanMode mode = call.at("mode") == "fan_in" ? kFanIn : kFanOut;
  const nn::init::Nonlinearity nonlinearity = parse_nonlinearity(call.at("nonlinearity"));
  if (fn == "kaiming_uniform_") {
    return nn::init::kaiming_uniform_(t, call.at("a"), mode, nonlinearity);
  }
  if (fn == "kaiming_normal_")
    return nn::init::kaiming_normal_(t, call.at("a"), mode, nonlinearity);
  throw std::runtime_error("golden_nn.json: unknown init " + fn);
}

// The standard deviation a normal initialiser draws with (1 for the others).
double init_std(const json& call, const Tensor& t) {
  const std::string fn = call.at("fn");
  if (fn == "normal_") return call.at("std");
  auto [fan_in, fan_out] = nn::init::_calculate_fan_in_and_fan_out(t);
  if (fn == "xavier_normal_") {
    return call.at("gain").get<double>() * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  }
  if (fn == "kaiming_normal_") {
    const double fan = static_cast<double>(call.at("mode") == "fan_in" ? fan_in : fan_out);
    return nn::init::calculate_gain(parse_nonlinearity(call.at("nonlinearity")), call.at("a")) /
           std::sqrt(fan);
  }
  return 1;
}

// Uniform draws and float32 normals of fewer than 16 values (drawn one at a time in double)
// must be PyTorch's bit for bit. Float32 normals of 16 or more come from PyTorch's AVX2
// Box-Muller, whose vectorised log/sin/cos differ from libm in the last bits: allowed 2 * 2^-23
// * std plus one ulp of the value, the bound tests/reference/golden_test.cpp measured and
// justified for randn/normal_ (twice the worst seen).
::testing::AssertionResult same_draws(const json& call, const Tensor& got) {
  const json& want = call.at("result");
  const Tensor w = expected(want);
  const std::string fn = call.at("fn");
  const bool vector_normal =
      (fn == "normal_" || fn == "xavier_normal_" || fn == "kaiming_normal_") &&
      w.dtype() == kFloat32 && w.numel() >= 16;
  if (!vector_normal) return testing::same_values(got, w);
  if (got.sizes() != w.sizes() || got.dtype() != w.dtype()) return testing::same_values(got, w);
  const std::vector<float> g = testing::values<float>(got), e = testing::values<float>(w);
  const double stddev = init_std(call, got);
  for (size_t i = 0; i < g.size(); ++i) {
    const double value_ulp = std::nextafter(std::abs(e[i]), INFINITY) - std::abs(e[i]);
    const double allowed = 2 * std::ldexp(stddev, -23) + value_ulp;
    if (!(std::abs(static_cast<double>(g[i]) - e[i]) <= allowed)) {
      return ::testing::AssertionFailure() << std::setprecision(9) << "element " << i << ": "
                                           << g[i] << ", PyTorch gives " << e[i];
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(NNGoldenInit, InitialisersDrawPyTorchsValuesAfterManualSeed) {
  for (const json& stream : golden().at("init").at("draws")) {
    manual_seed(stream.at("seed").get<uint64_t>());
    SCOPED_TRACE("seed " + std::to_string(stream.at("seed").get<uint64_t>()));
    for (const json& call : stream.at("calls")) {
      SCOPED_TRACE(call.at("fn").get<std::string>() + " " + call.at("shape").dump());
      const Tensor got = init_call(call);
      EXPECT_TRUE(same_draws(call, got));
    }
  }
}

// PyTorch's reset_parameters: weight kaiming_uniform_(a = sqrt(5)), bias uniform in
// +-1/sqrt(fan_in); with the same seed and order of layers, the same values bit for bit.
TEST(NNGoldenInit, LinearAndConv2dDefaultInitIsPyTorchs) {
  for (const json& stream : golden().at("init").at("modules")) {
    manual_seed(stream.at("seed").get<uint64_t>());
    SCOPED_TRACE("seed " + std::to_string(stream.at("seed").get<uint64_t>()));
    for (const json& call : stream.at("calls")) {
      SCOPED_TRACE(call.dump().substr(0, 120));
      const std::string module = call.at("module");
      if (module == "rand") {
        EXPECT_TRUE(testing::same_values(rand({4}), expected(call.at("result"))));
        continue;
      }
      Tensor weight, bias;
      if (module == "Linear") {
        nn::Linear m(nn::LinearOptions(call.at("in"), call.at("out")).bias(call.at("bias")));
        weight = m->weight, bias = m->bias;
      } else {
        const auto k = call.at("kernel").get<std::vector<int64_t>>();
        nn::Conv2d m(nn::Conv2dOptions(call.at("in"), call.at("out"), {k[0], k[1]})
                         .groups(call.at("groups"))
                         .bias(call.at("bias")));
        weight = m->weight, bias = m->bias;
      }
      EXPECT_TRUE(testing::same_values(weight, expected(call.at("weight")))) << "weight";
      if (call.at("bias")) {
        EXPECT_TRUE(testing::same_values(bias, expected(call.at("bias_value")))) << "bias";
      } else {
        EXPECT_FALSE(bias.defined());
      }
    }
  }
}

// The same rule without PyTorch's stream: weight and bias uniform in +-1/sqrt(fan_in) (kaiming
// a = sqrt(5) gives sqrt(6 / ((1 + 5) fan_in))), fan_in = in_channels / groups * kH * kW. A draw
// lands in [bound (1 - 1e-3), bound] with probability 5e-4 (and likewise at -bound), so 20000
// or more draws miss such a band with probability below e^-10; the mean and variance must lie
// within 6 standard errors of 0 and bound^2 / 3.
void expect_uniform_in(const Tensor& t, double bound) {
  const double n = static_cast<double>(t.numel());
  const Tensor x = t.detach().to(kFloat64);
  EXPECT_LE(x.abs().max().item<double>(), bound);
  EXPECT_GE(x.max().item<double>(), bound * (1 - 1e-3));
  EXPECT_LE(x.min().item<double>(), -bound * (1 - 1e-3));
  EXPECT_NEAR(x.mean().item<double>(), 0, 6 * bound / std::sqrt(3 * n));
  // The variance of x^2 for x uniform in [-b, b] is 4 b^4 / 45.
  const double var = square(x).mean().item<double>();
  EXPECT_NEAR(var, bound * bound / 3, 6 * std::sqrt(4.0 / 45 / n) * bound * bound);
}

TEST(NNGoldenInit, DefaultInitIsUniformInOneOverSqrtFanIn) {
  manual_seed(5);
  nn::Linear linear(300, 200);
  expect_uniform_in(linear->weight, 1 / std::sqrt(300.0));
  nn::Linear wide(3000, 400);  // 400 biases: enough for the mean, not the extremes
  EXPECT_LE(wide->bias.abs().max().item<float>(), 1 / std::sqrt(3000.0));
  nn::Conv2d conv(nn::Conv2dOptions(64, 96, {3, 5}).groups(4));
  const double fan_in = 64 / 4 * 3 * 5;
  EXPECT_EQ(conv->weight.sizes().vec(), (testing::Shape{96, 16, 3, 5}));
  expect_uniform_in(conv->weight, 1 / std::sqrt(fan_in));
  EXPECT_LE(conv->bias.abs().max().item<float>(), 1 / std::sqrt(fan_in));
}

// ---------------------------------------------------------------------------------------------
// Dropout: PyTorch's CPU bernoulli_ draws, so the same seed gives the same mask.
// ---------------------------------------------------------------------------------------------

TEST(NNGoldenDropout, MasksAndGradientsArePyTorchsAfterManualSeed) {
  for (const json& stream : golden().at("dropout")) {
    const uint64_t seed = stream.at("seed");
    SCOPED_TRACE("seed " + std::to_string(seed));
    manual_seed(seed);
    for (const json& call : stream.at("calls")) {
      SCOPED_TRACE(call.at("fn").get<std::string>() + " " + call.at("shape").dump());
      if (call.at("fn") == "rand") {
        // The generator stands where PyTorch's does: dropout consumed the same draws.
        EXPECT_TRUE(testing::same_values(rand(call.at("shape").get<std::vector<int64_t>>()),
                                         expected(call.at("result"))));
        continue;
      }
      const DType dtype = parse_dtype(call.at("dtype"));
      Tensor x = decode(call.at("input"), dtype).requires_grad_();
      const double p = call.at("p");
      // Half the calls through the modules in training mode, half through the functions.
      Tensor out;
      if (call.at("fn") == "dropout") {
        out = dtype == kFloat32 ? nn::Dropout(p)(x) : F::dropout(x, F::DropoutFuncOptions().p(p));
      } else {
        out = dtype == kFloat32 ? nn::Dropout2d(p)(x)
                                : F::dropout2d(x, F::Dropout2dFuncOptions().p(p));
      }
      EXPECT_TRUE(testing::same_values(out, expected(call.at("output")))) << "output";
      (out * decode(call.at("upstream"), dtype)).sum().backward();
      EXPECT_TRUE(testing::same_values(x.grad(), expected(call.at("grad")))) << "gradient";
    }
  }
}

// Exact arithmetic, on every device: what dropout does whatever its mask.
class NNDropout : public testing::DeviceTest {};

// p = 0 and eval mode return the input unchanged and draw nothing (PyTorch's _dropout_impl
// returns early), so the generator is where manual_seed left it.
TEST_P(NNDropout, ZeroProbabilityAndEvalModeAreTheIdentityAndDrawNothing) {
  const Tensor x = make({{1.5, -2.0, 0.25}, {3.0, -0.5, 4.0}});
  manual_seed(3);
  const Tensor expected_next = rand({3});
  for (bool module_in_eval : {false, true}) {
    manual_seed(3);
    nn::Dropout dropout(module_in_eval ? 0.5 : 0.0);
    nn::Dropout2d dropout2d(module_in_eval ? 0.5 : 0.0);
    if (module_in_eval) {
      dropout->eval();
      dropout2d->eval();
    }
    EXPECT_TRUE(testing::same_values(dropout(x), x));
    EXPECT_TRUE(testing::same_values(dropout2d(x.view({1, 2, 3, 1})), x.view({1, 2, 3, 1})));
    EXPECT_TRUE(testing::same_values(rand({3}), expected_next)) << "the generator moved";
  }
  Tensor leaf = x.clone().requires_grad_();
  (F::dropout(leaf, F::DropoutFuncOptions().p(0)) * x).sum().backward();
  EXPECT_TRUE(testing::same_values(leaf.grad(), x));
}

// p = 1 zeroes everything (input * 0, no draws) and so does the gradient.
TEST_P(NNDropout, ProbabilityOneZeroesOutputAndGradient) {
  Tensor x = make({{1.5, -2.0}, {3.0, -0.5}}).requires_grad_();
  manual_seed(4);
  const Tensor expected_next = rand({2});
  manual_seed(4);
  const Tensor out = nn::Dropout(1.0)(x);
  EXPECT_TRUE(testing::same_values(out, zeros({2, 2}, options())));
  EXPECT_TRUE(testing::same_values(rand({2}), expected_next)) << "the generator moved";
  out.sum().backward();
  EXPECT_TRUE(testing::same_values(x.grad(), zeros({2, 2}, options())));
  const Tensor channels = nn::Dropout2d(1.0)(ones({2, 3, 2, 2}, options()));
  EXPECT_TRUE(testing::same_values(channels, zeros({2, 3, 2, 2}, options())));
}

// Kept elements are scaled by 1 / (1 - p), computed in the input's dtype as PyTorch's
// noise.div_(1 - p) is; the kept fraction of 8000 draws lies within 5 standard errors
// (sqrt(p (1 - p) / n) = 0.005) of 1 - p.
TEST_P(NNDropout, TrainModeKeepsAboutOneMinusPScaledByItsInverse) {
  const double p = 0.3;
  const float scale = 1.0f / static_cast<float>(1 - p);
  manual_seed(11);
  const std::vector<float> v = testing::values<float>(nn::Dropout(p)(ones({8000}, options())));
  int64_t kept = 0;
  for (float e : v) {
    EXPECT_TRUE(e == 0 || e == scale) << e;
    kept += e != 0;
  }
  EXPECT_NEAR(static_cast<double>(kept) / 8000, 1 - p, 5 * std::sqrt(p * (1 - p) / 8000));
}

// Dropout2d drops whole (sample, channel) planes.
TEST_P(NNDropout, Dropout2dZeroesWholeChannels) {
  const double p = 0.5;
  const float scale = 1.0f / static_cast<float>(1 - p);
  manual_seed(12);
  const Tensor out = nn::Dropout2d(p)(ones({8, 16, 3, 3}, options())).view({128, 9});
  const std::vector<float> v = testing::values<float>(out);
  int64_t kept = 0;
  for (size_t plane = 0; plane < 128; ++plane) {
    const float first = v[plane * 9];
    EXPECT_TRUE(first == 0 || first == scale) << first;
    for (size_t i = 1; i < 9; ++i) EXPECT_EQ(v[plane * 9 + i], first) << "plane " << plane;
    kept += first != 0;
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 128);
}

// A 3-D input is one unbatched (C, H, W) sample, as LibTorch's F::dropout2d and PyTorch >= 2.0
// read it: the same mask as the 4-D input with a batch of one. (PyTorch 1.13's Python
// dropout2d still reads 3-D as (N, C, L), with a deprecation warning.)
TEST_P(NNDropout, Dropout2dOfAThreeDInputIsOneUnbatchedSample) {
  const Tensor x = rand({6, 2, 3}, options()) + 1;
  manual_seed(13);
  const Tensor unbatched = nn::Dropout2d(0.5)(x);
  manual_seed(13);
  const Tensor batched = nn::Dropout2d(0.5)(x.unsqueeze(0));
  EXPECT_EQ(unbatched.sizes().vec(), (testing::Shape{6, 2, 3}));
  EXPECT_TRUE(testing::same_values(unbatched, batched.squeeze(0)));
}

AXON_INSTANTIATE_DEVICE_TEST(NNDropout);

}  // namespace
}  // namespace axon
