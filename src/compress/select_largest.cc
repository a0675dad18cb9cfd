#include "compress/select_largest.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace sinter {

std::vector<int64_t> largest_indices(std::span<const double> scores, int64_t k) {
  const auto n = static_cast<int64_t>(scores.size());
  SINTER_CHECK(k >= 0 && k <= n, "cannot keep ", k, " of ", n, " entries");
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  // A strict total order (score descending, then index ascending) makes the selected set unique.
  auto before = [&](int64_t a, int64_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  if (k < n) std::nth_element(order.begin(), order.begin() + k, order.end(), before);
  order.resize(static_cast<size_t>(k));
  return order;
}

}  // namespace sinter
