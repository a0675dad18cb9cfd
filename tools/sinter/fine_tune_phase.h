#pragma once
// One phase of fine-tuning inside `prune` and `quantize` (ADMM, retraining, quantization-aware
// training): the trainer's epochs with a progress bar and a line per epoch.
#include <functional>
#include <string>

#include "data/data_loader.h"
#include "train/fit.h"

namespace sinter::cli {

struct PhaseOutput {
  std::string command;  // "prune", "quantize": starts the progress lines
  bool quiet = false;   // no progress bar
  bool json = false;    // no progress bar and no epoch lines
};

// Trains `epochs` epochs, evaluating on `test` after each. Each epoch line starts with `phase`
// and ends with what `describe` says then (rho, sparsity, ...).
FitResult train_phase(Trainer& trainer, DataLoader& loader, const Dataset& test, int64_t epochs,
                      const std::string& phase, const PhaseOutput& out,
                      const std::function<std::string()>& describe = {});

}  // namespace sinter::cli
