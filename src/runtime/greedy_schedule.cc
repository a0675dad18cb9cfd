#include "runtime/greedy_schedule.h"

#include <algorithm>

#include "runtime/node_dependencies.h"

namespace sinter {

ScheduleChoice greedy_schedule(const Graph& g, const ScheduleCosts& costs) {
  const NodeDependencies deps = node_dependencies(g);
  const int n = static_cast<int>(g.nodes.size());
  std::vector<int> waiting(static_cast<size_t>(n));  // inputs not yet computed
  for (int i = 0; i < n; ++i) waiting[i] = static_cast<int>(deps.inputs_from[i].size());
  std::vector<int> ready;
  for (int i = 0; i < n; ++i)
    if (!waiting[i]) ready.push_back(i);
  ScheduleChoice choice;
  std::vector<int> all;
  while (!ready.empty()) {
    std::vector<std::vector<int>> parts;
    for (int node : ready) parts.push_back({node});
    const StagePlan plan = best_stage(parts, costs);
    ScheduleStage stage;
    for (size_t k = 0; k < plan.groups.size(); ++k)
      stage.groups.push_back({plan.threads[k], plan.groups[k]});
    choice.schedule.stages.push_back(std::move(stage));
    choice.predicted_ms += plan.ms;
    std::vector<int> next;
    for (int node : ready)
      for (int reader : deps.outputs_to[node])
        if (--waiting[reader] == 0) next.push_back(reader);
    std::sort(next.begin(), next.end());
    all.insert(all.end(), ready.begin(), ready.end());
    ready = std::move(next);
  }
  choice.sequential_ms = costs.sequential_ms(all);
  return choice;
}

}  // namespace sinter
