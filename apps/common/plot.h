#pragma once
// Pictures for the example programs and axon-train, drawn by gnuplot (pngcairo) when it is
// installed. Without gnuplot a plot says so once on stderr and returns false; the programs go
// on, since their results do not depend on their pictures.

#include <cstdint>
#include <string>
#include <vector>

namespace axon::apps {

// One named curve. `style` is a gnuplot style: "lines", "linespoints", "points", "boxes".
struct Series {
  std::string name;
  std::vector<double> x, y;
  std::string style = "lines";
};

// One set of axes with its curves.
struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  bool log_y = false;
  std::string key = "top right";  // where gnuplot puts the legend; "off" for none
  std::string extra = "";         // more gnuplot commands for this panel, e.g. "set xtics 1"
};

// Writes `panels` into one PNG at `path`, laid out in `rows` x `cols` (row by row), each
// panel `panel_width` x `panel_height` pixels. Returns false when there was no picture.
bool plot_panels(const std::string& path, const std::vector<Panel>& panels, int rows = 1,
                 int cols = 1, int panel_width = 800, int panel_height = 500);

inline bool plot_panel(const std::string& path, const Panel& panel) {
  return plot_panels(path, {panel});
}

// The histogram of `values` in `bins` equal bins over [lo, hi] (the values' range when lo ==
// hi), as a "boxes" series of bin centres and counts; values outside [lo, hi] are left out.
Series histogram(const std::string& name, const std::vector<double>& values, int bins,
                 double lo = 0, double hi = 0);

// 0, 1, ..., n - 1 as doubles: the x of a curve drawn per step.
std::vector<double> steps(int64_t n);

}  // namespace axon::apps
