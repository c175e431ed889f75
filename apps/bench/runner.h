#pragma once
// Runs the benchmark: one row per (model, batch size, device), each timed as
//   warm-up steps (untimed), then `repeats` x `steps` timed training steps (data, host-to-device
//   copy, forward, backward, optimizer), then the same for inference (eval, NoGradGuard,
//   forward only), synchronising the GPU before every clock reading.

#include <axon/profiler.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "options.h"

namespace axon::bench {

enum Phase { kData, kCopy, kForward, kBackward, kOptimizer, kPhases };
// The JSON's names of the phases, in Phase order.
const std::array<const char*, kPhases>& phase_names();

struct Row {
  std::string model, device;
  int64_t batch_size = 0;
  // Whether the steps and inference passes were replays of CUDA graphs (--cuda-graph, GPU rows).
  bool cuda_graph = false;
  // Images per second of each timed repeat, and their medians.
  std::vector<double> train_repeats, infer_repeats;
  double train_images_per_s = 0, infer_images_per_s = 0;
  // Training step times over every timed step, in milliseconds.
  double step_ms_median = 0, step_ms_p90 = 0;
  int64_t timed_steps = 0;
  // The median per step of each phase, in milliseconds; nullopt where a phase is not separate
  // (no copy on the CPU; a real dataset's loader copies to the GPU itself; forward, backward and
  // optimizer in one graph replay).
  std::array<std::optional<double>, kPhases> phase_ms;
  // The peak resident set of the process during the row (VmHWM, reset before the row when the
  // kernel allows, after the CPU allocator's cache is emptied; otherwise the peak since the
  // process started). It includes the process's baseline (code, libraries).
  int64_t peak_host_rss_bytes = 0;
  bool peak_host_rss_reset = false;
  // The CUDA caching allocator's peak during the row (CUDA rows only).
  std::optional<int64_t> peak_cuda_allocated_bytes;
  double final_loss = 0;
  // This row's throughput over the CPU row of the same model and batch size (CUDA rows, when
  // both ran).
  std::optional<double> gpu_cpu_train_ratio, gpu_cpu_infer_ratio;
  // --profile N: the key averages of N eager training steps (untimed, after the timed ones;
  // eager on --cuda-graph rows too, so that each kernel is seen), grouped by input shape (one
  // row per layer's kernel call), sorted by self device time on a GPU and self CPU time on the
  // CPU, and their table.
  std::vector<profiler::FunctionEventAvg> profile;
  std::string profile_table;
};

// Checks what can be checked before anything runs (devices, --cuda-graph, the dataset against
// the models); throws axon::Error.
void validate(const BenchOptions& options);

// The devices the rows run on: options.devices, or cpu plus cuda when there is a GPU.
std::vector<std::string> devices_of(const BenchOptions& options);

// Every row, in the order model, batch size, device, for options that passed validate();
// `progress` prints a line per row on stderr.
std::vector<Row> run_all(const BenchOptions& options, bool progress);

}  // namespace axon::bench
