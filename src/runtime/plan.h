#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/thread_pool.h"
#include "ir/graph.h"
#include "kernels/prepacked_weights.h"
#include "ops/op_registry.h"
#include "runtime/memory_planner.h"
#include "runtime/schedule.h"

namespace sinter {

struct StepProfile {
  double total_ms = 0.0;
  int64_t runs = 0;
};

// One node, ready to run: chosen kernel (weights pre-packed), slots of its operands.
struct PlanStep {
  std::string node_name;
  std::string op_type;
  std::vector<std::string> output_names;
  std::string kernel_name;
  std::string impl_name;           // the implementation (kernel_name without its variant)
  std::string variant;             // the variant it was told to use (KernelInfo::variant)
  std::unique_ptr<Kernel> kernel;  // null for views, which only alias their input
  KernelContext context;           // points into the plan's slots
  double flops = 0.0;
  // Every output has zero elements: there is nothing to compute, and the kernel is not run.
  bool outputs_empty = false;
  StepProfile profile;
};

// Where a value lives while the plan runs.
enum class SlotKind { kGraphInput, kConstant, kArena, kGraphOutput, kView };

struct Slot {
  std::string name;
  ValueType type;
  SlotKind kind = SlotKind::kArena;
  size_t offset = 0;       // kArena: byte offset in the arena
  int view_of = -1;        // kView: the slot whose bytes it shares
  size_t view_offset = 0;  // kView: where in them it starts (a part of an in-place Concat)
  Tensor tensor;           // bound storage
};

// An implementation by name and the variant it is to use.
struct KernelChoice {
  std::string impl;
  std::string variant;
};

// Given a node as the plan sees it, the kernel chosen for it elsewhere (a tuning database), or
// nullopt for the heuristics' choice.
using KernelChooser = std::function<std::optional<KernelChoice>(const KernelInfo&)>;

// What steers building a plan beyond the heuristics: the kernel of a node, fixed when a plan
// file was compiled or found by a tuner, and where each node's packed weights come from (a plan
// compiled for saving records them; one loaded from a file takes them back).
struct PlanRecipe {
  // The choice for node i; null or nullopt: choose as usual. A named implementation must
  // support the node (KernelImpl::supports), else the plan is refused.
  std::function<std::optional<KernelChoice>(size_t node, const KernelInfo&)> choice;
  // The store for node i's packed weights (kernels/prepacked_weights.h); null: pack as usual.
  std::function<kernels::PrepackedStore*(size_t node)> prepacked;
  // The order the steps run in (runtime/schedule.h), checked against the graph; null or empty:
  // one after another, each on every thread. Each step's kernel is built for its group's threads.
  const Schedule* schedule = nullptr;
};

// A graph compiled for one set of input shapes: kernels chosen and prepared, every
// intermediate placed in one arena by a liveness-based plan. Runs without allocating, apart
// from the returned outputs.
class Plan {
 public:
  // `g` must have concrete types for every value (see infer_graph); its initializers are the
  // plan's constants. `sparse_kernels` false keeps pruned weights on the dense kernels.
  Plan(const Graph& g, int threads, bool sparse_kernels = true, const PlanRecipe* recipe = nullptr);

  // Inputs by name (checked by Session); returns outputs in graph output order. With
  // `check_finite`, every float input and every step's float outputs are scanned, and the first
  // NaN or infinity throws NumericError naming the value and the node that produced it.
  // With `on_output_ready`, it is called for each graph output (its index and value) as soon as
  // the step that writes it has run — a training step's gradients while the backward pass goes
  // on — and for outputs no step writes, after the last step. Calls may come from several
  // threads at once where the schedule runs teams side by side.
  using OutputReady = std::function<void(size_t output, const Tensor& value)>;
  std::vector<Tensor> run(const std::unordered_map<std::string, Tensor>& inputs, ThreadPool& pool,
                          bool profile, bool check_finite = false,
                          const OutputReady* on_output_ready = nullptr);

  const std::vector<PlanStep>& steps() const { return steps_; }
  // Graph output indices in the order run() reports them to on_output_ready (the outputs no step
  // writes last). For a plan without a schedule.
  std::vector<size_t> output_ready_order();
  // The schedule the plan runs; empty when it runs its steps in order on every thread.
  const Schedule& schedule() const { return schedule_; }
  void reset_profile();
  size_t arena_bytes() const { return memory_.arena_bytes; }
  // Arena offset of every intermediate, in slot order: what a plan file records of the memory plan.
  std::vector<size_t> arena_offsets() const;
  size_t naive_activation_bytes() const { return memory_.naive_bytes; }
  size_t peak_live_bytes() const { return peak_live_bytes_; }
  double total_flops() const;

 private:
  int slot_of(const std::string& value) const;
  // Refuses, before anything is allocated, a plan whose arena and outputs pass the memory limit.
  void check_memory_needs() const;
  // Points every view at its root's current storage (roots may be rebound per run).
  void bind_views();
  // Fills outputs_ready_after_.
  void find_output_steps();
  // Runs the given steps in order on `pool`.
  void run_steps(const std::vector<int>& steps, ThreadPool& pool, bool profile, bool check_finite);
  // One step's kernel, timed with `profile`, its outputs checked with `check_finite`.
  void run_step(PlanStep& step, ThreadPool& pool, bool profile, bool check_finite);

  std::vector<Slot> slots_;
  std::unordered_map<std::string, int> slot_index_;
  std::vector<PlanStep> steps_;
  Schedule schedule_;
  std::vector<std::vector<int>> stage_threads_;  // per stage, each group's threads (run_groups)
  std::vector<int> all_steps_;                   // 0, 1, ... : the order without a schedule
  std::vector<int> input_slots_;
  std::vector<int> output_slots_;
  // For each step, the graph outputs it writes; last: those no step writes (built on first use).
  std::vector<std::vector<size_t>> outputs_ready_after_;
  const OutputReady* on_output_ready_ = nullptr;  // during run() only
  MemoryPlan memory_;
  size_t peak_live_bytes_ = 0;
  Tensor arena_;
};

}  // namespace sinter
