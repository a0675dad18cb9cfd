#include "runtime/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>

#include "core/checked_math.h"

namespace sinter {

namespace {
size_t align64(size_t n) {
  return static_cast<size_t>(checked_add(static_cast<int64_t>(n), 63) / 64 * 64);
}
// Offsets and sizes stay within int64, so the arena can be allocated as one tensor.
size_t end_of(size_t offset, size_t size) {
  return static_cast<size_t>(checked_add(static_cast<int64_t>(offset), static_cast<int64_t>(size)));
}
}  // namespace

MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferLifetime& b = buffers[i];
    size_t size = align64(b.bytes);
    plan.naive_bytes = end_of(plan.naive_bytes, size);
    // Intervals [offset, offset+size) of placed buffers alive at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed) {
      const BufferLifetime& o = buffers[j];
      if (o.last_step < b.first_step || b.last_step < o.first_step) continue;
      busy.emplace_back(plan.offsets[j], end_of(plan.offsets[j], align64(o.bytes)));
    }
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& [lo, hi] : busy) {
      if (lo >= end_of(cursor, size) && lo - cursor < best_gap) {
        best = cursor;
        best_gap = lo - cursor;
      }
      cursor = std::max(cursor, hi);
    }
    plan.offsets[i] = best != SIZE_MAX ? best : cursor;
    plan.arena_bytes = std::max(plan.arena_bytes, end_of(plan.offsets[i], size));
    placed.push_back(i);
  }
  return plan;
}

size_t peak_live_bytes(const std::vector<BufferLifetime>& buffers) {
  std::map<int, long long> delta;
  for (const auto& b : buffers) {
    delta[b.first_step] += static_cast<long long>(align64(b.bytes));
    delta[b.last_step + 1] -= static_cast<long long>(align64(b.bytes));
  }
  long long live = 0, peak = 0;
  for (const auto& [step, d] : delta) peak = std::max<long long>(peak, live = checked_add(live, d));
  return static_cast<size_t>(peak);
}

}  // namespace sinter
