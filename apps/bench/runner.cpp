#include "runner.h"

#include <axon/axon.h>
#include <axon/cuda.h>
#include <axon/data.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>

#include "common/models.h"
#include "stats.h"

namespace axon::bench {
namespace {

namespace F = nn::functional;
using Clock = std::chrono::steady_clock;
using Batch = data::Example<>;
using BatchSource = std::function<Batch()>;

constexpr int64_t kClasses = 10;
// Synthetic batches cycle through a small pool, so that the data is not one batch over and over
// yet costs nothing to make.
constexpr size_t kPool = 4;

struct Shape {
  int64_t channels, size;
};

// The shape of each model's synthetic images: MNIST's for mlp and lenet5, CIFAR-10's for the rest.
Shape synthetic_shape(const std::string& model) {
  return model.rfind("cifar-cnn", 0) == 0 ? Shape{3, 32} : Shape{1, 28};
}

Shape dataset_shape(const std::string& dataset) {
  return dataset == "cifar10" ? Shape{3, 32} : Shape{1, 28};
}

Shape shape_of(const BenchOptions& o, const std::string& model) {
  return o.dataset == "synthetic" ? synthetic_shape(model) : dataset_shape(o.dataset);
}

std::shared_ptr<train::Classifier> make_model(const std::string& name, Shape shape) {
  const bool batch_norm = name == "cifar-cnn-bn";
  return train::make_model(batch_norm ? "cifar-cnn" : name, shape.channels, shape.size, kClasses,
                           batch_norm);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const BenchOptions& o, nn::Module& model) {
  if (o.optimizer == "adam") {
    return std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions(o.lr));
  }
  return std::make_unique<optim::SGD>(model.parameters(),
                                      optim::SGDOptions(o.lr).momentum(o.momentum));
}

void synchronize(Device device) {
  if (device.is_cuda()) cuda::synchronize(device.index());
}

double milliseconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// Random images in [0, 1) and random labels, on the host; page-locked for a GPU, so that the
// copy in the timed step is asynchronous as a DataLoader with pin_memory makes it.
BatchSource synthetic_source(Shape shape, int64_t batch_size, Device device) {
  auto pool = std::make_shared<std::vector<Batch>>();
  for (size_t i = 0; i < kPool; ++i) {
    Tensor images = rand({batch_size, shape.channels, shape.size, shape.size});
    Tensor labels = randint(0, kClasses, {batch_size});
    if (device.is_cuda()) {
      images = images.pin_memory();
      labels = labels.pin_memory();
    }
    pool->push_back({images, labels});
  }
  return [pool, next = size_t{0}]() mutable { return (*pool)[next++ % pool->size()]; };
}

// A real dataset through the DataLoader, shuffled, as axon-train reads it: on a GPU the workers
// stage each batch in page-locked memory and copy it to the device. Epochs restart as needed.
BatchSource loader_source(const data::datasets::TensorDataset& dataset, int64_t batch_size,
                          int64_t workers, Device device) {
  AXON_CHECK(static_cast<int64_t>(*dataset.size()) >= batch_size,
             "--batch-sizes {}: the dataset has only {} examples", batch_size, *dataset.size());
  auto options = data::DataLoaderOptions()
                     .batch_size(static_cast<size_t>(batch_size))
                     .workers(static_cast<size_t>(workers))
                     .drop_last(true);
  if (device.is_cuda()) options.device(device).pin_memory(true);
  auto loader = data::make_data_loader(
      data::datasets::TensorDataset(dataset).map(data::transforms::Stack<>()), options);
  using Loader = decltype(loader)::element_type;
  struct State {
    std::unique_ptr<Loader> loader;
    std::optional<decltype(loader->begin())> at;
  };
  auto state = std::make_shared<State>(State{std::move(loader), std::nullopt});
  return [state]() {
    if (state->at && ++*state->at != state->loader->end()) return **state->at;
    state->at = state->loader->begin();
    return **state->at;
  };
}

// Timestamps at the phase boundaries of each step of a repeat: host clock readings on the CPU;
// CUDA events on the current stream on the GPU, read once the repeat has been synchronised, so
// that timing does not serialise the host with the device.
class StepClock {
 public:
  StepClock(Device device, int64_t steps) : cuda_(device.is_cuda()) {
    const size_t marks = static_cast<size_t>(steps * kMarksPerStep);
    if (!cuda_) {
      host_.resize(marks);
      return;
    }
    events_.reserve(marks);
    for (size_t i = 0; i < marks; ++i) events_.emplace_back(true);
    // Events are created on their first record: do that here, outside the timed region.
    for (cuda::Event& event : events_) event.record();
    synchronize(device);
  }

  // Boundary b (0 ... kPhases) of step s: b = 0 starts the step, b = p + 1 ends phase p.
  void mark(int64_t step, int boundary) {
    const size_t i = index(step, boundary);
    if (cuda_) {
      events_[i].record();
    } else {
      host_[i] = Clock::now();
    }
  }

  double elapsed_ms(int64_t step, int from, int to) const {
    const size_t a = index(step, from), b = index(step, to);
    return cuda_ ? events_[a].elapsed_time(events_[b]) : milliseconds(host_[a], host_[b]);
  }

 private:
  static constexpr int64_t kMarksPerStep = kPhases + 1;
  static size_t index(int64_t step, int boundary) {
    return static_cast<size_t>(step * kMarksPerStep + boundary);
  }

  bool cuda_;
  std::vector<Clock::time_point> host_;
  std::vector<cuda::Event> events_;
};

// VmHWM, the peak resident set, in bytes; writing 5 to clear_refs resets it (Linux >= 4.0).
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return out.good();
}
int64_t peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "... kB"
  }
  return 0;
}

// --profile: `steps` eager steps under the profiler, after one unrecorded step (graphed rows'
// first eager step after their capture sets up what the graph had).
void profile_steps(Row& row, int64_t steps, Device device, const std::function<void()>& step) {
  step();
  synchronize(device);
  profiler::Profile profile({.record_shapes = true});
  for (int64_t i = 0; i < steps; ++i) step();
  profile.stop();
  const char* sort_by = device.is_cuda() ? "self_device_time_total" : "self_cpu_time_total";
  row.profile = profile.key_averages(sort_by, /*group_by_input_shape=*/true);
  row.profile_table = profile.table(sort_by, -1, /*group_by_input_shape=*/true);
}

Row run_row(const BenchOptions& o, const std::string& model_name, int64_t batch_size,
            const std::string& device_name, const data::datasets::TensorDataset* dataset) {
  const Device device = device_name == "cuda" ? Device(kCUDA, 0) : Device(kCPU);
  Row row;
  row.model = model_name;
  row.device = device_name;
  row.batch_size = batch_size;
  // Earlier rows' cached blocks go back to the system first, so that the peaks are this row's.
  cpu::empty_cache();
  malloc_trim(0);  // and what glibc's heap keeps of freed small blocks
  row.peak_host_rss_reset = reset_peak_rss();
  if (device.is_cuda()) {
    cuda::set_device(0);
    cuda::empty_cache();
    cuda::reset_peak_memory_stats(0);
  }

  manual_seed(o.seed);
  const Shape shape = shape_of(o, model_name);
  std::shared_ptr<train::Classifier> net = make_model(model_name, shape);
  net->to(device);
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(o, *net);
  BatchSource next_batch = dataset ? loader_source(*dataset, batch_size, o.workers, device)
                                   : synthetic_source(shape, batch_size, device);
  const bool copy_is_separate = device.is_cuda() && !dataset;

  // --cuda-graph on a GPU row: the step (forward, backward, optimizer) and the inference forward
  // are captured once on static input tensors, and each step copies its batch into those and
  // replays (Note [CUDA graphs] in kernels/cuda/graph.cpp).
  const bool graphed = o.cuda_graph && device.is_cuda();
  row.cuda_graph = graphed;
  Tensor static_images, static_labels;
  cuda::CUDAGraph train_graph;

  // One training step. Its phases are marked when a clock is given, and each is a profiler scope
  // named as in the JSON (nothing unless a profile records). A graphed step marks data, copy and
  // the whole replay: its phases run as one launch. `eager` runs a graphed row's step eagerly
  // (--profile, after the timed steps).
  Tensor loss;
  auto train_step = [&](StepClock* clock, int64_t step, bool eager) {
    auto phase = [&](int p, const auto& work) {
      {
        profiler::RecordFunction scope(phase_names()[p]);
        work();
      }
      if (clock) clock->mark(step, p + 1);
    };
    if (clock) clock->mark(step, 0);
    Batch batch;
    phase(kData, [&] { batch = next_batch(); });
    if (graphed && !eager) {
      phase(kCopy, [&] {
        static_images.copy_(batch.data, /*non_blocking=*/true);
        static_labels.copy_(batch.target, /*non_blocking=*/true);
      });
      train_graph.replay();
      if (clock) clock->mark(step, kPhases);
      return;
    }
    Tensor images, labels;
    phase(kCopy, [&] {
      images = batch.data.to(TensorOptions(device), /*non_blocking=*/true);
      labels = batch.target.to(TensorOptions(device), /*non_blocking=*/true);
    });
    phase(kForward, [&] { loss = F::cross_entropy(net->forward(images), labels); });
    phase(kBackward, [&] { loss.backward(); });
    phase(kOptimizer, [&] {
      optimizer->step();
      optimizer->zero_grad();
    });
  };

  if (graphed) {
    // Eager steps on the static tensors first (cuDNN and cuBLAS set up, algorithms chosen, the
    // momentum buffers made), then the capture. The gradients are set to none before it, so the
    // captured backward makes them; each replay rewrites them in place of a zero_grad.
    Batch first = next_batch();
    static_images = empty(first.data.sizes(), TensorOptions(first.data.dtype()).device(device));
    static_labels = empty(first.target.sizes(), TensorOptions(first.target.dtype()).device(device));
    for (int64_t i = 0; i < o.warmup; ++i) {
      Batch batch = i == 0 ? first : next_batch();
      static_images.copy_(batch.data, /*non_blocking=*/true);
      static_labels.copy_(batch.target, /*non_blocking=*/true);
      loss = F::cross_entropy(net->forward(static_images), static_labels);
      loss.backward();
      optimizer->step();
      optimizer->zero_grad();
    }
    train_graph.capture_begin();
    loss = F::cross_entropy(net->forward(static_images), static_labels);
    loss.backward();
    optimizer->step();
    train_graph.capture_end();
  } else {
    for (int64_t i = 0; i < o.warmup; ++i) train_step(nullptr, i, false);
  }
  StepClock clock(device, o.steps);
  std::vector<double> step_ms;
  std::array<std::vector<double>, kPhases> phase_ms;
  // The phases a step marks: all of them, or data and copy alone when the rest is one replay.
  const int timed_phases = graphed ? kForward : kPhases;
  for (int64_t r = 0; r < o.repeats; ++r) {
    synchronize(device);
    const Clock::time_point start = Clock::now();
    for (int64_t s = 0; s < o.steps; ++s) train_step(&clock, s, false);
    synchronize(device);
    const double seconds = milliseconds(start, Clock::now()) / 1e3;
    row.train_repeats.push_back(static_cast<double>(batch_size * o.steps) / seconds);
    for (int64_t s = 0; s < o.steps; ++s) {
      step_ms.push_back(clock.elapsed_ms(s, 0, kPhases));
      for (int p = 0; p < timed_phases; ++p) {
        phase_ms[p].push_back(clock.elapsed_ms(s, p, p + 1));
      }
    }
  }
  row.final_loss = loss.item<double>();
  row.train_images_per_s = median(row.train_repeats);
  row.step_ms_median = median(step_ms);
  row.step_ms_p90 = quantile(step_ms, 0.9);
  row.timed_steps = static_cast<int64_t>(step_ms.size());
  for (int p = 0; p < timed_phases; ++p) {
    if (p != kCopy || copy_is_separate) row.phase_ms[p] = median(phase_ms[p]);
  }
  train_graph.reset();
  if (o.profile > 0) {
    profile_steps(row, o.profile, device, [&] { train_step(nullptr, 0, /*eager=*/true); });
  }

  // Inference: forward passes over batches already on the device; graphed, a replay of the
  // forward captured on a static input, which each pass first copies its batch into.
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < kPool; ++i) {
    inputs.push_back(next_batch().data.to(TensorOptions(device)));
  }
  {
    NoGradGuard no_grad;
    net->eval();
    cuda::CUDAGraph infer_graph;
    Tensor static_input;
    std::function<void(int64_t)> infer = [&](int64_t i) { net->forward(inputs[i % kPool]); };
    for (int64_t i = 0; i < o.warmup; ++i) infer(i);
    if (graphed) {
      static_input = inputs[0].clone();
      net->forward(static_input);
      infer_graph.capture_begin();
      net->forward(static_input);
      infer_graph.capture_end();
      infer = [&](int64_t i) {
        static_input.copy_(inputs[i % kPool]);
        infer_graph.replay();
      };
    }
    for (int64_t r = 0; r < o.repeats; ++r) {
      synchronize(device);
      const Clock::time_point start = Clock::now();
      for (int64_t s = 0; s < o.steps; ++s) infer(s);
      synchronize(device);
      const double seconds = milliseconds(start, Clock::now()) / 1e3;
      row.infer_repeats.push_back(static_cast<double>(batch_size * o.steps) / seconds);
    }
    net->train();
  }
  row.infer_images_per_s = median(row.infer_repeats);

  row.peak_host_rss_bytes = peak_rss_bytes();
  if (device.is_cuda()) {
    row.peak_cuda_allocated_bytes = static_cast<int64_t>(cuda::max_memory_allocated(0));
  }
  return row;
}

// The training split of a real dataset, as one tensor pair.
data::datasets::TensorDataset load_dataset(const BenchOptions& o) {
  namespace datasets = data::datasets;
  if (o.dataset == "cifar10") {
    datasets::CIFAR10 train(o.data, datasets::CIFAR10::Mode::kTrain);
    return {train.images(), train.targets()};
  }
  datasets::MNIST train(o.data, datasets::MNIST::Mode::kTrain);
  return {train.images(), train.targets()};
}

}  // namespace

const std::array<const char*, kPhases>& phase_names() {
  static const std::array<const char*, kPhases> names = {"data", "h2d", "forward", "backward",
                                                         "optimizer"};
  return names;
}

std::vector<std::string> devices_of(const BenchOptions& o) {
  if (!o.devices.empty()) return o.devices;
  if (cuda::is_available()) return {"cpu", "cuda"};
  return {"cpu"};
}

void validate(const BenchOptions& o) {
  const std::vector<std::string> devices = devices_of(o);
  for (const std::string& device : devices) {
    AXON_CHECK(device != "cuda" || cuda::is_available(),
               "--devices cuda: no usable GPU (this build {} the CUDA backend; devices found: {})",
               has_allocator(kCUDA) ? "has" : "lacks", cuda::device_count());
  }
  if (o.cuda_graph) {
    AXON_CHECK(std::find(devices.begin(), devices.end(), "cuda") != devices.end(),
               "--cuda-graph captures the CUDA rows' steps, and there is none (devices: {}; GPUs "
               "found: {})",
               fmt::join(devices, ","), cuda::device_count());
    AXON_CHECK(o.warmup >= 1,
               "--cuda-graph needs --warmup 1 or more: the capture follows eager steps");
    AXON_CHECK(
        o.optimizer == "sgd",
        "--cuda-graph: --optimizer {} cannot be captured: its bias correction reads the step "
        "count on the host, so every replay would repeat the captured step's",
        o.optimizer);
  }
  AXON_CHECK(o.lr > 0, "--lr must be positive, got {}", o.lr);
  if (o.dataset == "synthetic") return;
  AXON_CHECK(!o.data.empty(), "--dataset {} needs --data, the folder holding its files", o.dataset);
  for (const std::string& model : o.models) {
    const Shape shape = dataset_shape(o.dataset);
    AXON_CHECK(model.rfind("cifar-cnn", 0) != 0 || shape.size == 32,
               "--models {}: cifar-cnn takes 32x32 images; {} has {}x{} (use --dataset cifar10)",
               model, o.dataset, shape.size, shape.size);
  }
}

std::vector<Row> run_all(const BenchOptions& o, bool progress) {
  if (o.threads > 0) set_num_threads(static_cast<int>(o.threads));
  set_allow_tf32(o.tf32);
  std::optional<data::datasets::TensorDataset> dataset;
  if (o.dataset != "synthetic") dataset.emplace(load_dataset(o));
  const std::vector<std::string> devices = devices_of(o);
  std::vector<Row> rows;
  for (const std::string& model : o.models) {
    for (int64_t batch_size : o.batch_sizes) {
      for (const std::string& device : devices) {
        rows.push_back(run_row(o, model, batch_size, device, dataset ? &*dataset : nullptr));
        const Row& row = rows.back();
        if (progress) {
          std::fprintf(stderr, "%s\n",
                       fmt::format("{} batch {} {}: train {:.0f} images/s, inference {:.0f} "
                                   "images/s",
                                   row.model, row.batch_size, row.device, row.train_images_per_s,
                                   row.infer_images_per_s)
                           .c_str());
        }
      }
    }
  }
  // GPU/CPU ratios, on the CUDA row of each (model, batch size) that also ran on the CPU.
  for (Row& gpu : rows) {
    if (gpu.device != "cuda") continue;
    for (const Row& cpu : rows) {
      if (cpu.device == "cpu" && cpu.model == gpu.model && cpu.batch_size == gpu.batch_size) {
        gpu.gpu_cpu_train_ratio = gpu.train_images_per_s / cpu.train_images_per_s;
        gpu.gpu_cpu_infer_ratio = gpu.infer_images_per_s / cpu.infer_images_per_s;
      }
    }
  }
  return rows;
}

}  // namespace axon::bench
