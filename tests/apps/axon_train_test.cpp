// axon-train end to end: the program run on a tiny dataset that the test writes in MNIST's IDX
// format; its exit status, its output, its metrics file, its pictures, a resumed run that
// reproduces an uninterrupted one, and (on a GPU) the same runs on CUDA.
#include <axon/cuda.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "apps/run_program.h"

namespace {

namespace fs = std::filesystem;

#ifdef AXON_TRAIN_BIN
const std::string kTrainBin = AXON_TRAIN_BIN;
#else
const std::string kTrainBin;
#endif

void put_be32(std::ofstream& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.write(bytes, 4);
}

// n images of class i % 10: a bright 6x6 square at a place that depends on the class, on noise.
void write_split(const fs::path& dir, const std::string& prefix, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  put_be32(images, 2051);
  put_be32(images, static_cast<uint32_t>(n));
  put_be32(images, 28);
  put_be32(images, 28);
  put_be32(labels, 2049);
  put_be32(labels, static_cast<uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    std::vector<char> pixels(28 * 28);
    for (auto& p : pixels) p = static_cast<char>(rng() % 60);
    const int top = 3 + (label / 5) * 12, left = 2 + (label % 5) * 5;
    for (int y = top; y < top + 6; ++y) {
      for (int x = left; x < left + 6 && x < 28; ++x) pixels[y * 28 + x] = static_cast<char>(230);
    }
    images.write(pixels.data(), static_cast<std::streamsize>(pixels.size()));
    labels.put(static_cast<char>(label));
  }
}

// CIFAR-10's binary batches: records of a label byte and 3 x 32 x 32 pixel bytes. Class c has
// its colour channel c % 3 bright in a band that depends on c.
void write_cifar(const fs::path& dir, int per_file, uint32_t seed) {
  std::mt19937 rng(seed);
  auto write = [&](const std::string& name) {
    std::ofstream out(dir / name, std::ios::binary);
    for (int i = 0; i < per_file; ++i) {
      const int label = i % 10;
      std::vector<char> record(3073);
      record[0] = static_cast<char>(label);
      for (int k = 1; k < 3073; ++k) record[k] = static_cast<char>(rng() % 50);
      const int channel = label % 3, band = label / 3;
      for (int y = band * 8; y < band * 8 + 8; ++y) {
        for (int x = 0; x < 32; ++x) record[1 + channel * 1024 + y * 32 + x] = char(220);
      }
      out.write(record.data(), static_cast<std::streamsize>(record.size()));
    }
  };
  for (int b = 1; b <= 5; ++b) write("data_batch_" + std::to_string(b) + ".bin");
  write("test_batch.bin");
}

using axon::testing::ProgramResult;
using Result = ProgramResult;

Result run(const std::string& args, const fs::path& dir) {
  return axon::testing::run_program(kTrainBin, args, dir);
}

std::vector<std::string> lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A metrics row without its timing columns (seconds, images_per_second), which differ between
// runs.
std::string without_timing(const std::string& row) {
  std::string out;
  std::stringstream s(row);
  std::string field;
  for (int i = 0; std::getline(s, field, ','); ++i) {
    if (i < 6) out += field + ",";
  }
  return out;
}

class AxonTrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kTrainBin.empty()) GTEST_SKIP() << "axon-train is not built (AXON_BUILD_APPS=OFF)";
    dir_ = fs::temp_directory_path() /
           ("axon_train_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "data");
    write_split(dir_ / "data", "train", 300, 1);
    write_split(dir_ / "data", "t10k", 100, 2);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string common() const {
    return "--dataset mnist --data " + (dir_ / "data").string() +
           " --batch-size 32 --seed 3 --device cpu ";
  }
  // The flags naming the 300 MNIST images of SetUp.
  std::string mnist() const { return "--dataset mnist --data " + (dir_ / "data").string() + " "; }
  // Writes a tiny CIFAR-10 (40 images per batch file) and returns the flags naming it.
  std::string cifar() const {
    fs::create_directories(dir_ / "cifar" / "cifar-10-batches-bin");
    write_cifar(dir_ / "cifar" / "cifar-10-batches-bin", 40, 5);
    return "--dataset cifar10 --data " + (dir_ / "cifar").string() + " ";
  }
  fs::path dir_;
};

TEST_F(AxonTrainTest, OneEpochWritesMetricsAndReports) {
  Result r = run(common() + "--model lenet5 --epochs 1 --metrics " +
                     (dir_ / "metrics.csv").string() + " --plot " + (dir_ / "plots").string(),
                 dir_);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::vector<std::string> rows = lines(dir_ / "metrics.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0],
            "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second");
  EXPECT_EQ(rows[1].substr(0, 7), "1,0.02,");
  EXPECT_NE(r.out.find("epoch 1/1: train loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Per-class accuracy:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Confusion matrix"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"dataset\":\"mnist\""), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "plots" / "predictions.png"));
  EXPECT_GT(fs::file_size(dir_ / "plots" / "predictions.png"), 1000u);
}

TEST_F(AxonTrainTest, LearnsTheTinyDataset) {
  Result r = run(
      common() + "--model mlp --epochs 4 --lr 0.05 --quiet --metrics " + (dir_ / "m.csv").string(),
      dir_);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::vector<std::string> rows = lines(dir_ / "m.csv");
  ASSERT_EQ(rows.size(), 5u);
  std::stringstream last(rows.back());
  std::vector<double> v;
  for (std::string f; std::getline(last, f, ',');) v.push_back(std::stod(f));
  EXPECT_GT(v[5], 0.9) << rows.back();  // test accuracy: the classes are easy to tell apart
}

// Stopped after epoch 2 and resumed, a run's metrics equal an uninterrupted run's: shuffling,
// augmentation (with two workers), the optimizer's moments and the
// schedule all continue exactly.
TEST_F(AxonTrainTest, ResumedRunEqualsUninterruptedRun) {
  const std::string args = common() +
                           "--model lenet5 --epochs 3 --augment --workers 2 --scheduler cosine "
                           "--optimizer adam --lr 0.002 --quiet ";
  Result full = run(args + "--metrics " + (dir_ / "full.csv").string(), dir_);
  ASSERT_EQ(full.status, 0) << full.err;
  const std::string ckpt = (dir_ / "run.safetensors").string();
  Result first = run(
      args + "--stop-after 2 --checkpoint " + ckpt + " --metrics " + (dir_ / "part.csv").string(),
      dir_);
  ASSERT_EQ(first.status, 0) << first.err;
  ASSERT_EQ(lines(dir_ / "part.csv").size(), 3u);
  Result second =
      run(args + "--resume " + ckpt + " --metrics " + (dir_ / "part.csv").string(), dir_);
  ASSERT_EQ(second.status, 0) << second.err;
  std::vector<std::string> a = lines(dir_ / "full.csv"), b = lines(dir_ / "part.csv");
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(without_timing(a[i]), without_timing(b[i]));
}

TEST_F(AxonTrainTest, TrainsCifarCnnWithBatchNormAndAugmentation) {
  Result r =
      run(cifar() +
              "--model cifar-cnn --batch-norm --augment --epochs 2 --batch-size 25 "
              "--optimizer adamw --lr 0.003 --quiet --metrics " +
              (dir_ / "c.csv").string() + " --checkpoint " + (dir_ / "c.safetensors").string(),
          dir_);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("200 training and 40 test images"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("automobile"), std::string::npos) << r.out;
  EXPECT_EQ(lines(dir_ / "c.csv").size(), 3u);
  EXPECT_TRUE(fs::exists(dir_ / "c.safetensors"));
  // lenet5 wants 28x28 or 32x32 images of any channel count; the mlp any size: both run too,
  // but cifar-cnn refuses 28x28 digits.
  Result bad = run(common() + "--model cifar-cnn --epochs 1", dir_);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("cifar-cnn takes 32x32 images; this dataset has 28x28"), std::string::npos)
      << bad.err;
}

TEST_F(AxonTrainTest, MissingDataIsAClearErrorWithoutACrash) {
  Result r = run("--dataset mnist --data " + (dir_ / "nowhere").string() + " --epochs 1", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("axon-train: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((dir_ / "nowhere").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("train-images-idx3-ubyte"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
}

TEST_F(AxonTrainTest, BadFlagsExitWithTwoAndSayWhy) {
  Result unknown = run("--no-such-flag", dir_);
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("--no-such-flag"), std::string::npos) << unknown.err;
  Result bad = run("--model resnet9000", dir_);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("resnet9000"), std::string::npos) << bad.err;
  Result zero = run("--batch-size 0", dir_);
  EXPECT_EQ(zero.status, 2);
  EXPECT_NE(zero.err.find("--batch-size: must be positive, got 0"), std::string::npos) << zero.err;
  // An output folder that does not exist is refused before any data is read.
  Result nowhere = run("--data " + (dir_ / "absent").string() + " --checkpoint " +
                           (dir_ / "no" / "such" / "c.safetensors").string(),
                       dir_);
  EXPECT_EQ(nowhere.status, 1);
  EXPECT_NE(nowhere.err.find("does not exist"), std::string::npos) << nowhere.err;
  EXPECT_EQ(nowhere.err.find("train-images"), std::string::npos) << nowhere.err;
  Result help = run("--help", dir_);
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--batch-size"), std::string::npos) << help.out;
}

TEST_F(AxonTrainTest, ResumeRefusesAnotherRunsCheckpoint) {
  const std::string ckpt = (dir_ / "mlp.safetensors").string();
  ASSERT_EQ(run(common() + "--model mlp --epochs 1 --quiet --checkpoint " + ckpt, dir_).status, 0);
  Result r = run(common() + "--model lenet5 --epochs 2 --quiet --resume " + ckpt, dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("model = \"mlp\""), std::string::npos) << r.err;
}

// The columns of the last metrics row of `path` (epoch, lr, train_loss, train_accuracy,
// test_loss, test_accuracy, ...).
std::vector<double> last_row(const fs::path& path) {
  std::stringstream last(lines(path).back());
  std::vector<double> v;
  for (std::string f; std::getline(last, f, ',');) v.push_back(std::stod(f));
  return v;
}

// Two runs' last metrics rows agree: train loss and test loss within `relative` of `want`'s
// (plus `absolute`), test accuracy within `accuracy`.
void expect_close_metrics(const std::vector<double>& got, const std::vector<double>& want,
                          double relative, double absolute, double accuracy,
                          const std::string& name) {
  EXPECT_NEAR(got[2], want[2], relative * std::abs(want[2]) + absolute) << name;
  EXPECT_NEAR(got[4], want[4], relative * std::abs(want[4]) + absolute) << name;
  EXPECT_NEAR(got[5], want[5], accuracy) << name;
}

// --device cuda trains every model with the CPU's code path: from the same seed (so the same
// initial weights and batches), two epochs end with nearly the same losses. Without a GPU the
// flag is a clear error, never a silent fallback to the CPU.
TEST_F(AxonTrainTest, DeviceCudaTrainsLikeTheCpu) {
  if (!axon::cuda::is_available()) {
    Result r = run("--dataset mnist --data " + (dir_ / "data").string() +
                       " --model mlp --epochs 1 --device cuda",
                   dir_);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("--device cuda: no usable GPU"), std::string::npos) << r.err;
    GTEST_SKIP() << "no GPU: checked that --device cuda says so";
  }
  const std::string mnist = this->mnist(), cifar = this->cifar();
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"mlp", mnist + "--model mlp"},
      {"lenet5", mnist + "--model lenet5 --optimizer adam --lr 0.001"},
      {"cifar-cnn", cifar + "--model cifar-cnn --batch-norm --optimizer adamw --lr 0.003"}};
  for (const auto& [name, args] : runs) {
    std::vector<double> metrics[2];
    for (int d = 0; d < 2; ++d) {
      const fs::path csv = dir_ / (name + (d ? "_cuda.csv" : "_cpu.csv"));
      Result r = run(args + " --epochs 2 --batch-size 25 --seed 7 --quiet --device " +
                         (d ? "cuda" : "cpu") + " --metrics " + csv.string(),
                     dir_);
      ASSERT_EQ(r.status, 0) << name << "\n" << r.out << r.err;
      if (d) {
        EXPECT_NE(r.out.find("device cuda:0"), std::string::npos) << r.out;
      }
      metrics[d] = last_row(csv);
    }
    // float32 sums in another order drift a little over 2 epochs (on an H100 cifar-cnn's test
    // loss differed by 0.33%); a wrong kernel is off by far more.
    expect_close_metrics(metrics[1], metrics[0], 1e-2, 1e-4, 0.05, name);
  }
}

// --resident-data on keeps the splits on the GPU and gathers each batch there: the same batches
// in the same order as the host loader's, so the same metrics. It is the default on a GPU
// without --augment.
TEST_F(AxonTrainTest, ResidentDataTrainsAsTheHostLoaderDoes) {
  if (!axon::cuda::is_available()) {
    Result r = run(common() + "--model mlp --epochs 1 --resident-data on", dir_);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("--resident-data on: the training runs on cpu"), std::string::npos)
        << r.err;
    GTEST_SKIP() << "no GPU: checked that --resident-data on says so";
  }
  const std::string mnist = this->mnist(), cifar = this->cifar();
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"lenet5", mnist + "--model lenet5"}, {"cifar-cnn", cifar + "--model cifar-cnn"}};
  for (const auto& [name, args] : runs) {
    std::vector<double> metrics[2];
    for (int resident = 0; resident < 2; ++resident) {
      const fs::path csv = dir_ / (name + (resident ? "_resident.csv" : "_host.csv"));
      Result r =
          run(args + " --epochs 2 --batch-size 32 --seed 7 --quiet --device cuda" +
                  " --resident-data " + (resident ? "on" : "off") + " --metrics " + csv.string(),
              dir_);
      ASSERT_EQ(r.status, 0) << name << "\n" << r.out << r.err;
      EXPECT_EQ(r.out.find("data: resident on cuda") != std::string::npos, resident == 1) << r.out;
      metrics[resident] = last_row(csv);
    }
    expect_close_metrics(metrics[1], metrics[0], 1e-3, 0, 0.02, name);
  }
  // With a CUDA graph: the workers gather on the device's stream while the training thread
  // captures on its own.
  Result r =
      run(mnist + "--model lenet5 --epochs 3 --batch-size 32 --seed 7 --quiet --device cuda " +
              "--resident-data on --cuda-graph",
          dir_);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cuda graph: 3 captures, 24 replays"), std::string::npos) << r.out;
  r = run(mnist + "--model mlp --epochs 1 --device cuda --augment --resident-data on", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--augment draws its crops and flips on the CPU"), std::string::npos)
      << r.err;
  r = run(mnist + "--model mlp --epochs 1 --max-batches 2 --device cuda", dir_);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("data: resident on cuda"), std::string::npos) << r.out;
}

// --cuda-graph replays a captured step for the full batches and recaptures when the cosine
// schedule changes the learning rate; the short last batch runs eagerly. The same kernels on the
// same data: the metrics match the eager CUDA run's. Without a GPU it is a clear error.
TEST_F(AxonTrainTest, CudaGraphTrainsAsTheEagerStepsDo) {
  if (!axon::cuda::is_available()) {
    Result r = run(common() + "--model mlp --epochs 1 --cuda-graph", dir_);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("--cuda-graph: the training runs on cpu"), std::string::npos) << r.err;
    GTEST_SKIP() << "no GPU: checked that --cuda-graph says so";
  }
  const std::string mnist = this->mnist(), cifar = this->cifar();
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"lenet5", mnist + "--model lenet5"},
      {"cifar-cnn", cifar + "--model cifar-cnn --batch-norm --augment"}};
  for (const auto& [name, args] : runs) {
    std::vector<double> metrics[2];
    for (int g = 0; g < 2; ++g) {
      const fs::path csv = dir_ / (name + (g ? "_graph.csv" : "_eager.csv"));
      // 300 MNIST images in batches of 32: 9 replays or eager steps and a short batch of 12.
      Result r = run(args + " --epochs 3 --batch-size 32 --seed 7 --quiet --device cuda" +
                         (g ? " --cuda-graph" : "") + " --metrics " + csv.string(),
                     dir_);
      ASSERT_EQ(r.status, 0) << name << "\n" << r.out << r.err;
      metrics[g] = last_row(csv);
      if (g && name == "lenet5") {
        // Each epoch (a new cosine learning rate): an eager step, a capture, 8 replays and the
        // short batch eagerly.
        EXPECT_NE(r.out.find("cuda graph: 3 captures, 24 replays"), std::string::npos) << r.out;
      }
    }
    expect_close_metrics(metrics[1], metrics[0], 1e-3, 0, 0.02, name);
  }
  Result r = run(mnist + "--model mlp --epochs 1 --device cuda --cuda-graph --optimizer adam", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--optimizer adam cannot be captured"), std::string::npos) << r.err;
  r = run(mnist + "--model mlp --epochs 1 --device cuda --cuda-graph --scheduler onecycle", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--scheduler onecycle"), std::string::npos) << r.err;
}

}  // namespace
