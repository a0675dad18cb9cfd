// In-place Concat: producers write into slices of the Concat's output. Each case checks which
// Concats the plan runs in place and that outputs match plain element-wise arithmetic.
#include <gtest/gtest.h>

#include <cmath>

#include "../ops/math_op_test_util.h"
#include "ir/graph_builder.h"
#include "runtime/session.h"

namespace sinter {
namespace {

using testing::random_tensor;

std::vector<float> values(const Tensor& t) {
  const float* p = t.data<float>();
  return {p, p + t.numel()};
}

std::vector<float> map(const Tensor& t, float (*f)(float)) {
  std::vector<float> v = values(t);
  for (float& x : v) x = f(x);
  return v;
}

float relu(float x) { return x > 0 ? x : 0; }
float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float negate(float x) { return -x; }

// Concat along axis 1 of [n, c, h, w] tensors given as flat vectors.
std::vector<float> concat1(const std::vector<std::vector<float>>& parts, int64_t n) {
  std::vector<float> out;
  for (int64_t b = 0; b < n; ++b)
    for (const auto& p : parts) {
      const size_t per = p.size() / n;
      out.insert(out.end(), p.begin() + b * per, p.begin() + (b + 1) * per);
    }
  return out;
}

std::string kernel_of(Session& s, const std::string& op) {
  for (const auto& step : s.plan().steps())
    if (step.op_type == op) return step.kernel_name;
  return "";
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-6f) << "at " << i;
}

std::unique_ptr<Session> run(GraphBuilder& b, const Tensor& x, std::vector<Tensor>& out) {
  auto s = std::make_unique<Session>(b.build(), SessionOptions{1, false, false});
  out = s->run({{"x", x}});
  return s;
}

TEST(ConcatInPlace, ProducersWriteIntoTheOutput) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, 4, 5});
  auto r = b.node("Relu", {x});
  auto s = b.node("Sigmoid", {x});
  auto c = b.node("Concat", {r, s}, {{"axis", int64_t{1}}});
  b.output(b.node("Neg", {c}));
  Tensor in = random_tensor({1, 3, 4, 5}, 1);
  std::vector<Tensor> out;
  auto session = run(b, in, out);
  EXPECT_EQ(kernel_of(*session, "Concat"), "in place");
  std::vector<float> want = concat1({map(in, relu), map(in, sigmoid)}, 1);
  for (float& v : want) v = -v;
  expect_near(values(out[0]), want);
}

TEST(ConcatInPlace, NestedConcatIsAGraphOutput) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 2, 3, 3});
  auto r = b.node("Relu", {x});
  auto s = b.node("Sigmoid", {x});
  auto inner = b.node("Concat", {r, s}, {{"axis", int64_t{-3}}});
  auto n = b.node("Neg", {x});
  b.output(b.node("Concat", {n, inner}, {{"axis", int64_t{1}}}));
  Tensor in = random_tensor({1, 2, 3, 3}, 2);
  std::vector<Tensor> out;
  auto session = run(b, in, out);
  for (const auto& step : session->plan().steps())
    if (step.op_type == "Concat") {
      EXPECT_EQ(step.kernel_name, "in place");
    }
  expect_near(values(out[0]), concat1({map(in, negate), map(in, relu), map(in, sigmoid)}, 1));
}

TEST(ConcatInPlace, PartReadAfterTheConcatKeepsItsValue) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 4, 2, 2});
  auto r = b.node("Relu", {x});
  auto s = b.node("Sigmoid", {x});
  auto c = b.node("Concat", {r, s}, {{"axis", int64_t{1}}});
  auto big = b.node("Neg", {c});  // more live values after the Concat, to tempt the planner
  b.output(big);
  b.output(b.node("Neg", {r}));
  Tensor in = random_tensor({1, 4, 2, 2}, 3);
  std::vector<Tensor> out;
  auto session = run(b, in, out);
  EXPECT_EQ(kernel_of(*session, "Concat"), "in place");
  expect_near(values(out[1]), map(Tensor::from_vector<float>({16}, map(in, relu)), negate));
}

TEST(ConcatInPlace, StaysACopyWhenPartsAreNotContiguous) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3, 2, 2});
  auto c = b.node("Concat", {b.node("Relu", {x}), b.node("Sigmoid", {x})}, {{"axis", int64_t{1}}});
  b.output(c);
  Tensor in = random_tensor({2, 3, 2, 2}, 4);
  std::vector<Tensor> out;
  auto session = run(b, in, out);
  EXPECT_NE(kernel_of(*session, "Concat"), "in place");
  expect_near(values(out[0]), concat1({map(in, relu), map(in, sigmoid)}, 2));
}

TEST(ConcatInPlace, StaysACopyForInputsItCannotPlace) {
  // A graph input, a graph output and a value used twice cannot live inside the output.
  for (int variant = 0; variant < 3; ++variant) {
    GraphBuilder b;
    auto x = b.input("x", DType::kFloat32, {1, 2, 2, 2});
    auto r = b.node("Relu", {x});
    std::vector<std::string> parts;
    if (variant == 0) parts = {x, r};
    if (variant == 1) {
      parts = {r, b.node("Sigmoid", {x})};
      b.output(r);
    }
    if (variant == 2) parts = {r, r};
    b.output(b.node("Concat", parts, {{"axis", int64_t{1}}}));
    Tensor in = random_tensor({1, 2, 2, 2}, 5);
    std::vector<Tensor> out;
    auto session = run(b, in, out);
    EXPECT_NE(kernel_of(*session, "Concat"), "in place") << "variant " << variant;
    std::vector<float> first = variant == 0 ? values(in) : map(in, relu);
    std::vector<float> second = variant == 1 ? map(in, sigmoid) : map(in, relu);
    expect_near(values(out.back()), concat1({first, second}, 1));
  }
}

}  // namespace
}  // namespace sinter
