// The fast reduction (each ISA tier with code of its own, and the dispatcher) against its
// plain-loop twin over shapes, every subset of axes and every op, with 1 and 3 threads.
// Integer-valued inputs make sums exact in float, so that whatever order the fast kernel adds in,
// it must give the reference's results bit for bit.
#include "kernels/reduce/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/shape.h"
#include "family_tiers.h"

namespace sinter::kernels {
namespace {

constexpr ReduceOp kOps[] = {
    ReduceOp::kSum, ReduceOp::kMean, ReduceOp::kMax,       ReduceOp::kMin,       ReduceOp::kProd,
    ReduceOp::kL1,  ReduceOp::kL2,   ReduceOp::kSumSquare, ReduceOp::kLogSumExp, ReduceOp::kLogSum};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {{},
                                       {1},
                                       {5},
                                       {0},
                                       {3, 0, 2},
                                       {2, 3},
                                       {1, 1, 1},
                                       {7, 1, 5},
                                       {2, 3, 4, 5},
                                       {3, 1, 17, 2},
                                       {8, 6, 14, 14},
                                       {33, 70},
                                       {40000},
                                       {3, 2050},
                                       {2100, 3},
                                       {2, 3, 2, 3, 2},
                                       {4, 16, 3, 1, 9}};
  return s;
}

// Whole numbers in [-4, 4] (sums stay exact); for Prod only -1 and 1, so products stay exact.
std::vector<float> exact_values(int64_t n, ReduceOp op, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(-4, 4);
  std::vector<float> v(n);
  for (float& x : v) x = op == ReduceOp::kProd ? (d(gen) < 0 ? -1.0f : 1.0f) : float(d(gen));
  return v;
}

int64_t out_size(const Shape& shape, const std::vector<bool>& reduced) {
  int64_t n = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!reduced[d]) n *= shape[d];
  return n;
}

bool same(float a, float b, double rel) {
  if (std::isnan(b)) return std::isnan(a);
  if (a == b) return true;
  return std::fabs(double(a) - double(b)) <= rel * std::fabs(double(b));
}

TEST(Reduce, MatchesReferenceOverShapesAxesAndOps) {
  ThreadPool pool(3);
  const std::vector<Isa> tiers = family_tiers("reduce", reduce_kernels());
  for (const Shape& shape : shapes()) {
    const size_t rank = shape.size();
    for (uint32_t subset = 0; subset < (1u << rank); ++subset) {
      std::vector<bool> reduced(rank);
      for (size_t d = 0; d < rank; ++d) reduced[d] = (subset >> d) & 1;
      const int64_t out_n = out_size(shape, reduced);
      for (ReduceOp op : kOps) {
        SCOPED_TRACE(shape_str(shape) + " subset " + std::to_string(subset) + " op " +
                     std::to_string(int(op)));
        const std::vector<float> x = exact_values(shape_numel(shape), op, subset + 1);
        std::vector<float> want(out_n), serial(out_n), threaded(out_n);
        reduce_reference(op, x.data(), shape, reduced, want.data());
        // exp() of whole numbers is not exact: only LogSumExp's sums can round differently.
        const double rel = op == ReduceOp::kLogSumExp ? 1e-5 : 0.0;
        auto check = [&](const char* what) {
          for (int64_t j = 0; j < out_n; ++j) {
            ASSERT_TRUE(same(serial[j], want[j], rel))
                << what << " " << j << ": " << serial[j] << " vs " << want[j];
            ASSERT_TRUE(same(threaded[j], serial[j], 0.0)) << what << " " << j;
          }
        };
        for (Isa isa : tiers) {
          const ReduceKernels& k = reduce_kernels().at(isa);
          k.reduce(op, x.data(), shape, reduced, serial.data(), nullptr);
          k.reduce(op, x.data(), shape, reduced, threaded.data(), &pool);
          check(isa_name(isa));
        }
        reduce(op, x.data(), shape, reduced, serial.data());
        reduce(op, x.data(), shape, reduced, threaded.data(), &pool);
        check("dispatch");
      }
    }
  }
}

// Sums in double, for accuracy checks.
std::vector<double> exact_sums(const std::vector<float>& x, const Shape& shape,
                               const std::vector<bool>& reduced) {
  std::vector<double> sums(out_size(shape, reduced), 0.0);
  std::vector<int64_t> idx(shape.size(), 0);
  for (float v : x) {
    int64_t o = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      if (!reduced[d]) o = o * shape[d] + idx[d];
    sums[o] += v;
    for (size_t d = shape.size(); d-- > 0;)
      if (++idx[d] < shape[d])
        break;
      else
        idx[d] = 0;
  }
  return sums;
}

// Arbitrary floats: the fast kernel's partial sums round differently from the reference's one
// running sum, but stay close to the exact sum, and never depend on the number of threads.
TEST(Reduce, FloatSumsAccurateAndIndependentOfThreads) {
  ThreadPool pool(2);
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  const Shape shape = {64, 32, 28, 28};
  std::vector<float> x(shape_numel(shape));
  for (float& v : x) v = d(gen);
  for (std::vector<bool> reduced :
       {std::vector<bool>{true, false, true, true}, std::vector<bool>{true, true, true, true},
        std::vector<bool>{true, false, false, false},
        std::vector<bool>{false, false, true, true}}) {
    const std::vector<double> truth = exact_sums(x, shape, reduced);
    const int64_t out_n = int64_t(truth.size());
    const double count = double(x.size()) / double(out_n);
    std::vector<float> serial(out_n), threaded(out_n);
    reduce(ReduceOp::kSum, x.data(), shape, reduced, serial.data());
    reduce(ReduceOp::kSum, x.data(), shape, reduced, threaded.data(), &pool);
    for (int64_t j = 0; j < out_n; ++j) {
      // A few float epsilons times the spread of the partial sums, which grows like the count.
      EXPECT_NEAR(serial[j], truth[j], 3e-7 * count) << j;
      EXPECT_EQ(threaded[j], serial[j]) << j;
    }
  }
}

}  // namespace
}  // namespace sinter::kernels
