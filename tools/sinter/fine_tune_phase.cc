#include "fine_tune_phase.h"

#include <cstdio>

#include "progress_bar.h"

namespace sinter::cli {

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
