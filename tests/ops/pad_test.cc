#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Pad, ConstantFromInput) {
  Node n = make_node("Pad", 3);
  auto out =
      run(n, 13, {t<float>({2, 2}, {1, 2, 3, 4}), i64({0, 1, 1, 0}), Tensor::scalar<float>(9.f)});
  expect_tensor<float>(out[0], {3, 3}, {9, 1, 2, 9, 3, 4, 9, 9, 9});
  // Without constant_value the pad is zero.
  Node n2 = make_node("Pad", 2);
  out = run(n2, 13, {t<int32_t>({2}, {5, 6}), i64({1, 1})});
  expect_tensor<int32_t>(out[0], {4}, {0, 5, 6, 0});
}

TEST(Pad, ReflectAndEdge) {
  Node n = make_node("Pad", 2, 1, {{"mode", std::string("reflect")}});
  expect_tensor<float>(run(n, 13, {t<float>({3}, {1, 2, 3}), i64({2, 2})})[0], {7},
                       {3, 2, 1, 2, 3, 2, 1});
  n.attrs["mode"] = std::string("edge");
  expect_tensor<float>(run(n, 13, {t<float>({1, 2}, {1, 2}), i64({1, 1, 0, 1})})[0], {2, 4},
                       {1, 1, 2, 2, 1, 1, 2, 2});
}

TEST(Pad, NegativePadsCrop) {
  Node n = make_node("Pad", 2);
  expect_tensor<float>(run(n, 13, {iota_f({2, 3}), i64({0, -1, 0, 1})})[0], {2, 3},
                       {1, 2, 0, 4, 5, 0});
}

TEST(Pad, Opset2Attributes) {
  Node n = make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{1, 0}}, {"value", 1.5f}});
  expect_tensor<float>(run(n, 10, {t<float>({1}, {7})})[0], {2}, {1.5f, 7});
  Node i = make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{0, 1}}, {"value", 3.f}});
  expect_tensor<int8_t>(run(i, 10, {t<int8_t>({1}, {7})})[0], {2}, {7, 3});
}

TEST(Pad, UnknownPadsKeepRank) {
  auto types =
      infer(make_node("Pad", 2), 13, {vt(DType::kFloat32, {2, 3}), vt(DType::kInt64, {4})});
  EXPECT_EQ(types[0].shape, (Shape{-1, -1}));
}

TEST(Pad, BadArguments) {
  expect_node_error([] { run(make_node("Pad", 2), 13, {iota_f({2, 3}), i64({1, 1})}); }, "pads");
  expect_node_error([] { run(make_node("Pad", 2), 13, {iota_f({2}), i64({-2, -1})}); });
  expect_node_error([] {
    run(make_node("Pad", 2, 1, {{"mode", std::string("wrap")}}), 13, {iota_f({2}), i64({1, 1})});
  });
}

}  // namespace sinter::test
