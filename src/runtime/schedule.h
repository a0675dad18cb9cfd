#pragma once
// An inter-operator schedule: the order a plan's steps run in, as stages that follow one another.
// A stage's groups run side by side, each on its own team of the pool's threads, and each runs its
// steps one after another; a stage of one group is the ordinary sequential execution. Steps are
// indices into the plan's steps (the graph's nodes, in order). Made by runtime/ios_schedule or
// runtime/greedy_schedule, kept in plan files.
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace sinter {

struct ScheduleGroup {
  int threads = 1;         // the size of the team it runs on; its kernels are built for it
  std::vector<int> steps;  // run in this order
};

struct ScheduleStage {
  std::vector<ScheduleGroup> groups;  // side by side
};

struct Schedule {
  std::vector<ScheduleStage> stages;

  bool empty() const { return stages.empty(); }
  // Whether some stage runs more than one group.
  bool concurrent() const;
  // "12 stages, 5 of them concurrent (up to 2 groups)".
  std::string summary() const;
};

// The schedule that runs every node in graph order on all `threads`.
Schedule sequential_schedule(size_t nodes, int threads);

// Refuses, with a ModelError naming the first problem, a schedule that does not run every node of
// `g` exactly once after the nodes it reads from (in an earlier stage, or earlier in its own
// group), or whose stage asks for more than `threads` threads in all. An empty schedule (every node
// in order) passes.
void check_schedule(const Schedule& schedule, const Graph& g, int threads);

// For memory planning: the ticks of a time line during which each step may run. Steps of
// single-group stages get a tick each, in order; every step of a stage whose groups run side by
// side may run at any time of that stage, so it gets all of the stage's ticks.
std::vector<std::pair<int, int>> step_ticks(const Schedule& schedule, size_t steps);

}  // namespace sinter
