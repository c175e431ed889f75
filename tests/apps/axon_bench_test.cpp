// axon-bench end to end: the program run in a tiny configuration, its table and its JSON (every
// field of the machine and of each row, and figures that agree with each other), a real dataset
// through the DataLoader, and its errors. Also the order statistics it reports.
#include <axon/cuda.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "apps/bench/stats.h"
#include "apps/run_program.h"
#include "test_utils.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

#ifdef AXON_BENCH_BIN
const std::string kBenchBin = AXON_BENCH_BIN;
#else
const std::string kBenchBin;
#endif

using Result = axon::testing::ProgramResult;
using axon::testing::slurp;

class AxonBenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kBenchBin.empty()) GTEST_SKIP() << "axon-bench is not built (AXON_BUILD_APPS=OFF)";
    dir_ = fs::temp_directory_path() /
           ("axon_bench_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  Result run(const std::string& args) const {
    return axon::testing::run_program(kBenchBin, args, dir_);
  }
  // The tiny configuration: two timed repeats of two steps, one thread.
  std::string tiny() const {
    return "--batch-sizes 2 --steps 2 --warmup 1 --repeats 2 --threads 1 --quiet --json " +
           (dir_ / "out.json").string() + " ";
  }
  fs::path dir_;
};

void expect_keys(const json& object, const std::vector<std::string>& keys,
                 const std::string& what) {
  ASSERT_TRUE(object.is_object()) << what;
  for (const std::string& key : keys) EXPECT_TRUE(object.contains(key)) << what << ": no " << key;
  EXPECT_EQ(object.size(), keys.size()) << what << ": " << object.dump();
}

TEST_F(AxonBenchTest, TinyRunWritesEveryField) {
  Result r = run(tiny() + "--models mlp,lenet5,cifar-cnn,cifar-cnn-bn --devices cpu");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  for (const char* model : {"mlp ", "lenet5 ", "cifar-cnn ", "cifar-cnn-bn "}) {
    EXPECT_NE(r.out.find(model), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("train img/s"), std::string::npos) << r.out;

  const json j = json::parse(slurp(dir_ / "out.json"));
  expect_keys(j, {"axon_version", "git_commit", "date", "machine", "config", "rows"}, "top");
  EXPECT_TRUE(j["git_commit"].is_null() || j["git_commit"].get<std::string>().size() >= 40);
  expect_keys(j["machine"],
              {"cpu_model", "logical_cpus", "threads", "cpu_libraries", "gpu_count", "gpu_name",
               "gpu_driver", "cuda_driver_api", "cuda_runtime", "cudnn"},
              "machine");
  EXPECT_FALSE(j["machine"]["cpu_model"].get<std::string>().empty());
  const std::string libraries = j["machine"]["cpu_libraries"].get<std::string>();
  EXPECT_NE(libraries.find("oneDNN"), std::string::npos) << libraries;
  EXPECT_NE(libraries.find("OpenMP threads: 1"), std::string::npos) << libraries;
  EXPECT_EQ(j["machine"]["threads"], 1);
  EXPECT_GE(j["machine"]["logical_cpus"].get<int>(), 1);
  if (!axon::cuda::is_available()) {
    EXPECT_EQ(j["machine"]["gpu_count"], 0);
    EXPECT_TRUE(j["machine"]["gpu_name"].is_null());
    EXPECT_TRUE(j["machine"]["gpu_driver"].is_null());
  }
  expect_keys(
      j["config"],
      {"models", "batch_sizes", "devices", "warmup", "steps", "repeats", "threads", "optimizer",
       "lr", "momentum", "dataset", "cuda_graph", "tf32", "profile_steps", "seed"},
      "config");
  EXPECT_EQ(j["config"]["optimizer"], "sgd");
  EXPECT_EQ(j["config"]["momentum"], 0.9);
  EXPECT_EQ(j["config"]["dataset"], "synthetic");
  EXPECT_EQ(j["config"]["tf32"], false);

  const json& rows = j["rows"];
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<std::string> models = {"mlp", "lenet5", "cifar-cnn", "cifar-cnn-bn"};
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& row = rows[i];
    const std::string what = "row " + std::to_string(i);
    expect_keys(row,
                {"model", "batch_size", "device", "cuda_graph", "train_images_per_s",
                 "train_images_per_s_repeats", "infer_images_per_s", "infer_images_per_s_repeats",
                 "step_ms_median", "step_ms_p90", "timed_steps", "phase_ms_median",
                 "peak_host_rss_bytes", "peak_host_rss_reset_per_row", "peak_cuda_allocated_bytes",
                 "gpu_cpu_train_ratio", "gpu_cpu_infer_ratio", "final_loss", "profile"},
                what);
    EXPECT_EQ(row["model"], models[i]);
    EXPECT_EQ(row["batch_size"], 2);
    EXPECT_EQ(row["device"], "cpu");
    EXPECT_EQ(row["cuda_graph"], false);
    EXPECT_EQ(row["timed_steps"], 4);  // 2 repeats x 2 steps
    for (const char* kind : {"train", "infer"}) {
      const std::string key = std::string(kind) + "_images_per_s";
      const std::vector<double> repeats = row[key + "_repeats"];
      ASSERT_EQ(repeats.size(), 2u) << what;
      EXPECT_GT(repeats[0], 0) << what;
      // The figure is the median of the repeats: of two, their mean.
      EXPECT_NEAR(row[key].get<double>(), (repeats[0] + repeats[1]) / 2, 1e-9 * repeats[0]);
    }
    const double median = row["step_ms_median"], p90 = row["step_ms_p90"];
    EXPECT_GT(median, 0) << what;
    EXPECT_GE(p90, median) << what;
    expect_keys(row["phase_ms_median"], {"data", "h2d", "forward", "backward", "optimizer"}, what);
    EXPECT_TRUE(row["phase_ms_median"]["h2d"].is_null()) << what << ": no copy on the CPU";
    for (const char* phase : {"data", "forward", "backward", "optimizer"}) {
      EXPECT_GE(row["phase_ms_median"][phase].get<double>(), 0) << what << " " << phase;
    }
    EXPECT_GT(row["phase_ms_median"]["forward"].get<double>(), 0) << what;
    EXPECT_GT(row["peak_host_rss_bytes"].get<int64_t>(), 1 << 20) << what;
    EXPECT_TRUE(row["peak_cuda_allocated_bytes"].is_null()) << what;
    EXPECT_TRUE(row["gpu_cpu_train_ratio"].is_null()) << what;
    // Cross-entropy over 10 classes at initialisation: near ln 10.
    EXPECT_NEAR(row["final_loss"].get<double>(), std::log(10.0), 0.7) << what;
    EXPECT_TRUE(row["profile"].empty()) << what << ": no --profile";
  }
  EXPECT_EQ(r.out.find("profile:"), std::string::npos) << r.out;
}

// --profile N: each row's kernels and autograd nodes over N eager steps, printed and in the JSON.
TEST_F(AxonBenchTest, ProfileCountsEachRowsKernelsAndNodes) {
  std::vector<std::string> devices = {"cpu"};
  if (axon::cuda::is_available()) devices.push_back("cuda");
  for (const std::string& device : devices) {
    Result r = run(tiny() + "--models lenet5 --profile 3 --devices " + device);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("profile: lenet5 batch 2 on " + device + ", 3 eager training steps"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("conv2d_forward_kernel"), std::string::npos) << r.out;
    const json j = json::parse(slurp(dir_ / "out.json"));
    EXPECT_EQ(j["config"]["profile_steps"], 3);
    const json& profile = j["rows"][0]["profile"];
    std::map<std::string, std::vector<json>> by_name;  // rows per name: one per input shapes
    for (const json& entry : profile) {
      expect_keys(entry,
                  {"name", "device", "input_shapes", "count", "cpu_time_total_us",
                   "self_cpu_time_total_us", "device_time_total_us", "self_device_time_total_us"},
                  "profile entry");
      by_name[entry["name"]].push_back(entry);
    }
    // LeNet-5's two convolutions, each its own row; the first one's input needs no gradient.
    const std::vector<json>& conv = by_name["conv2d_forward_kernel"];
    ASSERT_EQ(conv.size(), 2U) << profile.dump();
    const bool cuda = device == "cuda";
    std::vector<std::vector<int64_t>> weights;
    for (const json& row : conv) {
      EXPECT_EQ(row["count"], 3);
      EXPECT_EQ(row["device"], device);
      weights.push_back(row["input_shapes"][2]);  // out, input, weight, bias
      EXPECT_EQ(row["self_device_time_total_us"].get<double>() > 0, cuda);
    }
    std::sort(weights.begin(), weights.end());
    EXPECT_EQ(weights, (std::vector<std::vector<int64_t>>{{6, 1, 5, 5}, {16, 6, 5, 5}}));
    ASSERT_EQ(by_name["conv2d_backward_input_kernel"].size(), 1U);
    EXPECT_EQ(by_name["conv2d_backward_input_kernel"][0]["count"], 3);
    ASSERT_EQ(by_name["ConvolutionBackward0"].size(), 1U);  // a node: no shapes
    EXPECT_EQ(by_name["ConvolutionBackward0"][0]["count"], 6);
    EXPECT_EQ(by_name["sgd_step_kernel"].at(0)["count"], 3);
    for (const char* phase : {"forward", "backward", "optimizer"}) {
      ASSERT_EQ(by_name[phase].size(), 1U) << phase;
      EXPECT_EQ(by_name[phase][0]["count"], 3);
      EXPECT_GT(by_name[phase][0]["cpu_time_total_us"].get<double>(), 0) << phase;
    }
    // Sorted by self device time on the GPU, self CPU time on the CPU.
    const char* key = cuda ? "self_device_time_total_us" : "self_cpu_time_total_us";
    for (size_t i = 1; i < profile.size(); ++i) {
      EXPECT_GE(profile[i - 1][key].get<double>(), profile[i][key].get<double>()) << i;
    }
  }
  Result r = run("--profile -1");
  EXPECT_EQ(r.status, 2) << r.out << r.err;
}

// On a GPU: the CUDA rows, their memory and events, and the GPU/CPU ratio.
TEST_F(AxonBenchTest, CudaRowsCarryMemoryPhasesAndTheRatio) {
  if (!axon::cuda::is_available()) GTEST_SKIP() << "no GPU";
  Result r = run(tiny() + "--models lenet5 --devices cpu,cuda");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json j = json::parse(slurp(dir_ / "out.json"));
  EXPECT_FALSE(j["machine"]["gpu_name"].is_null());
  EXPECT_FALSE(j["machine"]["cudnn"].is_null());
  ASSERT_EQ(j["rows"].size(), 2u);
  const json &cpu = j["rows"][0], &gpu = j["rows"][1];
  EXPECT_EQ(gpu["device"], "cuda");
  EXPECT_GT(gpu["peak_cuda_allocated_bytes"].get<int64_t>(), 0);
  EXPECT_GE(gpu["phase_ms_median"]["h2d"].get<double>(), 0);
  EXPECT_NEAR(gpu["gpu_cpu_train_ratio"].get<double>(),
              gpu["train_images_per_s"].get<double>() / cpu["train_images_per_s"].get<double>(),
              1e-9);
  EXPECT_NEAR(gpu["final_loss"].get<double>(), cpu["final_loss"].get<double>(), 1e-3);
}

// On a GPU, --cuda-graph: the CUDA row replays a captured step, trains as the CPU row does, and
// reports data and copy as phases, the rest as one; the CPU row runs eagerly.
TEST_F(AxonBenchTest, CudaGraphRowsReplayTheCapturedStep) {
  if (!axon::cuda::is_available()) GTEST_SKIP() << "no GPU";
  Result r = run(tiny() + "--models lenet5,cifar-cnn-bn --devices cpu,cuda --cuda-graph");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cuda graph"), std::string::npos) << r.out;
  const json j = json::parse(slurp(dir_ / "out.json"));
  EXPECT_EQ(j["config"]["cuda_graph"], true);
  ASSERT_EQ(j["rows"].size(), 4u);
  for (size_t i = 0; i < 4; i += 2) {
    const json &cpu = j["rows"][i], &gpu = j["rows"][i + 1];
    EXPECT_EQ(cpu["cuda_graph"], false);
    EXPECT_EQ(gpu["cuda_graph"], true);
    EXPECT_GE(gpu["phase_ms_median"]["h2d"].get<double>(), 0);
    for (const char* phase : {"forward", "backward", "optimizer"}) {
      EXPECT_TRUE(gpu["phase_ms_median"][phase].is_null()) << phase;
    }
    EXPECT_GT(gpu["train_images_per_s"].get<double>(), 0);
    EXPECT_GT(gpu["infer_images_per_s"].get<double>(), 0);
    EXPECT_NEAR(gpu["final_loss"].get<double>(), cpu["final_loss"].get<double>(), 1e-3)
        << gpu["model"];
  }
  r = run("--models mlp --devices cuda --cuda-graph --optimizer adam");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--optimizer adam cannot be captured"), std::string::npos) << r.err;
}

void put_be32(std::ofstream& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.write(bytes, 4);
}

// A real dataset through the DataLoader: 10 MNIST-format images, batches of 4 with drop_last, so
// the 2 + 3 x 2 steps run through four epochs.
TEST_F(AxonBenchTest, RealDatasetGoesThroughTheLoader) {
  std::ofstream images(dir_ / "train-images-idx3-ubyte", std::ios::binary);
  std::ofstream labels(dir_ / "train-labels-idx1-ubyte", std::ios::binary);
  for (uint32_t v : {2051u, 10u, 28u, 28u}) put_be32(images, v);
  for (uint32_t v : {2049u, 10u}) put_be32(labels, v);
  for (int i = 0; i < 10; ++i) {
    const std::string pixels(28 * 28, static_cast<char>(20 * i));
    images.write(pixels.data(), static_cast<std::streamsize>(pixels.size()));
    labels.put(static_cast<char>(i));
  }
  images.close();
  labels.close();
  Result r = run("--dataset mnist --data " + dir_.string() +
                 " --models mlp --batch-sizes 4 --steps 2 --warmup 2 --repeats 3 --workers 1 "
                 "--devices cpu --quiet --json " +
                 (dir_ / "real.json").string());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json j = json::parse(slurp(dir_ / "real.json"));
  EXPECT_EQ(j["config"]["dataset"], "mnist");
  ASSERT_EQ(j["rows"].size(), 1u);
  EXPECT_GT(j["rows"][0]["train_images_per_s"].get<double>(), 0);
  EXPECT_EQ(j["rows"][0]["timed_steps"], 6);
}

TEST_F(AxonBenchTest, ErrorsSayWhatIsWrong) {
  const std::string json_path = (dir_ / "never.json").string();
  Result r = run("--models mlp --devices cpu --cuda-graph --json " + json_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--cuda-graph captures the CUDA rows' steps, and there is none"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(json_path)) << "nothing is written for a run that does not start";

  r = run("--models mlp,resnet");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("\"resnet\" is not one of"), std::string::npos) << r.err;
  r = run("--models mlp,mlp");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("listed twice"), std::string::npos) << r.err;
  r = run("--batch-sizes 64,0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("positive integers, got \"0\""), std::string::npos) << r.err;
  r = run("--steps 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(">= 1"), std::string::npos) << r.err;
  r = run("--dataset cifar10");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("needs --data"), std::string::npos) << r.err;
  r = run("--dataset mnist --data " + dir_.string() + " --models lenet5,cifar-cnn");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cifar-cnn takes 32x32 images; mnist has 28x28"), std::string::npos)
      << r.err;
  r = run("--models mlp --json " + (dir_ / "no" / "such" / "folder.json").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
  if (!axon::cuda::is_available()) {
    r = run("--models mlp --devices cpu,cuda");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("--devices cuda: no usable GPU"), std::string::npos) << r.err;
  }
}

// numpy.percentile's linear interpolation, worked by hand.
TEST(BenchStats, QuantilesInterpolateBetweenRanks) {
  EXPECT_DOUBLE_EQ(axon::bench::median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_DOUBLE_EQ(axon::bench::median({4.0, 1.0, 3.0, 2.0}), 2.5);
  // Rank 0.9 x 3 = 2.7: 3 + 0.7 x (4 - 3).
  EXPECT_DOUBLE_EQ(axon::bench::quantile({1.0, 2.0, 3.0, 4.0}, 0.9), 3.7);
  EXPECT_DOUBLE_EQ(axon::bench::quantile({5.0}, 0.9), 5.0);
  EXPECT_DOUBLE_EQ(axon::bench::quantile({1.0, 9.0}, 1.0), 9.0);
  EXPECT_AXON_ERROR(axon::bench::median({}), "no values");
  EXPECT_AXON_ERROR(axon::bench::quantile({1.0}, 1.5), "got 1.5");
}

}  // namespace
