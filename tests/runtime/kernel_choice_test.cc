// Kernels chosen outside the heuristics (SessionOptions::kernel_choice, as a tuning database
// chooses; plan files): each variant a convolution names runs and agrees with the heuristics'
// choice, a sparse kernel may be named below the density its heuristic asks for, and a choice the
// node cannot take is refused. A plan file keeps the variants it was compiled with.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "../kernels/sparse_test_util.h"
#include "core/error.h"
#include "ir/graph_builder.h"
#include "kernels/conv/conv2d.h"
#include "runtime/plan_file.h"

namespace sinter::testing {
namespace {

Tensor tensor_of(Shape shape, const std::vector<float>& v) {
  return Tensor::from_vector<float>(std::move(shape), v);
}

// x [1, 64, 14, 14] -> 3x3 conv pad 1 (64 -> 64) -> Relu.
Graph conv_model(const std::vector<float>& w) {
  std::mt19937 rng(2);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 64, 14, 14});
  auto c = b.node("Conv",
                  {x, b.weight("w", tensor_of({64, 64, 3, 3}, w)),
                   b.weight("b", tensor_of({64}, random_floats(rng, 64)))},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  b.output(b.node("Relu", {c}));
  return b.build();
}

std::unordered_map<std::string, Tensor> input() {
  std::mt19937 rng(4);
  return {{"x", tensor_of({1, 64, 14, 14}, random_floats(rng, 64 * 14 * 14))}};
}

const PlanStep& conv_step(const Session& s) {
  for (const PlanStep& step : s.plan().steps())
    if (step.kernel) return step;
  throw std::runtime_error("no kernel step");
}

void expect_close(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i)
    ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-3f * (1 + std::abs(b.data<float>()[i])))
        << i;
}

SessionOptions choosing(const std::string& impl, const std::string& variant) {
  SessionOptions o;
  o.blocked_layout = false;  // keeps the convolutions on the conv ops whose kernels are named
  o.kernel_choice = [=](const KernelInfo& info) -> std::optional<KernelChoice> {
    if (info.node.op_type != "FusedConv") return std::nullopt;
    return KernelChoice{impl, variant};
  };
  return o;
}

TEST(KernelChoice, EveryConvolutionVariantRunsAndAgrees) {
  std::mt19937 rng(1);
  const Graph g = conv_model(random_floats(rng, 64 * 64 * 9));
  const Tensor expected = Session(g, {}).run(input())[0];
  int ran = 0;
  for (const std::string& variant : Conv2d::algorithm_names()) {
    SCOPED_TRACE(variant);
    Session s(g, choosing("conv2d", variant));
    try {
      const Tensor y = s.run(input())[0];
      expect_close(y, expected);
      EXPECT_EQ(conv_step(s).variant, variant);
      EXPECT_EQ(conv_step(s).kernel_name, "conv2d/" + variant);
      ++ran;
    } catch (const ModelError& e) {
      // An algorithm that cannot run this shape (the direct one takes at most 4 channels) is
      // refused by name before any kernel is made.
      EXPECT_NE(std::string(e.what()).find("conv2d/" + variant), std::string::npos) << e.what();
    }
  }
  EXPECT_GE(ran, 4);
}

TEST(KernelChoice, ASparseKernelMayBeNamedBelowItsThreshold) {
  std::mt19937 rng(3);
  // Every kernel kept on a 4-tap pattern: 44 % nonzero, above the 30 % the heuristic takes.
  const Graph g = conv_model(random_pattern_weights(rng, 64 * 64, 1.0, 0.0));
  Session heuristic(g, {});
  const Tensor expected = heuristic.run(input())[0];
  EXPECT_EQ(conv_step(heuristic).impl_name, "conv2d");
  Session chosen(g, choosing("conv2d_pattern", ""));
  expect_close(chosen.run(input())[0], expected);
  EXPECT_EQ(conv_step(chosen).impl_name, "conv2d_pattern");
}

TEST(KernelChoice, ChoicesTheNodeCannotTakeAreRefused) {
  std::mt19937 rng(5);
  const Graph g = conv_model(random_floats(rng, 64 * 64 * 9));
  EXPECT_THROW(Session(g, choosing("no_such_kernel", "")).run(input()), ModelError);
  EXPECT_THROW(Session(g, choosing("reference", "")).run(input()), ModelError);
  EXPECT_THROW(Session(g, choosing("conv2d", "fastest")).run(input()), ModelError);
  EXPECT_THROW(Session(g, choosing("conv2d", "dwm")).run(input()), ModelError);  // a 3x3 layer
  // Dense weights: the pattern kernel cannot run them at all.
  EXPECT_THROW(Session(g, choosing("conv2d_pattern", "")).run(input()), ModelError);
}

TEST(KernelChoice, PlanFilesKeepTheChosenVariant) {
  std::mt19937 rng(6);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("variant." + std::to_string(::getpid()) + ".splan"))
                               .string();
  // A 3x3 layer on the implicit GEMM, and a 5x5 one on DWM (several packed Winograd pieces in
  // one step).
  for (int64_t k : {3, 5}) {
    const std::string variant = k == 3 ? "implicit_gemm" : "dwm";
    SCOPED_TRACE(variant);
    GraphBuilder b;
    auto x = b.input("x", DType::kFloat32, {1, 64, 14, 14});
    auto c = b.node(
        "Conv", {x, b.weight("w", tensor_of({64, 64, k, k}, random_floats(rng, 64 * 64 * k * k)))},
        {{"pads", std::vector<int64_t>(4, k / 2)}});
    b.output(b.node("Relu", {c}));
    const Graph g = b.build();
    auto compiled = compile_plan_file(g, input(), choosing("conv2d", variant), "conv", path);
    auto loaded = load_plan_file(path);
    EXPECT_EQ(conv_step(*loaded).variant, variant);
    EXPECT_EQ(conv_step(*loaded).kernel_name, "conv2d/" + variant);
    const Tensor a = compiled->run(input())[0], y = loaded->run(input())[0];
    EXPECT_EQ(std::memcmp(a.raw(), y.raw(), a.nbytes()), 0);
    expect_close(y, Session(g, {}).run(input())[0]);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sinter::testing
