#pragma once
// A grid of images labelled with their truth and a prediction, written as PNG with
// stb_image_write (no gnuplot needed): axon-train's predictions.png and the CIFAR-10 course
// example's test images.

#include <axon/axon.h>

#include <string>
#include <vector>

namespace axon::apps {

// Writes a PNG grid of `images` ([N, C, H, W] with values in [0, 1]; C is 1 or 3), each
// labelled "T:<truth>" and "P:<prediction>", the prediction green when right and red when
// wrong. `truth` and `predicted`: int64 [N]. An axon::Error when the file cannot be written.
void write_image_grid(const std::string& path, const Tensor& images, const Tensor& truth,
                      const Tensor& predicted, const std::vector<std::string>& class_names,
                      int64_t columns = 8);

}  // namespace axon::apps
