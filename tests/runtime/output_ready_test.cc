// Plan::run's on_output_ready: each graph output is reported once, right after the step that
// writes it (so a training step's gradient reductions can start during the backward pass).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "../ops/math_op_test_util.h"
#include "ir/graph_builder.h"
#include "runtime/session.h"

namespace sinter {
namespace {

TEST(OutputReady, ReportedAsTheirStepsRunNotAtTheEnd) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {2, 3});
  // An Identity output is a view, as a training step's gradients are: ready with its root.
  auto early = b.node("Identity", {b.node("Relu", {x})});
  auto late = b.node("Neg", {b.node("Sigmoid", {early})});
  // The late output first: reports in output order would put it first.
  b.output(late);
  b.output(early);
  Session session(b.build(), SessionOptions{1, false, false});
  const Tensor in = testing::random_tensor({2, 3}, 3);
  std::vector<size_t> order;
  std::vector<Tensor> reported(2);
  const Plan::OutputReady ready = [&](size_t output, const Tensor& value) {
    order.push_back(output);
    reported[output] = value.clone();
  };
  const std::vector<Tensor> out = session.run({{"x", in}}, &ready);
  EXPECT_EQ(order, (std::vector<size_t>{1, 0}));
  for (size_t k = 0; k < 2; ++k)
    EXPECT_EQ(0, std::memcmp(reported[k].raw(), out[k].raw(), out[k].nbytes())) << k;
  order.clear();
  session.run({{"x", in}});  // without it: nothing reported
  EXPECT_TRUE(order.empty());
}

}  // namespace
}  // namespace sinter
