#include "runtime/measure_schedule_costs.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <memory>

#include "core/thread_pool.h"
#include "passes/merge_sibling_convs.h"
#include "runtime/bound_inputs.h"
#include "runtime/plan.h"

namespace sinter {

namespace {

// Sets larger than this merge only whole (subsets of 2..5 nodes otherwise: at most 26 timings).
constexpr size_t kMostSubsetMembers = 5;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Every step's median time over `runs` runs of `plan` on `pool`.
std::vector<double> step_times(Plan& plan, ThreadPool& pool,
                               const std::unordered_map<std::string, Tensor>& inputs, int runs) {
  plan.run(inputs, pool, false);
  std::vector<std::vector<double>> times(plan.steps().size());
  for (int r = 0; r < runs; ++r) {
    plan.reset_profile();
    plan.run(inputs, pool, true);
    for (size_t i = 0; i < plan.steps().size(); ++i)
      times[i].push_back(plan.steps()[i].profile.total_ms);
  }
  std::vector<double> medians;
  for (auto& t : times) medians.push_back(median(std::move(t)));
  return medians;
}

// A graph of just `nodes` of `g` (siblings: one input), for timing them apart.
Graph siblings_graph(const Graph& g, const std::vector<int>& nodes) {
  Graph sub;
  sub.opset = g.opset;
  const std::string& x = g.nodes[nodes[0]].inputs[0];
  sub.inputs = {x};
  sub.types[x] = *g.type_of(x);
  for (int i : nodes) {
    const Node& node = g.nodes[i];
    sub.nodes.push_back(node);
    for (size_t k = 1; k < node.inputs.size(); ++k)
      if (node.has_input(k)) {
        sub.initializers[node.inputs[k]] = g.initializers.at(node.inputs[k]);
        sub.types[node.inputs[k]] = *g.type_of(node.inputs[k]);
      }
    sub.outputs.push_back(node.outputs[0]);
    sub.types[node.outputs[0]] = *g.type_of(node.outputs[0]);
  }
  return sub;
}

double total_ms(Graph g, int threads, bool sparse_kernels, ThreadPool& pool, int runs) {
  const std::string& x = g.inputs[0];
  const ValueType& t = g.types.at(x);
  const auto inputs = make_inputs({{x, t.dtype, t.shape}}, true);
  Plan plan(g, threads, sparse_kernels);
  const auto times = step_times(plan, pool, inputs, runs);
  double sum = 0;
  for (double ms : times) sum += ms;
  return sum;
}

// The merged time of each subset (two or more) of each sibling set, scaled to the plan by the
// ratio of the members' times in the plan to their times apart.
std::vector<MergeOption> merge_options(const Graph& g, const CostMeasurement& how,
                                       const ScheduleCosts& costs, ThreadPool& pool) {
  std::vector<MergeOption> options;
  for (const auto& set : how.sibling_sets) {
    std::vector<std::vector<int>> subsets;
    if (set.size() > kMostSubsetMembers) {
      subsets.push_back(set);
    } else {
      for (uint32_t m = 1; m < (1u << set.size()); ++m)
        if (std::popcount(m) >= 2) {
          subsets.emplace_back();
          for (size_t k = 0; k < set.size(); ++k)
            if (m & (1u << k)) subsets.back().push_back(set[k]);
        }
    }
    for (const auto& nodes : subsets) {
      Graph apart = siblings_graph(g, nodes);
      Graph merged = apart;
      std::vector<int> all(nodes.size());
      for (size_t k = 0; k < all.size(); ++k) all[k] = static_cast<int>(k);
      merge_convs(merged, {all});
      const double apart_ms = total_ms(apart, how.threads, how.sparse_kernels, pool, how.runs);
      const double merged_ms = total_ms(merged, how.threads, how.sparse_kernels, pool, how.runs);
      double in_plan = 0;
      for (int node : nodes) in_plan += costs.ms(node, how.threads);
      if (apart_ms > 0) options.push_back({nodes, merged_ms * in_plan / apart_ms});
    }
  }
  return options;
}

// Starting and joining one stage of single-thread groups side by side, with nothing to do.
double concurrent_stage_ms(ThreadPool& pool) {
  constexpr int kStages = 2000;
  const std::vector<int> sizes(static_cast<size_t>(pool.num_threads()), 1);
  pool.run_groups(sizes, [](int, ThreadPool&) {});
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kStages; ++i) pool.run_groups(sizes, [](int, ThreadPool&) {});
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::milli>(t1 - t0).count() / kStages;
}

}  // namespace

ScheduleCosts measure_schedule_costs(const Graph& g,
                                     const std::unordered_map<std::string, Tensor>& inputs,
                                     const CostMeasurement& how) {
  ScheduleCosts costs;
  costs.threads = how.threads;
  costs.node_ms.assign(g.nodes.size(), std::vector<double>(static_cast<size_t>(how.threads)));
  ThreadPool all(how.threads);
  for (int t = 1; t <= how.threads; ++t) {
    std::unique_ptr<ThreadPool> fewer = t < how.threads ? std::make_unique<ThreadPool>(t) : nullptr;
    Plan plan(g, t, how.sparse_kernels);
    const auto times = step_times(plan, fewer ? *fewer : all, inputs, how.runs);
    for (size_t i = 0; i < times.size(); ++i) costs.node_ms[i][t - 1] = times[i];
  }
  if (how.threads > 1) costs.concurrent_stage_ms = concurrent_stage_ms(all);
  costs.merges = merge_options(g, how, costs, all);
  return costs;
}

}  // namespace sinter
