#include "runtime/ios_schedule.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <limits>
#include <unordered_map>

#include "core/error.h"
#include "runtime/node_dependencies.h"

namespace sinter {

namespace {

using Mask = uint64_t;

Mask bit(int local) { return Mask{1} << local; }

// The last stage chosen for a set of nodes, and the time of the whole set's schedule.
struct Ending {
  double ms = std::numeric_limits<double>::infinity();
  Mask stage = 0;
  StagePlan plan;
  bool merged = false;
};

// The dynamic program over one block's subsets.
class BlockDp {
 public:
  BlockDp(int begin, int end, const NodeDependencies& deps, const ScheduleCosts& costs,
          const IosOptions& options)
      : begin_(begin), size_(end - begin), costs_(costs), options_(options) {
    SINTER_CHECK(size_ >= 1 && size_ <= 64, "a block of ", size_, " nodes");
    for (int u = begin; u < end; ++u) {
      Mask next = 0;
      for (int v : deps.outputs_to[u])
        if (v < end) next |= bit(v - begin);
      next_.push_back(next);
    }
    for (size_t m = 0; m < costs.merges.size(); ++m) {
      Mask mask = 0;
      bool inside = true;
      for (int node : costs.merges[m].nodes) {
        inside = inside && node >= begin && node < end;
        if (inside) mask |= bit(node - begin);
      }
      if (inside) merges_.emplace_back(mask, m);
    }
  }

  // False when the block has more subsets to visit than the options allow.
  bool solve() {
    best(all());
    return !overflow_;
  }

  void append_to(ScheduleChoice& choice) const {
    std::vector<const Ending*> stages;
    for (Mask s = all(); s;) {
      const Ending& e = memo_.at(s);
      stages.push_back(&e);
      s &= ~e.stage;
    }
    for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
      const Ending& e = **it;
      ScheduleStage stage;
      for (size_t g = 0; g < e.plan.groups.size(); ++g)
        stage.groups.push_back({e.plan.threads[g], e.plan.groups[g]});
      choice.schedule.stages.push_back(std::move(stage));
      if (e.merged) choice.merged.push_back(e.plan.groups[0]);
      choice.predicted_ms += e.plan.ms;
    }
  }

 private:
  Mask all() const { return size_ == 64 ? ~Mask{0} : bit(size_) - 1; }

  std::vector<int> nodes_of(Mask m) const {
    std::vector<int> nodes;
    for (; m; m &= m - 1) nodes.push_back(begin_ + std::countr_zero(m));
    return nodes;
  }

  double best(Mask state) {
    if (!state || overflow_) return 0;
    if (auto it = memo_.find(state); it != memo_.end()) return it->second.ms;
    if (memo_.size() >= options_.max_states) {
      overflow_ = true;
      return 0;
    }
    // Each node with what follows it in `state`.
    std::vector<Mask> closure(static_cast<size_t>(size_), 0);
    for (int u = size_ - 1; u >= 0; --u) {
      if (!(state & bit(u))) continue;
      closure[u] = bit(u);
      for (Mask next = next_[u] & state; next; next &= next - 1)
        closure[u] |= closure[std::countr_zero(next)];
    }
    std::vector<int> candidates;
    for (int u = 0; u < size_; ++u)
      if ((state & bit(u)) && std::popcount(closure[u]) <= options_.max_group_nodes)
        candidates.push_back(u);

    Ending chosen;
    auto consider = [&](Mask stage, StagePlan plan, bool merged) {
      const double ms = best(state & ~stage) + plan.ms;
      if (ms < chosen.ms) chosen = {ms, stage, std::move(plan), merged};
    };
    // Endings: sets of candidates whose closures are disjoint, each closure one part.
    std::vector<int> parts;
    std::function<void(size_t, Mask)> visit = [&](size_t from, Mask stage) {
      for (size_t i = from; i < candidates.size() && !overflow_; ++i) {
        const int u = candidates[i];
        if (closure[u] & stage) continue;
        parts.push_back(u);
        std::vector<std::vector<int>> part_nodes;
        for (int p : parts) part_nodes.push_back(nodes_of(closure[p]));
        consider(stage | closure[u], best_stage(part_nodes, costs_), false);
        if (static_cast<int>(parts.size()) < options_.max_parts) visit(i + 1, stage | closure[u]);
        parts.pop_back();
      }
    };
    visit(0, 0);
    for (const auto& [mask, m] : merges_) {
      bool sinks = (mask & state) == mask;
      for (Mask rest = mask; sinks && rest; rest &= rest - 1)
        sinks = closure[std::countr_zero(rest)] == (rest & -rest);
      if (sinks) consider(mask, {costs_.merges[m].ms, {nodes_of(mask)}, {costs_.threads}}, true);
    }
    if (overflow_) return 0;
    const double ms = chosen.ms;
    memo_.emplace(state, std::move(chosen));
    return ms;
  }

  int begin_, size_;
  const ScheduleCosts& costs_;
  const IosOptions& options_;
  std::vector<Mask> next_;  // per node, the block's nodes reading it
  std::vector<std::pair<Mask, size_t>> merges_;
  std::unordered_map<Mask, Ending> memo_;
  bool overflow_ = false;
};

void plan_block(int begin, int end, const NodeDependencies& deps, const ScheduleCosts& costs,
                const IosOptions& options, ScheduleChoice& choice) {
  BlockDp dp(begin, end, deps, costs, options);
  if (dp.solve() || end - begin == 1) {
    dp.append_to(choice);
    return;
  }
  const int middle = begin + (end - begin) / 2;
  plan_block(begin, middle, deps, costs, options, choice);
  plan_block(middle, end, deps, costs, options, choice);
}

}  // namespace

ScheduleChoice ios_schedule(const Graph& g, const ScheduleCosts& costs, const IosOptions& options) {
  const NodeDependencies deps = node_dependencies(g);
  ScheduleChoice choice;
  for (const auto& [begin, end] : schedule_blocks(deps, std::min(options.max_block_nodes, 64)))
    plan_block(begin, end, deps, costs, options, choice);
  std::vector<int> all(g.nodes.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  choice.sequential_ms = costs.sequential_ms(all);
  return choice;
}

}  // namespace sinter
