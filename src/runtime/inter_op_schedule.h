#pragma once
// Inter-operator scheduling for a session or a compile: the graph's node costs measured here
// (runtime/measure_schedule_costs.h), a schedule found by IOS's dynamic programming or the greedy
// baseline, the sibling convolutions it chose merged into the graph, and the schedule mapped onto
// the merged graph. A graph where no two nodes can run side by side and no convolutions can merge
// (a plain chain) is not measured and runs in order.
#include <optional>
#include <string>
#include <unordered_map>

#include "ir/graph.h"
#include "runtime/schedule.h"
#include "runtime/schedule_costs.h"
#include "runtime/schedule_trial.h"

namespace sinter {

enum class InterOpScheduling { kSequential, kGreedy, kIos };

const char* scheduling_name(InterOpScheduling how);  // "sequential", "greedy", "ios"
std::optional<InterOpScheduling> parse_scheduling(const std::string& name);

// What scheduling found.
struct ScheduleReport {
  InterOpScheduling how = InterOpScheduling::kSequential;  // what runs: sequential if none kept
  int merged_sets = 0;
  double predicted_ms = 0;   // the schedule found, by the measured costs
  double sequential_ms = 0;  // the nodes in order, by the same costs
  bool measured = false;     // false where nothing was measured (a chain, or not asked)
  // A session's IOS schedule timed against the sequential plan (runtime/schedule_trial.h).
  std::optional<ScheduleTrial> trial;
};

struct ScheduledGraph {
  Graph graph;        // with the chosen merges
  Schedule schedule;  // empty: every node in order on every thread
  ScheduleReport report;
};

struct ScheduleRequest {
  InterOpScheduling how = InterOpScheduling::kIos;
  int threads = 1;
  bool sparse_kernels = true;
  // IOS keeps its schedule only when it predicts at least this share of the sequential time
  // saved; the greedy baseline is kept as it is.
  double min_predicted_gain = kMinScheduleGain;
};

// How a plan runs, in a line: "ios: 24 stages, 9 of them concurrent (up to 2 groups), 2 merged
// convolution sets; predicted 12.10 ms against 14.00 ms in order", or "sequential" and why.
std::string schedule_summary(const Schedule& schedule, const ScheduleReport& report);

// `g` is optimized, with its types inferred; `inputs` are the values it will run on.
ScheduledGraph schedule_graph(const Graph& g, const std::unordered_map<std::string, Tensor>& inputs,
                              const ScheduleRequest& request);

// The same from costs known already (`costs.merges` lists the merges IOS may choose).
ScheduledGraph schedule_graph(const Graph& g, const ScheduleCosts& costs,
                              const ScheduleRequest& request);

}  // namespace sinter
