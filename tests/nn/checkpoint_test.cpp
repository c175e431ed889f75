// axon::save / axon::load for modules: round trips with buffers, PyTorch's strict-mode errors,
// checks before writing, and damaged files. (The PyTorch interop fixture is in
// lenet_golden_test.cpp.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "axon/axon.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::same_values;

struct NetImpl : nn::Module {
  explicit NetImpl(int64_t hidden = 3) {
    fc = register_module("fc", nn::Linear(4, hidden));
    bn = register_module("bn", nn::BatchNorm1d(hidden));
  }
  Tensor forward(const Tensor& x) { return bn(fc(x)); }
  nn::Linear fc{nullptr};
  nn::BatchNorm1d bn{nullptr};
};
AXON_MODULE(Net);

struct OtherImpl : nn::Module {
  OtherImpl() {
    fc = register_module("fc", nn::Linear(4, 3));
    head = register_module("head", nn::Linear(3, 1));
  }
  nn::Linear fc{nullptr}, head{nullptr};
};
AXON_MODULE(Other);

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("axon_checkpoint_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

// A net whose running statistics have moved, so buffers differ from a fresh one.
Net trained_net() {
  manual_seed(1);
  Net net;
  for (int i = 0; i < 3; ++i) net->forward(randn({8, 4}));
  return net;
}

TEST_F(CheckpointTest, RoundTripRestoresParametersAndBuffers) {
  Net saved = trained_net();
  save(saved, path("net.safetensors"));
  manual_seed(2);
  Net loaded;
  load(loaded, path("net.safetensors"));
  auto want = nn::state_dict(*saved);
  auto got = nn::state_dict(*loaded);
  ASSERT_EQ(got.size(), 7u);  // fc.weight, fc.bias, bn.weight, bn.bias, 3 buffers
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_TRUE(same_values(got[i].second, want[i].second)) << got[i].first;
  }
  EXPECT_EQ(got[6].first, "bn.num_batches_tracked");
  EXPECT_EQ(got[6].second.item<int64_t>(), 3);
  // Loading copies into the existing tensors: parameters stay leaves that require grad.
  for (const Tensor& p : loaded->parameters()) EXPECT_TRUE(p.requires_grad());
  loaded->eval();
  saved->eval();
  Tensor x = randn({2, 4});
  EXPECT_TRUE(same_values(loaded->forward(x), saved->forward(x)));
}

TEST_F(CheckpointTest, SharedPtrAndHolderOverloadsAgree) {
  Net net = trained_net();
  save(net.ptr(), path("a.safetensors"));
  Net other;
  load(other.ptr(), path("a.safetensors"));
  EXPECT_TRUE(same_values(other->fc->weight, net->fc->weight));
  std::shared_ptr<NetImpl> empty;
  EXPECT_AXON_ERROR(save(empty, path("b.safetensors")), "save: the module is empty");
  EXPECT_AXON_ERROR(load(empty, path("a.safetensors")), "load: the module is empty");
}

TEST_F(CheckpointTest, StrictLoadListsMissingAndUnexpectedKeysAndChangesNothing) {
  Other other;
  save(other, path("other.safetensors"));
  Net net = trained_net();
  Tensor before = net->fc->weight.clone();
  try {
    load(net, path("other.safetensors"));
    ADD_FAILURE() << "expected an axon::Error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("Error(s) in loading state_dict for Net"), std::string::npos) << m;
    EXPECT_NE(m.find("Missing key(s) in state_dict: \"bn.weight\", \"bn.bias\", "
                     "\"bn.running_mean\", \"bn.running_var\", \"bn.num_batches_tracked\""),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("Unexpected key(s) in state_dict: \"head.weight\", \"head.bias\""),
              std::string::npos)
        << m;
  }
  EXPECT_TRUE(same_values(net->fc->weight, before));
}

TEST_F(CheckpointTest, NonStrictLoadCopiesTheKeysBothHave) {
  Other other;
  save(other, path("other.safetensors"));
  Net net = trained_net();
  Tensor bn_weight = net->bn->weight.clone();
  load(net, path("other.safetensors"), /*strict=*/false);
  EXPECT_TRUE(same_values(net->fc->weight, other->fc->weight));
  EXPECT_TRUE(same_values(net->fc->bias, other->fc->bias));
  EXPECT_TRUE(same_values(net->bn->weight, bn_weight));
}

TEST_F(CheckpointTest, ShapeOrDtypeMismatchIsAnErrorBeforeAnythingIsWritten) {
  Net wide(5);
  save(wide, path("wide.safetensors"));
  Net net = trained_net();
  Tensor before = net->fc->bias.clone();
  EXPECT_AXON_ERROR(load(net, path("wide.safetensors")),
                    "size mismatch for fc.weight: copying a param with shape [5, 4], the shape in "
                    "the current model is [3, 4]");
  EXPECT_TRUE(same_values(net->fc->bias, before));

  serialize::TensorDict state = nn::state_dict(*net);
  state[1].second = state[1].second.to(kFloat64);  // fc.bias
  EXPECT_AXON_ERROR(nn::load_state_dict(*net, state), "dtype mismatch for fc.bias");
}

TEST_F(CheckpointTest, DamagedOrMissingFilesAreErrorsAndTheModuleIsUntouched) {
  Net net = trained_net();
  save(net, path("net.safetensors"));
  std::string bytes;
  {
    std::ifstream in(path("net.safetensors"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t keep : {size_t{0}, size_t{5}, size_t{20}, bytes.size() - 1}) {
    std::ofstream(path("cut.safetensors"), std::ios::binary).write(bytes.data(), keep);
    Net other = trained_net();
    Tensor before = other->fc->weight.clone();
    EXPECT_AXON_ERROR(load(other, path("cut.safetensors")), "cut.safetensors");
    EXPECT_TRUE(same_values(other->fc->weight, before));
  }
  EXPECT_AXON_ERROR(load(net, path("absent.safetensors")), "absent.safetensors");
  EXPECT_AXON_ERROR(save(net, path("no/such/dir/net.safetensors")), "no/such/dir");
}

TEST_F(CheckpointTest, ModulesOnOtherDtypesSaveTheirDtype) {
  Net net = trained_net();
  net->to(kFloat64);
  save(net, path("double.safetensors"));
  serialize::SafetensorsFile file = serialize::load_safetensors(path("double.safetensors"));
  EXPECT_EQ(file.tensors[0].second.dtype(), kFloat64);
  EXPECT_EQ(file.metadata.at("format"), "pt");
  Net single;
  EXPECT_AXON_ERROR(load(single, path("double.safetensors")), "dtype mismatch for fc.weight");
}

}  // namespace
}  // namespace axon
