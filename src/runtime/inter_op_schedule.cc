#include "runtime/inter_op_schedule.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "passes/merge_sibling_convs.h"
#include "runtime/greedy_schedule.h"
#include "runtime/ios_schedule.h"
#include "runtime/measure_schedule_costs.h"
#include "runtime/node_dependencies.h"

namespace sinter {

namespace {

// Whether some two nodes could run side by side. In graph order a node can only descend from the
// one before it by reading it, so all nodes form one chain exactly when each reads the one before.
bool has_branches(const Graph& g) {
  const NodeDependencies deps = node_dependencies(g);
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const auto& from = deps.inputs_from[i];
    if (std::find(from.begin(), from.end(), static_cast<int>(i) - 1) == from.end()) return true;
  }
  return false;
}

// The schedule's steps renumbered for the merged graph: a merged set becomes its conv and split.
Schedule renumbered(const Schedule& schedule, const MergedNodes& merged) {
  std::vector<bool> placed(merged.merged.size(), false);
  Schedule out;
  for (const ScheduleStage& stage : schedule.stages) {
    ScheduleStage mapped;
    for (const ScheduleGroup& group : stage.groups) {
      ScheduleGroup g{group.threads, {}};
      for (int step : group.steps) {
        const int node = merged.node[step];
        const auto set = std::find_if(merged.merged.begin(), merged.merged.end(),
                                      [&](const auto& m) { return m.first == node; });
        if (set == merged.merged.end()) {
          g.steps.push_back(node);
        } else if (!placed[set - merged.merged.begin()]) {
          placed[set - merged.merged.begin()] = true;
          g.steps.push_back(set->first);
          g.steps.push_back(set->second);
        }
      }
      mapped.groups.push_back(std::move(g));
    }
    out.stages.push_back(std::move(mapped));
  }
  return out;
}

// Consecutive stages of one group on every thread, joined into one.
Schedule joined(const Schedule& schedule, int threads) {
  Schedule out;
  auto whole = [&](const ScheduleStage& s) {
    return s.groups.size() == 1 && s.groups[0].threads == threads;
  };
  for (const ScheduleStage& stage : schedule.stages) {
    if (!out.stages.empty() && whole(stage) && whole(out.stages.back())) {
      auto& steps = out.stages.back().groups[0].steps;
      steps.insert(steps.end(), stage.groups[0].steps.begin(), stage.groups[0].steps.end());
      continue;
    }
    out.stages.push_back(stage);
  }
  return out;
}

}  // namespace

const char* scheduling_name(InterOpScheduling how) {
  switch (how) {
    case InterOpScheduling::kGreedy:
      return "greedy";
    case InterOpScheduling::kIos:
      return "ios";
    default:
      return "sequential";
  }
}

std::optional<InterOpScheduling> parse_scheduling(const std::string& name) {
  for (auto how :
       {InterOpScheduling::kSequential, InterOpScheduling::kGreedy, InterOpScheduling::kIos})
    if (name == scheduling_name(how)) return how;
  return std::nullopt;
}

std::string schedule_summary(const Schedule& schedule, const ScheduleReport& report) {
  char text[160];
  const std::optional<ScheduleTrial>& t = report.trial;
  if (schedule.empty()) {
    if (t)
      std::snprintf(text, sizeof text,
                    "sequential (a schedule timed %.2f ms against %.2f ms in order was not kept)",
                    t->scheduled_ms, t->sequential_ms);
    else if (report.measured)
      std::snprintf(text, sizeof text,
                    "sequential (the best schedule found was predicted %.2f ms against %.2f ms)",
                    report.predicted_ms, report.sequential_ms);
    else
      std::snprintf(text, sizeof text, "sequential");
    return text;
  }
  std::string line = cat(scheduling_name(report.how), ": ", schedule.summary());
  if (report.merged_sets)
    line += cat(", ", report.merged_sets, " merged convolution set",
                report.merged_sets == 1 ? "" : "s");
  if (report.measured) {
    std::snprintf(text, sizeof text, "; predicted %.2f ms against %.2f ms in order",
                  report.predicted_ms, report.sequential_ms);
    line += text;
  }
  if (t) {
    std::snprintf(text, sizeof text, "; timed %.2f ms against %.2f ms", t->scheduled_ms,
                  t->sequential_ms);
    line += text;
  }
  return line;
}

ScheduledGraph schedule_graph(const Graph& g, const std::unordered_map<std::string, Tensor>& inputs,
                              const ScheduleRequest& request) {
  CostMeasurement how;
  how.threads = request.threads;
  how.sparse_kernels = request.sparse_kernels;
  if (request.how == InterOpScheduling::kIos) how.sibling_sets = sibling_conv_sets(g);
  if (request.how == InterOpScheduling::kSequential ||
      (how.sibling_sets.empty() && (request.threads < 2 || !has_branches(g))))
    return {g, {}, {}};
  return schedule_graph(g, measure_schedule_costs(g, inputs, how), request);
}

ScheduledGraph schedule_graph(const Graph& g, const ScheduleCosts& costs,
                              const ScheduleRequest& request) {
  ScheduledGraph result{g, {}, {}};
  if (request.how == InterOpScheduling::kSequential) return result;
  const ScheduleChoice choice =
      request.how == InterOpScheduling::kIos ? ios_schedule(g, costs) : greedy_schedule(g, costs);
  result.report.measured = true;
  result.report.predicted_ms = choice.predicted_ms;
  result.report.sequential_ms = choice.sequential_ms;
  const bool worth_it =
      request.how == InterOpScheduling::kGreedy ||
      choice.predicted_ms <= choice.sequential_ms * (1 - request.min_predicted_gain);
  if (!worth_it || (!choice.schedule.concurrent() && choice.merged.empty())) return result;
  const MergedNodes merged = merge_convs(result.graph, choice.merged);
  result.schedule = joined(renumbered(choice.schedule, merged), request.threads);
  result.report.how = request.how;
  result.report.merged_sets = static_cast<int>(choice.merged.size());
  return result;
}

}  // namespace sinter
