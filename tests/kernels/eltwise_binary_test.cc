// Binary kernels with broadcasting: the broadcasting walk on every ISA tier's inner loops, and
// the dispatcher (1 and 2 threads), against the stride-walking reference, over broadcast patterns
// of ranks 0-5. Tolerance: exact. Every tier computes each element with the same single IEEE
// operation as the reference (Pow calls std::pow in both).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "family_tiers.h"
#include "kernels/eltwise/binary.h"

namespace sinter::kernels {
namespace {

std::vector<float> random_data(int64_t n, std::mt19937& rng, bool positive) {
  std::uniform_real_distribution<float> dist(positive ? 0.1f : -4.0f, 4.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<Isa> tiers() { return family_tiers("eltwise binary", binary_kernels()); }

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

const BinaryOp kOps[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv,
                         BinaryOp::kPow, BinaryOp::kMax, BinaryOp::kMin};

void check_pair(const Shape& as, const Shape& bs, std::mt19937& rng) {
  ThreadPool pool2(2);
  const Shape out = broadcast_shapes(as, bs);
  const int64_t n = shape_numel(out);
  for (BinaryOp op : kOps) {
    const bool pos = op == BinaryOp::kPow;
    std::vector<float> a = random_data(shape_numel(as), rng, pos);
    std::vector<float> b = random_data(shape_numel(bs), rng, false);
    if (!a.empty()) a[a.size() / 2] = std::nanf("");
    if (b.size() > 1) b[b.size() - 1] = std::nanf("");
    // Squares, which Pow computes as a product: one exponent, or some of many.
    if (pos && (b.size() == 1 || rng() % 2)) b[0] = 2.0f;
    std::vector<float> want(n), got(n);
    binary_reference(op, a.data(), as, b.data(), bs, want.data());
    auto check = [&](const std::string& what) {
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(same(got[i], want[i]))
            << what << " op " << int(op) << " " << shape_str(as) << " vs " << shape_str(bs)
            << " at " << i << " got " << got[i] << " want " << want[i];
    };
    for (Isa isa : tiers()) {
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
        std::fill(got.begin(), got.end(), -777.0f);
        detail::binary_with(binary_kernels().at(isa), op, a.data(), as, b.data(), bs, got.data(),
                            pool);
        check(std::string(isa_name(isa)) + (pool ? ", 2 threads" : ""));
      }
    }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), -777.0f);
      binary(op, a.data(), as, b.data(), bs, got.data(), pool);
      check(pool ? "dispatch, 2 threads" : "dispatch");
    }
  }
}

TEST(EltwiseBinary, BroadcastPatterns) {
  std::mt19937 rng(11);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{}, {}},
      {{}, {5}},
      {{7}, {}},
      {{1}, {9}},
      {{13}, {13}},
      {{2, 3, 5, 7}, {2, 3, 5, 7}},
      {{2, 16, 9, 9}, {1, 16, 1, 1}},      // per channel
      {{1, 16, 1, 1}, {2, 16, 9, 9}},      // per channel, swapped (Sub/Div order matters)
      {{2, 24, 5, 11}, {24, 1, 1}},        // per channel without the batch dimension
      {{3, 1, 5}, {4, 1}},                 // both broadcast
      {{1, 4, 1, 6, 1}, {3, 1, 5, 1, 2}},  // rank 5, alternating
      {{2, 3, 4, 5, 6}, {6}},
      {{2, 3, 4, 5, 6}, {5, 1}},
      {{2, 1, 4, 1, 6}, {2, 3, 4, 5, 6}},
      {{8, 33}, {8, 1}},
      {{8, 33}, {1, 33}},
      {{0, 3}, {1, 3}},  // empty
      {{1, 1, 1}, {}},
      {{4, 130, 70}, {4, 130, 70}},  // large enough to thread
      {{3, 64, 30, 30}, {1, 64, 1, 1}},
      {{200, 300}, {}},
  };
  for (const auto& [as, bs] : cases) check_pair(as, bs, rng);
}

TEST(EltwiseBinary, PowOfTwoIsTheProduct) {
  const std::vector<float> a = {0.0f,  -0.0f,    1.5f,      -3.0f,        1e-30f,
                                3e30f, INFINITY, -INFINITY, std::nanf("")};
  for (Isa isa : tiers()) {
    std::vector<float> y(a.size());
    binary_kernels().at(isa).vs(BinaryOp::kPow, a.data(), 2.0f, y.data(),
                                static_cast<int64_t>(a.size()));
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(same(y[i], a[i] * a[i])) << isa_name(isa) << " " << a[i];
  }
}

TEST(EltwiseBinary, RandomShapes) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> rank_d(0, 5), dim_d(1, 6), coin(0, 2);
  for (int iter = 0; iter < 150; ++iter) {
    const int rank = rank_d(rng);
    Shape out(rank), as, bs;
    for (auto& d : out) d = dim_d(rng);
    const int ra = std::uniform_int_distribution<int>(0, rank)(rng);
    const int rb = std::uniform_int_distribution<int>(0, rank)(rng);
    for (int i = rank - ra; i < rank; ++i) as.push_back(coin(rng) == 0 ? 1 : out[i]);
    for (int i = rank - rb; i < rank; ++i) bs.push_back(coin(rng) == 0 ? 1 : out[i]);
    check_pair(as, bs, rng);
  }
}

// Every run length around the vector widths (8 and 16 lanes, unrolled by 2), with NaN on either
// side, and nothing written past the run.
TEST(EltwiseBinary, InnerLoopsMatchScalarOnEveryTier) {
  std::mt19937 rng(2);
  const float nan = std::nanf("");
  for (Isa isa : tiers()) {
    const BinaryKernels& k = binary_kernels().at(isa);
    for (int64_t n = 1; n <= 70; ++n) {
      SCOPED_TRACE(std::string(isa_name(isa)) + " n=" + std::to_string(n));
      std::vector<float> a = random_data(n, rng, false), b = random_data(n, rng, false);
      a[n / 2] = nan;
      b[n - 1] = nan;
      std::vector<float> y(n + 1);
      for (BinaryOp op : kOps) {
        y[n] = -777.0f;
        k.vv(op, a.data(), b.data(), y.data(), n);
        for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same(y[i], binary_apply(op, a[i], b[i])));
        k.vs(op, a.data(), b[0], y.data(), n);
        for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same(y[i], binary_apply(op, a[i], b[0])));
        k.sv(op, a[0], b.data(), y.data(), n);
        for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(same(y[i], binary_apply(op, a[0], b[i])));
        ASSERT_EQ(y[n], -777.0f);
      }
    }
  }
}

TEST(EltwiseBinary, NanPropagatesThroughMaxMin) {
  const float nan = std::nanf("");
  std::vector<float> a = {nan, 1.0f, nan, 2.0f, 0, 0, 0, 0, 0};
  std::vector<float> b = {1.0f, nan, nan, 3.0f, 0, 0, 0, 0, 0};
  std::vector<float> y(9);
  for (BinaryOp op : {BinaryOp::kMax, BinaryOp::kMin}) {
    binary(op, a.data(), {9}, b.data(), {9}, y.data());
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]) && std::isnan(y[2]));
    EXPECT_EQ(y[3], op == BinaryOp::kMax ? 3.0f : 2.0f);
  }
}

TEST(EltwiseBinary, IncompatibleShapesThrow) {
  std::vector<float> a(6), b(4), y(24);
  EXPECT_THROW(binary(BinaryOp::kAdd, a.data(), {2, 3}, b.data(), {4}, y.data()), InputError);
}

}  // namespace
}  // namespace sinter::kernels
