// The blocked-layout pass: a model computes what it computed in NCHW (1 and 2 threads), the
// regions it should take are taken whole, the reorders sit where values leave or enter a region,
// and regions whose reorders would cost more than they save stay NCHW.
#include "passes/blocked_layout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "ir/graph_builder.h"
#include "kernels/blocked/blocked_conv2d.h"
#include "runtime/session.h"

namespace sinter {
namespace {

Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

using Attrs = std::map<std::string, Attribute>;
Attrs pads1() { return {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}; }

// Runs g blocked and NCHW, on `threads`; returns the blocked session's compiled graph.
Graph expect_blocked_matches_nchw(const Graph& g, const Tensor& x, int threads) {
  SessionOptions nchw{threads, true, false};
  nchw.blocked_layout = false;
  SessionOptions blocked{threads, true, false};
  Session a(g, nchw), b(g, blocked);
  auto want = a.run({{"x", x}});
  auto got = b.run({{"x", x}});
  EXPECT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    EXPECT_EQ(want[i].shape(), got[i].shape());
    float scale = 1e-6f;
    for (int64_t k = 0; k < want[i].numel(); ++k)
      if (!std::isnan(want[i].data<float>()[k]))
        scale = std::max(scale, std::fabs(want[i].data<float>()[k]));
    for (int64_t k = 0; k < want[i].numel(); ++k) {
      const float w = want[i].data<float>()[k], v = got[i].data<float>()[k];
      if (std::isnan(w)) {
        EXPECT_TRUE(std::isnan(v)) << "output " << i << " at " << k;
      } else {
        EXPECT_NEAR(v, w, 1e-4f * scale) << "output " << i << " at " << k;
      }
    }
  }
  return b.compiled_graph();
}

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

// A Conv with seeded random weights in [-range, range] and a bias; `seed` moves on.
std::string add_conv(GraphBuilder& b, uint32_t& seed, const std::string& in, int64_t c, int64_t m,
                     int64_t k, Attrs attrs, float range) {
  auto w = b.weight(cat("w", seed), random_tensor({m, c, k, k}, seed, -range, range));
  auto bias = b.weight(cat("b", seed), random_tensor({m}, seed + 100));
  ++seed;
  return b.node("Conv", {in, w, bias}, std::move(attrs));
}

// A mobilenet-v2-like stack: stem, depthwise and 1x1 convs, an inverted residual block with its
// Add, a global average pool and a classifier.
Graph inverted_residuals() {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, 32, 32});
  uint32_t seed = 1;
  auto conv = [&](const std::string& in, int64_t c, int64_t m, int64_t k, Attrs attrs) {
    return add_conv(b, seed, in, c, m, k, std::move(attrs), 0.5f);
  };
  auto relu6 = [&](const std::string& in) {
    return b.node("Clip", {in, b.weight(cat("lo", seed), Tensor::scalar(0.0f)),
                           b.weight(cat("hi", seed), Tensor::scalar(6.0f))});
  };
  Attrs stem = pads1();
  stem["strides"] = std::vector<int64_t>{2, 2};
  auto s = relu6(conv(x, 3, 32, 3, stem));
  Attrs dw32 = pads1();
  dw32["group"] = int64_t{32};
  auto d = relu6(conv(s, 1, 32, 3, dw32));
  auto p = conv(d, 32, 24, 1, {});
  auto e = relu6(conv(p, 24, 144, 1, {}));
  Attrs dw144 = pads1();
  dw144["group"] = int64_t{144};
  auto d2 = relu6(conv(e, 1, 144, 3, dw144));
  auto p2 = conv(d2, 144, 24, 1, {});
  auto sum = b.node("Add", {p2, p});
  auto head = relu6(conv(sum, 24, 80, 1, {}));
  auto pool = b.node("GlobalAveragePool", {head});
  auto flat = b.node("Flatten", {pool});
  auto fc = b.weight("fc", random_tensor({10, 80}, 99));
  b.output(b.node("Gemm", {flat, fc}, {{"transB", int64_t{1}}}));
  return b.build();
}

TEST(BlockedLayout, InvertedResidualsRunBlockedAndMatchNchw) {
  if (!BlockedConv2d::vectorized()) GTEST_SKIP() << "no vector blocked kernels at this tier";
  const Graph g = inverted_residuals();
  for (int threads : {1, 2}) {
    const Graph compiled =
        expect_blocked_matches_nchw(g, random_tensor({1, 3, 32, 32}, 7), threads);
    EXPECT_EQ(count_ops(compiled, "BlockedConv"), 7);
    EXPECT_EQ(count_ops(compiled, "BlockedGlobalAveragePool"), 1);
    // The stem reads the NCHW input and the pool writes NCHW: nothing to reorder.
    EXPECT_EQ(count_ops(compiled, "ReorderToBlocked"), 0);
    EXPECT_EQ(count_ops(compiled, "ReorderFromBlocked"), 0);
  }
}

// Wide 1x1 convs whose middle value is also a graph output, and a depthwise conv reading a Relu:
// a reorder out of the region and one into it.
TEST(BlockedLayout, ValuesLeavingAndEnteringARegionAreReordered) {
  if (!BlockedConv2d::vectorized()) GTEST_SKIP() << "no vector blocked kernels at this tier";
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 40, 6, 6});
  auto r = b.node("Relu", {x});
  auto wd = b.weight("wd", random_tensor({40, 1, 3, 3}, 1));
  Attrs dw = pads1();
  dw["group"] = int64_t{40};
  std::string v = b.node("Conv", {r, wd}, dw);
  std::string middle;
  for (int i = 0; i < 10; ++i) {
    const int64_t c = i == 0 ? 40 : 520;
    v = b.node("Conv",
               {v, b.weight(cat("w", i), random_tensor({520, c, 1, 1}, 2 + i, -0.1f, 0.1f))});
    if (i == 4) middle = v;
  }
  b.output(v);
  b.output(middle);
  const Graph g = b.build();
  const Graph compiled = expect_blocked_matches_nchw(g, random_tensor({1, 40, 6, 6}, 9), 2);
  EXPECT_EQ(count_ops(compiled, "BlockedConv"), 11);
  EXPECT_EQ(count_ops(compiled, "ReorderToBlocked"), 1);    // the Relu's output
  EXPECT_EQ(count_ops(compiled, "ReorderFromBlocked"), 2);  // the two graph outputs
}

// A squeezenet fire: a stem, squeeze, both expands, their Concat along channels and a ceil-mode
// MaxPool, all blocked; a NaN in the input must come out as it does in NCHW (the stem's ReLU
// turns the NaNs its window spreads into zeros).
TEST(BlockedLayout, FireModuleWithConcatAndMaxPoolRunsBlocked) {
  if (!BlockedConv2d::vectorized()) GTEST_SKIP() << "no vector blocked kernels at this tier";
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, 29, 29});
  uint32_t seed = 30;
  auto conv = [&](const std::string& in, int64_t c, int64_t m, int64_t k, Attrs attrs) {
    return b.node("Relu", {add_conv(b, seed, in, c, m, k, std::move(attrs), 0.3f)});
  };
  auto stem = conv(x, 3, 64, 3, pads1());
  auto squeeze = conv(stem, 64, 16, 1, {});
  auto cat1 = b.node("Concat", {conv(squeeze, 16, 64, 1, {}), conv(squeeze, 16, 64, 3, pads1())},
                     {{"axis", int64_t{1}}});
  auto pooled = b.node("MaxPool", {cat1},
                       {{"kernel_shape", std::vector<int64_t>{3, 3}},
                        {"strides", std::vector<int64_t>{2, 2}},
                        {"ceil_mode", int64_t{1}}});
  b.output(b.node("GlobalAveragePool", {conv(pooled, 128, 40, 1, {})}));
  const Graph g = b.build();
  Tensor input = random_tensor({1, 3, 29, 29}, 31);
  input.data<float>()[5 * 29 + 7] = NAN;
  for (int threads : {1, 2}) {
    const Graph compiled = expect_blocked_matches_nchw(g, input, threads);
    EXPECT_EQ(count_ops(compiled, "BlockedConv"), 5);
    EXPECT_EQ(count_ops(compiled, "BlockedMaxPool"), 1);
    EXPECT_EQ(count_ops(compiled, "BlockedGlobalAveragePool"), 1);
    EXPECT_EQ(count_ops(compiled, "ReorderToBlocked") + count_ops(compiled, "ReorderFromBlocked"),
              0);
  }
}

// One small 1x1 conv between NCHW ops: its reorder would cost more than its kernel saves.
TEST(BlockedLayout, SmallRegionsStayNchw) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 16, 8, 8});
  auto w = b.weight("w", random_tensor({16, 16, 1, 1}, 3));
  b.output(b.node("Relu", {b.node("Conv", {x, w})}));
  const Graph compiled = expect_blocked_matches_nchw(b.build(), random_tensor({1, 16, 8, 8}, 4), 1);
  EXPECT_EQ(count_ops(compiled, "BlockedConv"), 0);
}

}  // namespace
}  // namespace sinter
