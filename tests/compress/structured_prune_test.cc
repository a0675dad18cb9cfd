#include "compress/structured_prune.h"

#include <gtest/gtest.h>

#include <cmath>

#include "compress_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::flags;
using test::random_weights;

const std::vector<Shape> kShapes = {{4, 3}, {6, 2, 3, 3}, {1, 5}, {5, 1, 1, 1}, {3, 4, 2}, {8, 8}};
const std::vector<double> kSparsities = {0.0, 0.25, 0.5, 0.7, 0.95};

int64_t expected_kept(int64_t n, double s) {
  return std::max<int64_t>(1, std::llround((1.0 - s) * static_cast<double>(n)));
}

// Element (o, c, rest...) of a tensor viewed as [dim 0, dim 1, inner].
struct Layout {
  int64_t filters, channels, inner;
  explicit Layout(const Shape& s)
      : filters(s[0]), channels(s[1]), inner(shape_numel(s) / (s[0] * s[1])) {}
  int64_t at(int64_t o, int64_t c, int64_t i) const { return (o * channels + c) * inner + i; }
};

// Norms summed the obvious way, groups ranked with a stable sort, the first k kept.
std::vector<uint8_t> reference_mask(const Tensor& w, double sparsity, bool by_filter) {
  const Layout l(w.shape());
  const float* x = w.data<float>();
  std::vector<double> energy(by_filter ? l.filters : l.channels, 0.0);
  for (int64_t o = 0; o < l.filters; ++o)
    for (int64_t c = 0; c < l.channels; ++c)
      for (int64_t i = 0; i < l.inner; ++i) {
        const double v = x[l.at(o, c, i)];
        energy[by_filter ? o : c] += v * v;
      }
  const std::vector<int64_t> order = test::order_by_score(energy);
  std::vector<uint8_t> group_kept(energy.size(), 0);
  for (int64_t g = 0; g < expected_kept(energy.size(), sparsity); ++g) group_kept[order[g]] = 1;
  std::vector<uint8_t> keep(w.numel());
  for (int64_t o = 0; o < l.filters; ++o)
    for (int64_t c = 0; c < l.channels; ++c)
      for (int64_t i = 0; i < l.inner; ++i) keep[l.at(o, c, i)] = group_kept[by_filter ? o : c];
  return keep;
}

// Whether `keep` keeps or prunes whole groups, and at most k of them.
bool whole_groups(const Shape& shape, const std::vector<uint8_t>& keep, bool by_filter, int64_t k) {
  const Layout l(shape);
  std::vector<int> state(by_filter ? l.filters : l.channels, -1);
  for (int64_t o = 0; o < l.filters; ++o)
    for (int64_t c = 0; c < l.channels; ++c)
      for (int64_t i = 0; i < l.inner; ++i) {
        int& s = state[by_filter ? o : c];
        const int kept = keep[l.at(o, c, i)];
        if (s != -1 && s != kept) return false;
        s = kept;
      }
  return std::count(state.begin(), state.end(), 1) <= k;
}

TEST(PruneFilterTest, MatchesReferenceAndKeepsTheCountAsked) {
  for (const Shape& shape : kShapes)
    for (double s : kSparsities)
      for (bool ties : {false, true})
        for (uint64_t seed = 0; seed < 3; ++seed) {
          const Tensor w = random_weights(shape, seed, ties);
          const Mask m = filter_mask(w, s);
          SCOPED_TRACE(shape_str(shape) + " sparsity " + std::to_string(s));
          EXPECT_EQ(flags(m), reference_mask(w, s, true));
          EXPECT_EQ(m.count_kept(), expected_kept(shape[0], s) * (w.numel() / shape[0]));
        }
}

TEST(PruneChannelTest, MatchesReferenceAndKeepsTheCountAsked) {
  for (const Shape& shape : kShapes)
    for (double s : kSparsities)
      for (bool ties : {false, true})
        for (uint64_t seed = 0; seed < 3; ++seed) {
          const Tensor w = random_weights(shape, seed, ties);
          const Mask m = channel_mask(w, s);
          SCOPED_TRACE(shape_str(shape) + " sparsity " + std::to_string(s));
          EXPECT_EQ(flags(m), reference_mask(w, s, false));
          EXPECT_EQ(m.count_kept(), expected_kept(shape[1], s) * (w.numel() / shape[1]));
        }
}

TEST(PruneFilterTest, FilterAndChannelMasksAreTheClosestStructuredTensors) {
  for (const Shape& shape : std::vector<Shape>{{4, 3}, {3, 2, 2}, {2, 4, 1, 2}})
    for (double s : {0.25, 0.5, 0.75})
      for (bool ties : {false, true})
        for (bool by_filter : {true, false}) {
          const Tensor w = random_weights(shape, 11, ties);
          const int64_t k = expected_kept(shape[by_filter ? 0 : 1], s);
          const double best = test::min_pruned_energy(w, [&](const std::vector<uint8_t>& keep) {
            return whole_groups(shape, keep, by_filter, k);
          });
          const Mask m = by_filter ? filter_mask(w, s) : channel_mask(w, s);
          EXPECT_NEAR(test::pruned_energy(w, flags(m)), best, 1e-12) << shape_str(shape);
        }
}

TEST(PruneFilterTest, ProjectingTwiceChangesNothing) {
  for (const Shape& shape : kShapes)
    for (double s : kSparsities)
      for (bool by_filter : {true, false}) {
        const Tensor w = random_weights(shape, 5, true);
        auto project = [&](const Tensor& t) {
          return (by_filter ? filter_mask(t, s) : channel_mask(t, s)).applied_to(t);
        };
        const Tensor once = project(w);
        EXPECT_EQ(test::values_of(project(once)), test::values_of(once)) << shape_str(shape);
      }
}

TEST(PruneFilterTest, EqualNormsGoToTheLowerIndex) {
  // Rows 1 and 2 tie at norm 5; row 0 is smaller, row 3 larger.
  const Tensor w = Tensor::from_vector<float>({4, 2}, {1, 1, 3, 4, -4, 3, 6, 0});
  EXPECT_EQ(flags(filter_mask(w, 0.5)), (std::vector<uint8_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  // Columns: 1+9+16+36 = 62 against 1+16+9+0 = 26; keeping one keeps column 0.
  EXPECT_EQ(flags(channel_mask(w, 0.5)), (std::vector<uint8_t>{1, 0, 1, 0, 1, 0, 1, 0}));
}

TEST(PruneFilterTest, BadInput) {
  const Tensor vec = random_weights({6}, 1, false);
  expect_error([&] { filter_mask(vec, 0.5); }, {"filter pruning", "rank >= 2", "[6]"});
  expect_error([&] { channel_mask(vec, 0.5); }, {"channel pruning", "rank >= 2"});
  const Tensor w = random_weights({4, 4}, 1, false);
  expect_error([&] { filter_mask(w, 1.0); }, {"filter pruning", "sparsity", "got 1"});
  expect_error([&] { channel_mask(w, -0.5); }, {"channel pruning", "sparsity", "got -0.5"});
}

}  // namespace
}  // namespace sinter
