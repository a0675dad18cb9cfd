#include "runtime/schedule_costs.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace sinter {

namespace {

// Beyond this many parts a stage's groups are dealt largest first, not tried every way.
constexpr size_t kExhaustiveParts = 6;

// Each part's time on teams of 1..threads threads.
std::vector<std::vector<double>> part_times(const std::vector<std::vector<int>>& parts,
                                            const ScheduleCosts& costs) {
  std::vector<std::vector<double>> times(parts.size(),
                                         std::vector<double>(static_cast<size_t>(costs.threads)));
  for (size_t p = 0; p < parts.size(); ++p)
    for (int t = 1; t <= costs.threads; ++t)
      for (int node : parts[p]) times[p][t - 1] += costs.ms(node, t);
  return times;
}

// The best split of `threads` threads over groups whose times on t threads are load[g][t - 1]:
// the slowest group's time and each group's threads.
double best_split(const std::vector<std::vector<double>>& load, int threads,
                  std::vector<int>& split) {
  const int groups = static_cast<int>(load.size());
  std::vector<int> current(static_cast<size_t>(groups), 1);
  double best = -1;
  // Every composition of `threads` into `groups` positive parts.
  std::function<void(int, int)> visit = [&](int g, int left) {
    if (g == groups - 1) {
      current[g] = left;
      double slowest = 0;
      for (int k = 0; k < groups; ++k) slowest = std::max(slowest, load[k][current[k] - 1]);
      if (best < 0 || slowest < best) best = slowest, split = current;
      return;
    }
    for (int t = 1; t <= left - (groups - 1 - g); ++t) {
      current[g] = t;
      visit(g + 1, left - t);
    }
  };
  visit(0, threads);
  return best;
}

}  // namespace

double ScheduleCosts::sequential_ms(const std::vector<int>& nodes) const {
  double sum = 0;
  for (int node : nodes) sum += ms(node, threads);
  return sum;
}

StagePlan best_stage(const std::vector<std::vector<int>>& parts, const ScheduleCosts& costs) {
  StagePlan best;
  std::vector<int> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  best.ms = costs.sequential_ms(all);
  best.groups = {all};
  best.threads = {costs.threads};
  const size_t k = parts.size();
  if (costs.threads < 2 || k < 2) return best;
  const auto times = part_times(parts, costs);

  // Tries the groups given by assignment[p] (the group of part p) on `groups` groups.
  std::vector<int> assignment(k, 0);
  auto consider = [&](int groups) {
    std::vector<std::vector<double>> load(static_cast<size_t>(groups),
                                          std::vector<double>(costs.threads, 0.0));
    for (size_t p = 0; p < k; ++p)
      for (int t = 0; t < costs.threads; ++t) load[assignment[p]][t] += times[p][t];
    std::vector<int> split;
    const double ms = best_split(load, costs.threads, split) + costs.concurrent_stage_ms;
    if (ms >= best.ms) return;
    best.ms = ms;
    best.groups.assign(static_cast<size_t>(groups), {});
    for (size_t p = 0; p < k; ++p)
      best.groups[assignment[p]].insert(best.groups[assignment[p]].end(), parts[p].begin(),
                                        parts[p].end());
    for (auto& g : best.groups) std::sort(g.begin(), g.end());
    best.threads = split;
  };

  const int most_groups = static_cast<int>(std::min<size_t>(k, costs.threads));
  if (k <= kExhaustiveParts) {
    // Every partition of the parts into 2..most_groups groups (restricted growth strings).
    std::function<void(size_t, int)> visit = [&](size_t p, int used) {
      if (p == k) {
        if (used >= 2) consider(used);
        return;
      }
      for (int g = 0; g <= std::min(used, most_groups - 1); ++g) {
        assignment[p] = g;
        visit(p + 1, std::max(used, g + 1));
      }
    };
    visit(0, 0);
    return best;
  }
  // Many parts (a wide frontier): largest first onto the least loaded group, for each group count.
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return times[a][0] > times[b][0]; });
  for (int groups = 2; groups <= most_groups; ++groups) {
    std::vector<double> load(static_cast<size_t>(groups), 0.0);
    for (size_t p : order) {
      const auto least = std::min_element(load.begin(), load.end()) - load.begin();
      assignment[p] = static_cast<int>(least);
      load[least] += times[p][0];
    }
    consider(groups);
  }
  return best;
}

}  // namespace sinter
