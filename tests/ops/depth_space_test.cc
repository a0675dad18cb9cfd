#include "shape_op_test_util.h"

namespace sinter::test {

TEST(DepthToSpace, DcrAndCrd) {
  // 1x4x1x1 with blocksize 2 -> 1x1x2x2.
  Tensor x = iota_f({1, 4, 1, 2});
  auto dcr = run(make_node("DepthToSpace", 1, 1, {{"blocksize", int64_t{2}}}), 13, {x});
  // DCR: out[0,0,h*2+i,w*2+j] = x[0, i*2+j, h, w].
  expect_tensor<float>(dcr[0], {1, 1, 2, 4}, {0, 2, 1, 3, 4, 6, 5, 7});
  auto crd = run(
      make_node("DepthToSpace", 1, 1, {{"blocksize", int64_t{2}}, {"mode", std::string("CRD")}}),
      13, {x});
  expect_tensor<float>(crd[0], {1, 1, 2, 4}, {0, 2, 1, 3, 4, 6, 5, 7});
  Tensor y = iota_f({1, 8, 1, 1});
  auto dcr2 = run(make_node("DepthToSpace", 1, 1, {{"blocksize", int64_t{2}}}), 13, {y});
  expect_tensor<float>(dcr2[0], {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  auto crd2 = run(
      make_node("DepthToSpace", 1, 1, {{"blocksize", int64_t{2}}, {"mode", std::string("CRD")}}),
      13, {y});
  expect_tensor<float>(crd2[0], {1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
}

TEST(SpaceToDepth, InvertsDepthToSpace) {
  Tensor x = iota_f({1, 2, 4, 6});
  auto s2d = run(make_node("SpaceToDepth", 1, 1, {{"blocksize", int64_t{2}}}), 13, {x});
  ASSERT_EQ(s2d[0].shape(), (Shape{1, 8, 2, 3}));
  auto back = run(make_node("DepthToSpace", 1, 1, {{"blocksize", int64_t{2}}}), 13, {s2d[0]});
  ASSERT_EQ(back[0].shape(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(back[0].data<float>()[i], i);
}

TEST(DepthToSpace, BadShapes) {
  expect_node_error(
      [] {
        run(make_node("DepthToSpace", 1, 1, {{"blocksize", int64_t{2}}}), 13,
            {iota_f({1, 3, 1, 1})});
      },
      "divisible");
  expect_node_error(
      [] {
        run(make_node("SpaceToDepth", 1, 1, {{"blocksize", int64_t{2}}}), 13,
            {iota_f({1, 1, 3, 2})});
      },
      "divisible");
  expect_node_error(
      [] {
        run(make_node("DepthToSpace", 1), 13, {iota_f({1, 4, 1, 1})});
      },
      "blocksize");
}

}  // namespace sinter::test
