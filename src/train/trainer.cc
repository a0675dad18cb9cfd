#include "train/trainer.h"

#include <cmath>

#include "core/error.h"
#include "core/seeded_random.h"
#include "train/adam.h"
#include "train/grad_clip.h"
#include "train/sgd.h"

namespace sinter {

namespace {

constexpr uint64_t kDropoutStream = 3;  // apart from the data loader's streams

void check_options(const TrainerOptions& o) {
  if (o.batch_size < 1) throw InputError(cat("batch size must be positive, got ", o.batch_size));
  if (o.threads < 1) throw InputError(cat("threads must be positive, got ", o.threads));
  if (!(o.lr > 0) || !std::isfinite(o.lr))
    throw InputError(cat("learning rate must be positive and finite, got ", o.lr));
  if (!(o.label_smoothing >= 0 && o.label_smoothing < 1))
    throw InputError(cat("label smoothing must be in [0, 1), got ", o.label_smoothing));
  if (o.label_smoothing > 0 && o.loss != Loss::kCrossEntropy)
    throw InputError("label smoothing applies to the cross-entropy loss only");
  if (!(o.clip_norm >= 0) || !std::isfinite(o.clip_norm))
    throw InputError(cat("gradient clipping norm must be >= 0 and finite, got ", o.clip_norm));
}

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const TrainerOptions& o, std::vector<Parameter> params) {
  if (o.optimizer == "sgd" || o.optimizer == "nesterov")
    return std::make_unique<Sgd>(std::move(params),
                                 SgdOptions{o.momentum, o.optimizer == "nesterov", o.weight_decay});
  if (o.optimizer == "adam" || o.optimizer == "adamw") {
    AdamOptions a;
    a.weight_decay = o.weight_decay;
    if (o.optimizer == "adam") return std::make_unique<Adam>(std::move(params), a);
    return std::make_unique<AdamW>(std::move(params), a);
  }
  throw InputError(
      cat("unknown optimizer '", o.optimizer, "' (known: sgd, nesterov, adam, adamw)"));
}

Trainer::Trainer(const Graph& model, TrainerOptions options)
    : model_(model), options_(std::move(options)) {
  check_options(options_);
  tg_ = make_training_graph(model_, options_.batch_size, options_.loss, options_.input_gradient);
  num_classes_ = tg_.graph.type_of(tg_.labels)->shape[1];
  SessionOptions so;
  so.threads = options_.threads;
  so.profile = options_.profile;
  session_ = std::make_unique<Session>(tg_.graph, so);

  for (const std::string& p : tg_.parameters) feeds_[p] = model_.initializers.at(p).clone();
  for (const auto& [stat, updated] : tg_.running_stats)
    feeds_[stat] = model_.initializers.at(stat).clone();
  for (const auto& [mask, ratio] : tg_.dropout_masks)
    feeds_[mask] = Tensor(DType::kFloat32, tg_.graph.type_of(mask)->shape);
  feeds_[tg_.image] = Tensor(DType::kFloat32, tg_.graph.type_of(tg_.image)->shape);
  feeds_[tg_.labels] = Tensor(DType::kFloat32, tg_.graph.type_of(tg_.labels)->shape);

  gradients_.resize(tg_.parameters.size());
  std::vector<Parameter> params;
  for (size_t i = 0; i < tg_.parameters.size(); ++i) {
    Tensor& value = feeds_.at(tg_.parameters[i]);
    gradients_[i] = Tensor(DType::kFloat32, value.shape());
    params.push_back({tg_.parameters[i], &value, &gradients_[i]});
  }
  optimizer_ = make_optimizer(options_, std::move(params));
  schedule_ =
      make_schedule(options_.schedule, options_.lr, options_.total_steps, options_.warmup_steps);
}

Trainer::~Trainer() = default;

void Trainer::fill_targets(const Batch& batch) {
  float* t = feeds_.at(tg_.labels).data<float>();
  const int64_t k = num_classes_;
  const float e = options_.label_smoothing;
  const int64_t* labels = batch.labels.data<int64_t>();
  std::fill(t, t + batch.size * k, e / static_cast<float>(k));
  for (int64_t i = 0; i < batch.size; ++i) {
    if (labels[i] < 0 || labels[i] >= k)
      throw InputError(cat("label ", labels[i], " of sample ", i, " is outside [0, ", k, ")"));
    t[i * k + labels[i]] += 1.0f - e;
  }
}

void Trainer::fill_dropout_masks() {
  uint64_t index = 0;
  for (const auto& [name, ratio] : tg_.dropout_masks) {
    std::mt19937_64 rng(
        mix_seed(mix_seed(mix_seed(options_.seed, kDropoutStream), static_cast<uint64_t>(steps())),
                 index++));
    Tensor& mask = feeds_.at(name);
    float* m = mask.data<float>();
    const float keep = ratio < 1 ? 1.0f / (1.0f - ratio) : 0.0f;
    // Top 53 bits as a double in [0, 1): the same on every standard library.
    for (int64_t i = 0; i < mask.numel(); ++i)
      m[i] = static_cast<double>(rng() >> 11) * 0x1p-53 < ratio ? 0.0f : keep;
  }
}

StepResult Trainer::step(const Batch& batch) {
  StepResult r = compute_gradients(batch);
  r.lr = apply_gradients();
  return r;
}

StepResult Trainer::compute_gradients(const Batch& batch, bool keep_statistics) {
  if (batch.size != options_.batch_size || batch.images.shape() != feeds_.at(tg_.image).shape())
    throw InputError(cat("a training batch must be ", shape_str(feeds_.at(tg_.image).shape()),
                         ", got ", shape_str(batch.images.shape())));
  feeds_[tg_.image] = batch.images;
  const bool split = options_.loss == Loss::kOutputGradient;
  SINTER_CHECK(!split || output_gradient, "Loss::kOutputGradient needs output_gradient");
  if (!split) fill_targets(batch);
  fill_dropout_masks();

  // Outputs: the loss, the logits, then the gradients in parameter order. This is called as each
  // output is written. With a split model the plan must run its steps in order (checked): the
  // nodes that read the labels input depend on it alone, but in the graph's order (autodiff
  // appends the backward pass, and sorting keeps a valid order) they come after the output's, so
  // output_gradient fills it before they run.
  StepResult rest;
  const Plan::OutputReady output_ready = [&](size_t output, const Tensor& value) {
    if (split && output == 1) {
      SINTER_CHECK(session_->plan().schedule().empty(),
                   "Loss::kOutputGradient needs a plan that runs its steps in order");
      rest = output_gradient(batch, value, feeds_.at(tg_.labels));
    }
    if (on_gradient_ready && output >= 2 && output < 2 + gradients_.size())
      on_gradient_ready(output - 2, value);
  };
  const std::vector<Tensor> out =
      session_->run(feeds_, split || on_gradient_ready ? &output_ready : nullptr);
  StepResult r;
  r.loss = split ? rest.loss : out[0].data<float>()[0];
  if (!std::isfinite(r.loss)) diagnose_non_finite(cat("the loss is ", r.loss));

  output_ = out[1];
  const float* logits = out[1].data<float>();
  const int64_t* labels = batch.labels.data<int64_t>();
  for (int64_t i = 0; i < batch.size && !split; ++i) {
    const float* row = logits + i * num_classes_;
    r.correct += std::max_element(row, row + num_classes_) - row == labels[i];
  }
  if (split) r.correct = rest.correct;
  size_t next = 2 + gradients_.size();
  if (options_.input_gradient) input_gradient_ = out[next++];
  for (size_t i = 0; i < gradients_.size(); ++i) {
    gradients_[i] = out[2 + i];
    if (find_nonfinite(gradients_[i]) >= 0)
      diagnose_non_finite(cat("the gradient of '", tg_.parameters[i], "' is not finite"));
  }
  // Copies: the session's next run writes its outputs again.
  if (keep_statistics) {
    next_statistics_.clear();
    for (size_t i = 0; i < tg_.running_stats.size(); ++i)
      next_statistics_.push_back(out[next + i].clone());
  }
  return r;
}

float Trainer::apply_gradients() {
  if (on_gradients) on_gradients(*this);
  const float lr = schedule_->lr(steps());
  if (update_elsewhere) {
    update_elsewhere(*this, lr);
    optimizer_->count_step_made_elsewhere();
  } else {
    if (options_.clip_norm > 0) clip_grad_norm(parameters(), options_.clip_norm);
    optimizer_->step(lr);
  }
  for (size_t i = 0; i < next_statistics_.size(); ++i)
    feeds_[tg_.running_stats[i].first] = std::move(next_statistics_[i]);
  next_statistics_.clear();
  if (on_update) on_update(*this);
  return lr;
}

std::vector<size_t> Trainer::gradient_order() {
  session_->prepare(feeds_);
  std::vector<size_t> order;
  for (size_t output : session_->plan().output_ready_order())
    if (output >= 2 && output < 2 + gradients_.size()) order.push_back(output - 2);
  return order;
}

void Trainer::diagnose_non_finite(const std::string& what) {
  const std::string where = cat("training step ", steps() + 1, ": ", what);
  SessionOptions so;
  so.threads = options_.threads;
  so.optimize = false;  // so the nodes named are the training graph's own
  so.check_finite = true;
  try {
    Session(tg_.graph, so).run(feeds_);
  } catch (const NumericError& e) {
    throw NumericError(cat(where, "; the first non-finite value: ", e.what()));
  }
  throw NumericError(cat(where, " (every value of the step was finite when run again)"));
}

Graph Trainer::model() const {
  Graph g = model_;
  for (const std::string& p : tg_.parameters) g.initializers[p] = feeds_.at(p).clone();
  for (const auto& [stat, updated] : tg_.running_stats)
    g.initializers[stat] = feeds_.at(stat).clone();
  return g;
}

}  // namespace sinter
