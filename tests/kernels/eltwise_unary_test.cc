// Unary kernels and the activation epilogue: every ISA tier's table against the reference (and
// against std:: functions directly for the polynomial approximations), the vector tiers against
// each other, plus the dispatcher with 1 and 2 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "family_tiers.h"
#include "kernels/eltwise/unary.h"

namespace sinter::kernels {
namespace {

// Equal, both NaN, or within rel * |want| + abs.
bool close(float got, float want, double rel, double abs) {
  if (std::isnan(want)) return std::isnan(got);
  if (got == want) return true;
  return std::fabs(double(got) - double(want)) <= rel * std::fabs(double(want)) + abs;
}

std::vector<float> sweep(float lo, float hi, int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(lo + (hi - lo) * float(i) / float(n - 1));
  return v;
}

std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  return {0.0f,    -0.0f, inf,    -inf,  std::nanf(""), 1e-30f,  -1e-30f, 1e-40f,
          -1e-40f, 88.7f, -88.7f, 89.0f, -89.0f,        100.0f,  -100.0f, 1e30f,
          -1e30f,  3.9f,  -3.9f,  4.0f,  0.625f,        -0.625f, 1.0f,    -1.0f,
          0.5f,    -3.0f, 3.0f,   6.0f,  -6.0f,         9.0f,    -9.0f,   20.0f};
}

std::vector<Isa> tiers() { return family_tiers("eltwise unary", unary_kernels()); }

struct Accuracy {
  UnaryOp op;
  double (*truth)(double);
  float lo, hi;
  double rel, abs;  // tolerance against the double-precision function
};

// The polynomial approximations must stay within 1e-6 relative error of the exact function
// (a few ulp); abs covers results in the denormal range only.
TEST(EltwiseUnary, ApproximationsAccurateOnEveryTier) {
  const Accuracy cases[] = {
      {UnaryOp::kExp, [](double x) { return std::exp(x); }, -104.0f, 88.7f, 1e-6, 1e-44},
      {UnaryOp::kTanh, [](double x) { return std::tanh(x); }, -12.0f, 12.0f, 1e-6, 0},
      {UnaryOp::kErf, [](double x) { return std::erf(x); }, -6.0f, 6.0f, 1e-6, 0},
      {UnaryOp::kSigmoid, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -87.0f, 30.0f, 1e-6,
       1e-44},
  };
  for (Isa isa : tiers()) {
    for (const Accuracy& c : cases) {
      std::vector<float> x = sweep(c.lo, c.hi, 200001);
      for (float v : sweep(-1e-3f, 1e-3f, 2001)) x.push_back(v);  // near zero: relative matters
      std::vector<float> y(x.size());
      unary_kernels().at(isa).unary(c.op, x.data(), y.data(), int64_t(x.size()), 0, 0);
      double worst = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        double want = c.truth(x[i]);
        ASSERT_TRUE(close(y[i], float(want), c.rel, c.abs))
            << isa_name(isa) << " op " << int(c.op) << " x=" << x[i] << " got " << y[i] << " want "
            << want;
        if (want != 0) worst = std::max(worst, std::fabs(y[i] - want) / std::fabs(want));
      }
      RecordProperty(std::string("worst_rel_") + isa_name(isa) + "_" + std::to_string(int(c.op)),
                     std::to_string(worst));
    }
  }
}

void check_special_values(const UnaryKernels& k) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = special_values();
  std::vector<float> y(x.size());
  auto run = [&](UnaryOp op) {
    k.unary(op, x.data(), y.data(), int64_t(x.size()), 0.2f, 0.5f);
    return y;
  };
  auto at = [&](float v) {
    return size_t(
        std::find_if(x.begin(), x.end(),
                     [&](float e) { return e == v || (std::isnan(v) && std::isnan(e)); }) -
        x.begin());
  };
  auto e = run(UnaryOp::kExp);
  EXPECT_EQ(e[at(inf)], inf);
  EXPECT_EQ(e[at(-inf)], 0.0f);
  EXPECT_TRUE(std::isnan(e[at(NAN)]));
  EXPECT_EQ(e[at(0.0f)], 1.0f);
  auto s = run(UnaryOp::kSigmoid);
  EXPECT_EQ(s[at(inf)], 1.0f);
  EXPECT_EQ(s[at(-inf)], 0.0f);
  EXPECT_TRUE(std::isnan(s[at(NAN)]));
  auto t = run(UnaryOp::kTanh);
  EXPECT_EQ(t[at(inf)], 1.0f);
  EXPECT_EQ(t[at(-inf)], -1.0f);
  EXPECT_EQ(t[at(20.0f)], 1.0f);
  EXPECT_EQ(t[at(1e30f)], 1.0f);
  EXPECT_TRUE(std::isnan(t[at(NAN)]));
  auto r = run(UnaryOp::kErf);
  EXPECT_EQ(r[at(inf)], 1.0f);
  EXPECT_EQ(r[at(-inf)], -1.0f);
  EXPECT_EQ(r[at(1e30f)], 1.0f);
  EXPECT_EQ(r[at(-100.0f)], -1.0f);
  EXPECT_TRUE(std::isnan(r[at(NAN)]));
  float neg_zero = -0.0f, out = 1.0f;
  k.unary(UnaryOp::kErf, &neg_zero, &out, 1, 0, 0);
  EXPECT_TRUE(out == 0.0f && std::signbit(out));
}

TEST(EltwiseUnary, SpecialValuesOnEveryTier) {
  for (Isa isa : tiers()) {
    SCOPED_TRACE(isa_name(isa));
    check_special_values(unary_kernels().at(isa));
  }
}

// The AVX-512 tier evaluates the AVX2 tier's polynomials with the same operations in the same
// order, lane for lane, so the two agree bit for bit; so does every op they share.
TEST(EltwiseUnary, VectorTiersAgreeBitForBit) {
  std::vector<Isa> vector_tiers;
  for (Isa isa : tiers())
    if (isa > Isa::kAvx2) vector_tiers.push_back(isa);
  if (vector_tiers.empty()) GTEST_SKIP() << "fewer than two vector tiers run here";
  const UnaryOp ops[] = {UnaryOp::kRelu,     UnaryOp::kClip,        UnaryOp::kSigmoid,
                         UnaryOp::kTanh,     UnaryOp::kHardSigmoid, UnaryOp::kHardSwish,
                         UnaryOp::kErf,      UnaryOp::kSqrt,        UnaryOp::kExp,
                         UnaryOp::kLog,      UnaryOp::kNeg,         UnaryOp::kAbs,
                         UnaryOp::kLeakyRelu};
  std::vector<float> x = sweep(-120.0f, 120.0f, 100003);
  for (float v : sweep(-5.0f, 5.0f, 50001)) x.push_back(v);
  for (float v : special_values()) x.push_back(v);
  const int64_t n = int64_t(x.size());
  std::vector<float> want(n), got(n);
  for (Isa isa : vector_tiers) {
    for (UnaryOp op : ops) {
      unary_kernels().at(Isa::kAvx2).unary(op, x.data(), want.data(), n, 0.2f, 0.5f);
      unary_kernels().at(isa).unary(op, x.data(), got.data(), n, 0.2f, 0.5f);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(std::memcmp(&got[i], &want[i], sizeof(float)) == 0 ||
                    (std::isnan(got[i]) && std::isnan(want[i])))
            << isa_name(isa) << " op " << int(op) << " x=" << x[i] << " got " << got[i] << " avx2 "
            << want[i];
    }
  }
}

// Every op on random and special inputs: each tier's body and the dispatcher (1 and 2 threads)
// against the reference. Tolerance: exact for the piecewise-linear ops, 1e-6 relative (plus 1e-37
// absolute for results near the denormal range) for the transcendental ones, 0 for the libm-backed
// ones.
TEST(EltwiseUnary, MatchesReference) {
  const UnaryOp ops[] = {UnaryOp::kRelu,     UnaryOp::kClip,        UnaryOp::kSigmoid,
                         UnaryOp::kTanh,     UnaryOp::kHardSigmoid, UnaryOp::kHardSwish,
                         UnaryOp::kErf,      UnaryOp::kSqrt,        UnaryOp::kExp,
                         UnaryOp::kLog,      UnaryOp::kNeg,         UnaryOp::kAbs,
                         UnaryOp::kLeakyRelu};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-12.0f, 12.0f);
  ThreadPool pool1(1), pool2(2);
  for (int64_t n : {0, 1, 7, 8, 9, 31, 33, 100, 1000, 40000, 70001}) {
    std::vector<float> x(n);
    for (auto& v : x) v = dist(rng);
    std::vector<float> sp = special_values();
    for (int64_t i = 0; i < n && i < int64_t(sp.size()); ++i) x[i * 3 % n] = sp[i];
    for (UnaryOp op : ops) {
      const bool exact = op == UnaryOp::kRelu || op == UnaryOp::kClip || op == UnaryOp::kNeg ||
                         op == UnaryOp::kAbs || op == UnaryOp::kHardSigmoid ||
                         op == UnaryOp::kHardSwish || op == UnaryOp::kLeakyRelu ||
                         op == UnaryOp::kSqrt || op == UnaryOp::kLog;
      const double rel = exact ? 0.0 : 1e-6, abs = exact ? 0.0 : 1e-37;
      const float alpha = op == UnaryOp::kClip ? -1.5f : 0.2f;
      const float beta = op == UnaryOp::kClip ? 6.0f : 0.5f;
      std::vector<float> want(n), got(n);
      unary_reference(op, x.data(), want.data(), n, alpha, beta);
      auto check = [&](const char* what) {
        for (int64_t i = 0; i < n; ++i)
          ASSERT_TRUE(close(got[i], want[i], rel, abs))
              << what << " op " << int(op) << " n=" << n << " x=" << x[i] << " got " << got[i]
              << " want " << want[i];
      };
      for (Isa isa : tiers()) {
        std::fill(got.begin(), got.end(), 123.0f);
        unary_kernels().at(isa).unary(op, x.data(), got.data(), n, alpha, beta);
        check(isa_name(isa));
      }
      for (ThreadPool* pool : {&pool1, &pool2}) {
        std::fill(got.begin(), got.end(), 123.0f);
        unary(op, x.data(), got.data(), n, alpha, beta, pool);
        check("dispatch");
      }
      got = x;  // in place
      unary(op, got.data(), got.data(), n, alpha, beta, &pool2);
      check("in place");
    }
  }
}

TEST(EltwiseUnary, ActivationEpilogueMatchesApply) {
  const Activation acts[] = {{ActivationKind::kNone, 0, 0},
                             {ActivationKind::kRelu, 0, 0},
                             {ActivationKind::kClip, 0.0f, 6.0f},
                             {ActivationKind::kSigmoid, 0, 0},
                             {ActivationKind::kHardSigmoid, 0.2f, 0.5f},
                             {ActivationKind::kHardSwish, 0, 0},
                             {ActivationKind::kLeakyRelu, 0.1f, 0}};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  ThreadPool pool2(2);
  for (int64_t n : {1, 5, 8, 13, 64, 1023, 50000}) {
    std::vector<float> x(n);
    for (auto& v : x) v = dist(rng);
    std::vector<float> sp = special_values();
    for (int64_t i = 0; i < n && i < int64_t(sp.size()); ++i) x[i] = sp[i];
    for (const Activation& a : acts) {
      // Bit-identical except sigmoid, whose exp is a polynomial.
      const double rel = a.kind == ActivationKind::kSigmoid ? 1e-6 : 0.0;
      const double abs = a.kind == ActivationKind::kSigmoid ? 1e-37 : 0.0;
      // Each tier's body, then the dispatcher serial and on 2 threads.
      const std::vector<Isa> isas = tiers();
      for (size_t variant = 0; variant < isas.size() + 2; ++variant) {
        std::vector<float> got = x;
        std::string what;
        if (variant < isas.size()) {
          unary_kernels().at(isas[variant]).activation(a, got.data(), n);
          what = isa_name(isas[variant]);
        } else {
          const bool threaded = variant == isas.size() + 1;
          apply_activation(a, got.data(), n, threaded ? &pool2 : nullptr);
          what = threaded ? "dispatch, 2 threads" : "dispatch";
        }
        for (int64_t i = 0; i < n; ++i) {
          float want = a.apply(x[i]);
          ASSERT_TRUE(close(got[i], want, rel, abs))
              << "kind " << int(a.kind) << " " << what << " x=" << x[i] << " got " << got[i]
              << " want " << want;
          if (rel == 0 && !std::isnan(want)) {
            ASSERT_EQ(std::signbit(got[i]), std::signbit(want));
          }
        }
      }
    }
  }
}

TEST(EltwiseUnary, ReluSendsNanToZeroLikeActivation) {
  std::vector<float> x = {std::nanf(""), -1.0f, 2.0f};
  std::vector<float> y(3);
  unary(UnaryOp::kRelu, x.data(), y.data(), 3);
  EXPECT_EQ(y[0], Activation::relu().apply(x[0]));
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 2.0f);
}

}  // namespace
}  // namespace sinter::kernels
