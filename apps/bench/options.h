#pragma once
// axon-bench's command line.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axon::bench {

struct BenchOptions {
  // mlp, lenet5, cifar-cnn, cifar-cnn-bn (cifar-cnn with BatchNorm2d after each conv).
  std::vector<std::string> models = {"mlp", "lenet5", "cifar-cnn", "cifar-cnn-bn"};
  std::vector<int64_t> batch_sizes = {64, 256, 1024};
  // cpu and/or cuda; empty: cpu, plus cuda when a GPU is available.
  std::vector<std::string> devices;
  int64_t warmup = 5;
  int64_t steps = 20;
  int64_t repeats = 5;
  int64_t threads = 0;  // 0: axon's default
  std::string optimizer = "sgd";
  double lr = 0.01;
  double momentum = 0.9;
  // synthetic, or a real dataset read through the DataLoader: mnist, fashion-mnist, cifar10.
  std::string dataset = "synthetic";
  std::string data;  // the real dataset's folder (default: axon-train's)
  int64_t workers = 2;
  uint64_t seed = 0;
  std::string json;
  bool cuda_graph = false;
  // Let cuBLAS and cuDNN round float32 inputs to TF32 on GPU rows (axon::set_allow_tf32).
  bool tf32 = false;
  bool quiet = false;
  // Eager training steps to run under axon::profiler after each row's timed steps (0: none).
  int64_t profile = 0;
};

// Parses argv. Returns the options, or an exit status when the program should stop (--help
// prints and gives 0; a bad flag or value prints the error and gives 2).
struct ParseResult {
  BenchOptions options;
  std::optional<int> exit_status;
};
ParseResult parse_options(int argc, char** argv);

}  // namespace axon::bench
