#include "fine_tune_phase.h"

#include <algorithm>
#include <cstdio>

#include "progress_bar.h"

namespace sinter::cli {

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

FitResult train_phase(Trainer& trainer, DataLoader& loader, const Dataset& test, int64_t epochs,
                      const std::string& phase, const PhaseOutput& out,
                      const std::function<std::string()>& describe) {
  ProgressBar bar(out.command + ": " + phase, out.quiet || out.json);
  FitOptions fo;
  fo.epochs = epochs;
  fo.test = &test;
  FitCallbacks callbacks;
  callbacks.on_batch = [&](const BatchProgress& p) { bar.update(p); };
  callbacks.on_epoch = [&](const EpochSummary& e) {
    bar.clear();
    if (out.json) return;
    std::printf("%s epoch %lld/%lld  loss %.4f  train %.2f%%  test %.2f%%  %.0f img/s  %s\n",
                phase.c_str(), static_cast<long long>(e.epoch + 1), static_cast<long long>(epochs),
                e.train_loss, 100 * e.train_accuracy, 100 * e.test_accuracy, e.images_per_s,
                describe ? describe().c_str() : "");
    std::fflush(stdout);
  };
  FitResult r = fit(trainer, loader, fo, callbacks);
  bar.clear();
  return r;
}

}  // namespace sinter::cli
