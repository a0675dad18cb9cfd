#include <gtest/gtest.h>

#include "ir/graph_builder.h"
#include "kernels/conv/conv2d.h"
#include "math_op_test_util.h"
#include "runtime/session.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;
using Ints = std::vector<int64_t>;

TEST(ConvOp, HandComputedPaddedExample) {
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[i] = float(i);
  Tensor x = Tensor::from_vector<float>({1, 1, 5, 5}, xv);
  Tensor w = Tensor::from_vector<float>({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  Node n = make_node("Conv", 2, {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}});
  const std::vector<double> want = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                    117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
  for (const char* impl : {"conv2d", "reference"})
    expect_values(run_impl(n, 13, {&x, &w}, impl), want);
  Node s = make_node("Conv", 2, {{"strides", Ints{2, 2}}});
  expect_values(run1(s, 13, {&x, &w}), {54, 72, 144, 162});
}

struct ConvCase {
  Shape x, w;
  Attrs attrs;
  Shape out;
};

TEST(ConvOp, EveryImplementationMatchesReference) {
  const ConvCase cases[] = {
      {{2, 3, 9, 11}, {8, 3, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}, {2, 8, 9, 11}},
      {{1, 4, 10, 10}, {6, 4, 3, 3}, {{"strides", Ints{2, 2}}}, {1, 6, 4, 4}},
      {{1, 4, 12, 12},
       {5, 4, 3, 3},
       {{"dilations", Ints{2, 2}}, {"pads", Ints{2, 1, 2, 1}}},
       {1, 5, 12, 10}},
      {{1, 6, 8, 8},
       {9, 2, 3, 3},
       {{"group", int64_t(3)}, {"pads", Ints{1, 1, 1, 1}}},
       {1, 9, 8, 8}},
      {{2, 8, 9, 9},
       {8, 1, 3, 3},
       {{"group", int64_t(8)}, {"pads", Ints{1, 1, 1, 1}}},
       {2, 8, 9, 9}},
      {{1, 8, 10, 10},
       {8, 1, 3, 3},
       {{"group", int64_t(8)}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}},
       {1, 8, 5, 5}},
      {{1, 4, 7, 7},
       {8, 1, 5, 5},
       {{"group", int64_t(4)}, {"auto_pad", std::string("SAME_UPPER")}},
       {1, 8, 7, 7}},
      {{1, 3, 8, 7}, {4, 3, 1, 1}, {}, {1, 4, 8, 7}},
      {{1, 3, 8, 8},
       {4, 3, 2, 2},
       {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}},
       {1, 4, 4, 4}},
      {{1, 3, 7, 7}, {4, 3, 2, 2}, {{"auto_pad", std::string("SAME_LOWER")}}, {1, 4, 7, 7}},
      {{1, 3, 7, 6},
       {4, 3, 3, 2},
       {{"auto_pad", std::string("VALID")}, {"pads", Ints{}}},
       {1, 4, 5, 5}},
      {{2, 3, 20}, {5, 3, 4}, {{"pads", Ints{1, 2}}, {"strides", Ints{2}}}, {2, 5, 10}},
      {{1, 4, 16}, {4, 1, 3}, {{"group", int64_t(4)}, {"dilations", Ints{2}}}, {1, 4, 12}},
  };
  uint32_t seed = 100;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(cat(shape_str(c.x), " * ", shape_str(c.w)));
    Attrs attrs = c.attrs;
    if (attrs.count("pads") && std::get<Ints>(attrs["pads"]).empty()) attrs.erase("pads");
    Tensor x = random_tensor(c.x, seed++), w = random_tensor(c.w, seed++);
    Tensor b = random_tensor({c.w[0]}, seed++);
    for (bool with_bias : {false, true}) {
      Node n = make_node("Conv", with_bias ? 3 : 2, attrs);
      std::vector<const Tensor*> in = {&x, &w};
      if (with_bias) in.push_back(&b);
      Tensor ref = run_impl(n, 13, in, "reference");
      ASSERT_EQ(shape_str(ref.shape()), shape_str(c.out));
      expect_close(run1(n, 13, in), ref, 1e-5);
      expect_close(run_impl(n, 13, in, "conv2d", 2), ref, 1e-5);
      const int64_t group = n.attr_int("group", 1);
      if (group == c.x[1]) expect_close(run_impl(n, 13, in, "depthwise", 2), ref, 1e-5);
      // Weights known only at run time fall back to a path that needs no packing.
      expect_close(run_impl(n, 13, in, "reference", 1, false), ref, 1e-5);
    }
  }
}

TEST(ConvOp, ThreeDimensionalMatchesReference) {
  Tensor x = random_tensor({2, 4, 5, 6, 6}, 41), w = random_tensor({6, 2, 3, 3, 3}, 42);
  Tensor b = random_tensor({6}, 43);
  Node n = make_node("Conv", 3,
                     {{"group", int64_t{2}},
                      {"strides", Ints{2, 1, 2}},
                      {"pads", Ints{1, 1, 0, 1, 0, 1}},
                      {"dilations", Ints{1, 2, 1}}});
  const Tensor ref = run_impl(n, 13, {&x, &w, &b}, "reference");
  EXPECT_EQ(shape_str(ref.shape()), "[2,6,3,3,3]");
  expect_close(run1(n, 13, {&x, &w, &b}), ref, 1e-5);
  expect_close(run_impl(n, 13, {&x, &w, &b}, "conv3d", 2), ref, 1e-5);
  expect_close(run_impl(n, 13, {&x, &w, &b}, "conv2d_packed_per_run", 1, false), ref, 1e-5);
}

TEST(ConvOp, NonConstantWeightsArePackedPerRun) {
  Tensor x = random_tensor({1, 2, 5, 5}, 1), w = random_tensor({3, 2, 3, 3}, 2);
  Node n = make_node("Conv", 2);
  const OpDef& def = op_for(n, 13);
  std::vector<ValueType> types = {{DType::kFloat32, x.shape(), true},
                                  {DType::kFloat32, w.shape(), true}};
  KernelInfo dynamic{n, 13, types, {}, {nullptr, nullptr}, 1};
  EXPECT_EQ(choose_kernel(def, dynamic).name, "conv2d_packed_per_run");
  KernelInfo constant{n, 13, types, {}, {nullptr, &w}, 1};
  EXPECT_EQ(choose_kernel(def, constant).name, "conv2d");

  // Weights as a graph input (as in training) give the reference's answer, run after run with
  // changing weights.
  GraphBuilder b;
  auto xi = b.input("x", DType::kFloat32, {2, 2, 7, 6});
  auto wi = b.input("w", DType::kFloat32, {4, 2, 3, 3});
  b.output(b.node("Conv", {xi, wi}, {{"pads", Ints{1, 0, 1, 2}}, {"strides", Ints{2, 1}}}));
  Session s(b.build(), {2, false, false});
  for (uint32_t seed = 3; seed < 6; ++seed) {
    Tensor xs = random_tensor({2, 2, 7, 6}, seed), ws = random_tensor({4, 2, 3, 3}, seed + 10);
    const Tensor got = s.run({{"x", xs}, {"w", ws}})[0];
    Conv2dShape cs;
    cs.N = 2;
    cs.C = 2;
    cs.H = 7;
    cs.W = 6;
    cs.M = 4;
    cs.KH = cs.KW = 3;
    cs.stride_h = 2;
    cs.pad_top = 1;
    cs.pad_bottom = 1;
    cs.pad_right = 2;
    std::vector<float> want(static_cast<size_t>(got.numel()));
    conv2d_reference(cs, xs.data<float>(), ws.data<float>(), nullptr, nullptr, {}, want.data());
    for (int64_t i = 0; i < got.numel(); ++i) ASSERT_NEAR(got.data<float>()[i], want[i], 1e-4f);
  }
}

TEST(ConvOp, FusedConvEqualsConvAddActivation) {
  struct Act {
    std::string name;
    float alpha, beta;
  };
  const Act acts[] = {{"", 0, 0},
                      {"Relu", 0, 0},
                      {"Clip", 0.0f, 6.0f},
                      {"Sigmoid", 0, 0},
                      {"HardSigmoid", 0.2f, 0.5f},
                      {"HardSwish", 0, 0},
                      {"LeakyRelu", 0.1f, 0}};
  for (Shape ws : {Shape{6, 4, 3, 3}, Shape{4, 1, 3, 3}}) {
    const int64_t group = ws[1] == 1 ? 4 : 1;
    Tensor x = random_tensor({2, 4, 7, 7}, 3, -2, 2), w = random_tensor(ws, 4);
    Tensor b = random_tensor({ws[0]}, 5);
    Tensor z = random_tensor({2, ws[0], 7, 7}, 6, -2, 2);
    Attrs base = {{"pads", Ints{1, 1, 1, 1}}, {"group", group}};
    Tensor conv = run1(make_node("Conv", 3, base), 13, {&x, &w, &b});
    Tensor sum = run1(make_node("Add", 2), 13, {&conv, &z});
    for (const Act& a : acts) {
      Attrs attrs = base;
      if (!a.name.empty()) {
        attrs["activation"] = a.name;
        attrs["activation_alpha"] = a.alpha;
        attrs["activation_beta"] = a.beta;
      }
      Node fused = make_node("FusedConv", 4, attrs, 1, "sinter");
      // The unfused op that the activation stands for (Clip with attributes: opset 6 form).
      Tensor want = sum;
      if (a.name == "Clip") {
        want = run1(make_node("Clip", 1, {{"min", a.alpha}, {"max", a.beta}}), 6, {&sum});
      } else if (a.name == "HardSigmoid") {
        want = run1(make_node(a.name, 1, {{"alpha", a.alpha}, {"beta", a.beta}}), 14, {&sum});
      } else if (a.name == "LeakyRelu") {
        want = run1(make_node(a.name, 1, {{"alpha", a.alpha}}), 14, {&sum});
      } else if (!a.name.empty()) {
        want = run1(make_node(a.name, 1), 14, {&sum});
      }
      for (const char* impl : {"depthwise", "conv2d", "reference"}) {
        if (std::string(impl) == "depthwise" && group == 1) continue;
        SCOPED_TRACE(cat(a.name, " ", impl, " group=", group));
        expect_close(run_impl(fused, 13, {&x, &w, &b, &z}, impl, 2), want, 1e-5);
      }
      // Without the residual: Conv then activation.
      Node no_z = make_node("FusedConv", 3, attrs, 1, "sinter");
      Tensor got = run1(no_z, 13, {&x, &w, &b});
      Activation act = fused_activation(no_z);
      std::vector<double> expect;
      for (int64_t i = 0; i < conv.numel(); ++i) expect.push_back(act.apply(conv.data<float>()[i]));
      expect_values(got, expect, 1e-5);
    }
  }
}

TEST(ConvOp, BadInputsNameTheNode) {
  Tensor x = random_tensor({1, 3, 5, 5}, 1), w = random_tensor({4, 2, 3, 3}, 2);
  Node n = make_node("Conv", 2);
  n.name = "conv_bad";
  try {
    run1(n, 13, {&x, &w});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("Conv node 'conv_bad'"), std::string::npos) << e.what();
  }
  Tensor w3 = random_tensor({4, 3, 7, 7}, 3);  // larger than the input
  EXPECT_THROW(run1(n, 13, {&x, &w3}), ModelError);
  Tensor x4 = random_tensor({1, 3, 4, 4, 4, 4}, 4), w6 = random_tensor({2, 3, 2, 2, 2, 2}, 5);
  EXPECT_THROW(run1(n, 13, {&x4, &w6}), UnsupportedError);  // 4-D windows
  Node f = make_node("FusedConv", 2, {{"activation", std::string("Gelu")}}, 1, "sinter");
  Tensor wok = random_tensor({4, 3, 3, 3}, 6);
  EXPECT_THROW(run1(f, 13, {&x, &wok}), UnsupportedError);
}

}  // namespace
}  // namespace sinter::testing
