#pragma once
// One model's training state and its step: the training graph compiled once, the parameters and
// running statistics it feeds, the optimizer and the learning-rate schedule. A step is forward,
// backward, optional clipping, then the update; hooks between them let compression (masks,
// projections) and distributed training (a gradient all-reduce) wrap the step without copying it.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/data_loader.h"
#include "ir/graph.h"
#include "runtime/session.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/training_graph.h"

namespace sinter {

struct TrainerOptions {
  int64_t batch_size = 64;
  int threads = 1;
  uint64_t seed = 1;              // dropout masks derive from (seed, step)
  std::string optimizer = "sgd";  // "sgd", "nesterov", "adam", "adamw"
  float lr = 0.05f;
  float momentum = 0.9f;  // SGD momentum, or Adam's beta1
  float weight_decay = 5e-4f;
  std::string schedule = "cosine";  // see make_schedule()
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;  // the schedule's horizon
  Loss loss = Loss::kCrossEntropy;
  float label_smoothing = 0.0f;  // cross-entropy targets (1-e)*one_hot + e/classes
  float clip_norm = 0.0f;        // global gradient-norm clipping; 0 turns it off
  bool profile = false;          // time every node of the step (see session())
  // Also compute d(loss)/d(input) each step (input_gradient()), for the back part of a split
  // model, which sends it to the front.
  bool input_gradient = false;
};

struct StepResult {
  float loss = 0.0f;
  int64_t correct = 0;  // samples whose largest logit is their label
  float lr = 0.0f;      // the learning rate the update used
};

// The optimizer `o` names ("sgd", "nesterov", "adam", "adamw") over `params`; InputError for
// another name.
std::unique_ptr<Optimizer> make_optimizer(const TrainerOptions& o, std::vector<Parameter> params);

class Trainer {
 public:
  // Builds the training graph of `model` (see make_training_graph) for options.batch_size.
  // Throws InputError for bad options (naming the option), and whatever make_training_graph
  // throws for a model it cannot train.
  Trainer(const Graph& model, TrainerOptions options);
  ~Trainer();

  // One optimizer step on `batch`, which must hold exactly batch_size samples. When the loss or
  // a gradient is not finite, nothing is updated and NumericError names the step and the
  // first value of the step that went non-finite (found by running the step again, checked).
  StepResult step(const Batch& batch);

  // step() in two halves, for gradient accumulation and data parallelism. compute_gradients runs
  // forward and backward on `batch` and keeps the gradients (parameters()[i].grad, until the
  // next call) and, with keep_statistics, the running statistics it updated; it applies nothing.
  // Throws as step() does.
  StepResult compute_gradients(const Batch& batch, bool keep_statistics = true);
  // Then on_gradients, clipping, the optimizer's update at the schedule's learning rate (which it
  // returns) and the kept running statistics.
  float apply_gradients();

  // Called after the gradients are computed (before clipping and the update), and after the
  // update. The parameters' values and gradients may be changed in place.
  std::function<void(Trainer&)> on_gradients;
  // Called during the backward pass as each parameter's gradient is final (its index in
  // parameters() and the value), so its reduction can start while the rest is computed; called
  // on the thread that runs the step, between the plan's steps.
  std::function<void(size_t parameter, const Tensor& gradient)> on_gradient_ready;
  std::function<void(Trainer&)> on_update;
  // Replaces clipping and the optimizer's update, for strategies that update the parameters on
  // other ranks (a parameter server): it gets the step's learning rate and writes the new values
  // into parameters(). The step count still advances.
  std::function<void(Trainer&, float lr)> update_elsewhere;
  // With Loss::kOutputGradient (the front part of a split model): called during the step once the
  // model's output for `batch` is computed and before the backward pass starts. It writes
  // d(loss)/d(output), found where the rest of the model runs, into `gradient`, and returns the
  // loss and correct count found there (Stanza: its FC rank's loss over the batches it got, and
  // this batch's correct count), which the step reports.
  std::function<StepResult(const Batch& batch, const Tensor& output, Tensor& gradient)>
      output_gradient;

  const TrainerOptions& options() const { return options_; }
  const TrainingGraph& training_graph() const { return tg_; }
  const std::vector<Parameter>& parameters() const { return optimizer_->parameters(); }
  // Completed steps (also the optimizer's count, so it survives a checkpoint).
  int64_t steps() const { return optimizer_->steps(); }
  int64_t num_classes() const { return num_classes_; }
  // Parameter indices in the order the backward pass finishes their gradients: the order
  // on_gradient_ready reports them in. Compiles the step's plan if no step has yet.
  std::vector<size_t> gradient_order();
  // The last step's model output (logits), and with options().input_gradient its
  // d(loss)/d(input); valid until the next step.
  const Tensor& output() const { return output_; }
  const Tensor& input_gradient() const { return input_gradient_; }
  Session& session() { return *session_; }

  // The inference model with the current parameters and running statistics.
  Graph model() const;
  OptimizerState optimizer_state() const { return optimizer_->state(); }
  // Restores optimizer state saved by optimizer_state() (including the step count). All or
  // nothing: throws InputError on a mismatch and changes nothing.
  void load_optimizer_state(const OptimizerState& state) { optimizer_->load_state(state); }

 private:
  void fill_targets(const Batch& batch);
  void fill_dropout_masks();
  [[noreturn]] void diagnose_non_finite(const std::string& what);

  Graph model_;
  TrainerOptions options_;
  TrainingGraph tg_;
  int64_t num_classes_ = 0;
  std::unique_ptr<Session> session_;
  std::unordered_map<std::string, Tensor> feeds_;  // parameters and statistics live here
  std::vector<Tensor> gradients_;                  // the last step's, shared with the outputs
  Tensor output_, input_gradient_;
  std::vector<Tensor> next_statistics_;  // running statistics apply_gradients sets
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
};

}  // namespace sinter
