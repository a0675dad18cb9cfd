#include <limits>
#include <numeric>
#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Transpose, DefaultReversesDims) {
  auto out = run(make_node("Transpose", 1), 13, {iota_f({2, 3})});
  expect_tensor<float>(out[0], {3, 2}, {0, 3, 1, 4, 2, 5});
}

TEST(Transpose, ExplicitPerm) {
  auto out = run(make_node("Transpose", 1, 1, {{"perm", std::vector<int64_t>{1, 0, 2}}}), 13,
                 {iota_f({2, 2, 2})});
  expect_tensor<float>(out[0], {2, 2, 2}, {0, 1, 4, 5, 2, 3, 6, 7});
}

TEST(Transpose, ByteTypes) {
  auto out = run(make_node("Transpose", 1), 13, {t<int8_t>({2, 2}, {1, 2, 3, 4})});
  expect_tensor<int8_t>(out[0], {2, 2}, {1, 3, 2, 4});
  out = run(make_node("Transpose", 1), 13, {t<bool>({1, 2}, {true, false})});
  expect_tensor<bool>(out[0], {2, 1}, {true, false});
}

TEST(Transpose, BadPerm) {
  expect_node_error([] {
    run(make_node("Transpose", 1, 1, {{"perm", std::vector<int64_t>{0, 0}}}), 13, {iota_f({2, 2})});
  });
  expect_node_error([] {
    run(make_node("Transpose", 1, 1, {{"perm", std::vector<int64_t>{0}}}), 13, {iota_f({2, 2})});
  });
}

// The blocked kernel against the reference over shapes that hit every path: plain 2-D, batched
// 2-D (NCHW<->NHWC), size-1 dims that coalesce away, and a generic 4-D permutation.
TEST(Transpose, BlockedMatchesReference) {
  Node n = make_node("Transpose", 1);
  const OpDef& def = op_for(n, 13);
  ASSERT_EQ(def.impls.size(), 1u);
  ASSERT_TRUE(def.reference);
  struct Case {
    Shape shape;
    std::vector<int64_t> perm;
  };
  std::vector<Case> cases = {
      {{37, 70}, {1, 0}},           {{2, 3, 33, 35}, {0, 2, 3, 1}}, {{2, 35, 33, 3}, {0, 3, 1, 2}},
      {{1, 5, 1, 7}, {3, 2, 1, 0}}, {{3, 4, 5, 6}, {2, 0, 3, 1}},   {{4, 5, 6}, {1, 0, 2}},
      {{2, 3, 4}, {0, 1, 2}}};
  std::mt19937 rng(7);
  ThreadPool pool(2);
  for (const Case& c : cases) {
    for (DType dt : {DType::kFloat32, DType::kInt8, DType::kInt64, DType::kFloat16}) {
      n.attrs["perm"] = c.perm;
      Tensor x(dt, c.shape);
      auto* bytes = static_cast<uint8_t*>(x.raw());
      for (size_t i = 0; i < x.nbytes(); ++i) bytes[i] = static_cast<uint8_t>(rng());
      Shape out_shape;
      for (int64_t p : c.perm) out_shape.push_back(c.shape[p]);
      std::vector<Tensor> outs;
      for (const KernelImpl* impl : {&def.impls[0], &*def.reference}) {
        KernelInfo ki{n, 13, {vt(dt, c.shape)}, {vt(dt, out_shape)}, {nullptr}, 2};
        auto k = impl->create(ki);
        Tensor y(dt, out_shape);
        KernelContext kc;
        kc.inputs = {&x};
        kc.outputs = {&y};
        kc.pool = &pool;
        k->run(kc);
        outs.push_back(y);
      }
      ASSERT_EQ(std::memcmp(outs[0].raw(), outs[1].raw(), outs[0].nbytes()), 0)
          << shape_str(c.shape) << " " << dtype_name(dt);
    }
  }
}

TEST(Transpose, HostilePermNamesTheAttribute) {
  auto transpose = [](std::vector<int64_t> perm) {
    return make_node("Transpose", 1, 1, {{"perm", perm}});
  };
  expect_error<ModelError>(
      [&] {
        run(transpose({0, 0}), 13, {iota_f({2, 2})});
      },
      {"attribute 'perm' = [0,0] is not a permutation of 0..1"});
  expect_error<ModelError>(
      [&] {
        run(transpose({0, -1}), 13, {iota_f({2, 2})});
      },
      {"attribute 'perm' = [0,-1] is not a permutation"});
  expect_error<ModelError>(
      [&] {
        run(transpose({std::numeric_limits<int64_t>::max(), 0}), 13, {iota_f({2, 2})});
      },
      {"attribute 'perm' = [9223372036854775807,0]"});
  expect_error<ModelError>(
      [&] {
        run(transpose({1, 0, 2}), 13, {iota_f({2, 2})});
      },
      {"attribute 'perm' has 3 entries for a rank-2 input"});
}

}  // namespace sinter::test
