#include "plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace axon::apps {
namespace {

bool have_gnuplot() {
  static const bool found = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  if (!found) {
    static bool said = false;
    if (!said) {
      std::fprintf(stderr, "gnuplot is not installed, so no plots (apt-get install gnuplot-nox)\n");
    }
    said = true;
  }
  return found;
}

// gnuplot's single-quoted strings: a quote is written twice.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Inline data ($name << EOD) keeps the whole picture in one script, with no files beside it.
void append_data_block(std::string& script, const std::string& name, const Series& s) {
  script += fmt::format("${} << EOD\n", name);
  const size_t n = std::min(s.x.size(), s.y.size());
  for (size_t i = 0; i < n; ++i) {
    // gnuplot reads "nan" and "inf" and leaves such points out.
    script += fmt::format("{:.9g} {:.9g}\n", s.x[i], s.y[i]);
  }
  script += "EOD\n";
}

}  // namespace

bool plot_panels(const std::string& path, const std::vector<Panel>& panels, int rows, int cols,
                 int panel_width, int panel_height) {
  if (!have_gnuplot()) return false;
  rows = std::max(rows, 1);
  cols = std::max(cols, 1);
  std::string script;
  for (size_t p = 0; p < panels.size(); ++p) {
    for (size_t s = 0; s < panels[p].series.size(); ++s) {
      append_data_block(script, fmt::format("p{}s{}", p, s), panels[p].series[s]);
    }
  }
  script += fmt::format("set terminal pngcairo size {},{} noenhanced\nset output {}\n",
                        panel_width * cols, panel_height * rows, quoted(path));
  const bool grid = panels.size() > 1 || rows * cols > 1;
  if (grid) script += fmt::format("set multiplot layout {},{}\n", rows, cols);
  for (size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    script += fmt::format(
        "reset\nset grid\nset title {}\nset xlabel {}\nset ylabel {}\nset key {}\n{}\n"
        "set style fill solid 0.5 border\n{}\n",
        quoted(panel.title), quoted(panel.xlabel), quoted(panel.ylabel), panel.key,
        panel.log_y ? "set logscale y" : "unset logscale y", panel.extra);
    if (panel.series.empty()) {
      // An empty panel still takes its place in the grid.
      script += "set key off\nplot [0:1][0:1] NaN notitle\n";
      continue;
    }
    std::string plot = "plot ";
    for (size_t s = 0; s < panel.series.size(); ++s) {
      const Series& series = panel.series[s];
      plot += fmt::format("{}$p{}s{} using 1:2 with {} title {}", s ? ", " : "", p, s, series.style,
                          quoted(series.name));
    }
    script += plot + "\n";
  }
  if (grid) script += "unset multiplot\n";
  script += "set output\n";

  std::FILE* pipe = popen("gnuplot 2>&1", "w");
  if (pipe == nullptr) {
    std::fprintf(stderr, "could not start gnuplot; no plot %s\n", path.c_str());
    return false;
  }
  std::fwrite(script.data(), 1, script.size(), pipe);
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "gnuplot failed; no plot %s\n", path.c_str());
    return false;
  }
  return true;
}

Series histogram(const std::string& name, const std::vector<double>& values, int bins, double lo,
                 double hi) {
  bins = std::max(bins, 1);
  if (lo == hi && !values.empty()) {
    auto [min, max] = std::minmax_element(values.begin(), values.end());
    lo = *min;
    hi = *max;
  }
  if (lo == hi) hi = lo + 1;  // one value (or none): a bin of width 1 around it
  const double width = (hi - lo) / bins;
  std::vector<double> counts(bins, 0.0);
  for (double v : values) {
    if (!(v >= lo && v <= hi)) continue;  // also drops nan
    counts[std::min(static_cast<int>((v - lo) / width), bins - 1)] += 1;
  }
  Series series{name, {}, counts, "boxes"};
  for (int b = 0; b < bins; ++b) series.x.push_back(lo + (b + 0.5) * width);
  return series;
}

std::vector<double> steps(int64_t n) {
  std::vector<double> x(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
  return x;
}

}  // namespace axon::apps
