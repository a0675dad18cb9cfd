#pragma once
// The IOS paper's greedy baseline: each stage runs every node whose inputs are ready, dealt into
// groups as best_stage finds fastest.
#include "ir/graph.h"
#include "runtime/schedule_costs.h"

namespace sinter {

ScheduleChoice greedy_schedule(const Graph& g, const ScheduleCosts& costs);

}  // namespace sinter
