#include "train/fine_tune.h"

#include <algorithm>

namespace sinter {

DataLoaderOptions fine_tune_loader(const FineTuneSettings& settings) {
  DataLoaderOptions lo;
  lo.batch_size = settings.batch;
  lo.seed = settings.seed;
  lo.drop_last = true;
  return lo;
}

TrainerOptions fine_tune_trainer(const FineTuneSettings& settings, int64_t epochs,
                                 int64_t steps_per_epoch) {
  TrainerOptions to;
  to.batch_size = settings.batch;
  to.threads = settings.threads;
  to.seed = settings.seed;
  to.lr = settings.lr;
  to.momentum = settings.momentum;
  to.weight_decay = settings.weight_decay;
  to.total_steps = std::max<int64_t>(1, epochs * steps_per_epoch);
  return to;
}

FitResult fine_tune_phase(Trainer& trainer, DataLoader& loader, const Dataset& test, int64_t epochs,
                          const std::string& phase, const FineTuneCallbacks& callbacks,
                          const std::function<std::string()>& status) {
  if (callbacks.on_phase_start) callbacks.on_phase_start(phase, epochs);
  FitOptions fo;
  fo.epochs = epochs;
  fo.test = &test;
  FitCallbacks fit_callbacks;
  fit_callbacks.on_batch = callbacks.on_batch;
  if (callbacks.on_epoch)
    fit_callbacks.on_epoch = [&](const EpochSummary& e) {
      callbacks.on_epoch(phase, e, epochs, status ? status() : std::string());
    };
  return fit(trainer, loader, fo, fit_callbacks);
}

}  // namespace sinter
