// The command-line half of the bad-input matrix: axon-train, axon-bench and an example program
// run with flags they do not know, values they must refuse and paths they cannot use. Each row
// is its own ctest case and checks the exit status (2: the command line was not understood,
// 1: a bad value found while running), that the message on stderr names what was wrong, and
// that the program ended by exiting, not by a signal.
#include <axon/cuda.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "apps/run_program.h"
#include "data/data_files.h"

namespace {

namespace fs = std::filesystem;
using axon::testing::Bytes;

#ifdef AXON_TRAIN_BIN
const std::string kTrainBin = AXON_TRAIN_BIN;
#else
const std::string kTrainBin;
#endif
#ifdef AXON_BENCH_BIN
const std::string kBenchBin = AXON_BENCH_BIN;
#else
const std::string kBenchBin;
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

enum class Program { kTrain, kBench, kTwoLayerNet };
// kAddressSpaceLimit: the program runs under `ulimit -v` so that starting threads fails early
// (not under a sanitizer, which reserves terabytes of address space).
enum class Needs { kNothing, kNoGpu, kAddressSpaceLimit };

struct BadCommandLine {
  const char* name;
  Program program;
  // "{dir}" stands for the row's scratch folder, which holds data/ (a valid tiny MNIST),
  // bad_magic/, truncated/ and corrupt.safetensors.
  std::string args;
  int status;
  std::vector<std::string> message;  // substrings stderr must contain ("{dir}" as in args)
  Needs needs = Needs::kNothing;
};

// What a tiny, quick axon-train run needs besides the flag under test.
const std::string kTrain = "--dataset mnist --data {dir}/data --epochs 1 --max-batches 1 ";

const std::vector<BadCommandLine>& bad_command_lines() {
  static const std::vector<BadCommandLine> rows = {
      // axon-train: flags it does not understand (2)
      {"train_unknown_flag", Program::kTrain, "--no-such-flag", 2, {"--no-such-flag"}},
      {"train_unknown_model", Program::kTrain, "--model resnet9000", 2, {"--model", "resnet9000"}},
      {"train_zero_batch_size",
       Program::kTrain,
       "--batch-size 0",
       2,
       {"--batch-size: must be positive, got 0"}},
      {"train_negative_lr", Program::kTrain, "--lr -0.5", 2, {"--lr", "-0.5"}},
      {"train_nan_lr", Program::kTrain, "--lr nan", 2, {"--lr", "nan"}},
      {"train_epochs_not_a_number", Program::kTrain, "--epochs abc", 2, {"--epochs", "abc"}},
      {"train_momentum_above_one", Program::kTrain, "--momentum 1.5", 2, {"--momentum", "1.5"}},
      {"train_negative_workers", Program::kTrain, "--workers -1", 2, {"--workers", "-1"}},
      {"train_flag_without_value", Program::kTrain, "--epochs", 2, {"--epochs", "missing"}},
      {"train_unknown_resident_data",
       Program::kTrain,
       "--resident-data sometimes",
       2,
       {"--resident-data", "sometimes"}},
      // axon-train: values found bad while running (1)
      {"train_missing_data_folder",
       Program::kTrain,
       "--dataset mnist --data {dir}/nowhere",
       1,
       {"{dir}/nowhere", "no such folder"}},
      {"train_data_is_a_file",
       Program::kTrain,
       "--dataset mnist --data {dir}/data/train-images-idx3-ubyte",
       1,
       {"{dir}/data/train-images-idx3-ubyte", "not a folder"}},
      {"train_wrong_magic",
       Program::kTrain,
       "--dataset mnist --data {dir}/bad_magic --epochs 1",
       1,
       {"train-images-idx3-ubyte", "2049"}},
      {"train_truncated_images",
       Program::kTrain,
       "--dataset mnist --data {dir}/truncated --epochs 1",
       1,
       {"train-images-idx3-ubyte"}},
      {"train_unwritable_checkpoint",
       Program::kTrain,
       kTrain + "--checkpoint /proc/axon-cannot-write/ckpt.safetensors",
       1,
       {"/proc/axon-cannot-write/ckpt.safetensors"}},
      {"train_unwritable_metrics",
       Program::kTrain,
       kTrain + "--metrics /proc/axon-cannot-write/metrics.csv",
       1,
       {"/proc/axon-cannot-write/metrics.csv"}},
      {"train_checkpoint_is_a_folder",
       Program::kTrain,
       kTrain + "--checkpoint {dir}/data",
       1,
       {"{dir}/data", "Is a directory"}},
      {"train_missing_resume_file",
       Program::kTrain,
       kTrain + "--resume {dir}/none.safetensors",
       1,
       {"{dir}/none.safetensors"}},
      {"train_corrupt_resume_file",
       Program::kTrain,
       kTrain + "--resume {dir}/corrupt.safetensors",
       1,
       {"{dir}/corrupt.safetensors"}},
      {"train_more_workers_than_threads",
       Program::kTrain,
       kTrain + "--device cpu --workers 100000",
       1,
       {"DataLoader: cannot start worker thread", "of 100000"},
       Needs::kAddressSpaceLimit},
      {"train_resident_data_on_the_cpu",
       Program::kTrain,
       kTrain + "--device cpu --resident-data on",
       1,
       {"--resident-data on: the training runs on cpu (--device cpu)", "needs a GPU"}},
      {"train_cuda_without_gpu",
       Program::kTrain,
       kTrain + "--device cuda",
       1,
       {"--device cuda: no usable GPU"},
       Needs::kNoGpu},
      // axon-bench
      {"bench_unknown_flag", Program::kBench, "--frobnicate", 2, {"--frobnicate"}},
      {"bench_unknown_model", Program::kBench, "--models mlp,vgg", 2, {"\"vgg\" is not one of"}},
      {"bench_zero_batch_size",
       Program::kBench,
       "--batch-sizes 4,0",
       2,
       {"batch sizes must be positive integers, got \"0\""}},
      {"bench_zero_steps", Program::kBench, "--steps 0", 2, {"--steps", ">= 1, got 0"}},
      {"bench_negative_lr",
       Program::kBench,
       "--models mlp --batch-sizes 2 --steps 1 --repeats 1 --lr -1",
       1,
       {"--lr must be positive, got -1"}},
      {"bench_batch_size_overflows",
       Program::kBench,
       "--models mlp --devices cpu --batch-sizes 9223372036854775807 --steps 1 --repeats 1",
       1,
       {"overflowed", "[9223372036854775807, 1, 28, 28]"}},
      {"bench_batch_size_past_memory",
       Program::kBench,
       "--models mlp --devices cpu --batch-sizes 1099511627776 --steps 1 --repeats 1",
       1,
       {"out of memory"}},
      {"bench_unwritable_json",
       Program::kBench,
       "--models mlp --batch-sizes 2 --json /proc/axon-cannot-write/out.json",
       1,
       {"--json /proc/axon-cannot-write/out.json: cannot write"}},
      {"bench_dataset_without_data",
       Program::kBench,
       "--models mlp --batch-sizes 2 --dataset mnist --data {dir}/nowhere",
       1,
       {"{dir}/nowhere"}},
      {"bench_cuda_without_gpu",
       Program::kBench,
       "--devices cuda",
       1,
       {"--devices cuda: no usable GPU"},
       Needs::kNoGpu},
      // an example program
      {"example_unknown_flag", Program::kTwoLayerNet, "--bogus", 2, {"--bogus"}},
      {"example_unknown_device", Program::kTwoLayerNet, "--device tpu", 2, {"--device", "tpu"}},
      {"example_cuda_without_gpu",
       Program::kTwoLayerNet,
       "--fast --device cuda",
       1,
       {"--device cuda: no usable GPU"},
       Needs::kNoGpu},
  };
  return rows;
}

void PrintTo(const BadCommandLine& row, std::ostream* os) { *os << row.name; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

class BadCommandLineTest : public ::testing::TestWithParam<BadCommandLine> {
 protected:
  void SetUp() override {
    const BadCommandLine& row = GetParam();
    program_ = row.program == Program::kTrain   ? kTrainBin
               : row.program == Program::kBench ? kBenchBin
                                                : axon::testing::example_program("two_layer_net");
    if (program_.empty()) GTEST_SKIP() << "the apps are not built (AXON_BUILD_APPS=OFF)";
    if (row.needs == Needs::kNoGpu && axon::cuda::is_available()) GTEST_SKIP() << "has a GPU";
    if (row.needs == Needs::kAddressSpaceLimit) {
      if (kSanitized) GTEST_SKIP() << "a sanitizer needs more address space than the limit";
      program_ = "ulimit -v 4000000; " + program_;
    }
    dir_ =
        fs::temp_directory_path() / ("axon_bad_cli_" + std::to_string(::getpid()) + "_" + row.name);
    fs::remove_all(dir_);
    write_data();
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // data/: four valid files of 8 images; bad_magic/ and truncated/: the same with a broken
  // training image file; corrupt.safetensors: a header length past the end of the file.
  void write_data() const {
    using namespace axon::testing;
    for (const char* folder : {"data", "bad_magic", "truncated"}) {
      fs::create_directories(dir_ / folder);
      for (const char* split : {"train", "t10k"}) {
        write_file(dir_ / folder / (std::string(split) + "-images-idx3-ubyte"), idx_images(8));
        write_file(dir_ / folder / (std::string(split) + "-labels-idx1-ubyte"),
                   idx_labels(cycling_labels(8)));
      }
    }
    write_file(dir_ / "bad_magic" / "train-images-idx3-ubyte", idx_images(8, 28, 28, 2049));
    const Bytes whole = idx_images(8);
    const Bytes cut(whole.begin(), whole.end() - 100);
    write_file(dir_ / "truncated" / "train-images-idx3-ubyte", cut);
    write_file(dir_ / "corrupt.safetensors", Bytes{0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'});
  }

  std::string program_;
  fs::path dir_;
};

TEST_P(BadCommandLineTest, ExitsWithStatusAndMessage) {
  const BadCommandLine& row = GetParam();
  const std::string args = replace_all(row.args, "{dir}", dir_.string());
  const axon::testing::ProgramResult r = axon::testing::run_program(program_, args, dir_);
  EXPECT_LT(r.status, 128) << "ended by signal " << r.status - 128 << "\n" << r.err;
  EXPECT_EQ(r.status, row.status) << args << "\n" << r.err;
  for (const std::string& part : row.message) {
    const std::string expected = replace_all(part, "{dir}", dir_.string());
    EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr lacks \"" << expected << "\":\n"
                                                       << r.err;
  }
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Matrix, BadCommandLineTest, ::testing::ValuesIn(bad_command_lines()),
                         [](const ::testing::TestParamInfo<BadCommandLine>& row) {
                           return std::string(row.param.name);
                         });

}  // namespace

namespace {

// A --batch-size larger than the dataset is one batch of everything (as in PyTorch); the
// batch count once overflowed for the largest int64 and the epoch trained on nothing.
TEST(AxonTrainBatchSize, HugeBatchSizeTrainsEveryImage) {
  if (kTrainBin.empty()) GTEST_SKIP() << "axon-train is not built (AXON_BUILD_APPS=OFF)";
  const fs::path dir =
      fs::temp_directory_path() / ("axon_bad_cli_" + std::to_string(::getpid()) + "_huge_batch");
  fs::create_directories(dir);
  for (const char* split : {"train", "t10k"}) {
    axon::testing::write_file(dir / (std::string(split) + "-images-idx3-ubyte"),
                              axon::testing::idx_images(8));
    axon::testing::write_file(dir / (std::string(split) + "-labels-idx1-ubyte"),
                              axon::testing::idx_labels(axon::testing::cycling_labels(8)));
  }
  const axon::testing::ProgramResult r = axon::testing::run_program(
      kTrainBin,
      "--dataset mnist --data " + dir.string() +
          " --device cpu --epochs 1 --batch-size 9223372036854775807 --metrics " +
          (dir / "metrics.csv").string(),
      dir);
  const std::string metrics = axon::testing::slurp(dir / "metrics.csv");
  fs::remove_all(dir);
  ASSERT_EQ(r.status, 0) << r.err;
  // One row after the header; its train_loss (third column) is a real cross-entropy, not the 0
  // of an epoch without batches.
  const size_t row = metrics.find('\n') + 1;
  const size_t loss_start = metrics.find(',', metrics.find(',', row) + 1) + 1;
  EXPECT_GT(std::stod(metrics.substr(loss_start)), 0.5) << metrics;
}

}  // namespace
