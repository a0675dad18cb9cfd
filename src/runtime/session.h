#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/thread_pool.h"
#include "ir/graph.h"
#include "passes/optimize_graph.h"
#include "runtime/inter_op_schedule.h"
#include "runtime/plan.h"

namespace sinter {

struct SessionOptions {
  int threads = 1;
  bool optimize = true;
  bool profile = false;  // time every step
  // Scan inputs and every step's outputs for NaN or infinity and throw NumericError at the first
  // (slow: for diagnosing where values went bad).
  bool check_finite = false;
  // Run Conv/Gemm layers whose constant weights hold enough zeros (pruned models) on sparse
  // kernels; false keeps every layer on the dense ones (to time the difference).
  bool sparse_kernels = true;
  // Run convolution regions in the channel-blocked layout where the tier has kernels for it
  // (passes/blocked_layout.h); false keeps every tensor NCHW (to time the difference).
  bool blocked_layout = true;
  // Run the quantized layers of QDQ models on integer kernels (passes/integer_layers.h); false
  // runs them in float on their dequantized weights (to time the difference).
  bool integer_layers = true;
  // Kernels chosen elsewhere for the nodes it knows (a tuning database, tune/tuning_db.h); the
  // heuristics choose for the others.
  KernelChooser kernel_choice = {};
  // Inter-operator scheduling (runtime/inter_op_schedule.h): independent branches side by side on
  // groups of the threads and sibling convolutions merged, as IOS's dynamic programming or the
  // greedy baseline finds fastest by node times measured when the plan is made (a few runs of the
  // model at each group size). IOS's schedule is then timed against the plan in order, taking
  // turns, and kept only 3 % faster (`schedule_report().trial`); the greedy baseline is kept as
  // it is. Sequential: every node in order on every thread.
  InterOpScheduling schedule = InterOpScheduling::kSequential;
};

// Runs a model: checks inputs against the model's declared types, compiles a Plan for each new
// set of input shapes (graph passes, kernel choice, memory plan) and executes it.
class Session {
 public:
  Session(Graph model, SessionOptions options);
  // Runs a plan built from a plan file (runtime/plan_file.h): `compiled` is its optimized graph,
  // whose input types the inputs must have; other shapes are refused rather than compiled, since
  // the original model is not at hand.
  Session(Graph compiled, std::unique_ptr<Plan> plan, SessionOptions options,
          ScheduleReport schedule = {});

  // Inputs by name; returns outputs in the model's output order.
  // `on_output_ready`: see Plan::run.
  std::vector<Tensor> run(const std::unordered_map<std::string, Tensor>& inputs,
                          const Plan::OutputReady* on_output_ready = nullptr);

  const Graph& model() const { return model_; }
  // The graph and plan used by the last run (or the last compile).
  const Graph& compiled_graph() const { return compiled_; }
  Plan& plan() { return *plan_; }
  const Plan& plan() const { return *plan_; }
  const OptimizeStats& optimize_stats() const { return stats_; }
  // What inter-operator scheduling found for the plan (for a plan file: what it runs).
  const ScheduleReport& schedule_report() const { return schedule_report_; }
  ThreadPool& pool() { return pool_; }
  // Compiles for the given inputs without running (for `info` and benchmarks); `recipe` steers
  // kernel choice and packed weights (plan files). For the inputs of the plan in hand, a recipe
  // makes the plan again on the same graph and schedule.
  void prepare(const std::unordered_map<std::string, Tensor>& inputs,
               const PlanRecipe* recipe = nullptr);
  // Whether the plan came from a plan file and cannot be compiled again for other shapes.
  bool fixed_plan() const { return fixed_plan_; }

 private:
  void check_inputs(const std::unordered_map<std::string, Tensor>& inputs) const;
  // Times the scheduled plan against one of `unscheduled` in order (runtime/schedule_trial.h) and
  // keeps the order unless the schedule measurably wins.
  void keep_schedule_if_faster(Graph unscheduled,
                               const std::unordered_map<std::string, Tensor>& inputs,
                               const PlanRecipe* recipe);
  std::string signature(const std::unordered_map<std::string, Tensor>& inputs) const;

  Graph model_;
  SessionOptions options_;
  ThreadPool pool_;
  Graph compiled_;
  OptimizeStats stats_;
  Schedule schedule_;
  ScheduleReport schedule_report_;
  std::unique_ptr<Plan> plan_;
  std::string plan_signature_;
  bool fixed_plan_ = false;
};

}  // namespace sinter
