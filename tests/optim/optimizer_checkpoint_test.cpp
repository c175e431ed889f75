// axon::save / axon::load for optimizers (axon/optim/checkpoint.h): a run resumed from a file
// continues bit for bit like an uninterrupted one, scalars round-trip exactly, and a file that
// does not fit the optimizer (another type, other groups or parameters, other shapes or dtypes,
// a damaged file) is an axon::Error that leaves the optimizer as it was.
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axon/optim.h"
#include "scratch_dir.h"
#include "test_utils.h"

namespace axon {
namespace {

namespace fs = std::filesystem;
using testing::same_values;

using testing::ScratchDir;

using MakeOptimizer =
    std::function<std::unique_ptr<optim::Optimizer>(std::vector<optim::OptimizerParamGroup>)>;

template <typename Opt, typename Options>
MakeOptimizer maker(Options options) {
  return [options](std::vector<optim::OptimizerParamGroup> groups) {
    return std::make_unique<Opt>(std::move(groups), options);
  };
}

class OptimizerCheckpointTest : public testing::DeviceTest {
 protected:
  std::vector<Tensor> fresh_params(DType dtype = kFloat32) const {
    return {make({{0.5, -1.0}, {1.5, 0.25}}, dtype).requires_grad_(),
            make({0.3, -0.7, 1.1}, dtype).requires_grad_(), make({2.0}, dtype).requires_grad_()};
  }
  static std::vector<Tensor> copies(const std::vector<Tensor>& params) {
    std::vector<Tensor> out;
    for (const Tensor& p : params) out.push_back(p.detach().clone().requires_grad_());
    return out;
  }
  // Two groups: the first two parameters, then the third (with its own lr).
  template <typename Options>
  static std::vector<optim::OptimizerParamGroup> groups_of(const std::vector<Tensor>& p,
                                                           const Options& options) {
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{p[0], p[1]});
    auto second = std::make_unique<Options>(options);
    second->set_lr(options.get_lr() / 3);
    groups.emplace_back(std::vector<Tensor>{p[2]}, std::move(second));
    return groups;
  }
  // A step with gradients that depend on the parameters (a nonlinear loss).
  static void train_step(optim::Optimizer& opt, const std::vector<Tensor>& p) {
    opt.zero_grad();
    Tensor loss = (sin(p[0]) * p[0]).sum() + p[1].pow(2).sum() * p[2].sum() + tanh(p[2]).sum();
    loss.backward();
    opt.step();
  }

  // Five steps straight, against three steps, a save, a fresh optimizer (other lr) over copies of
  // the parameters loading the file, and two more steps: the parameters must agree exactly.
  template <typename Opt, typename Options>
  void check_resume_is_exact(const Options& options) {
    ScratchDir dir;
    std::vector<Tensor> a = fresh_params();
    Opt uninterrupted(groups_of(a, options), options);
    for (int i = 0; i < 5; ++i) train_step(uninterrupted, a);

    std::vector<Tensor> b = fresh_params();
    auto first = std::make_unique<Opt>(groups_of(b, options), options);
    for (int i = 0; i < 3; ++i) train_step(*first, b);
    save(*first, dir.file("optimizer.safetensors"));
    first.reset();

    std::vector<Tensor> c = copies(b);
    Options other = options;
    other.set_lr(42.0);  // the file's lrs replace it
    Opt resumed(groups_of(c, other), other);
    load(resumed, dir.file("optimizer.safetensors"));
    EXPECT_EQ(resumed.param_groups()[1].options().get_lr(), options.get_lr() / 3);
    for (int i = 0; i < 2; ++i) train_step(resumed, c);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(same_values(c[i], a[i])) << "parameter " << i;
    }
  }
};

TEST_P(OptimizerCheckpointTest, SGDWithMomentumResumesBitForBit) {
  check_resume_is_exact<optim::SGD>(optim::SGDOptions(0.1).momentum(0.9).weight_decay(0.01));
}

TEST_P(OptimizerCheckpointTest, AdamResumesBitForBit) {
  check_resume_is_exact<optim::Adam>(optim::AdamOptions(0.05).betas({0.8, 0.99}).amsgrad(true));
}

TEST_P(OptimizerCheckpointTest, OtherOptimizersResumeBitForBit) {
  check_resume_is_exact<optim::AdamW>(optim::AdamWOptions(0.05).weight_decay(0.1));
  check_resume_is_exact<optim::RMSprop>(optim::RMSpropOptions(0.01).momentum(0.5).centered(true));
  check_resume_is_exact<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.05));
}

TEST_P(OptimizerCheckpointTest, FileHoldsStateTensorsAndExactScalars) {
  ScratchDir dir;
  const std::string path = dir.file("adam.safetensors");
  std::vector<Tensor> p = fresh_params();
  // 0.1 + 0.2 needs 17 significant digits to come back as the same double.
  const double lr = 0.1 + 0.2;
  optim::Adam adam(groups_of(p, optim::AdamOptions(lr)), optim::AdamOptions(lr));
  train_step(adam, p);
  train_step(adam, p);
  // A step count past 2^53 would not survive a double; one past 2^24 would not survive float32.
  auto& state = static_cast<optim::AdamParamState&>(*adam.state().at(p[1].unsafeGetTensorImpl()));
  state.step((int64_t{1} << 40) + 1);
  save(adam, path);

  serialize::SafetensorsFile file = serialize::load_safetensors(path);
  EXPECT_EQ(file.metadata.at("axon.optimizer"), "Adam");
  EXPECT_EQ(file.metadata.at("param_groups.0.lr"), "0.30000000000000004");
  EXPECT_EQ(file.metadata.at("param_groups.1.params.0"), "2");
  EXPECT_EQ(file.metadata.at("state.0.step"), "2");
  EXPECT_EQ(file.metadata.at("state.1.step"), "1099511627777");
  EXPECT_EQ(file.tensors.size(), 6u);  // exp_avg and exp_avg_sq of three parameters
  for (const auto& [name, t] : file.tensors) EXPECT_EQ(t.dtype(), kFloat32) << name;

  std::vector<Tensor> q = copies(p);
  optim::Adam loaded(groups_of(q, optim::AdamOptions()), optim::AdamOptions());
  load(loaded, path);
  EXPECT_EQ(loaded.param_groups()[0].options().get_lr(), lr);
  EXPECT_EQ(loaded.param_groups()[1].options().get_lr(), lr / 3);
  auto& loaded_state =
      static_cast<optim::AdamParamState&>(*loaded.state().at(q[1].unsafeGetTensorImpl()));
  EXPECT_EQ(loaded_state.step(), (int64_t{1} << 40) + 1);
  EXPECT_EQ(loaded_state.exp_avg().device(), device());
  EXPECT_TRUE(same_values(loaded_state.exp_avg(), state.exp_avg()));
}

class OptimizerCheckpointErrorTest : public OptimizerCheckpointTest {
 protected:
  // The Adam target the bad files are loaded into (made once the device is known to exist).
  void SetUp() override {
    OptimizerCheckpointTest::SetUp();
    if (IsSkipped()) return;
    target_params = fresh_params();
    target = std::make_unique<optim::Adam>(groups_of(target_params, optim::AdamOptions(0.5)),
                                           optim::AdamOptions(0.5));
  }
  // Loading `path` fails with `message` and leaves the target as it was.
  void expect_rejected(const std::string& path, const std::string& message) {
    EXPECT_AXON_ERROR(load(*target, path), message);
    EXPECT_EQ(target->param_groups()[0].options().get_lr(), 0.5);
    EXPECT_TRUE(target->state().empty());
  }
  // An Adam checkpoint after one step over `params` in `groups`.
  std::string adam_file(const std::string& name, std::vector<Tensor> params,
                        std::vector<optim::OptimizerParamGroup> groups) {
    optim::Adam adam(std::move(groups), optim::AdamOptions(0.05));
    train_step(adam, params);
    save(adam, dir.file(name));
    return dir.file(name);
  }

  std::vector<Tensor> target_params;
  std::unique_ptr<optim::Adam> target;
  ScratchDir dir;
};

TEST_P(OptimizerCheckpointErrorTest, AnotherOptimizersFileNamesBothTypes) {
  std::vector<Tensor> p = fresh_params();
  optim::SGD sgd(groups_of(p, optim::SGDOptions(0.1).momentum(0.9)), optim::SGDOptions(0.1));
  train_step(sgd, p);
  save(sgd, dir.file("sgd.safetensors"));
  expect_rejected(dir.file("sgd.safetensors"),
                  "holds the state of an optimizer of type SGD, which cannot be loaded into one "
                  "of type Adam");
}

TEST_P(OptimizerCheckpointErrorTest, OtherGroupsOrParametersAreErrors) {
  std::vector<Tensor> p = fresh_params();
  expect_rejected(adam_file("one_group.safetensors", p, {p}),
                  "holds 1 parameter groups, but the Adam optimizer has 2");

  std::vector<Tensor> q = fresh_params();
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{q[0]});
  groups.emplace_back(std::vector<Tensor>{q[1], q[2]});
  expect_rejected(adam_file("two_one.safetensors", q, std::move(groups)),
                  "parameter group 0 holds 1 parameters, but the optimizer's has 2");
}

TEST_P(OptimizerCheckpointErrorTest, OtherShapesOrDtypesAreErrors) {
  std::vector<Tensor> p = fresh_params();
  p[1] = make({0.3, -0.7}).requires_grad_();  // shape [2] where the target has [3]
  expect_rejected(adam_file("shape.safetensors", p, groups_of(p, optim::AdamOptions())),
                  "'state.1.exp_avg' has shape [2], but its parameter has shape [3]");

  std::vector<Tensor> d = fresh_params(kFloat64);
  expect_rejected(adam_file("dtype.safetensors", d, groups_of(d, optim::AdamOptions())),
                  "'state.0.exp_avg' is float64, but its parameter is float32");
}

TEST_P(OptimizerCheckpointErrorTest, ForeignOrDamagedFilesAreErrors) {
  // A tensor file without the optimizer's metadata (a module's, say).
  const std::string plain = dir.file("plain.safetensors");
  serialize::save_safetensors({{"weight", zeros({2})}}, plain, {{"format", "pt"}});
  expect_rejected(plain, "is not an optimizer checkpoint: its metadata has no 'axon.optimizer'");

  std::vector<Tensor> p = fresh_params();
  const std::string good = adam_file("good.safetensors", p, groups_of(p, optim::AdamOptions()));
  serialize::SafetensorsFile file = serialize::load_safetensors(good);

  // Every state entry is checked by load_state_dict, and the error names the file.
  const std::string no_step = dir.file("no_step.safetensors");
  auto metadata = file.metadata;
  metadata.erase("state.2.step");
  serialize::save_safetensors(file.tensors, no_step, metadata);
  expect_rejected(no_step,
                  "load: " + no_step + ": Adam.load_state_dict: missing key 'state.2.step'");

  const std::string bad_number = dir.file("bad_number.safetensors");
  metadata = file.metadata;
  metadata["param_groups.0.eps"] = "1e-8x";
  serialize::save_safetensors(file.tensors, bad_number, metadata);
  expect_rejected(bad_number, "metadata 'param_groups.0.eps' should be a number, got '1e-8x'");

  // A truncated file.
  std::ifstream in(good, std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  const std::string truncated = dir.file("truncated.safetensors");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 5);
  expect_rejected(truncated, truncated);

  expect_rejected(dir.file("missing.safetensors"), dir.file("missing.safetensors"));
}

AXON_INSTANTIATE_DEVICE_TEST(OptimizerCheckpointTest);
AXON_INSTANTIATE_DEVICE_TEST(OptimizerCheckpointErrorTest);

}  // namespace
}  // namespace axon
