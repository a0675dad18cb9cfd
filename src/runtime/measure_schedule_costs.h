#pragma once
// The costs the inter-operator schedulers plan with (runtime/schedule_costs.h), measured on this
// machine: the graph is planned for teams of 1 to `threads` threads and run on each, the team
// sizes taking turns, every node timed where it runs (after the nodes before it, as in the plan);
// each node's fastest of a few runs is kept, as the least disturbed by other work on the host.
// Merged sibling convolutions are timed on their own, merged and apart, and their time in the
// plan is estimated from the ratio. The cost of running a stage's groups side by side is that of
// starting and joining empty groups.
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "runtime/schedule_costs.h"

namespace sinter {

struct CostMeasurement {
  int threads = 1;
  bool sparse_kernels = true;
  int runs = 7;  // timed runs per team size, after one untimed
  // The sets of sibling convolutions whose subsets may merge (passes/merge_sibling_convs.h).
  std::vector<std::vector<int>> sibling_sets;
};

// `g` must have its types inferred; `inputs` are the values it runs on.
ScheduleCosts measure_schedule_costs(const Graph& g,
                                     const std::unordered_map<std::string, Tensor>& inputs,
                                     const CostMeasurement& how);

}  // namespace sinter
