#pragma once
// Choosing which entries survive a pruning projection: the k highest scores, with a fixed order
// for ties so that the same weights always give the same mask.
#include <cstdint>
#include <span>
#include <vector>

namespace sinter {

// Indices of the k largest scores (in no particular order). Equal scores go to the lower index,
// so the choice is deterministic. Scores must not be NaN. 0 <= k <= scores.size().
std::vector<int64_t> largest_indices(std::span<const double> scores, int64_t k);

}  // namespace sinter
