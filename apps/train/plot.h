#pragma once
// axon-train's pictures: loss and accuracy curves (common/plot.h: gnuplot, when installed) and a
// grid of test images labelled with truth and prediction (written with stb_image_write).

#include <axon/axon.h>

#include <string>
#include <vector>

#include "report.h"

namespace axon::train {

// Writes <dir>/loss.png and <dir>/accuracy.png. Returns false, having said why on stderr, when
// gnuplot is missing or fails; training goes on either way.
bool plot_curves(const std::string& dir, const std::vector<EpochMetrics>& history);

// Writes a PNG grid of `images` ([N, C, H, W] with values in [0, 1]; C is 1 or 3), each
// labelled "T:<truth>" and "P:<prediction>", the prediction green when right and red when
// wrong. `truth` and `predicted`: int64 [N].
void write_image_grid(const std::string& path, const Tensor& images, const Tensor& truth,
                      const Tensor& predicted, const std::vector<std::string>& class_names,
                      int64_t columns = 8);

}  // namespace axon::train
