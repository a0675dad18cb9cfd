// Each gradient compressor's selection against its definition (src/dist/*_compressor.h), as
// several MPI ranks: top-k's k largest magnitudes, random-k's shared positions, DGC's momentum
// correction by a hand-worked example, SIDCo's fitted thresholds and densities, PowerSGD on
// low-rank matrices, QSGD's unbiased rounding, sign's scale, and Accordion's regimes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "dist/accordion.h"
#include "dist/dgc_compressor.h"
#include "dist/gram_schmidt.h"
#include "dist/powersgd_compressor.h"
#include "dist/qsgd_compressor.h"
#include "dist/sidco_compressor.h"
#include "dist/sparse_allgather.h"
#include "dist/topk_compressor.h"
#include "gradient_set.h"
#include "world.h"

namespace sinter {
namespace {

TEST(SparseAllGather, GathersEveryRanksEntriesOfEverySize) {
  Communicator& world = test_world();
  auto entries_of = [](int q) {
    std::vector<SparseEntry> e;
    for (int j = 0; j < q; ++j)
      e.push_back({static_cast<uint32_t>(100 * q + j), static_cast<float>(q) + 0.25f * j});
    return e;
  };
  const auto all = sparse_all_gather(world, entries_of(world.rank()), 1000);
  ASSERT_EQ(all.size(), static_cast<size_t>(world.size()));
  for (int q = 0; q < world.size(); ++q) {
    const auto expected = entries_of(q);
    ASSERT_EQ(all[static_cast<size_t>(q)].size(), expected.size()) << q;
    for (size_t j = 0; j < expected.size(); ++j) {
      EXPECT_EQ(all[static_cast<size_t>(q)][j].index, expected[j].index);
      EXPECT_EQ(all[static_cast<size_t>(q)][j].value, expected[j].value);
    }
  }
}

// Distances under 65535 take 2 bytes, longer ones 6, each value 4; out-of-order entries are
// refused, and a packing cut inside an entry or holding a repeated index is a desync.
TEST(SparseAllGather, PacksIndicesAsShortDistances) {
  const std::vector<SparseEntry> entries = {
      {0, 1.5f}, {7, -2.0f}, {7 + 65534, 3.0f}, {7 + 65534 + 65535, 4.0f}, {4000000000u, 5.0f}};
  const std::vector<uint8_t> bytes = pack_entries(entries);
  EXPECT_EQ(bytes.size(), 6u + 6 + 6 + 10 + 10);
  const std::vector<SparseEntry> back = unpack_entries(bytes);
  ASSERT_EQ(back.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(back[i].index, entries[i].index) << i;
    EXPECT_EQ(back[i].value, entries[i].value) << i;
  }
  EXPECT_TRUE(pack_entries({}).empty());
  EXPECT_THROW(pack_entries({{5, 1.0f}, {5, 2.0f}}), Error);
  EXPECT_THROW(pack_entries({{5, 1.0f}, {4, 2.0f}}), Error);
  EXPECT_THROW(unpack_entries(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1)), CommError);
  std::vector<uint8_t> repeated = pack_entries({{3, 1.0f}, {4, 2.0f}});
  repeated[6] = 0;  // the second distance: 0, index 3 again
  EXPECT_THROW(unpack_entries(repeated), CommError);
}

// The k largest magnitudes by sorting, ties to the earlier index.
std::vector<uint32_t> sorted_top_k(const std::vector<float>& x, int64_t k) {
  std::vector<uint32_t> order(x.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return std::fabs(x[a]) > std::fabs(x[b]); });
  order.resize(static_cast<size_t>(k));
  std::sort(order.begin(), order.end());
  return order;
}

TEST(TopK, SelectsTheKLargestMagnitudesEarliestTiesFirst) {
  std::vector<float> scratch;
  std::vector<uint32_t> chosen;
  select_top_k(std::vector<float>{1, -1, 1, 1, 0.5f}.data(), 5, 2, scratch, chosen);
  EXPECT_EQ(chosen, (std::vector<uint32_t>{0, 1}));
  chosen.clear();
  select_top_k(std::vector<float>{0.1f, NAN, 5, -7}.data(), 4, 2, scratch, chosen);
  EXPECT_EQ(chosen, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(values_to_send(0.01, 3000), 30);
  EXPECT_EQ(values_to_send(0.01, 3001), 31);
  EXPECT_EQ(values_to_send(1.0, 7), 7);
}

// Every rank keeps exactly the residual of its own k largest, and receives the average of every
// rank's selection, added in rank order.
TEST(TopK, SendsExactlyTheKLargestMagnitudesOfEveryRank) {
  Communicator& world = test_world();
  const int p = world.size();
  const double density = 0.05;
  auto compressor = make_compressor("topk:0.05", 0);
  GradientSet g = small_model();
  g.fill(world.rank(), 0);
  const GradientSet mine = g;
  auto views = g.views();
  compressor->reduce(world, views, 0);
  for (size_t t = 0; t < g.names.size(); ++t) {
    const auto n = static_cast<int64_t>(mine.values[t].size());
    const std::vector<uint32_t> chosen = sorted_top_k(mine.values[t], values_to_send(density, n));
    std::vector<float> residual = mine.values[t];
    for (uint32_t i : chosen) residual[i] = 0;
    EXPECT_TRUE(same_bits(residual, state_values(*compressor, "residual/" + g.names[t])))
        << g.names[t];
    std::vector<float> average(static_cast<size_t>(n), 0.0f);
    for (int q = 0; q < p; ++q) {
      GradientSet other = small_model();
      other.fill(q, 0);
      for (uint32_t i : sorted_top_k(other.values[t], values_to_send(density, n)))
        average[i] += other.values[t][i];
    }
    for (float& v : average) v *= 1.0f / static_cast<float>(p);
    EXPECT_TRUE(same_bits(average, g.values[t])) << g.names[t];
  }
}

// Random-k: the positions a rank sent are where its residual became zero (gradients drawn
// uniformly are never zero).
TEST(RandomK, DrawsTheSamePositionsOnEveryRankAndNewOnesEachStep) {
  Communicator& world = test_world();
  const int p = world.size();
  auto compressor = make_compressor("randomk:0.1", 21);
  GradientSet g = small_model();
  std::vector<float> first_positions;
  for (int64_t step = 0; step < 2; ++step) {
    g.fill(world.rank(), step);
    auto views = g.views();
    compressor->reduce(world, views, step);
    for (size_t t = 0; t < g.names.size(); ++t) {
      const auto residual = state_values(*compressor, "residual/" + g.names[t]);
      std::vector<float> sent(residual.size());
      for (size_t i = 0; i < residual.size(); ++i) sent[i] = residual[i] == 0 ? 1.0f : 0.0f;
      EXPECT_EQ(std::count(sent.begin(), sent.end(), 1.0f),
                values_to_send(0.1, static_cast<int64_t>(sent.size())))
          << g.names[t];
      std::vector<float> root = sent;
      world.broadcast(root.data(), root.size() * sizeof(float), 0, "test broadcast");
      EXPECT_TRUE(same_bits(root, sent)) << g.names[t] << " step " << step;
      if (step == 0) {
        // Every accumulation is its gradient yet: the average is the ranks' values at the
        // positions, added in rank order, over P.
        std::vector<float> average(sent.size(), 0.0f);
        for (int q = 0; q < p; ++q) {
          GradientSet other = small_model();
          other.fill(q, 0);
          for (size_t i = 0; i < sent.size(); ++i)
            if (sent[i] != 0)
              average[i] = q == 0 ? other.values[t][i] : average[i] + other.values[t][i];
        }
        for (float& v : average) v *= 1.0f / static_cast<float>(p);
        EXPECT_TRUE(same_bits(average, g.values[t])) << g.names[t];
        if (g.names[t] == "fc.weight") first_positions = sent;
      } else if (g.names[t] == "fc.weight") {
        EXPECT_FALSE(same_bits(first_positions, sent)) << "the same positions at two steps";
      }
    }
  }
}

// DGC by hand, on every rank alike, k = 1 of 4, momentum 0.5:
//   step 0: g = (1, -3, 2, 0.5): u = v = g; sends v[1] = -3; u = v = (1, 0, 2, 0.5)
//   step 1: g = (1, 1, 1, 1): u = (1.5, 1, 2, 1.25), v = (2.5, 1, 4, 1.75); sends v[2] = 4
//   step 2: g = (0, 0, 0, -4): u = (0.75, 0.5, 0, -3.375), v = (3.25, 1.5, 0, -1.625); sends v[0]
// Step 1's u[1] = 1 shows the masking: without it, 0.5 (-3) + 1 = -0.5.
TEST(Dgc, CorrectsMomentumAndClearsWhatItSent) {
  Communicator& world = test_world();
  DgcOptions options;
  options.density = 0.25;
  options.momentum = 0.5;
  DgcCompressor dgc("dgc", options);
  GradientSet g;
  g.add("w", {4});
  const std::vector<std::vector<float>> gradients = {{1, -3, 2, 0.5f}, {1, 1, 1, 1}, {0, 0, 0, -4}};
  const std::vector<std::vector<float>> averages = {{0, -3, 0, 0}, {0, 0, 4, 0}, {3.25f, 0, 0, 0}};
  const std::vector<std::vector<float>> velocities = {
      {1, 0, 2, 0.5f}, {1.5f, 1, 0, 1.25f}, {0, 0.5f, 0, -3.375f}};
  const std::vector<std::vector<float>> accumulations = {
      {1, 0, 2, 0.5f}, {2.5f, 1, 0, 1.75f}, {0, 1.5f, 0, -1.625f}};
  for (int64_t step = 0; step < 3; ++step) {
    g.values[0] = gradients[static_cast<size_t>(step)];
    auto views = g.views();
    dgc.reduce(world, views, step);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_FLOAT_EQ(g.values[0][i], averages[static_cast<size_t>(step)][i]) << step;
    EXPECT_EQ(state_values(dgc, "velocity/w"), velocities[static_cast<size_t>(step)]) << step;
    EXPECT_EQ(state_values(dgc, "accumulation/w"), accumulations[static_cast<size_t>(step)])
        << step;
  }
}

TEST(Dgc, ClipsEachRanksGradientToItsShareOfTheNorm) {
  Communicator& world = test_world();
  DgcOptions options;
  options.density = 1;
  options.momentum = 0;
  options.clip_norm = 2;
  DgcCompressor dgc("dgc", options);
  GradientSet g;
  g.add("w", {100});
  g.values[0].assign(100, 1.0f);  // norm 10
  auto views = g.views();
  dgc.reduce(world, views, 0);
  double squares = 0;
  for (float v : g.values[0]) squares += static_cast<double>(v) * v;
  EXPECT_NEAR(std::sqrt(squares), 2 / std::sqrt(static_cast<double>(world.size())), 1e-5);
}

TEST(Dgc, WarmsUpFromAQuarterToTheTargetExponentially) {
  DgcOptions options;
  options.density = 0.001;
  options.warmup_steps = 100;
  DgcCompressor dgc("dgc", options);
  EXPECT_DOUBLE_EQ(dgc.density_at(0), 0.25);
  EXPECT_NEAR(dgc.density_at(50), std::sqrt(0.25 * 0.001), 1e-12);
  EXPECT_DOUBLE_EQ(dgc.density_at(100), 0.001);
  EXPECT_DOUBLE_EQ(dgc.density_at(5000), 0.001);
  EXPECT_GT(dgc.density_at(30), dgc.density_at(31));
  options.density = 0.5;  // at or above the warm-up's start: no warm-up
  EXPECT_DOUBLE_EQ(DgcCompressor("dgc", options).density_at(0), 0.5);
}

// |x| exponential with rate 2: the share d lies above ln(1/d) / 2, which every fit must find.
TEST(Sidco, ThresholdMatchesTheExponentialQuantile) {
  const int64_t n = 200000;
  std::mt19937_64 rng(5);
  std::exponential_distribution<double> exponential(2.0);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[static_cast<size_t>(i)] = static_cast<float>((i % 2 ? 1 : -1) * exponential(rng));
  std::vector<float> scratch;
  for (double d : {0.1, 0.01, 0.001}) {
    const double exact = std::log(1 / d) / 2;
    EXPECT_NEAR(sidco_threshold(x.data(), n, d, 1, SidcoTailFit::kExponential, scratch), exact,
                0.02 * exact)
        << d;
    for (int stages : {2, 3}) {
      EXPECT_NEAR(sidco_threshold(x.data(), n, d, stages, SidcoTailFit::kExponential, scratch),
                  exact, 0.03 * exact)
          << d << " in " << stages << " stages";
      EXPECT_NEAR(
          sidco_threshold(x.data(), n, d, stages, SidcoTailFit::kGeneralizedPareto, scratch), exact,
          0.05 * exact)
          << d << " in " << stages << " Pareto stages";
    }
  }
}

// Exponential stages on heavy tails (log-normal magnitudes) can miss the target count by far;
// refined, the threshold keeps the target's values exactly, and the fitted count is reported as
// it was. Within the tolerance nothing changes.
TEST(Sidco, RefinementBringsAMissedCountToTheTarget) {
  const int64_t n = 100000;
  const int64_t target = values_to_send(0.01, n);
  std::vector<float> scratch;
  int refined_misses = 0;
  for (float sigma : {1.5f, 2.5f, 3.5f}) {
    std::mt19937_64 rng(9);
    std::normal_distribution<float> normal;
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = normal(rng) * std::exp(sigma * normal(rng));
    auto count_above = [&](double t) {
      return static_cast<int64_t>(
          std::count_if(x.begin(), x.end(), [&](float v) { return std::fabs(v) > t; }));
    };
    for (int stages : {2, 3, 4}) {
      const double fitted =
          sidco_threshold(x.data(), n, 0.01, stages, SidcoTailFit::kExponential, scratch);
      const int64_t missed = count_above(fitted);
      SidcoRefinement refine;
      const double refined =
          sidco_threshold(x.data(), n, 0.01, stages, SidcoTailFit::kExponential, scratch, &refine);
      EXPECT_EQ(refine.fitted_count, missed) << sigma << " " << stages;
      if (std::abs(missed - target) * 5 <= target) {
        EXPECT_EQ(refined, fitted) << sigma << " " << stages;
      } else if (refined != fitted) {
        EXPECT_EQ(count_above(refined), target) << sigma << " " << stages;
        ++refined_misses;
      }
    }
  }
  EXPECT_GT(refined_misses, 0) << "no fit missed by more than 20 % here";
}

// |x| generalised Pareto (shape 0.3, scale 1): heavier than exponential, so one exponential
// stage misses; the Pareto stages find the closed-form quantile (((1/d)^0.3 - 1) / 0.3).
TEST(Sidco, ParetoStagesFindAHeavyTailsQuantile) {
  const int64_t n = 200000;
  const double xi = 0.3;
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[static_cast<size_t>(i)] =
        static_cast<float>((i % 2 ? 1 : -1) * (std::pow(1 - u(rng), -xi) - 1) / xi);
  std::vector<float> scratch;
  const double d = 0.01, exact = (std::pow(1 / d, xi) - 1) / xi;
  EXPECT_LT(sidco_threshold(x.data(), n, d, 1, SidcoTailFit::kExponential, scratch), 0.85 * exact);
  for (int stages : {2, 3})
    EXPECT_NEAR(sidco_threshold(x.data(), n, d, stages, SidcoTailFit::kGeneralizedPareto, scratch),
                exact, 0.1 * exact)
        << stages;
}

// Heavy-tailed gradients (normal values with log-normal scales), 40 steps with error feedback:
// the achieved density stays within 20 % of the target on at least 90 % of the steps.
TEST(Sidco, HoldsTheDensityNearItsTarget) {
  Communicator& world = test_world();
  auto sidco = make_compressor("sidco:0.01", 0);
  GradientSet g;
  g.add("a", {20000});
  g.add("b", {200, 300});
  const int steps = 40;
  int near = 0;
  for (int step = 0; step < steps; ++step) {
    std::mt19937_64 rng(static_cast<uint64_t>(1000 * world.rank() + step));
    std::normal_distribution<float> normal;
    for (auto& values : g.values)
      for (float& v : values) v = normal(rng) * std::exp(0.8f * normal(rng));
    auto views = g.views();
    sidco->reduce(world, views, step);
    near += std::fabs(sidco->last_density() / 0.01 - 1) <= 0.2;
  }
  EXPECT_GE(near, steps * 9 / 10) << near << " of " << steps << " steps within 20 %";
  EXPECT_EQ(SidcoCompressor::initial_stages(0.01), 3);
  EXPECT_EQ(SidcoCompressor::max_stages(0.01), 5);
  EXPECT_EQ(SidcoCompressor::initial_stages(0.001), 4);
  EXPECT_EQ(SidcoCompressor::max_stages(0.001), 8);
  EXPECT_EQ(SidcoCompressor::max_stages(0.5), 1);
}

// Every rank's matrix has the same rank-2 column space: PowerSGD at rank 2 carries it whole.
TEST(PowerSgd, IsExactOnMatricesOfItsRank) {
  Communicator& world = test_world();
  const int p = world.size();
  const int64_t rows = 40, cols = 30;
  auto matrix = [&](int q) {
    std::mt19937 shared(3), own(static_cast<uint32_t>(17 + q));
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> a(rows * 2), b(cols * 2), m(rows * cols);
    for (float& v : a) v = u(shared);
    for (float& v : b) v = u(own);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t k = 0; k < cols; ++k)
        m[static_cast<size_t>(i * cols + k)] = a[i * 2] * b[k * 2] + a[i * 2 + 1] * b[k * 2 + 1];
    return m;
  };
  std::vector<double> average(rows * cols, 0.0);
  for (int q = 0; q < p; ++q) {
    const auto m = matrix(q);
    for (size_t i = 0; i < m.size(); ++i) average[i] += m[i] / p;
  }
  PowerSgdCompressor powersgd("powersgd:2", 2, 7);
  GradientSet g;
  g.add("w", {rows, cols});
  for (int64_t step = 0; step < 2; ++step) {
    g.values[0] = matrix(world.rank());
    auto views = g.views();
    powersgd.reduce(world, views, step);
    for (size_t i = 0; i < average.size(); ++i)
      ASSERT_NEAR(g.values[0][i], average[i], 1e-5) << "step " << step << " at " << i;
    for (float r : state_values(powersgd, "residual/w")) ASSERT_NEAR(r, 0.0f, 1e-5f);
  }
  EXPECT_EQ(state_values(powersgd, "powersgd_q/w").size(), static_cast<size_t>(cols * 2));
  EXPECT_TRUE(PowerSgdCompressor::compresses({rows, cols}, 2));
  EXPECT_FALSE(PowerSgdCompressor::compresses({rows}, 2));
  EXPECT_FALSE(PowerSgdCompressor::compresses({rows, 2}, 2));
  EXPECT_FALSE(PowerSgdCompressor::compresses({2, 5, 5}, 2));
}

TEST(PowerSgd, OrthonormalizesTheLeftFactor) {
  const int64_t rows = 50, cols = 4;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(rows * cols);
  for (float& v : a) v = u(rng);
  for (int64_t i = 0; i < rows; ++i) {
    a[static_cast<size_t>(i * cols + 2)] = 2 * a[static_cast<size_t>(i * cols)];  // dependent
    a[static_cast<size_t>(i * cols + 3)] = 0;                                     // empty
  }
  orthonormalize_columns(a.data(), rows, cols);
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t d = 0; d <= c; ++d) {
      double dot = 0;
      for (int64_t i = 0; i < rows; ++i)
        dot += static_cast<double>(a[static_cast<size_t>(i * cols + c)]) *
               a[static_cast<size_t>(i * cols + d)];
      const double expected = c == d && c != 3 ? 1.0 : 0.0;
      EXPECT_NEAR(dot, expected, 1e-5) << "columns " << c << ", " << d;
    }
  }
}

// Rank 0 alone quantizes (the others send zeros), so P times the average is what it sent.
// Over 200 seeds the mean of the sent values approaches x, and the mean squared error stays
// within QSGD's bound min(n / s^2, sqrt(n) / s) |x|^2.
TEST(Qsgd, RoundsUnbiasedWithinItsVarianceBound) {
  Communicator& world = test_world();
  const int p = world.size(), levels = 4, seeds = 200;
  const int64_t n = 64;
  GradientSet g;
  g.add("w", {n});
  g.fill(0, 0);
  const std::vector<float> x = g.values[0];
  double norm = 0;
  for (float v : x) norm += static_cast<double>(v) * v;
  norm = std::sqrt(norm);
  std::vector<double> mean(static_cast<size_t>(n), 0.0);
  double squared_error = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    QsgdCompressor qsgd("qsgd:4", levels, static_cast<uint64_t>(seed));
    g.values[0] = world.rank() == 0 ? x : std::vector<float>(static_cast<size_t>(n), 0.0f);
    auto views = g.views();
    qsgd.reduce(world, views, 0);
    for (int64_t i = 0; i < n; ++i) {
      const double sent = static_cast<double>(g.values[0][static_cast<size_t>(i)]) * p;
      const double level = std::fabs(sent) / norm * levels;
      ASSERT_NEAR(level, std::round(level), 1e-4) << "not on a level";
      ASSERT_TRUE(sent == 0 || (sent < 0) == (x[static_cast<size_t>(i)] < 0));
      mean[static_cast<size_t>(i)] += sent / seeds;
      squared_error += (sent - x[static_cast<size_t>(i)]) * (sent - x[static_cast<size_t>(i)]);
    }
  }
  // A value's rounding has standard deviation at most norm / (2 s).
  const double standard_error = norm / (2 * levels) / std::sqrt(static_cast<double>(seeds));
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(mean[static_cast<size_t>(i)], x[static_cast<size_t>(i)], 5 * standard_error) << i;
  const double bound = std::min(static_cast<double>(n) / (levels * levels),
                                std::sqrt(static_cast<double>(n)) / levels);
  EXPECT_LE(squared_error / seeds, bound * norm * norm);
  EXPECT_EQ(QsgdCompressor::bits_per_value(1), 2);
  EXPECT_EQ(QsgdCompressor::bits_per_value(3), 3);
  EXPECT_EQ(QsgdCompressor::bits_per_value(4), 4);
  EXPECT_EQ(QsgdCompressor::bits_per_value(255), 9);
}

// Every rank sends sign(x) times its mean |x|; the average of those, added in rank order.
TEST(Sign, SendsSignsScaledByTheMeanMagnitude) {
  Communicator& world = test_world();
  const int p = world.size();
  auto sign = make_compressor("sign", 0);
  GradientSet g;
  g.add("w", {1000});
  g.add("v", {37});
  g.fill(world.rank(), 0);
  auto views = g.views();
  sign->reduce(world, views, 0);
  for (size_t t = 0; t < g.values.size(); ++t) {
    std::vector<float> average(g.values[t].size(), 0.0f);
    for (int q = 0; q < p; ++q) {
      GradientSet other = g;
      other.fill(q, 0);
      const std::vector<float>& x = other.values[t];
      double l1 = 0;
      for (float v : x) l1 += std::fabs(v);
      const auto scale = static_cast<float>(l1 / static_cast<double>(x.size()));
      for (size_t i = 0; i < x.size(); ++i) average[i] += x[i] < 0 ? -scale : scale;
    }
    for (float& v : average) v *= 1.0f / static_cast<float>(p);
    EXPECT_TRUE(same_bits(average, g.values[t])) << g.names[t];
  }
}

// Constant gradients for two intervals (the first always critical, the second calm), then three
// times larger (critical: the norm changed by 200 %), then constant again (calm). The gradients
// are ones each base carries whole (5 nonzeros for top-k's 1 %, rank 1 for PowerSGD), so the
// reduced gradients' norms are the gradients'.
TEST(Accordion, CompressesLessWhileTheGradientNormChanges) {
  Communicator& world = test_world();
  for (AccordionBase base : {AccordionBase::kTopK, AccordionBase::kPowerSgd}) {
    AccordionOptions options;
    options.base = base;
    options.interval_steps = 2;
    AccordionCompressor accordion("accordion", options, 1);
    GradientSet g;
    g.add("w", {20, 50});
    std::vector<float> gradient(1000, 0.0f);
    for (int64_t i = 0; i < 20; ++i)
      for (int64_t k = 0; k < 50; ++k)
        if (base == AccordionBase::kPowerSgd || (i * 50 + k) % 200 == 7)
          gradient[static_cast<size_t>(i * 50 + k)] = (1 + 0.1f * i) * (k % 3 - 1.5f);
    const double low = base == AccordionBase::kTopK ? 0.1 : (20 + 50) * 4 / 1000.0;
    const double high = base == AccordionBase::kTopK ? 0.01 : (20 + 50) * 1 / 1000.0;
    const std::vector<bool> critical_after = {true, false, true, false};
    for (int64_t step = 0; step < 8; ++step) {
      g.values[0] = gradient;
      if (step >= 4)
        for (float& v : g.values[0]) v *= 3;
      auto views = g.views();
      accordion.reduce(world, views, step);
      const bool critical_before = step < 2 || critical_after[static_cast<size_t>(step / 2 - 1)];
      EXPECT_DOUBLE_EQ(accordion.last_density(), critical_before ? low : high) << step;
      if (step % 2 == 1) {
        EXPECT_EQ(accordion.critical()[0], critical_after[static_cast<size_t>(step / 2)]) << step;
      }
    }
  }
}

}  // namespace
}  // namespace sinter
