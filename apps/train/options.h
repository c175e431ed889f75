#pragma once
// axon-train's command line.

#include <cstdint>
#include <optional>
#include <string>

namespace axon::train {

struct TrainOptions {
  std::string model = "lenet5";
  std::string dataset = "fashion-mnist";
  std::string data;  // empty: the dataset's default folder
  std::string device = "auto";
  int64_t epochs = 10;
  int64_t batch_size = 64;
  double lr = 0.02;
  std::string optimizer = "sgd";
  double momentum = 0.9;
  double weight_decay = 0;
  std::string scheduler = "cosine";
  bool augment = false;
  bool batch_norm = false;
  uint64_t seed = 0;
  int64_t workers = 2;
  std::string checkpoint;
  std::string resume;
  std::string metrics;
  std::string plot;
  bool quiet = false;
  // Keep the splits on the GPU and gather batches there (auto, on, off): auto when the device is
  // a GPU, augmentation is off and the splits take at most half the free memory.
  std::string resident_data = "auto";
  // Replay a CUDA graph of the training step for full batches (a GPU, SGD, a per-epoch schedule).
  bool cuda_graph = false;
  // Stop after this epoch, as if interrupted (--resume continues); 0: run all --epochs.
  int64_t stop_after = 0;
  // Stop after this many training batches per epoch (tests and quick looks); 0: all.
  int64_t max_batches = 0;
};

// The default folder of each dataset (Fashion-MNIST: Debian's dataset-fashion-mnist).
std::string default_data_dir(const std::string& dataset);

// Parses argv. Returns the options, or an exit status when the program should stop (--help
// prints and gives 0; a bad flag or value prints the error and gives 2).
struct ParseResult {
  TrainOptions options;
  std::optional<int> exit_status;
};
ParseResult parse_options(int argc, char** argv);

}  // namespace axon::train
