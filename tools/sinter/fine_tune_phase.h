#pragma once
// Fine-tuning inside `prune` and `quantize` (ADMM, retraining, quantization-aware training): the
// SGD settings both turn into loader and trainer options, and one phase of epochs with a
// progress bar and a line per epoch.
#include <functional>
#include <string>

#include "data/data_loader.h"
#include "train/fit.h"
#include "train/trainer.h"

namespace sinter::cli {

// The SGD settings of a fine-tuning run.
struct FineTuneSettings {
  int64_t batch = 64;
  int threads = 1;
  uint64_t seed = 1;
  float lr = 0.01f;  // the peak of each phase's cosine schedule
  float momentum = 0.9f;
  float weight_decay = 5e-4f;
};

// Batches of `settings.batch` in a seeded order, the last incomplete one dropped (a training
// graph has one batch size).
DataLoaderOptions fine_tune_loader(const FineTuneSettings& settings);

// A trainer for `epochs` epochs of `steps_per_epoch` steps under `settings`.
TrainerOptions fine_tune_trainer(const FineTuneSettings& settings, int64_t epochs,
                                 int64_t steps_per_epoch);

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
