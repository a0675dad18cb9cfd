#pragma once
// What the inter-operator schedulers minimize: the time of a schedule, stage by stage, from each
// node's time measured alone on teams of every size (runtime/measure_schedule_costs.h). A stage
// of one group takes the sum of its nodes' times on its threads; a stage of groups side by side
// takes its slowest group's time plus what starting and joining the groups costs.
#include <vector>

#include "runtime/schedule.h"

namespace sinter {

// A set of sibling convolutions that can run merged into one (passes/merge_sibling_convs.h).
struct MergeOption {
  std::vector<int> nodes;  // ascending
  double ms = 0;           // the merged convolution (and its in-place split) on every thread
};

struct ScheduleCosts {
  int threads = 1;                           // the pool's: a group has 1 to `threads`
  std::vector<std::vector<double>> node_ms;  // [node][t - 1]: alone on a team of t threads
  double concurrent_stage_ms = 0;            // starting and joining a stage's groups
  std::vector<MergeOption> merges;

  double ms(int node, int team) const { return node_ms[node][team - 1]; }
  // The nodes one after another on every thread.
  double sequential_ms(const std::vector<int>& nodes) const;
};

// How to run a stage: its groups side by side (one group: in turn on `threads[0]` threads).
struct StagePlan {
  double ms = 0;
  std::vector<std::vector<int>> groups;  // nodes, ascending
  std::vector<int> threads;
};

// The fastest way to run `parts` (sets of nodes, none reading from another set) as one stage:
// all in one group on every thread, or the parts dealt into up to `threads` groups, each on its
// share of the threads (every way for a few parts, largest first onto the least loaded group
// beyond that).
StagePlan best_stage(const std::vector<std::vector<int>>& parts, const ScheduleCosts& costs);

// A schedule over the graph's nodes and its predicted time.
struct ScheduleChoice {
  Schedule schedule;  // merged sets appear as a stage of one group holding just them
  std::vector<std::vector<int>> merged;  // the sets of sibling convolutions to merge
  double predicted_ms = 0;
  double sequential_ms = 0;  // every node in turn on every thread, by the same costs
};

}  // namespace sinter
