#pragma once
// axon-train's loss and accuracy curves (common/plot.h: gnuplot, when installed). Its grid of
// test images is common/image_grid.h's.

#include <string>
#include <vector>

#include "report.h"

namespace axon::train {

// Writes <dir>/loss.png and <dir>/accuracy.png. Returns false, having said why on stderr, when
// gnuplot is missing or fails; training goes on either way.
bool plot_curves(const std::string& dir, const std::vector<EpochMetrics>& history);

}  // namespace axon::train
