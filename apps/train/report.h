#pragma once
// What axon-train shows while and after it trains: a progress line per epoch, per-class
// accuracy and the confusion matrix.

#include <axon/axon.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace axon::train {

// One row of the metrics file.
struct EpochMetrics {
  int64_t epoch = 0;
  double lr = 0, train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0, seconds = 0,
         images_per_second = 0;
};

// One epoch's progress: on a terminal a bar redrawn in place (batches done/total, running loss,
// images/s, ETA); otherwise a plain line every `plain_every` seconds, so that logs stay short.
class Progress {
 public:
  Progress(std::FILE* out, std::string label, int64_t total_batches, bool quiet,
           double plain_every_s = 10);
  // After each batch: counts it and says whether a line is due now (then call draw with the
  // running loss, which the caller may have to fetch from a device).
  bool update(int64_t images);
  void draw(double running_loss);
  // Clears the bar (on a terminal) before the epoch's summary line.
  void finish();

 private:
  std::string line(double running_loss) const;

  std::FILE* out_;
  std::string label_;
  int64_t total_, done_ = 0, images_ = 0;
  bool quiet_, tty_;
  double plain_every_s_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Counts (truth, prediction) pairs.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes) : classes_(classes), counts_(classes * classes) {}
  // `predicted` and `target`: int64 class indices of one batch.
  void add(const Tensor& predicted, const Tensor& target);
  int64_t count(int64_t truth, int64_t predicted) const {
    return counts_[truth * classes_ + predicted];
  }
  int64_t total() const;
  int64_t correct() const;
  double accuracy() const;
  // Of the images of class c, the fraction predicted c (NaN when there were none).
  double class_accuracy(int64_t c) const;
  // "Per-class accuracy" and the matrix (rows: truth, columns: prediction), with class names.
  std::string format(const std::vector<std::string>& class_names) const;

 private:
  int64_t classes_;
  std::vector<int64_t> counts_;
};

}  // namespace axon::train
