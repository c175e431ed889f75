// End to end against PyTorch: LeNet-5 written as a user writes it in LibTorch prints as PyTorch
// prints it, initialises to PyTorch's weights from the same seed, and its logits, loss,
// gradients and two SGD-momentum steps match (tests/reference/generate_lenet_golden.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "axon/axon.h"
#include "test_utils.h"

namespace axon {
namespace {

namespace F = nn::functional;
using testing::same_values;
using testing::Shape;

struct LeNet5Impl : nn::Module {
  LeNet5Impl() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 6, 5)));
    pool1 = register_module("pool1", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
    pool2 = register_module("pool2", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    fc1 = register_module("fc1", nn::Linear(400, 120));
    fc2 = register_module("fc2", nn::Linear(120, 84));
    fc3 = register_module("fc3", nn::Linear(84, 10));
  }
  Tensor forward(Tensor x) {
    x = pool1(F::relu(conv1(x)));
    x = pool2(F::relu(conv2(x)));
    x = axon::flatten(x, 1);
    x = F::relu(fc1(x));
    x = F::relu(fc2(x));
    return fc3(x);
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::MaxPool2d pool1{nullptr}, pool2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
AXON_MODULE(LeNet5);

const std::string kReference = AXON_TEST_REFERENCE_DIR;

const nlohmann::json& settings() {
  static const nlohmann::json j = [] {
    std::ifstream in(kReference + "/lenet_golden.json");
    if (!in) throw std::runtime_error("cannot open lenet_golden.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

const Tensor& golden(const std::string& name) {
  static const serialize::SafetensorsFile file =
      serialize::load_safetensors(kReference + "/lenet_golden.safetensors");
  for (const auto& [key, t] : file.tensors) {
    if (key == name) return t;
  }
  throw std::runtime_error("lenet_golden.safetensors has no " + name);
}

// max |actual - expected| / max |expected|: the relative error of the whole tensor, so that
// entries near zero (most of a ReLU net's gradients) are judged at the tensor's scale.
::testing::AssertionResult rel_err_below(const Tensor& actual, const Tensor& expected,
                                         double bound) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure() << actual.sizes() << " vs " << expected.sizes();
  }
  double diff = (actual.detach().to(kFloat64) - expected.to(kFloat64)).abs().max().item<double>();
  double scale = expected.to(kFloat64).abs().max().item<double>();
  double err = diff / scale;
  if (err < bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "relative error " << err << " (max diff " << diff << ", scale " << scale << ")";
}

LeNet5 golden_lenet() {
  LeNet5 model;
  for (auto& p : model->named_parameters()) {
    NoGradGuard no_grad;
    p.value().copy_(golden("param." + p.key()));
  }
  return model;
}

TEST(LeNetGoldenTest, PrintsAsPyTorchWithTenParameters) {
  LeNet5 model;
  std::ostringstream s;
  s << *model;
  EXPECT_EQ(s.str(), settings()["repr"].get<std::string>());
  ASSERT_EQ(model->parameters().size(), 10u);
  EXPECT_EQ(model->parameters()[0].sizes().vec(), (Shape{6, 1, 5, 5}));
  EXPECT_EQ(model->named_parameters().keys(),
            settings()["parameter_names"].get<std::vector<std::string>>());
}

TEST(LeNetGoldenTest, DefaultInitialisationFromTheSeedIsPyTorchs) {
  manual_seed(settings()["seed"].get<uint64_t>());
  LeNet5 model;
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(same_values(p.value(), golden("param." + p.key()))) << p.key();
  }
}

TEST(LeNetGoldenTest, LogitsLossAndGradientsMatchPyTorch) {
  LeNet5 model = golden_lenet();
  Tensor logits = model->forward(golden("input"));
  Tensor loss = F::cross_entropy(logits, golden("target"));
  EXPECT_TRUE(rel_err_below(logits, golden("logits"), 1e-5));
  EXPECT_TRUE(rel_err_below(loss, golden("loss"), 1e-5));
  model->zero_grad();
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(rel_err_below(p.value().grad(), golden("grad." + p.key()), 1e-5)) << p.key();
  }
}

TEST(LeNetGoldenTest, TwoSgdMomentumStepsMatchPyTorch) {
  LeNet5 model = golden_lenet();
  optim::SGD opt(model->parameters(), optim::SGDOptions(settings()["lr"].get<double>())
                                          .momentum(settings()["momentum"].get<double>()));
  Tensor loss;
  for (int step = 0; step < 2; ++step) {
    loss = F::cross_entropy(model->forward(golden("input")), golden("target"));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  EXPECT_TRUE(rel_err_below(loss, golden("loss_step2"), 1e-5));
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(rel_err_below(p.value(), golden("after2." + p.key()), 1e-5)) << p.key();
  }
}

// ---- checkpoints that PyTorch reads and writes --------------------------------------------

// A checkpoint PyTorch wrote with save_file(model.state_dict()) loads strictly.
TEST(LeNetGoldenTest, LoadsPyTorchsCheckpoint) {
  LeNet5 model;
  load(model, kReference + "/lenet_torch_state.safetensors");
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(same_values(p.value(), golden("param." + p.key()))) << p.key();
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// axon's checkpoint of the initial model is byte for byte the committed fixture that
// `generate_lenet_golden.py --check-axon` loads into torch's LeNet5 with strict=True. Set
// AXON_UPDATE_FIXTURES=1 to rewrite the fixture (then run the check again).
TEST(LeNetGoldenTest, SavesTheCheckpointPyTorchLoads) {
  LeNet5 model = golden_lenet();
  const std::string fixture = kReference + "/lenet_axon_state.safetensors";
  if (std::getenv("AXON_UPDATE_FIXTURES") != nullptr) save(model, fixture);
  auto path = std::filesystem::temp_directory_path() / "axon_lenet_golden_test.safetensors";
  save(model, path.string());
  std::string written = read_bytes(path.string());
  std::filesystem::remove(path);
  EXPECT_FALSE(written.empty());
  EXPECT_TRUE(written == read_bytes(fixture)) << "axon's LeNet checkpoint differs from " << fixture;
  serialize::SafetensorsFile file = serialize::load_safetensors(fixture);
  EXPECT_EQ(file.metadata.at("format"), "pt");
  ASSERT_EQ(file.tensors.size(), 10u);
  for (const auto& [name, t] : file.tensors) {
    EXPECT_TRUE(same_values(t, golden("param." + name))) << name;
  }
}

}  // namespace
}  // namespace axon
