#include "runtime/measure_schedule_costs.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <limits>
#include <memory>
#include <numeric>

#include "core/thread_pool.h"
#include "passes/merge_sibling_convs.h"
#include "runtime/bound_inputs.h"
#include "runtime/plan.h"

namespace sinter {

namespace {

// Sets larger than this merge only whole (subsets of 2..5 nodes otherwise: at most 26 timings).
constexpr size_t kMostSubsetMembers = 5;

// Every step's time on each of `plans` (run on the pool beside it), the runs taking turns so that
// the host's load drifting over seconds hits them alike; a step's fastest run is kept, as the
// least disturbed by other work on the host.
std::vector<std::vector<double>> step_times(const std::vector<Plan*>& plans,
                                            const std::vector<ThreadPool*>& pools,
                                            const std::unordered_map<std::string, Tensor>& inputs,
                                            int runs) {
  std::vector<std::vector<double>> fastest(plans.size());
  for (size_t p = 0; p < plans.size(); ++p) {
    plans[p]->run(inputs, *pools[p], false);
    fastest[p].assign(plans[p]->steps().size(), std::numeric_limits<double>::infinity());
  }
  for (int r = 0; r < runs; ++r)
    for (size_t p = 0; p < plans.size(); ++p) {
      plans[p]->reset_profile();
      plans[p]->run(inputs, *pools[p], true);
      for (size_t i = 0; i < fastest[p].size(); ++i)
        fastest[p][i] = std::min(fastest[p][i], plans[p]->steps()[i].profile.total_ms);
    }
  return fastest;
}

// A graph of just `nodes` of `g` (siblings: one input), for timing them apart. Their outputs
// leave through Identity views, so that they are not graph outputs and a merged set's Split
// works in place, as it mostly does in the plan.
Graph siblings_graph(const Graph& g, const std::vector<int>& nodes) {
  Graph sub;
  sub.opset = g.opset;
  const std::string& x = g.nodes[nodes[0]].inputs[0];
  sub.inputs = {x};
  sub.types[x] = *g.type_of(x);
  std::vector<Node> outputs;
  for (int i : nodes) {
    const Node& node = g.nodes[i];
    sub.nodes.push_back(node);
    for (size_t k = 1; k < node.inputs.size(); ++k)
      if (node.has_input(k)) {
        sub.initializers[node.inputs[k]] = g.initializers.at(node.inputs[k]);
        sub.types[node.inputs[k]] = *g.type_of(node.inputs[k]);
      }
    const std::string& y = node.outputs[0];
    sub.types[y] = *g.type_of(y);
    Node out;
    out.name = y + "/out";
    out.op_type = "Identity";
    out.inputs = {y};
    out.outputs = {y + "/out"};
    sub.types[out.outputs[0]] = sub.types[y];
    sub.outputs.push_back(out.outputs[0]);
    outputs.push_back(std::move(out));
  }
  sub.nodes.insert(sub.nodes.end(), outputs.begin(), outputs.end());
  return sub;
}

// The total time of the steps of `apart` and of `merged`, timed taking turns.
std::pair<double, double> apart_and_merged_ms(const Graph& apart, const Graph& merged,
                                              const CostMeasurement& how, ThreadPool& pool) {
  const std::string& x = apart.inputs[0];
  const ValueType& t = apart.types.at(x);
  const auto inputs = make_inputs({{x, t.dtype, t.shape}}, true);
  Plan a(apart, how.threads, how.sparse_kernels), m(merged, how.threads, how.sparse_kernels);
  const auto times = step_times({&a, &m}, {&pool, &pool}, inputs, how.runs);
  return {std::accumulate(times[0].begin(), times[0].end(), 0.0),
          std::accumulate(times[1].begin(), times[1].end(), 0.0)};
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
      const auto [apart_ms, merged_ms] = apart_and_merged_ms(apart, merged, how, pool);
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
  std::vector<std::unique_ptr<ThreadPool>> pools;
  std::vector<std::unique_ptr<Plan>> plans;
  for (int t = 1; t <= how.threads; ++t) {
    pools.push_back(std::make_unique<ThreadPool>(t));
    plans.push_back(std::make_unique<Plan>(g, t, how.sparse_kernels));
  }
  std::vector<Plan*> plan_of;
  std::vector<ThreadPool*> pool_of;
  for (size_t k = 0; k < plans.size(); ++k) {
    plan_of.push_back(plans[k].get());
    pool_of.push_back(pools[k].get());
  }
  const auto times = step_times(plan_of, pool_of, inputs, how.runs);
  for (size_t k = 0; k < times.size(); ++k)
    for (size_t i = 0; i < times[k].size(); ++i) costs.node_ms[i][k] = times[k][i];
  ThreadPool& all = *pools.back();
  if (how.threads > 1) costs.concurrent_stage_ms = concurrent_stage_ms(all);
  costs.merges = merge_options(g, how, costs, all);
  return costs;
}

}  // namespace sinter
