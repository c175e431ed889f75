#include "report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace axon::train {
namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::FILE* out, std::string label, int64_t total_batches, bool quiet,
                   double plain_every_s)
    : out_(out),
      label_(std::move(label)),
      total_(total_batches),
      quiet_(quiet),
      tty_(isatty(fileno(out)) != 0),
      plain_every_s_(plain_every_s),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string Progress::line(double loss) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? images_ / elapsed : 0;
  double eta = done_ > 0 ? elapsed / done_ * (total_ - done_) : NAN;
  std::string counts = fmt::format("{}/{}", done_, total_);
  if (!tty_) {
    return fmt::format("{} {} batches, loss {:.4f}, {:.0f} images/s, ETA {}", label_, counts, loss,
                       rate, format_duration(eta));
  }
  constexpr int kWidth = 24;
  int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : kWidth;
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  return fmt::format("{} [{}] {} loss {:.4f} {:.0f} img/s ETA {}", label_, bar, counts, loss, rate,
                     format_duration(eta));
}

bool Progress::update(int64_t images) {
  ++done_;
  images_ += images;
  if (quiet_) return false;
  double since =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - last_draw_).count();
  // A terminal redraws ~10 times a second and at the end; a log gets a line every
  // plain_every_s seconds.
  return tty_ ? since >= 0.1 || done_ == total_ : since >= plain_every_s_;
}

void Progress::draw(double running_loss) {
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", line(running_loss).c_str());
    std::fflush(out_);
  } else {
    std::fprintf(out_, "%s\n", line(running_loss).c_str());
    std::fflush(out_);
  }
  last_draw_ = std::chrono::steady_clock::now();
}

void Progress::finish() {
  if (!quiet_ && tty_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
}

void ConfusionMatrix::add(const Tensor& predicted, const Tensor& target) {
  Tensor p = predicted.cpu().contiguous(), t = target.cpu().contiguous();
  AXON_CHECK(p.numel() == t.numel(), "ConfusionMatrix: {} predictions for {} targets", p.numel(),
             t.numel());
  const int64_t* pp = p.data_ptr<int64_t>();
  const int64_t* tp = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < p.numel(); ++i) {
    AXON_CHECK(tp[i] >= 0 && tp[i] < classes_ && pp[i] >= 0 && pp[i] < classes_,
               "ConfusionMatrix: class {} (predicted {}) outside 0..{}", tp[i], pp[i],
               classes_ - 1);
    ++counts_[tp[i] * classes_ + pp[i]];
  }
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (int64_t c : counts_) n += c;
  return n;
}

int64_t ConfusionMatrix::correct() const {
  int64_t n = 0;
  for (int64_t c = 0; c < classes_; ++c) n += count(c, c);
  return n;
}

double ConfusionMatrix::accuracy() const {
  int64_t n = total();
  return n > 0 ? static_cast<double>(correct()) / n : NAN;
}

double ConfusionMatrix::class_accuracy(int64_t c) const {
  int64_t n = 0;
  for (int64_t p = 0; p < classes_; ++p) n += count(c, p);
  return n > 0 ? static_cast<double>(count(c, c)) / n : NAN;
}

std::string ConfusionMatrix::format(const std::vector<std::string>& class_names) const {
  size_t name_width = 5;
  for (const auto& name : class_names) name_width = std::max(name_width, name.size());
  std::string out = "Per-class accuracy:\n";
  for (int64_t c = 0; c < classes_; ++c) {
    int64_t n = 0;
    for (int64_t p = 0; p < classes_; ++p) n += count(c, p);
    out += fmt::format("  {:<{}}  {:6.2f}%  ({}/{})\n", class_names[c], name_width,
                       100 * class_accuracy(c), count(c, c), n);
  }
  int64_t cell = 5;
  for (int64_t v : counts_) cell = std::max<int64_t>(cell, fmt::formatted_size("{}", v) + 1);
  out += "Confusion matrix (rows: true class, columns: predicted class):\n";
  size_t label_width = name_width + 3;  // "9 name"
  out += fmt::format("  {:<{}}", "", label_width);
  for (int64_t p = 0; p < classes_; ++p) out += fmt::format("{:>{}}", p, cell);
  out += "\n";
  for (int64_t t = 0; t < classes_; ++t) {
    out += fmt::format("  {:<{}}", fmt::format("{} {}", t, class_names[t]), label_width);
    for (int64_t p = 0; p < classes_; ++p) out += fmt::format("{:>{}}", count(t, p), cell);
    out += "\n";
  }
  return out;
}

}  // namespace axon::train
