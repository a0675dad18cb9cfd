#include "runtime/schedule.h"

#include <algorithm>

#include "core/error.h"
#include "core/quoted.h"

namespace sinter {

bool Schedule::concurrent() const {
  return std::any_of(stages.begin(), stages.end(),
                     [](const ScheduleStage& s) { return s.groups.size() > 1; });
}

std::string Schedule::summary() const {
  size_t concurrent_stages = 0, widest = 0;
  for (const ScheduleStage& s : stages) {
    if (s.groups.size() > 1) ++concurrent_stages;
    widest = std::max(widest, s.groups.size());
  }
  if (concurrent_stages == 0) return cat(stages.size(), " stages, all sequential");
  return cat(stages.size(), " stages, ", concurrent_stages, " of them concurrent (up to ", widest,
             " groups)");
}

Schedule sequential_schedule(size_t nodes, int threads) {
  ScheduleGroup all{threads, {}};
  for (size_t i = 0; i < nodes; ++i) all.steps.push_back(static_cast<int>(i));
  Schedule s;
  if (nodes) s.stages.push_back({{std::move(all)}});
  return s;
}

void check_schedule(const Schedule& schedule, const Graph& g, int threads) {
  if (schedule.empty()) return;  // every node in order
  auto fail = [](const std::string& why) { throw ModelError(cat("bad schedule: ", why)); };
  const int nodes = static_cast<int>(g.nodes.size());
  // Where each node runs: stage, group, position in the group.
  struct Place {
    int stage = -1, group = -1, position = -1;
  };
  std::vector<Place> place(static_cast<size_t>(nodes));
  for (size_t s = 0; s < schedule.stages.size(); ++s) {
    const auto& groups = schedule.stages[s].groups;
    if (groups.empty()) fail(cat("stage ", s, " has no groups"));
    int64_t stage_threads = 0;
    for (size_t k = 0; k < groups.size(); ++k) {
      const ScheduleGroup& group = groups[k];
      if (group.threads < 1 || group.threads > threads)
        fail(cat("stage ", s, " group ", k, " asks for ", group.threads, " threads of ", threads));
      stage_threads += group.threads;
      if (group.steps.empty()) fail(cat("stage ", s, " group ", k, " has no steps"));
      for (size_t p = 0; p < group.steps.size(); ++p) {
        const int step = group.steps[p];
        if (step < 0 || step >= nodes)
          fail(cat("stage ", s, " names step ", step, " of a plan of ", nodes));
        if (place[step].stage >= 0) fail(cat("step ", step, " is scheduled twice"));
        place[step] = {static_cast<int>(s), static_cast<int>(k), static_cast<int>(p)};
      }
    }
    if (stage_threads > threads)
      fail(cat("stage ", s, " runs groups of ", stage_threads, " threads in all on ", threads));
  }
  const auto producers = g.producers();
  for (int i = 0; i < nodes; ++i) {
    const Node& node = g.nodes[i];
    if (place[i].stage < 0) fail(cat("node ", quoted_text(node.name), " is never run"));
    for (const auto& in : node.inputs) {
      auto it = in.empty() ? producers.end() : producers.find(in);
      if (it == producers.end()) continue;
      const Place& from = place[it->second];
      const Place& to = place[i];
      const bool before =
          from.stage < to.stage ||
          (from.stage == to.stage && from.group == to.group && from.position < to.position);
      if (!before)
        fail(cat("node ", quoted_text(node.name), " runs before or beside ",
                 quoted_text(g.nodes[it->second].name), ", whose output it reads"));
    }
  }
}

std::vector<std::pair<int, int>> step_ticks(const Schedule& schedule, size_t steps) {
  std::vector<std::pair<int, int>> ticks(steps, {0, 0});
  if (schedule.empty())
    for (size_t i = 0; i < steps; ++i) ticks[i] = {static_cast<int>(i), static_cast<int>(i)};
  int tick = 0;
  for (const ScheduleStage& stage : schedule.stages) {
    if (stage.groups.size() == 1) {
      for (int step : stage.groups[0].steps) ticks[step] = {tick, tick}, ++tick;
      continue;
    }
    size_t longest = 0;
    for (const ScheduleGroup& group : stage.groups) longest = std::max(longest, group.steps.size());
    const int last = tick + static_cast<int>(longest) - 1;
    for (const ScheduleGroup& group : stage.groups)
      for (int step : group.steps) ticks[step] = {tick, last};
    tick = last + 1;
  }
  return ticks;
}

}  // namespace sinter
