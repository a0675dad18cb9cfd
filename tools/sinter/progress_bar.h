#pragma once
// The training progress that `train` and `prune` draw on stderr: a bar redrawn in place on a
// terminal, a plain line every 10 s otherwise (logs, CI).
#include <chrono>
#include <string>

#include "train/fit.h"

namespace sinter::cli {

class ProgressBar {
 public:
  // `label` starts the plain lines after "sinter: " ("train", "prune: admm"). Draws nothing when
  // `quiet`.
  ProgressBar(std::string label, bool quiet);

  void update(const BatchProgress& p);
  // Clears the bar so the next line starts on a clean row.
  void clear();

 private:
  std::string label_;
  bool quiet_, tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace sinter::cli
