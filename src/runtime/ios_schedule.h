#pragma once
// IOS (Ding et al., "IOS: Inter-Operator Scheduler for CNN Acceleration", MLSys 2021): the
// schedule found by dynamic programming over stages. For the set S of nodes still to place, the
// last stage is an ending of S (nodes none of S's other nodes read from): a few nodes, each with
// what follows it in S (at most `max_group_nodes` in all), run side by side in groups on shares of
// the threads or in one group on all of them, or sibling convolutions run merged into one; the
// best schedule of S is the best over endings of the best schedule of the rest plus the ending's
// stage. Blocks between the graph's waists (runtime/node_dependencies.h) are planned apart, each
// over its subsets as bit masks.
#include <cstddef>
#include <vector>

#include "ir/graph.h"
#include "runtime/schedule_costs.h"

namespace sinter {

struct IosOptions {
  int max_group_nodes = 4;    // nodes of one part of an ending (a node and what follows it)
  int max_parts = 4;          // parts of an ending
  int max_block_nodes = 40;   // a longer block is planned in pieces
  size_t max_states = 20000;  // per block; past it the block is planned in two halves
};

ScheduleChoice ios_schedule(const Graph& g, const ScheduleCosts& costs,
                            const IosOptions& options = {});

}  // namespace sinter
