#include "fine_tune_printer.h"

#include <cstdio>
#include <memory>
#include <optional>

#include "progress_bar.h"

namespace sinter::cli {

FineTuneCallbacks fine_tune_printer(const std::string& command, bool quiet, bool json) {
  // One bar a phase, shared by the callbacks, which outlive this call.
  auto bar = std::make_shared<std::optional<ProgressBar>>();
  FineTuneCallbacks callbacks;
  callbacks.on_phase_start = [=](const std::string& phase, int64_t) {
    bar->emplace(command + ": " + phase, quiet || json);
  };
  callbacks.on_batch = [bar](const BatchProgress& p) { (*bar)->update(p); };
  callbacks.on_epoch = [bar, json](const std::string& phase, const EpochSummary& e, int64_t epochs,
                                   const std::string& status) {
    (*bar)->clear();
    if (json) return;
    std::printf("%s epoch %lld/%lld  loss %.4f  train %.2f%%  test %.2f%%  %.0f img/s  %s\n",
                phase.c_str(), static_cast<long long>(e.epoch + 1), static_cast<long long>(epochs),
                e.train_loss, 100 * e.train_accuracy, 100 * e.test_accuracy, e.images_per_s,
                status.c_str());
    std::fflush(stdout);
  };
  return callbacks;
}

}  // namespace sinter::cli
