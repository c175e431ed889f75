#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>

namespace axon::bench {
namespace {

// ordered: the file reads in the order the fields are written.
using json = nlohmann::ordered_json;

template <typename T>
json or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

std::string or_dash(const std::optional<double>& value, const char* format) {
  return value ? fmt::format(fmt::runtime(format), *value) : "-";
}

std::string mebibytes(int64_t bytes) {
  return fmt::format("{:.1f}", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

void print_table(const std::vector<Row>& rows, std::FILE* out) {
  std::vector<std::vector<std::string>> cells = {
      {"model", "batch", "device", "train img/s", "infer img/s", "step ms", "p90 ms", "data", "h2d",
       "fwd", "bwd", "opt", "RSS MiB", "CUDA MiB", "GPU/CPU"}};
  for (const Row& r : rows) {
    std::vector<std::string> line = {r.model,
                                     std::to_string(r.batch_size),
                                     r.cuda_graph ? r.device + " graph" : r.device,
                                     fmt::format("{:.0f}", r.train_images_per_s),
                                     fmt::format("{:.0f}", r.infer_images_per_s),
                                     fmt::format("{:.3f}", r.step_ms_median),
                                     fmt::format("{:.3f}", r.step_ms_p90)};
    for (const std::optional<double>& phase : r.phase_ms) line.push_back(or_dash(phase, "{:.3f}"));
    line.push_back(mebibytes(r.peak_host_rss_bytes));
    line.push_back(r.peak_cuda_allocated_bytes ? mebibytes(*r.peak_cuda_allocated_bytes) : "-");
    line.push_back(or_dash(r.gpu_cpu_train_ratio, "{:.2f}x"));
    cells.push_back(std::move(line));
  }
  std::vector<size_t> widths(cells[0].size(), 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], line[c].size());
  }
  // Names left-aligned, numbers right-aligned.
  for (const auto& line : cells) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      if (c == 0 || c == 2) {
        text += fmt::format("{:<{}}", line[c], widths[c]);
      } else {
        text += fmt::format("{:>{}}", line[c], widths[c]);
      }
      text += c + 1 < line.size() ? "  " : "\n";
    }
    std::fputs(text.c_str(), out);
  }
}

void print_profiles(const std::vector<Row>& rows, int64_t steps, std::FILE* out) {
  for (const Row& row : rows) {
    if (row.profile_table.empty()) continue;
    std::fputs(fmt::format("\nprofile: {} batch {} on {}, {} eager training steps\n{}", row.model,
                           row.batch_size, row.device, steps, row.profile_table)
                   .c_str(),
               out);
  }
}

std::string to_json(const BenchOptions& o, const MachineInfo& m, const std::vector<Row>& rows) {
  json result;
  result["axon_version"] = m.axon_version;
  result["git_commit"] = or_null(m.git_commit);
  result["date"] = utc_now();
  result["machine"] = {{"cpu_model", m.cpu_model},
                       {"logical_cpus", m.logical_cpus},
                       {"threads", m.threads},
                       {"cpu_libraries", m.cpu_libraries},
                       {"gpu_count", m.gpu_count},
                       {"gpu_name", or_null(m.gpu_name)},
                       {"gpu_driver", or_null(m.gpu_driver)},
                       {"cuda_driver_api", or_null(m.cuda_driver_api)},
                       {"cuda_runtime", or_null(m.cuda_runtime)},
                       {"cudnn", or_null(m.cudnn)}};
  result["config"] = {{"models", o.models},
                      {"batch_sizes", o.batch_sizes},
                      {"devices", devices_of(o)},
                      {"warmup", o.warmup},
                      {"steps", o.steps},
                      {"repeats", o.repeats},
                      {"threads", m.threads},
                      {"optimizer", o.optimizer},
                      {"lr", o.lr},
                      {"momentum", o.optimizer == "sgd" ? json(o.momentum) : json(nullptr)},
                      {"dataset", o.dataset},
                      {"cuda_graph", o.cuda_graph},
                      {"tf32", o.tf32},
                      {"profile_steps", o.profile},
                      {"seed", o.seed}};
  json out_rows = json::array();
  for (const Row& r : rows) {
    json phases;
    for (int p = 0; p < kPhases; ++p) phases[phase_names()[p]] = or_null(r.phase_ms[p]);
    json profile = json::array();  // totals over the profiled steps, in microseconds
    for (const profiler::FunctionEventAvg& avg : r.profile) {
      profile.push_back({{"name", avg.name},
                         {"device", avg.device.str()},
                         {"input_shapes", avg.input_shapes},
                         {"count", avg.count},
                         {"cpu_time_total_us", avg.cpu_time_total_us},
                         {"self_cpu_time_total_us", avg.self_cpu_time_total_us},
                         {"device_time_total_us", avg.device_time_total_us},
                         {"self_device_time_total_us", avg.self_device_time_total_us}});
    }
    out_rows.push_back({{"model", r.model},
                        {"batch_size", r.batch_size},
                        {"device", r.device},
                        {"cuda_graph", r.cuda_graph},
                        {"train_images_per_s", r.train_images_per_s},
                        {"train_images_per_s_repeats", r.train_repeats},
                        {"infer_images_per_s", r.infer_images_per_s},
                        {"infer_images_per_s_repeats", r.infer_repeats},
                        {"step_ms_median", r.step_ms_median},
                        {"step_ms_p90", r.step_ms_p90},
                        {"timed_steps", r.timed_steps},
                        {"phase_ms_median", phases},
                        {"peak_host_rss_bytes", r.peak_host_rss_bytes},
                        {"peak_host_rss_reset_per_row", r.peak_host_rss_reset},
                        {"peak_cuda_allocated_bytes", or_null(r.peak_cuda_allocated_bytes)},
                        {"gpu_cpu_train_ratio", or_null(r.gpu_cpu_train_ratio)},
                        {"gpu_cpu_infer_ratio", or_null(r.gpu_cpu_infer_ratio)},
                        {"final_loss", r.final_loss},
                        {"profile", profile}});
  }
  result["rows"] = out_rows;
  return result.dump(2) + "\n";
}

}  // namespace axon::bench
