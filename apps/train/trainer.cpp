#include "trainer.h"

#include <axon/axon.h>
#include <axon/cuda.h>
#include <axon/data.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "checkpoint.h"
#include "common/checks.h"
#include "common/image_grid.h"
#include "common/models.h"
#include "plot.h"
#include "report.h"

namespace axon::train {
namespace {

namespace datasets = data::datasets;
namespace transforms = data::transforms;

// A dataset split in memory, with what the model and the report need to know about it.
struct Split {
  Tensor images, targets;  // [N, C, H, W] float32 in [0, 1]; int64 [N]
};
struct Data {
  Split train, test;
  std::vector<std::string> classes;
  std::vector<double> mean, stddev;  // per channel, for Normalize
};

Data load_data(const TrainOptions& o) {
  Data d;
  if (o.dataset == "cifar10") {
    datasets::CIFAR10 train(o.data, datasets::CIFAR10::Mode::kTrain);
    datasets::CIFAR10 test(o.data, datasets::CIFAR10::Mode::kTest);
    d.train = {train.images(), train.targets()};
    d.test = {test.images(), test.targets()};
    d.classes = datasets::cifar10_classes();
    d.mean = {0.4914, 0.4822, 0.4465};
    d.stddev = {0.2470, 0.2435, 0.2616};
  } else {
    datasets::MNIST train(o.data, datasets::MNIST::Mode::kTrain);
    datasets::MNIST test(o.data, datasets::MNIST::Mode::kTest);
    d.train = {train.images(), train.targets()};
    d.test = {test.images(), test.targets()};
    const bool fashion = o.dataset == "fashion-mnist";
    d.classes = fashion ? datasets::fashion_mnist_classes() : datasets::mnist_classes();
    d.mean = {fashion ? 0.2860 : 0.1307};
    d.stddev = {fashion ? 0.3530 : 0.3081};
  }
  return d;
}

// Normalisation, after the augmentations when they are on: one transform, applied to whole
// stacked batches.
class Preprocess : public transforms::TensorTransform<> {
 public:
  Preprocess(const Data& d, bool augment, bool flip) : normalize_(d.mean, d.stddev) {
    if (augment) {
      const int64_t size = d.train.images.size(-1);
      crop_.emplace(size, size == 28 ? 2 : 4);
      if (flip) flip_.emplace(0.5);
    }
  }
  Tensor operator()(Tensor image) override {
    if (crop_) image = (*crop_)(image);
    if (flip_) image = (*flip_)(image);
    return normalize_(image);
  }
  Tensor apply_stacked(Tensor batch) override {
    if (crop_) batch = crop_->apply_stacked(batch);
    if (flip_) batch = flip_->apply_stacked(batch);
    return normalize_.apply_stacked(batch);
  }

 private:
  transforms::Normalize<> normalize_;
  std::optional<transforms::RandomCrop<>> crop_;
  std::optional<transforms::RandomHorizontalFlip<>> flip_;
};

// --resident-data: whether the splits live on the GPU, where the loader gathers each batch with
// one index_select and normalises it, with no host copy of the images. The batches and their
// order are the host loader's (same sampler, same arithmetic). The random crops and flips run on
// the CPU only, so --augment keeps the host loader.
bool keep_on_device(const TrainOptions& o, const Data& d, Device device) {
  if (o.resident_data == "off") return false;
  const bool required = o.resident_data == "on";
  if (!device.is_cuda()) {
    AXON_CHECK(!required,
               "--resident-data on: the training runs on {} (--device {}); a dataset resident on "
               "the device needs a GPU",
               device.str(), o.device);
    return false;
  }
  if (o.augment) {
    AXON_CHECK(!required,
               "--resident-data on: --augment draws its crops and flips on the CPU; use one or "
               "the other");
    return false;
  }
  const size_t bytes = d.train.images.nbytes() + d.train.targets.nbytes() + d.test.images.nbytes() +
                       d.test.targets.nbytes();
  const size_t free = cuda::mem_get_info(device.index()).first;
  AXON_CHECK(!required || bytes <= free / 2,
             "--resident-data on: the dataset takes {} MiB and {} has {} MiB free; it may take at "
             "most half",
             bytes >> 20, device.str(), free >> 20);
  return bytes <= free / 2;
}

template <typename Sampler>
auto make_loader(const Split& split, Preprocess preprocess, Sampler sampler, const TrainOptions& o,
                 Device device, bool resident) {
  auto dataset = datasets::TensorDataset(resident ? split.images.to(device) : split.images,
                                         resident ? split.targets.to(device) : split.targets)
                     .map(std::move(preprocess))
                     .map(transforms::Stack<>());
  // Resident or not, the workers make the batches (on a GPU they issue the gather's launches, off
  // the training thread); only the host loader's batches need copying to the device.
  auto options = data::DataLoaderOptions()
                     .batch_size(static_cast<size_t>(o.batch_size))
                     .workers(static_cast<size_t>(o.workers));
  if (!resident) options.device(device).pin_memory(device.type() != kCPU);
  return data::make_data_loader(std::move(dataset), std::move(sampler), options);
}

// Output paths are checked before anything is loaded or trained, so that a typo costs nothing.
void check_outputs(const TrainOptions& o) {
  namespace fs = std::filesystem;
  auto check_folder_of = [](const std::string& flag, const std::string& path) {
    fs::path folder = fs::path(path).parent_path();
    if (folder.empty()) folder = ".";
    AXON_CHECK(fs::is_directory(folder), "{} {}: the folder {} does not exist", flag, path,
               folder.string());
    AXON_CHECK(::access(folder.c_str(), W_OK) == 0, "{} {}: the folder {} is not writable", flag,
               path, folder.string());
  };
  if (!o.metrics.empty()) check_folder_of("--metrics", o.metrics);
  if (!o.checkpoint.empty()) check_folder_of("--checkpoint", o.checkpoint);
  if (!o.plot.empty()) {
    std::error_code error;
    fs::create_directories(o.plot, error);
    AXON_CHECK(!error && fs::is_directory(o.plot) && ::access(o.plot.c_str(), W_OK) == 0,
               "--plot {}: cannot make or write that folder{}", o.plot,
               error ? " (" + error.message() + ")" : std::string());
  }
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainOptions& o, nn::Module& model) {
  if (o.optimizer == "adam") {
    return std::make_unique<optim::Adam>(model.parameters(),
                                         optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adamw") {
    return std::make_unique<optim::AdamW>(model.parameters(),
                                          optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  }
  return std::make_unique<optim::SGD>(
      model.parameters(),
      optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
}

// Schedulers step once per epoch, except OneCycleLR, which steps once per batch.
std::unique_ptr<optim::LRScheduler> make_scheduler(const TrainOptions& o,
                                                   optim::Optimizer& optimizer,
                                                   int64_t batches_per_epoch) {
  if (o.scheduler == "step") {
    return std::make_unique<optim::StepLR>(optimizer, std::max<int64_t>(1, o.epochs / 3), 0.1);
  }
  if (o.scheduler == "cosine") {
    return std::make_unique<optim::CosineAnnealingLR>(optimizer, o.epochs);
  }
  if (o.scheduler == "onecycle") {
    return std::make_unique<optim::OneCycleLR>(optimizer, o.lr, o.epochs * batches_per_epoch);
  }
  return nullptr;
}

struct Evaluation {
  double loss = 0;
  ConfusionMatrix confusion;
  Tensor sample_images, sample_truth, sample_predicted;  // the first batch, for the grid
};

template <typename Loader>
Evaluation evaluate(Classifier& net, Loader& loader, int64_t classes) {
  Evaluation e{0, ConfusionMatrix(classes), {}, {}, {}};
  NoGradGuard no_grad;
  net.eval();
  double loss_sum = 0;
  for (auto& batch : loader) {
    Tensor logits = net.forward(batch.data);
    Tensor loss = nn::functional::cross_entropy(
        logits, batch.target, nn::functional::CrossEntropyFuncOptions().reduction(kSum));
    loss_sum += loss.item<double>();
    Tensor predicted = logits.argmax(1);
    e.confusion.add(predicted, batch.target);
    if (!e.sample_images.defined()) {
      e.sample_truth = batch.target.cpu();
      e.sample_predicted = predicted.cpu();
      e.sample_images = batch.data.cpu();
    }
  }
  e.loss = loss_sum / std::max<int64_t>(1, e.confusion.total());
  return e;
}

void write_metrics(const std::string& path, const std::vector<EpochMetrics>& history) {
  std::ofstream out(path);
  AXON_CHECK(out.good(), "--metrics: cannot write {}", path);
  out << "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second\n";
  for (const EpochMetrics& m : history) {
    out << fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.3f},{:.1f}\n", m.epoch, m.lr,
                       m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy, m.seconds,
                       m.images_per_second);
  }
  AXON_CHECK(out.good(), "--metrics: writing {} failed", path);
}

// --cuda-graph: the training step of a full batch, captured once per learning rate on static
// tensors and replayed (include/axon/cuda.h). The step is the eager loop's: forward, loss,
// backward, the optimizer step and the epoch's running sums, which therefore live across epochs.
// A replay repeats the captured learning rate, so a new one (the per-epoch schedule) makes a new
// capture; a short last batch runs eagerly.
class GraphedStep {
 public:
  GraphedStep(Classifier& net, optim::Optimizer& optimizer, Tensor loss_sum, Tensor correct)
      : net_(net), optimizer_(optimizer), loss_sum_(std::move(loss_sum)),
        correct_(std::move(correct)) {}

  // Whether `batch_size` examples at learning rate `lr` can replay the captured step.
  bool ready(int64_t batch_size, double lr) const {
    return images_.defined() && images_.size(0) == batch_size && lr == lr_;
  }

  // Captures the step for batches shaped like `images` and `labels` at learning rate `lr`. The
  // caller has just run an eager step of that shape (libraries set up, the optimizer's state
  // made); the gradients are set to none, so that the captured backward makes them.
  void capture(const Tensor& images, const Tensor& labels, double lr) {
    graph_.reset();
    images_ = images.clone();
    labels_ = labels.clone();
    lr_ = lr;
    optimizer_.zero_grad();
    graph_.capture_begin();
    step_on(images_, labels_);
    graph_.capture_end();
    ++captures_;
  }

  void replay(const Tensor& images, const Tensor& labels) {
    images_.copy_(images, /*non_blocking=*/true);
    labels_.copy_(labels, /*non_blocking=*/true);
    graph_.replay();
    ++replays_;
  }

  int64_t captures() const { return captures_; }
  int64_t replays() const { return replays_; }

 private:
  void step_on(const Tensor& images, const Tensor& labels) {
    Tensor logits = net_.forward(images);
    Tensor loss = nn::functional::cross_entropy(logits, labels);
    loss.backward();
    optimizer_.step();
    NoGradGuard no_grad;
    loss_sum_ += loss.detach().to(kFloat64) * static_cast<double>(labels.size(0));
    correct_ += logits.argmax(1).eq(labels).sum();
  }

  Classifier& net_;
  optim::Optimizer& optimizer_;
  Tensor loss_sum_, correct_;
  cuda::CUDAGraph graph_;
  Tensor images_, labels_;
  double lr_ = 0;
  int64_t captures_ = 0, replays_ = 0;
};

// The images of a normalised batch back in [0, 1], for the picture.
Tensor unnormalise(const Tensor& images, const Data& d) {
  const int64_t c = images.size(1);
  Tensor mean = tensor(d.mean).reshape({1, c, 1, 1}).to(kFloat32);
  Tensor stddev = tensor(d.stddev).reshape({1, c, 1, 1}).to(kFloat32);
  return images * stddev + mean;
}

}  // namespace

int run(const TrainOptions& o) {
  const Device device = apps::resolve_device(o.device);
  if (o.cuda_graph) {
    AXON_CHECK(device.is_cuda(),
               "--cuda-graph: the training runs on {} (--device {}); CUDA graphs need a GPU",
               device.str(), o.device);
    AXON_CHECK(o.optimizer == "sgd",
               "--cuda-graph: --optimizer {} cannot be captured: its bias correction reads the step "
               "count on the host, so every replay would repeat the captured step's",
               o.optimizer);
    AXON_CHECK(o.scheduler != "onecycle",
               "--cuda-graph: --scheduler onecycle changes the learning rate at every batch, and "
               "each would need a new capture; use step, cosine or none");
  }
  check_outputs(o);
  manual_seed(o.seed);
  const Data d = load_data(o);
  const int64_t channels = d.train.images.size(1), size = d.train.images.size(2);
  std::shared_ptr<Classifier> net =
      make_model(o.model, channels, size, static_cast<int64_t>(d.classes.size()), o.batch_norm);
  net->to(device);
  auto optimizer = make_optimizer(o, *net);

  const bool flip = o.dataset == "cifar10";  // digits and clothes are not mirror-symmetric
  const bool resident = keep_on_device(o, d, device);
  auto train_loader =
      make_loader(d.train, Preprocess(d, o.augment, flip),
                  data::samplers::RandomSampler(d.train.images.size(0)), o, device, resident);
  auto test_loader =
      make_loader(d.test, Preprocess(d, false, false),
                  data::samplers::SequentialSampler(d.test.images.size(0)), o, device, resident);
  // Rounded up without n + batch_size - 1, which overflows for a huge --batch-size.
  const int64_t train_size = d.train.images.size(0);
  const int64_t full_batches = train_size / o.batch_size + (train_size % o.batch_size != 0 ? 1 : 0);
  const int64_t batches = o.max_batches > 0 ? std::min(o.max_batches, full_batches) : full_batches;
  auto scheduler = make_scheduler(o, *optimizer, batches);
  const bool per_batch_schedule = o.scheduler == "onecycle";

  TrainingState state;
  if (!o.resume.empty()) {
    // Schedulers keep no state of their own: replay the schedule to where the run stopped,
    // then restore model, optimizer (with the exact lrs) and generator.
    state = read_checkpoint_state(o.resume, o);
    for (int64_t i = 0; i < state.scheduler_steps && scheduler; ++i) scheduler->step();
    restore_checkpoint(o.resume, *net, *optimizer);
  }

  std::printf("axon-train: %s on %s (%s, %lld training and %lld test images), %s, device %s\n",
              o.model.c_str(), o.dataset.c_str(), o.data.c_str(),
              static_cast<long long>(d.train.images.size(0)),
              static_cast<long long>(d.test.images.size(0)), o.optimizer.c_str(),
              device.str().c_str());
  if (resident) {
    std::printf(
        "data: resident on %s, batches gathered there (--resident-data off: the host "
        "loader)\n",
        device.str().c_str());
  }
  if (state.epochs_done > 0) {
    std::printf("resuming from %s after epoch %lld\n", o.resume.c_str(),
                static_cast<long long>(state.epochs_done));
  }
  std::fflush(stdout);

  // The epoch's running sums stay on the device; the host reads them only when the progress line
  // is drawn. They are zeroed in place at each epoch: a captured step adds into them.
  Tensor loss_sum = zeros({}, TensorOptions(kFloat64).device(device));
  Tensor correct = zeros({}, TensorOptions(kInt64).device(device));
  std::optional<GraphedStep> graphed;
  if (o.cuda_graph) graphed.emplace(*net, *optimizer, loss_sum, correct);

  std::optional<Evaluation> last;
  for (int64_t epoch = state.epochs_done + 1; epoch <= o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    net->train();
    Progress progress(stdout, fmt::format("epoch {}/{}", epoch, o.epochs), batches, o.quiet);
    const double lr = optimizer->param_groups()[0].options().get_lr();
    loss_sum.zero_();
    correct.zero_();
    int64_t seen = 0, done = 0;
    for (auto& batch : *train_loader) {
      if (done == batches) break;
      const int64_t n = batch.target.size(0);
      if (graphed && graphed->ready(n, lr)) {
        graphed->replay(batch.data, batch.target);
        seen += n;
        ++done;
        if (progress.update(n)) progress.draw(loss_sum.item<double>() / static_cast<double>(seen));
        continue;
      }
      optimizer->zero_grad();
      Tensor logits = net->forward(batch.data);
      Tensor loss = nn::functional::cross_entropy(logits, batch.target);
      loss.backward();
      optimizer->step();
      if (scheduler && per_batch_schedule) {
        scheduler->step();
        ++state.scheduler_steps;
      }
      {
        NoGradGuard no_grad;
        loss_sum += loss.detach().to(kFloat64) * static_cast<double>(n);
        correct += logits.argmax(1).eq(batch.target).sum();
      }
      // A full batch's eager step readies the capture of the next ones.
      if (graphed && n == o.batch_size) graphed->capture(batch.data, batch.target, lr);
      seen += n;
      ++done;
      if (progress.update(n)) progress.draw(loss_sum.item<double>() / static_cast<double>(seen));
    }
    if (scheduler && !per_batch_schedule) {
      scheduler->step();
      ++state.scheduler_steps;
    }
    progress.finish();
    const double train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    last = evaluate(*net, *test_loader, static_cast<int64_t>(d.classes.size()));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EpochMetrics m;
    m.epoch = epoch;
    m.lr = lr;
    m.train_loss = loss_sum.item<double>() / static_cast<double>(std::max<int64_t>(1, seen));
    m.train_accuracy = static_cast<double>(correct.item<int64_t>()) /
                       static_cast<double>(std::max<int64_t>(1, seen));
    m.test_loss = last->loss;
    m.test_accuracy = last->confusion.accuracy();
    m.seconds = seconds;
    m.images_per_second = seen / std::max(1e-9, train_seconds);
    state.history.push_back(m);
    state.epochs_done = epoch;
    std::printf(
        "epoch %lld/%lld: train loss %.4f, train accuracy %.2f%%, test loss %.4f, test accuracy "
        "%.2f%%, %.1f s (%.0f images/s)\n",
        static_cast<long long>(epoch), static_cast<long long>(o.epochs), m.train_loss,
        100 * m.train_accuracy, m.test_loss, 100 * m.test_accuracy, m.seconds, m.images_per_second);
    std::fflush(stdout);
    if (!o.metrics.empty()) write_metrics(o.metrics, state.history);
    if (!o.checkpoint.empty()) save_checkpoint(o.checkpoint, o, *net, *optimizer, state);
    if (!o.plot.empty()) plot_curves(o.plot, state.history);
    if (epoch == o.stop_after) {
      std::printf("stopping after epoch %lld as --stop-after asks\n",
                  static_cast<long long>(epoch));
      break;
    }
  }

  if (graphed) {
    std::printf("cuda graph: %lld captures, %lld replays\n",
                static_cast<long long>(graphed->captures()),
                static_cast<long long>(graphed->replays()));
  }
  if (!last) {
    // Resumed at or past --epochs: nothing trained, so evaluate what was loaded.
    last = evaluate(*net, *test_loader, static_cast<int64_t>(d.classes.size()));
  }
  std::printf("\n%s", last->confusion.format(d.classes).c_str());
  if (!o.plot.empty()) {
    const std::string grid = (std::filesystem::path(o.plot) / "predictions.png").string();
    const int64_t n = std::min<int64_t>(32, last->sample_images.size(0));
    apps::write_image_grid(grid, unnormalise(last->sample_images.slice(0, 0, n), d),
                           last->sample_truth.slice(0, 0, n), last->sample_predicted.slice(0, 0, n),
                           d.classes);
    std::printf("plots in %s\n", o.plot.c_str());
  }
  nlohmann::json summary = {{"model", o.model},
                            {"dataset", o.dataset},
                            {"device", device.str()},
                            {"epochs", state.epochs_done},
                            {"test_accuracy", last->confusion.accuracy()},
                            {"test_loss", last->loss}};
  if (!state.history.empty()) {
    summary["train_loss"] = state.history.back().train_loss;
    summary["images_per_second"] = state.history.back().images_per_second;
  }
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

}  // namespace axon::train
