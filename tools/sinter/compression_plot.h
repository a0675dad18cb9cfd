#pragma once
// The picture of a compression report: test accuracy against how many times fewer bytes each
// model takes than the reference's dense weights, drawn with gnuplot.
#include <string>
#include <vector>

namespace sinter::cli {

struct CompressionPoint {
  std::string label;       // the model's name
  double compression = 1;  // the reference's dense bytes / this model's stored bytes (> 0)
  double accuracy = 0;     // test accuracy in [0, 1]
};

// Plots the points (x on a log scale, each labelled) and a horizontal line at the reference's
// accuracy to `png_path`, under `title`. Returns false, leaving no file, when gnuplot is not
// installed or fails.
bool plot_compression(const std::vector<CompressionPoint>& points, double reference_accuracy,
                      const std::string& reference_label, const std::string& png_path,
                      const std::string& title);

}  // namespace sinter::cli
