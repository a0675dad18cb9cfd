// sinter::ConvMaxPool: each implementation against the reference (the plain conv, then the plain
// pool), and the reference against the two ONNX ops it replaces, over stems the fused kernel takes
// and nodes it does not (grouped, dilated, weights fed at run time), which a hostile file may hold.
#include "ops/conv_max_pool.h"

#include <gtest/gtest.h>

#include "core/isa.h"
#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;
using Ints = std::vector<int64_t>;

struct Case {
  Shape x, w;
  Attrs conv, pool;
  bool direct;  // the fused kernel takes it (on a tier with the direct kernel)
};

TEST(ConvMaxPoolOp, ImplementationsMatchConvThenPool) {
  const Attrs relu = {{"activation", std::string("Relu")}};
  const Case cases[] = {
      {{1, 3, 30, 33},
       {8, 3, 3, 3},
       {{"strides", Ints{2, 2}}},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}},
       true},
      {{2, 3, 40, 36},
       {5, 3, 7, 7},
       {{"strides", Ints{2, 2}}, {"pads", Ints{3, 3, 3, 3}}},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}},
       true},
      {{1, 4, 11, 12},
       {6, 2, 3, 3},
       {{"group", int64_t(2)}, {"pads", Ints{1, 1, 1, 1}}},
       {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}},
       false},
      {{1, 6, 13, 9},
       {4, 6, 3, 3},
       {{"dilations", Ints{2, 2}}},
       {{"kernel_shape", Ints{3, 2}}, {"strides", Ints{1, 2}}, {"pads", Ints{1, 0, 1, 1}}},
       false},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(cat(shape_str(c.x), " * ", shape_str(c.w)));
    Tensor x = random_tensor(c.x, seed++), w = random_tensor(c.w, seed++);
    Tensor b = random_tensor({c.w[0]}, seed++);
    Attrs fused_attrs = c.conv;
    for (const auto& [k, v] : relu) fused_attrs[k] = v;
    for (const auto& [k, v] : c.pool) fused_attrs[kPoolAttributePrefix + k] = v;
    const Node fused = make_node("ConvMaxPool", 3, fused_attrs, 1, "sinter");
    const std::vector<const Tensor*> in = {&x, &w, &b};
    // The reference against the ONNX ops, one after the other.
    Tensor conv = run_impl(make_node("Conv", 3, c.conv), 13, in, "reference");
    Tensor act = run1(make_node("Relu", 1), 13, {&conv});
    Tensor want = run_impl(make_node("MaxPool", 1, c.pool), 13, {&act}, "reference");
    Tensor ref = run_impl(fused, 13, in, "reference");
    expect_close(ref, want, 1e-6);
    expect_close(run_impl(fused, 13, in, "conv2d_then_max_pool", 2), ref, 1e-5);
    expect_close(run_impl(fused, 13, in, "conv2d_then_max_pool", 1, false), ref, 1e-5);
    if (c.direct && active_isa() >= Isa::kAvx2)
      for (int threads : {1, 2})
        expect_close(run_impl(fused, 13, in, "conv2d_direct_max_pool", threads), ref, 1e-5);
  }
}

TEST(ConvMaxPoolOp, RejectsAResidualAndNonImageInputs) {
  Tensor x = random_tensor({1, 3, 8, 8}, 1), w = random_tensor({4, 3, 3, 3}, 2);
  Tensor x1 = random_tensor({1, 3, 8}, 3), w1 = random_tensor({4, 3, 3}, 4);
  const Attrs pool = {{"pool_kernel_shape", Ints{2, 2}}};
  const Attrs pool1 = {{"pool_kernel_shape", Ints{2}}};
  EXPECT_THROW(run1(make_node("ConvMaxPool", 4, pool, 1, "sinter"), 13, {&x, &w, nullptr, &x}),
               ModelError);
  EXPECT_THROW(run1(make_node("ConvMaxPool", 2, pool1, 1, "sinter"), 13, {&x1, &w1}), ModelError);
}

TEST(ConvMaxPoolOp, PoolErrorsNameTheFusedNode) {
  Tensor x = random_tensor({1, 3, 8, 8}, 1), w = random_tensor({4, 3, 3, 3}, 2);
  const Attrs pool = {{"pool_kernel_shape", Ints{2, 2}}, {"pool_strides", Ints{0, 0}}};
  try {
    run1(make_node("ConvMaxPool", 2, pool, 1, "sinter"), 13, {&x, &w});
    FAIL() << "a zero pool stride was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("ConvMaxPool"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinter::testing
