#pragma once
// The epoch loop around a Trainer: batches from a DataLoader, evaluation on a test set after each
// epoch, checkpoints, and progress reported through callbacks (the CLI draws the bar; a library
// user may log or ignore it).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/data_loader.h"
#include "data/dataset.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace sinter {

struct FitOptions {
  int64_t epochs = 1;
  // Stop once the trainer has made this many steps in all (0: no limit), as for timing runs.
  int64_t max_steps = 0;
  const Dataset* test = nullptr;  // evaluated after every epoch when set
  int64_t eval_batch = 256;
  // Written after every epoch and when stopping early ("" for none). Records `settings`.
  std::string checkpoint_path;
  std::map<std::string, std::string> settings;
  TrainingPosition start;  // where a resumed run picks up
  // The model to evaluate and checkpoint; trainer.model() when unset. A trainer of part of the
  // model (Stanza's feature extractor) gets the whole one from the ranks that train the rest.
  std::function<Graph()> model;
};

struct BatchProgress {
  int64_t epoch = 0, epochs = 0;   // epoch is 0-based
  int64_t batch = 0, batches = 0;  // batches done in this epoch, of its total
  int64_t step = 0;                // trainer steps done in all
  float loss = 0.0f;               // this batch's
  double mean_loss = 0.0;          // over the epoch so far
  double accuracy = 0.0;           // over the epoch so far
  double images_per_s = 0.0;       // over the epoch so far
  double eta_s = 0.0;              // to the end of the run, at the epoch's rate
  float lr = 0.0f;
};

struct EpochSummary {
  int64_t epoch = 0;     // 0-based
  int64_t steps = 0;     // trainer steps done in all at its end
  bool complete = true;  // false when max_steps stopped it part way
  double train_loss = 0.0, train_accuracy = 0.0;
  bool evaluated = false;
  double test_loss = 0.0, test_accuracy = 0.0;
  double images_per_s = 0.0;  // training only: evaluation is not counted
  double seconds = 0.0;
  float lr = 0.0f;  // the last step's
};

struct FitCallbacks {
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(const EpochSummary&)> on_epoch;  // before the epoch's checkpoint
  // Adds to what a checkpoint records (settings on top of options.settings, run state), just
  // before it is written.
  std::function<void(Checkpoint& checkpoint)> on_checkpoint;
};

struct FitResult {
  std::vector<EpochSummary> epochs;  // completed ones (a stopped epoch is included)
  bool stopped_early = false;        // max_steps ended the run
  TrainingPosition end;              // where a resumed run would pick up
  double train_seconds = 0.0;
  int64_t images = 0;  // trained on, in this call
  // Training throughput after this call's first step, which also compiles the plan: the
  // steady rate benchmarks compare (0 when there was only one step).
  double steady_images_per_s = 0.0;
};

// Trains from options.start to the end of options.epochs (or max_steps). The loader must drop
// its last incomplete batch (DataLoaderOptions::drop_last), as the training graph has one batch
// size. Throws what Trainer::step throws (a NumericError names the step), and InputError for bad
// options.
FitResult fit(Trainer& trainer, DataLoader& loader, const FitOptions& options,
              const FitCallbacks& callbacks = {});

}  // namespace sinter
