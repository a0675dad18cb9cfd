#include "runtime/session.h"

#include <cstring>
#include <optional>

#include "core/error.h"

namespace sinter {

namespace {
// Small integer inputs may decide shapes (Reshape's target, Slice bounds...), and so may scalar
// floats (Range's bounds) and short float vectors (Resize's scales and region of interest), so
// plans depend on their values.
bool may_decide_shapes(const Tensor& t) {
  if (t.dtype() == DType::kInt64 || t.dtype() == DType::kInt32) return t.numel() <= 64;
  if (t.dtype() != DType::kFloat32 && t.dtype() != DType::kFloat64) return false;
  return t.numel() == 1 || (t.rank() == 1 && t.numel() <= 16);
}
}  // namespace

Session::Session(Graph model, SessionOptions options)
    : model_(std::move(model)), options_(options), pool_(options.threads) {}

Session::Session(Graph compiled, std::unique_ptr<Plan> plan, SessionOptions options,
                 ScheduleReport schedule)
    : model_(compiled),
      options_(options),
      pool_(options.threads),
      compiled_(std::move(compiled)),
      schedule_report_(schedule),
      plan_(std::move(plan)),
      fixed_plan_(true) {}

void Session::check_inputs(const std::unordered_map<std::string, Tensor>& inputs) const {
  for (const auto& name : model_.inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) throw InputError(cat("missing input '", name, "'"));
    const ValueType* want = model_.type_of(name);
    if (!want) continue;
    const Tensor& t = it->second;
    if (t.dtype() != want->dtype)
      throw InputError(cat("input '", name, "': expected ", dtype_name(want->dtype), ", got ",
                           dtype_name(t.dtype())));
    if (!want->has_shape) continue;
    bool ok = want->shape.size() == t.shape().size();
    for (size_t d = 0; ok && d < want->shape.size(); ++d)
      ok = want->shape[d] < 0 || want->shape[d] == t.shape()[d];
    if (!ok)
      throw InputError(cat("input '", name, "': expected shape ", shape_str(want->shape), ", got ",
                           shape_str(t.shape())));
  }
  for (const auto& [name, t] : inputs) {
    bool known = false;
    for (const auto& in : model_.inputs) known = known || in == name;
    if (!known) throw InputError(cat("the model has no input named '", name, "'"));
  }
}

std::string Session::signature(const std::unordered_map<std::string, Tensor>& inputs) const {
  std::string sig;
  for (const auto& name : model_.inputs) {
    const Tensor& t = inputs.at(name);
    sig += name + shape_str(t.shape()) + dtype_name(t.dtype());
    if (may_decide_shapes(t)) sig.append(static_cast<const char*>(t.raw()), t.nbytes());
  }
  return sig;
}

void Session::prepare(const std::unordered_map<std::string, Tensor>& inputs,
                      const PlanRecipe* recipe) {
  check_inputs(inputs);
  // A plan file's shapes were checked to depend on no input's values when it was compiled, and
  // check_inputs holds the inputs to its concrete types.
  if (fixed_plan_) return;
  std::string sig = signature(inputs);
  const bool same_shapes = plan_ && sig == plan_signature_;
  if (same_shapes && !recipe) return;
  // A plan asked for through a recipe (a plan file being compiled) is made as asked: its
  // schedule is tried by whoever asked (compile_model).
  const bool try_schedule = !recipe && options_.schedule == InterOpScheduling::kIos;
  std::optional<Graph> unscheduled;  // the graph before scheduling, for the trial
  if (!same_shapes) {
    compiled_ = model_;
    ConstantValues shape_values;
    for (const auto& name : model_.inputs) {
      const Tensor& t = inputs.at(name);
      compiled_.types[name] = {t.dtype(), t.shape(), true};
      if (may_decide_shapes(t)) shape_values[name] = t;
    }
    if (options_.optimize) {
      stats_ = optimize_graph(
          compiled_, shape_values,
          {options_.blocked_layout, options_.sparse_kernels, options_.integer_layers});
    } else {
      infer_graph(compiled_, shape_values);
    }
    schedule_ = {};
    schedule_report_ = {};
    if (options_.schedule != InterOpScheduling::kSequential) {
      ScheduledGraph scheduled = schedule_graph(
          compiled_, inputs, {options_.schedule, options_.threads, options_.sparse_kernels});
      if (try_schedule && !scheduled.schedule.empty()) unscheduled = std::move(compiled_);
      compiled_ = std::move(scheduled.graph);
      schedule_ = std::move(scheduled.schedule);
      schedule_report_ = scheduled.report;
    }
  }
  PlanRecipe tuned;
  if (options_.kernel_choice && !(recipe && recipe->choice)) {
    if (recipe) tuned = *recipe;
    tuned.choice = [this](size_t, const KernelInfo& info) { return options_.kernel_choice(info); };
    recipe = &tuned;
  }
  PlanRecipe scheduled = recipe ? *recipe : PlanRecipe{};
  scheduled.schedule = &schedule_;
  plan_ = std::make_unique<Plan>(compiled_, options_.threads, options_.sparse_kernels, &scheduled);
  plan_signature_ = sig;
  if (unscheduled) keep_schedule_if_faster(std::move(*unscheduled), inputs, recipe);
}

void Session::keep_schedule_if_faster(Graph unscheduled,
                                      const std::unordered_map<std::string, Tensor>& inputs,
                                      const PlanRecipe* recipe) {
  PlanRecipe in_order = recipe ? *recipe : PlanRecipe{};
  in_order.schedule = nullptr;
  auto sequential =
      std::make_unique<Plan>(unscheduled, options_.threads, options_.sparse_kernels, &in_order);
  const ScheduleTrial trial =
      time_schedule([&] { sequential->run(inputs, pool_, false); },
                    [&] { plan_->run(inputs, pool_, false); }, kMinScheduleGain);
  schedule_report_.trial = trial;
  if (trial.kept) return;
  compiled_ = std::move(unscheduled);
  schedule_ = {};
  schedule_report_.how = InterOpScheduling::kSequential;
  schedule_report_.merged_sets = 0;
  plan_ = std::move(sequential);
}

std::vector<Tensor> Session::run(const std::unordered_map<std::string, Tensor>& inputs,
                                 const Plan::OutputReady* on_output_ready) {
  prepare(inputs);
  return plan_->run(inputs, pool_, options_.profile, options_.check_finite, on_output_ready);
}

}  // namespace sinter
