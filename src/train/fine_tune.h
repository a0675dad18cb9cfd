#pragma once
// Fine-tuning a trained model for a few epochs, as pruning and quantization do (ADMM, masked
// retraining, quantization-aware training): the SGD settings they share turned into loader and
// trainer options, and one phase of epochs whose progress goes to the caller's callbacks, so a
// CLI can draw a bar and a line per epoch while a library user logs or ignores it.
#include <cstdint>
#include <functional>
#include <string>

#include "data/data_loader.h"
#include "data/dataset.h"
#include "train/fit.h"
#include "train/trainer.h"

namespace sinter {

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

// What a phase reports as it runs; every member may be left empty.
struct FineTuneCallbacks {
  // A phase ("admm", "gradual", "retrain", "qat") of `epochs` epochs begins.
  std::function<void(const std::string& phase, int64_t epochs)> on_phase_start;
  std::function<void(const BatchProgress&)> on_batch;
  // After each epoch, evaluated on the test set. `status` is what the phase says of itself then
  // (ADMM's rho and distance to the constraint set, gradual pruning's sparsity), or "".
  std::function<void(const std::string& phase, const EpochSummary& epoch, int64_t epochs,
                     const std::string& status)>
      on_epoch;
};

// Trains `epochs` epochs, evaluating on `test` after each. `status` describes the phase's own
// state for on_epoch.
FitResult fine_tune_phase(Trainer& trainer, DataLoader& loader, const Dataset& test, int64_t epochs,
                          const std::string& phase, const FineTuneCallbacks& callbacks,
                          const std::function<std::string()>& status = {});

}  // namespace sinter
