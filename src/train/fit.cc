#include "train/fit.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "train/evaluate.h"

namespace sinter {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void write_checkpoint(const Trainer& trainer, const FitOptions& options,
                      const FitCallbacks& callbacks, TrainingPosition at) {
  if (options.checkpoint_path.empty()) return;
  Checkpoint c{options.model ? options.model() : trainer.model(),
               trainer.optimizer_state(),
               at,
               options.settings,
               {}};
  if (callbacks.on_checkpoint) callbacks.on_checkpoint(c);
  save_checkpoint(options.checkpoint_path, c);
}

}  // namespace

FitResult fit(Trainer& trainer, DataLoader& loader, const FitOptions& options,
              const FitCallbacks& callbacks) {
  if (options.epochs < 1) throw InputError(cat("epochs must be positive, got ", options.epochs));
  if (options.max_steps < 0)
    throw InputError(cat("max steps must not be negative, got ", options.max_steps));
  const int64_t batches = loader.batches_per_epoch();
  if (batches < 1)
    throw InputError(cat(loader.dataset().name, " has fewer samples than one batch of ",
                         trainer.options().batch_size));
  if (options.start.batch >= batches)
    throw InputError(cat("resume position batch ", options.start.batch, " is past the ", batches,
                         " batches of an epoch"));

  FitResult result;
  result.end = options.start;
  bool first_step = true;
  double steady_seconds = 0;  // batch waits and steps, after the first step
  int64_t steady_images = 0;
  auto step_limit_reached = [&] {
    return options.max_steps > 0 && trainer.steps() >= options.max_steps;
  };
  for (int64_t epoch = options.start.epoch; epoch < options.epochs; ++epoch) {
    if (step_limit_reached()) {
      result.stopped_early = true;
      break;
    }
    const int64_t first = epoch == options.start.epoch ? options.start.batch : 0;
    loader.start_epoch(epoch, first);
    EpochSummary summary;
    summary.epoch = epoch;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    const auto t0 = Clock::now();
    auto step_start = t0;
    Batch batch;
    int64_t b = first;
    while (!step_limit_reached() && loader.next(batch)) {
      const StepResult r = trainer.step(batch);
      const auto now = Clock::now();
      if (!first_step) {
        steady_seconds += std::chrono::duration<double>(now - step_start).count();
        steady_images += batch.size;
      }
      first_step = false;
      step_start = now;
      ++b;
      loss_sum += r.loss;
      correct += r.correct;
      seen += batch.size;
      summary.lr = r.lr;
      if (callbacks.on_batch) {
        BatchProgress p;
        p.epoch = epoch;
        p.epochs = options.epochs;
        p.batch = b;
        p.batches = batches;
        p.step = trainer.steps();
        p.loss = r.loss;
        p.mean_loss = loss_sum / static_cast<double>(b - first);
        p.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
        const double elapsed = seconds_since(t0);
        p.images_per_s = static_cast<double>(seen) / elapsed;
        int64_t left = (options.epochs - epoch) * batches - b;
        if (options.max_steps > 0) left = std::min(left, options.max_steps - trainer.steps());
        p.eta_s = static_cast<double>(left) * elapsed / static_cast<double>(b - first);
        p.lr = r.lr;
        callbacks.on_batch(p);
      }
    }
    summary.seconds = seconds_since(t0);
    summary.steps = trainer.steps();
    result.train_seconds += summary.seconds;
    result.images += seen;
    if (b > first) {
      summary.train_loss = loss_sum / static_cast<double>(b - first);
      summary.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
      summary.images_per_s = static_cast<double>(seen) / summary.seconds;
    }
    const bool stopped = b < batches;
    summary.complete = !stopped;
    result.end = stopped ? TrainingPosition{epoch, b} : TrainingPosition{epoch + 1, 0};
    if (options.test) {
      const Evaluation ev = evaluate(options.model ? options.model() : trainer.model(),
                                     *options.test, options.eval_batch, trainer.options().threads);
      summary.evaluated = true;
      summary.test_loss = ev.loss;
      summary.test_accuracy = ev.accuracy;
    }
    result.epochs.push_back(summary);
    if (callbacks.on_epoch) callbacks.on_epoch(summary);
    write_checkpoint(trainer, options, callbacks, result.end);
    if (stopped) {
      result.stopped_early = true;
      break;
    }
  }
  if (steady_seconds > 0)
    result.steady_images_per_s = static_cast<double>(steady_images) / steady_seconds;
  return result;
}

}  // namespace sinter
