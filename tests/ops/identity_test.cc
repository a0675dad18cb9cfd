#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Identity, PassesAnyDtypeThrough) {
  auto out = run(make_node("Identity", 1), 13, {t<int8_t>({3}, {1, -2, 3})});
  expect_tensor<int8_t>(out[0], {3}, {1, -2, 3});
  EXPECT_TRUE(op_for(make_node("Identity", 1), 13).output_is_view_of_input0);
}

TEST(Identity, KernelCopiesWhenBuffersDiffer) {
  Node n = make_node("Identity", 1);
  Tensor x = t<float>({2}, {1, 2}), y(DType::kFloat32, {2});
  KernelInfo ki{n, 13, {vt(DType::kFloat32, {2})}, {vt(DType::kFloat32, {2})}, {nullptr}, 1};
  auto k = choose_kernel(op_for(n, 13), ki).create(ki);
  KernelContext kc;
  kc.inputs = {&x};
  kc.outputs = {&y};
  k->run(kc);
  expect_tensor<float>(y, {2}, {1, 2});
}

TEST(Dropout, InferenceIsIdentityWithTrueMask) {
  auto out = run(make_node("Dropout", 1, 2, {{"ratio", 0.5f}}), 13, {t<float>({2}, {1, 2})});
  expect_tensor<float>(out[0], {2}, {1, 2});
  expect_tensor<bool>(out[1], {2}, {true, true});
}

TEST(Dropout, OldOpsetMaskHasInputDtype) {
  auto out = run(make_node("Dropout", 1, 2), 7, {t<float>({2}, {1, 2})});
  expect_tensor<float>(out[1], {2}, {1, 1});
}

TEST(Dropout, TrainingModeInput) {
  Node n = make_node("Dropout", 3, 1);
  auto out = run(n, 13, {t<float>({2}, {1, 2}), Tensor::scalar<float>(0.5f), b1(false)});
  expect_tensor<float>(out[0], {2}, {1, 2});
  expect_node_error([&] {
    run(n, 13, {t<float>({2}, {1, 2}), Tensor::scalar<float>(0.5f), b1(true)});
  });
}

TEST(Dropout, KernelFillsMask) {
  Node n = make_node("Dropout", 1, 2);
  Tensor x = t<float>({3}, {1, 2, 3}), y(DType::kFloat32, {3}), m(DType::kBool, {3});
  KernelInfo ki{n, 13, {vt(DType::kFloat32, {3})}, {}, {nullptr}, 1};
  auto k = choose_kernel(op_for(n, 13), ki).create(ki);
  KernelContext kc;
  kc.inputs = {&x};
  kc.outputs = {&y, &m};
  k->run(kc);
  expect_tensor<float>(y, {3}, {1, 2, 3});
  expect_tensor<bool>(m, {3}, {true, true, true});
}

}  // namespace sinter::test
