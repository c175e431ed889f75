// nn::Module: registration, traversal with dotted names, modes, to(), zero_grad, holders,
// containers and printing.
#include <gtest/gtest.h>

#include <sstream>

#include "axon/axon.h"
#include "test_utils.h"

namespace axon {
namespace {

std::string repr(const nn::Module& m) {
  std::ostringstream s;
  s << m;
  return s.str();
}

struct Block : nn::Module {
  Block() {
    fc = register_module("fc", nn::Linear(4, 3));
    bn = register_module("bn", nn::BatchNorm1d(3));
  }
  Tensor forward(const Tensor& x) { return bn->forward(fc->forward(x)).relu(); }
  nn::Linear fc{nullptr};
  nn::BatchNorm1d bn{nullptr};
};

struct NetImpl : nn::Module {
  NetImpl() {
    block = register_module("block", std::make_shared<Block>());
    out = register_module("out", nn::Linear(nn::LinearOptions(3, 2).bias(false)));
    scale = register_parameter("scale", ones({1}));
    register_buffer("step", zeros({}, TensorOptions(DType::Int64)));
  }
  Tensor forward(const Tensor& x) { return out->forward(block->forward(x)) * scale; }
  std::shared_ptr<Block> block;
  nn::Linear out{nullptr};
  Tensor scale;
};
AXON_MODULE(Net);

TEST(ModuleTest, NamedParametersAndBuffersUseDottedNamesInRegistrationOrder) {
  Net net;
  std::vector<std::string> names = net->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "block.fc.weight", "block.fc.bias",
                                             "block.bn.weight", "block.bn.bias", "out.weight"}));
  EXPECT_EQ(net->parameters().size(), 6u);
  EXPECT_EQ(net->named_parameters(/*recurse=*/false).keys(), std::vector<std::string>{"scale"});
  EXPECT_EQ(net->named_buffers().keys(),
            (std::vector<std::string>{"step", "block.bn.running_mean", "block.bn.running_var",
                                      "block.bn.num_batches_tracked"}));
  EXPECT_EQ(net->children().size(), 2u);
  EXPECT_EQ(net->modules().size(), 5u);  // net, block, fc, bn, out
  EXPECT_EQ(net->named_modules().keys(),
            (std::vector<std::string>{"", "block", "block.fc", "block.bn", "out"}));
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
  for (const Tensor& b : net->buffers()) EXPECT_FALSE(b.requires_grad());
}

TEST(ModuleTest, AsCastsToTheImplementationByHolderOrImplType) {
  nn::Sequential net(nn::Linear(2, 3), nn::ReLU());
  std::shared_ptr<nn::Module> first = net->children()[0];
  nn::LinearImpl* by_holder = first->as<nn::Linear>();
  ASSERT_NE(by_holder, nullptr);
  EXPECT_EQ(by_holder->weight.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(first->as<nn::LinearImpl>(), by_holder);
  EXPECT_EQ(first->as<nn::ReLU>(), nullptr);
  EXPECT_EQ(net->children()[1]->as<nn::Linear>(), nullptr);
}

TEST(ModuleTest, TrainEvalPropagatesToEveryDescendant) {
  Net net;
  EXPECT_TRUE(net->is_training());
  net->eval();
  for (const auto& m : net->modules()) EXPECT_FALSE(m->is_training());
  net->train();
  for (const auto& m : net->modules()) EXPECT_TRUE(m->is_training());
}

TEST(ModuleTest, ToDtypeConvertsInPlaceSoHeldHandlesSeeIt) {
  Net net;
  Tensor w = net->out->weight;  // as an optimizer would hold it
  net->to(DType::Float64);
  EXPECT_EQ(w.dtype(), DType::Float64);
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(net->named_buffers()["step"].dtype(), DType::Int64);  // integers keep their dtype
  Tensor y = net->forward(ones({5, 4}, TensorOptions(DType::Float64)));
  EXPECT_EQ(y.dtype(), DType::Float64);
  EXPECT_AXON_ERROR(net->to(DType::Int64), "floating-point");
}

TEST(ModuleTest, ZeroGradSetsToNoneOrZeroes) {
  Net net;
  net->forward(ones({5, 4})).sum().backward();
  for (const Tensor& p : net->parameters()) ASSERT_TRUE(p.grad().defined());
  net->zero_grad(/*set_to_none=*/false);
  for (const Tensor& p : net->parameters()) EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
  net->zero_grad();
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(ModuleTest, RegistrationErrorsNameTheProblem) {
  nn::Module m;
  m.register_parameter("w", ones({2}));
  EXPECT_AXON_ERROR(m.register_parameter("w", ones({2})), "'w' is already registered");
  EXPECT_AXON_ERROR(m.register_buffer("a.b", ones({2})), "must not contain a dot");
  EXPECT_AXON_ERROR(m.register_parameter("", ones({2})), "must not be empty");
  EXPECT_AXON_ERROR(m.register_module("sub", nn::Linear(nullptr)), "empty module holder");
  EXPECT_AXON_ERROR(m.register_parameter("i", ones({2}, TensorOptions(DType::Int64))),
                    "only floating-point");
  Tensor x = ones({2}).requires_grad_();
  EXPECT_AXON_ERROR(m.register_parameter("nonleaf", x * 2), "not a leaf");
  nn::Linear empty{nullptr};
  EXPECT_AXON_ERROR(empty.ptr(), "empty module holder");
}

TEST(ModuleTest, PrintsAsPyTorch) {
  // Expected strings are PyTorch 1.13's repr of the equivalent modules.
  EXPECT_EQ(repr(*nn::Linear(784, 128)), "Linear(in_features=784, out_features=128, bias=True)");
  EXPECT_EQ(repr(*nn::ReLU()), "ReLU()");
  EXPECT_EQ(repr(*nn::ReLU(true)), "ReLU(inplace=True)");
  EXPECT_EQ(repr(*nn::LeakyReLU()), "LeakyReLU(negative_slope=0.01)");
  EXPECT_EQ(repr(*nn::ELU()), "ELU(alpha=1.0)");
  EXPECT_EQ(repr(*nn::GELU()), "GELU(approximate='none')");
  EXPECT_EQ(repr(*nn::Softmax(1)), "Softmax(dim=1)");
  EXPECT_EQ(repr(*nn::Dropout()), "Dropout(p=0.5, inplace=False)");
  EXPECT_EQ(repr(*nn::BatchNorm2d(6)),
            "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(repr(*nn::Flatten()), "Flatten(start_dim=1, end_dim=-1)");
  EXPECT_EQ(repr(*nn::CrossEntropyLoss()), "CrossEntropyLoss()");
  nn::Sequential seq(nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1));
  EXPECT_EQ(repr(*seq),
            "Sequential(\n"
            "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
            "  (1): Tanh()\n"
            "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
            ")");
  Net net;
  EXPECT_EQ(repr(*net),
            "Net(\n"
            "  (block): Block(\n"
            "    (fc): Linear(in_features=4, out_features=3, bias=True)\n"
            "    (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, "
            "track_running_stats=True)\n"
            "  )\n"
            "  (out): Linear(in_features=3, out_features=2, bias=False)\n"
            ")");
}

TEST(ModuleTest, SequentialModuleListAndFunctional) {
  manual_seed(0);
  nn::Sequential seq({{"fc", nn::Linear(3, 2)}, {"act", nn::Functional(axon::leaky_relu, 0.5)}});
  EXPECT_EQ(seq->named_parameters().keys(), (std::vector<std::string>{"fc.weight", "fc.bias"}));
  Tensor x = randn({4, 3});
  Tensor expected = leaky_relu(seq->ptr<nn::LinearImpl>(0)->forward(x), 0.5);
  EXPECT_TRUE(equal(seq->forward(x), expected));
  EXPECT_TRUE(equal(seq(x), expected));
  EXPECT_AXON_ERROR(seq->ptr(5), "index 5 is out of range for 2 modules");

  nn::ModuleList list(nn::Linear(2, 2), nn::ReLU());
  list->push_back(nn::Linear(2, 1));
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ(list->named_parameters().keys(),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(list->at<nn::LinearImpl>(2).options.out_features(), 1);
  EXPECT_AXON_ERROR(list->at<nn::LinearImpl>(1), "is a ReLU");
  int count = 0;
  for (const auto& m : *list) count += m != nullptr;
  EXPECT_EQ(count, 3);
}

}  // namespace
}  // namespace axon
