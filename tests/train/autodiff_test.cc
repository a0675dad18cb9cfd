// Every gradient rule against central finite differences: a graph computes y from parameters,
// the loss is sum(y * r) for a fixed random r (so every output element matters), and
// append_gradients' analytic gradients must match (L(p + eps) - L(p - eps)) / 2 eps.
#include "train/autodiff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "../ops/math_op_test_util.h"
#include "core/error.h"
#include "ir/graph_builder.h"
#include "ops/infer_graph.h"
#include "runtime/session.h"
#include "train/sgd.h"

namespace sinter {
namespace {

using testing::random_tensor;

// Values in [0.2, 1] with random signs: away from Relu's kink and from zero denominators.
Tensor away_from_zero(const Shape& shape, uint32_t seed) {
  Tensor t = random_tensor(shape, seed, 0.2f, 1.0f);
  std::mt19937 rng(seed + 1000);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (rng() % 2) p[i] = -p[i];
  return t;
}

// Distinct values `step` apart from `first` on, in random order: a +-eps nudge never changes
// which one is largest, nor which side of a threshold between two of them a value lies on.
Tensor spaced_values(const Shape& shape, uint32_t seed, float first = -1.0f, float step = 0.05f) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = first + step * static_cast<float>(i);
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return Tensor::from_vector<float>(shape, v);
}

// Moves the named initializers to graph inputs, so the kernels (not constant folding) run.
std::unordered_map<std::string, Tensor> as_inputs(Graph& g, const std::vector<std::string>& names) {
  std::unordered_map<std::string, Tensor> feeds;
  for (const auto& n : names) {
    feeds[n] = g.initializers.at(n);
    g.initializers.erase(n);
    g.inputs.push_back(n);
  }
  return feeds;
}

struct Case {
  explicit Case(int64_t opset = 13) : b(opset) {}
  GraphBuilder b;
  std::vector<std::string> params;
  std::string param(const std::string& name, Tensor value) {
    params.push_back(name);
    return b.weight(name, std::move(value));
  }
};

float loss_of(Session& s, const std::unordered_map<std::string, Tensor>& feeds) {
  return s.run(feeds)[0].data<float>()[0];
}

// Finishes the case with loss = sum(y * r) and compares gradients on up to 24 elements per
// parameter. The sum names no axes, so the loss is written the same way in every opset.
void check_gradients(Case& c, const std::string& y, float tolerance = 3e-3f) {
  Graph probe = c.b.build();
  probe.outputs = {y};
  infer_graph(probe);
  const Shape y_shape = probe.type_of(y)->shape;
  const std::string r = c.b.weight("r", random_tensor(y_shape, 99));
  std::string loss = c.b.node("Mul", {y, r});
  if (!y_shape.empty()) loss = c.b.node("ReduceSum", {loss}, {{"keepdims", int64_t{0}}});
  c.b.output(loss);

  Graph forward = c.b.build();
  Graph backward = forward;
  const std::vector<std::string> grads = append_gradients(backward, loss, c.params);
  auto feeds = as_inputs(forward, c.params);
  as_inputs(backward, c.params);
  Session fs(forward, {1, false, false});
  Session bs(backward, {1, false, false});
  std::vector<Tensor> out = bs.run(feeds);
  ASSERT_EQ(out.size(), 1 + c.params.size());

  const float eps = 1e-2f;
  std::mt19937 rng(7);
  for (size_t p = 0; p < c.params.size(); ++p) {
    const Tensor& analytic = out[1 + p];
    Tensor value = feeds[c.params[p]].clone();
    ASSERT_EQ(analytic.shape(), value.shape()) << c.params[p];
    for (int k = 0; k < std::min<int64_t>(24, value.numel()); ++k) {
      const int64_t i = value.numel() <= 24 ? k : static_cast<int64_t>(rng() % value.numel());
      auto at = [&](float delta) {
        Tensor moved = value.clone();
        moved.data<float>()[i] += delta;
        auto f = feeds;
        f[c.params[p]] = moved;
        return loss_of(fs, f);
      };
      const float numeric = (at(eps) - at(-eps)) / (2 * eps);
      const float got = analytic.data<float>()[i];
      EXPECT_NEAR(got, numeric, tolerance * std::max(1.0f, std::fabs(numeric)))
          << "d loss / d " << c.params[p] << "[" << i << "]";
    }
  }
}

TEST(Autodiff, UnaryRules) {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Reciprocal"}) {
    SCOPED_TRACE(op);
    Case c;
    auto x = c.param("x", away_from_zero({3, 4}, 1));
    check_gradients(c, c.b.node(op, {x}));
  }
  Case c;  // Sqrt on positive inputs
  auto x = c.param("x", random_tensor({3, 4}, 2, 0.5f, 2.0f));
  check_gradients(c, c.b.node("Sqrt", {x}));
}

// Opset 11 too: summing over broadcast axes must use ReduceSum's attribute form there.
TEST(Autodiff, BinaryRulesWithBroadcasting) {
  struct Shapes {
    const char* op;
    Shape a, b;
  };
  for (int64_t opset : {11, 13})
    for (const Shapes& s :
         {Shapes{"Add", {2, 3, 4}, {3, 1}}, Shapes{"Sub", {3, 4}, {4}},
          Shapes{"Mul", {2, 3}, {2, 1}}, Shapes{"Div", {2, 3}, {3}}, Shapes{"Mul", {1}, {2, 5}}}) {
      SCOPED_TRACE(::testing::Message() << s.op << " opset " << opset);
      Case c(opset);
      auto a = c.param("a", away_from_zero(s.a, 2));
      auto b = c.param("b", away_from_zero(s.b, 3));
      check_gradients(c, c.b.node(s.op, {a, b}));
    }
}

// Max/Min on values a grid apart (offset so no two inputs tie), and on an input given twice: a
// tie must hand dy to one of them, not to both.
TEST(Autodiff, MaxAndMinGiveEachElementToTheInputThatSuppliedIt) {
  for (const char* op : {"Max", "Min"}) {
    SCOPED_TRACE(op);
    Case c;
    auto a = c.param("a", spaced_values({2, 3, 4}, 50));
    auto b = c.param("b", spaced_values({3, 1}, 51, -0.975f, 0.3f));
    auto fixed = c.b.weight("fixed", spaced_values({4}, 52, -0.4625f, 0.25f));
    auto d = c.param("d", spaced_values({2, 1, 4}, 53, -0.9875f, 0.25f));
    check_gradients(c, c.b.node(op, {a, b, fixed, d}));
  }
  for (const char* op : {"Max", "Min"}) {
    SCOPED_TRACE(::testing::Message() << op << " of x and x");
    Case c;
    auto x = c.param("x", random_tensor({3, 4}, 54));
    check_gradients(c, c.b.node(op, {x, x}));
  }
}

TEST(Autodiff, GemmEveryTransposeAlphaBetaAndBias) {
  for (int64_t ta : {0, 1})
    for (int64_t tb : {0, 1}) {
      SCOPED_TRACE(::testing::Message() << "transA " << ta << " transB " << tb);
      Case c;
      auto a = c.param("a", random_tensor(ta ? Shape{5, 3} : Shape{3, 5}, 4));
      auto b = c.param("b", random_tensor(tb ? Shape{4, 5} : Shape{5, 4}, 5));
      auto bias = c.param("c", random_tensor({4}, 6));
      check_gradients(c,
                      c.b.node("Gemm", {a, b, bias},
                               {{"transA", ta}, {"transB", tb}, {"alpha", 0.7f}, {"beta", 1.5f}}));
    }
}

TEST(Autodiff, ClipWithLearnableFixedOrMissingBounds) {
  // Bounds sit between grid points, so nudging x or a bound never crosses a kink.
  const float lo = -0.525f, hi = -0.025f;
  {
    SCOPED_TRACE("both bounds learnable");
    Case c;
    auto x = c.param("x", spaced_values({3, 8}, 60));
    auto min = c.param("min", Tensor::scalar<float>(lo));
    auto max = c.param("max", Tensor::scalar<float>(hi));
    check_gradients(c, c.b.node("Clip", {x, min, max}));
  }
  {
    SCOPED_TRACE("min missing, max fixed");
    Case c;
    auto x = c.param("x", spaced_values({3, 8}, 61));
    check_gradients(c, c.b.node("Clip", {x, "", c.b.weight("max", Tensor::scalar<float>(hi))}));
  }
  {
    SCOPED_TRACE("min learnable, max missing");
    Case c;
    auto x = c.param("x", spaced_values({3, 8}, 62));
    check_gradients(c, c.b.node("Clip", {x, c.param("min", Tensor::scalar<float>(lo))}));
  }
  {
    SCOPED_TRACE("min above max: the output is max everywhere");
    Case c;
    auto x = c.param("x", spaced_values({3, 8}, 63));
    auto min = c.param("min", Tensor::scalar<float>(hi));
    auto max = c.param("max", Tensor::scalar<float>(lo));
    check_gradients(c, c.b.node("Clip", {x, min, max}));
  }
  {
    SCOPED_TRACE("Relu6 = Clip(x, 0, 6), x from -0.9 to 6.9 in steps of 0.2");
    Case c;
    auto x = c.param("x", spaced_values({5, 8}, 64, -0.9f, 0.2f));
    check_gradients(c, c.b.node("Clip", {x, c.b.weight("zero", Tensor::scalar<float>(0.0f)),
                                         c.b.weight("six", Tensor::scalar<float>(6.0f))}));
  }
  using Attrs = std::map<std::string, Attribute>;
  for (const Attrs& attrs :
       {Attrs{{"min", lo}, {"max", hi}}, Attrs{{"min", lo}}, Attrs{{"max", hi}}}) {
    SCOPED_TRACE(::testing::Message() << "opset 10 attributes: " << attrs.size());
    Case c(10);
    auto x = c.param("x", spaced_values({3, 8}, 65));
    check_gradients(c, c.b.node("Clip", {x}, attrs));
  }
}

// Some inputs are constants (no gradient wanted) and one is a parameter used twice. Opset 9
// cuts with Slice's attribute form, 13 with its input form.
TEST(Autodiff, ConcatAlongAnyAxisWithSomeInputsFixed) {
  struct Layout {
    int64_t opset, axis;
    std::vector<Shape> shapes;
    std::vector<char> role;  // 'p' a new parameter, 'f' a fixed weight, 's' the first one again
  };
  for (const Layout& k :
       {Layout{13, 0, {{2, 3, 4}, {1, 3, 4}}, {'p', 'p'}},
        Layout{13, 1, {{2, 1, 4}, {2, 3, 4}, {2, 2, 4}}, {'p', 'f', 'p'}},
        Layout{13, -1, {{2, 3, 2}, {2, 3, 1}, {2, 3, 3}, {2, 3, 2}}, {'p', 'f', 'p', 's'}},
        Layout{9, 2, {{2, 3, 2}, {2, 3, 4}, {2, 3, 1}}, {'f', 'p', 'p'}}}) {
    SCOPED_TRACE(::testing::Message() << "opset " << k.opset << " axis " << k.axis << ", "
                                      << k.shapes.size() << " inputs");
    Case c(k.opset);
    std::vector<std::string> inputs;
    for (size_t i = 0; i < k.shapes.size(); ++i) {
      const std::string name = cat("x", i);
      const Tensor value = random_tensor(k.shapes[i], 70 + static_cast<uint32_t>(i));
      if (k.role[i] == 'p') inputs.push_back(c.param(name, value));
      if (k.role[i] == 'f') inputs.push_back(c.b.weight(name, value));
      if (k.role[i] == 's') inputs.push_back(inputs[0]);
    }
    check_gradients(c, c.b.node("Concat", inputs, {{"axis", k.axis}}));
  }
}

TEST(Autodiff, TransposeByAnyPermutationAndTheDefault) {
  using Attrs = std::map<std::string, Attribute>;
  const std::vector<std::pair<Shape, Attrs>> cases = {
      {{2, 3, 4}, {}},
      {{2, 3, 4}, {{"perm", std::vector<int64_t>{1, 2, 0}}}},
      {{2, 3, 4, 5}, {{"perm", std::vector<int64_t>{0, 3, 1, 2}}}},
      {{3, 4}, {{"perm", std::vector<int64_t>{0, 1}}}}};
  for (const auto& [shape, attrs] : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "rank " << shape.size() << ", perm given " << attrs.count("perm"));
    Case c;
    auto x = c.param("x", random_tensor(shape, 80));
    check_gradients(c, c.b.node("Transpose", {x}, attrs));
  }
}

// Axes as inputs (opset 13) and as attributes (opset 11).
TEST(Autodiff, SqueezeAndUnsqueeze) {
  for (int64_t opset : {11, 13}) {
    SCOPED_TRACE(::testing::Message() << "opset " << opset);
    Case c(opset);
    auto x = c.param("x", random_tensor({3, 4}, 90));
    auto along = [&](const std::string& op, std::vector<int64_t> axes, const std::string& in) {
      if (opset < 13) return c.b.node(op, {in}, {{"axes", axes}});
      auto t = c.b.weight(op + "_axes",
                          Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
      return c.b.node(op, {in, t});
    };
    auto grown = along("Unsqueeze", {0, 2}, x);  // [1, 3, 1, 4]
    check_gradients(c, along("Squeeze", {0}, grown));
  }
}

// Resize is linear in x: its rule's ResizeGrad against finite differences for every mode, by
// scales and by sizes, and for Upsample.
TEST(Autodiff, ResizeAndUpsample) {
  for (const char* mode : {"nearest", "linear", "cubic"}) {
    SCOPED_TRACE(mode);
    Case c(13);
    auto x = c.param("x", random_tensor({1, 2, 3, 4}, 120));
    auto scales = c.b.weight("scales", Tensor::from_vector<float>({4}, {1, 1, 2, 0.75f}));
    check_gradients(c, c.b.node("Resize", {x, "", scales}, {{"mode", std::string(mode)}}));
  }
  {
    Case c(13);
    auto x = c.param("x", random_tensor({1, 2, 3, 4}, 121));
    auto sizes = c.b.weight("sizes", Tensor::from_vector<int64_t>({4}, {1, 2, 5, 7}));
    check_gradients(c,
                    c.b.node("Resize", {x, "", "", sizes},
                             {{"mode", std::string("linear")},
                              {"coordinate_transformation_mode", std::string("align_corners")}}));
  }
  {
    Case c(9);
    auto x = c.param("x", random_tensor({1, 2, 3, 4}, 122));
    auto scales = c.b.weight("scales", Tensor::from_vector<float>({4}, {1, 1, 2, 2}));
    check_gradients(c, c.b.node("Upsample", {x, scales}, {{"mode", std::string("linear")}}));
  }
}

// Constant padding that grows some dims and crops others, with a nonzero fill; pads as inputs
// (opset 13) and as attributes (opset 10). Reflect padding has no rule and says so.
TEST(Autodiff, PadConstantGrowingAndCropping) {
  const std::vector<int64_t> pads = {0, 1, -1, 1, 0, 2};
  for (int64_t opset : {10, 13}) {
    SCOPED_TRACE(::testing::Message() << "opset " << opset);
    Case c(opset);
    auto x = c.param("x", random_tensor({2, 3, 4}, 100));
    if (opset < 11) {
      check_gradients(c, c.b.node("Pad", {x}, {{"pads", pads}, {"value", 0.5f}}));
    } else {
      auto p = c.b.weight("pads", Tensor::from_vector<int64_t>({6}, pads));
      check_gradients(c, c.b.node("Pad", {x, p, c.b.weight("value", Tensor::scalar<float>(0.5f))}));
    }
  }
  GraphBuilder b;
  auto x = b.weight("x", random_tensor({2, 3}, 101));
  auto p = b.weight("pads", Tensor::from_vector<int64_t>({4}, {0, 1, 0, 1}));
  auto loss = b.node("ReduceSum", {b.node("Pad", {x, p}, {{"mode", std::string("reflect")}})},
                     {{"keepdims", int64_t{0}}});
  b.output(loss);
  Graph g = b.build();
  EXPECT_THROW(append_gradients(g, loss, {"x"}), UnsupportedError);
}

TEST(Autodiff, MatMulFlattenReshapeIdentity) {
  Case c;
  auto x = c.param("x", random_tensor({2, 3, 2}, 8));
  auto w = c.param("w", random_tensor({6, 4}, 9));
  auto flat = c.b.node("Flatten", {x});
  auto y = c.b.node("MatMul", {c.b.node("Identity", {flat}), w});
  auto shape = c.b.weight("shape", Tensor::from_vector<int64_t>({3}, {2, 2, 2}));
  check_gradients(c, c.b.node("Reshape", {y, shape}));
}

TEST(Autodiff, SoftmaxAndLogSoftmaxOverEitherAxis) {
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (int64_t axis : {-1, 0}) {
      SCOPED_TRACE(::testing::Message() << op << " axis " << axis);
      Case c;
      auto x = c.param("x", random_tensor({3, 5}, 10, -2.0f, 2.0f));
      check_gradients(c, c.b.node(op, {x}, {{"axis", axis}}));
    }
}

// LayerNormalization over the last axis or several, with a scale of the normalized shape or one
// broadcast from its last axis, with and without bias; opset 18 reduces with axes as an input.
TEST(Autodiff, LayerNormalizationOverOneOrSeveralAxes) {
  for (int64_t opset : {17, 18})
    for (int64_t axis : {-1, 1})
      for (bool bias : {true, false}) {
        SCOPED_TRACE(::testing::Message()
                     << "opset " << opset << " axis " << axis << " bias " << bias);
        Case c(opset);
        auto x = c.param("x", random_tensor({2, 3, 5}, 20, -2.0f, 2.0f));
        const Shape scale_shape = axis == 1 ? Shape{3, 5} : Shape{5};
        std::vector<std::string> in = {x, c.param("scale", random_tensor(scale_shape, 21))};
        if (bias) in.push_back(c.param("bias", random_tensor({5}, 22)));
        check_gradients(c,
                        c.b.node("LayerNormalization", in, {{"axis", axis}, {"epsilon", 1e-3f}}));
      }
}

TEST(Autodiff, ReductionsKeepingOrDroppingAxes) {
  for (int64_t keep : {0, 1}) {
    SCOPED_TRACE(::testing::Message() << "keepdims " << keep);
    Case c;
    auto x = c.param("x", random_tensor({2, 3, 4}, 11));
    auto mean =
        c.b.node("ReduceMean", {x}, {{"axes", std::vector<int64_t>{0, 2}}, {"keepdims", keep}});
    auto axes = c.b.weight("sum_axes", Tensor::from_vector<int64_t>({1}, {1}));
    auto sum = c.b.node("ReduceSum", {x, axes}, {{"keepdims", keep}});
    auto both = c.b.node("Add", {c.b.node("ReduceSum", {mean}, {{"keepdims", int64_t{0}}}),
                                 c.b.node("ReduceSum", {sum}, {{"keepdims", int64_t{0}}})});
    check_gradients(c, both);
  }
}

TEST(Autodiff, ConvWithStridePaddingDilationAndGroups) {
  struct Geometry {
    int64_t group, stride, pad, dilation;
  };
  for (const Geometry& k : {Geometry{1, 1, 1, 1}, Geometry{2, 2, 0, 1}, Geometry{1, 1, 2, 2}}) {
    SCOPED_TRACE(::testing::Message() << "group " << k.group << " stride " << k.stride << " pad "
                                      << k.pad << " dilation " << k.dilation);
    Case c;
    auto x = c.param("x", random_tensor({2, 4, 7, 6}, 30));
    auto w = c.param("w", random_tensor({6, 4 / k.group, 3, 3}, 31));
    auto b = c.param("b", random_tensor({6}, 32));
    check_gradients(c, c.b.node("Conv", {x, w, b},
                                {{"group", k.group},
                                 {"strides", std::vector<int64_t>{k.stride, k.stride}},
                                 {"pads", std::vector<int64_t>(4, k.pad)},
                                 {"dilations", std::vector<int64_t>{k.dilation, k.dilation}}}));
  }
}

TEST(Autodiff, ConvTransposeWithStridePaddingOutputShapeAndGroups) {
  using Attrs = std::map<std::string, Attribute>;
  using Ints = std::vector<int64_t>;
  struct Geometry {
    Shape x, w;
    Attrs attrs;
  };
  const Geometry geometries[] = {
      {{2, 4, 4, 3}, {4, 3, 3, 3}, {{"pads", Ints{1, 1, 1, 1}}}},
      {{1, 4, 3, 3}, {4, 2, 4, 4}, {{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 2}}}},
      {{1, 4, 3, 4},
       {4, 1, 3, 3},
       {{"group", int64_t{2}}, {"strides", Ints{2, 2}}, {"output_padding", Ints{1, 1}}}},
      {{1, 2, 3, 3}, {2, 2, 3, 3}, {{"strides", Ints{3, 2}}, {"output_shape", Ints{10, 8}}}},
      {{2, 3, 5}, {3, 2, 3}, {{"strides", Ints{2}}, {"dilations", Ints{2}}}},
  };
  uint32_t seed = 40;
  for (const Geometry& k : geometries) {
    SCOPED_TRACE(cat(shape_str(k.x), " * ", shape_str(k.w)));
    Case c;
    auto x = c.param("x", random_tensor(k.x, seed++));
    auto w = c.param("w", random_tensor(k.w, seed++));
    const int64_t group = k.attrs.count("group") ? std::get<int64_t>(k.attrs.at("group")) : 1;
    auto b = c.param("b", random_tensor({k.w[1] * group}, seed++));
    check_gradients(c, c.b.node("ConvTranspose", {x, w, b}, k.attrs));
  }
}

// LSTM, GRU and RNN: the loss reads Y, Y_h and (LSTM) Y_c, so gradients arrive at every step
// and at the final states; every direction, rows of different lengths, initial states, both
// layouts, smooth non-default activations, LSTM peepholes and input_forget.
TEST(Autodiff, RecurrentLayersThroughTime) {
  using Attrs = std::map<std::string, Attribute>;
  using Names = std::vector<std::string>;
  struct Layer {
    const char* op;
    int gates;
    Attrs attrs;
    bool bias, lengths, initial;
    bool peepholes = false;
  };
  const Layer layers[] = {
      {"LSTM", 4, {}, true, true, true},
      {"LSTM", 4, {{"layout", int64_t{1}}}, false, false, true},
      {"LSTM", 4, {{"activations", Names{"Softsign", "Elu", "Tanh"}}}, true, false, false},
      {"GRU", 3, {}, true, true, true},
      {"GRU", 3, {{"linear_before_reset", int64_t{1}}, {"layout", int64_t{1}}}, true, true, true},
      {"GRU", 3, {{"activations", Names{"HardSigmoid", "Softsign"}}}, true, false, true},
      {"RNN", 1, {}, true, true, true},
      {"LSTM", 4, {{"direction", std::string("reverse")}}, true, true, true},
      {"LSTM",
       4,
       {{"direction", std::string("bidirectional")}, {"layout", int64_t{1}}},
       true,
       true,
       true},
      {"GRU", 3, {{"direction", std::string("bidirectional")}}, true, true, true},
      {"GRU",
       3,
       {{"direction", std::string("reverse")}, {"linear_before_reset", int64_t{1}}},
       true,
       true,
       false},
      {"RNN", 1, {{"direction", std::string("bidirectional")}}, false, true, true},
      {"LSTM", 4, {}, true, true, true, true},
      {"LSTM",
       4,
       {{"direction", std::string("bidirectional")}, {"input_forget", int64_t{1}}},
       true,
       true,
       true,
       true},
  };
  const int64_t seq = 3, batch = 2, input = 3, hidden = 2;
  uint32_t seed = 70;
  for (const Layer& k : layers) {
    const bool batch_first = k.attrs.count("layout") != 0;
    const std::string direction =
        k.attrs.count("direction") ? std::get<std::string>(k.attrs.at("direction")) : "forward";
    SCOPED_TRACE(cat(k.op, " ", direction, batch_first ? " layout 1" : "",
                     k.attrs.count("activations") ? " activations" : "",
                     k.peepholes ? " peepholes" : "",
                     k.attrs.count("input_forget") ? " input_forget" : ""));
    Case c(14);
    const int64_t rows = k.gates * hidden, dirs = direction == "bidirectional" ? 2 : 1;
    const Shape state = batch_first ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
    std::vector<std::string> in = {
        c.param("x",
                random_tensor(batch_first ? Shape{batch, seq, input} : Shape{seq, batch, input},
                              seed++)),
        c.param("w", random_tensor({dirs, rows, input}, seed++)),
        c.param("rec", random_tensor({dirs, rows, hidden}, seed++)),
        k.bias ? c.param("b", random_tensor({dirs, 2 * rows}, seed++)) : "",
        k.lengths ? c.b.weight("lens", Tensor::from_vector<int32_t>({batch}, {3, 1})) : "",
        k.initial ? c.param("h0", random_tensor(state, seed++)) : ""};
    const bool lstm = std::string(k.op) == "LSTM";
    if (lstm) in.push_back(k.initial ? c.param("c0", random_tensor(state, seed++)) : "");
    if (k.peepholes) in.push_back(c.param("p", random_tensor({dirs, 3 * hidden}, seed++)));
    Attrs attrs = k.attrs;
    attrs["hidden_size"] = hidden;
    c.b.node(k.op, in, attrs, lstm ? 3 : 2);
    const std::vector<std::string> outs = c.b.last_outputs();
    const std::string flat = c.b.weight("flat", Tensor::from_vector<int64_t>({1}, {-1}));
    std::vector<std::string> parts;
    for (const std::string& o : outs) parts.push_back(c.b.node("Reshape", {o, flat}));
    check_gradients(c, c.b.node("Concat", parts, {{"axis", int64_t{0}}}));
  }
}

TEST(Autodiff, MaxAveragePoolAndGlobalAveragePool) {
  using Attrs = std::map<std::string, Attribute>;
  const std::vector<std::pair<const char*, Attrs>> cases = {
      {"MaxPool",
       {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}},
      {"MaxPool",
       {{"kernel_shape", std::vector<int64_t>{3, 3}},
        {"strides", std::vector<int64_t>{2, 2}},
        {"pads", std::vector<int64_t>{1, 1, 1, 1}},
        {"ceil_mode", int64_t{1}}}},
      {"AveragePool",
       {{"kernel_shape", std::vector<int64_t>{3, 3}},
        {"strides", std::vector<int64_t>{2, 2}},
        {"pads", std::vector<int64_t>{1, 1, 1, 1}}}},
      {"AveragePool",
       {{"kernel_shape", std::vector<int64_t>{2, 3}},
        {"pads", std::vector<int64_t>{1, 0, 1, 1}},
        {"count_include_pad", int64_t{1}}}},
      {"GlobalAveragePool", {}}};
  for (const auto& [op, attrs] : cases) {
    SCOPED_TRACE(op);
    Case c;
    auto x = c.param("x", spaced_values({2, 2, 5, 6}, 40));
    check_gradients(c, c.b.node(op, {x}, attrs));
  }
}

// The gradient ops index their buffers by dY's shape: a model file that pairs them with the
// wrong shapes must be refused when shapes are inferred, not read out of bounds.
TEST(Autodiff, GradientOpsRejectMismatchedShapes) {
  auto build = [](const std::string& op, std::vector<std::string> names, Shape a, Shape b,
                  std::map<std::string, Attribute> attrs) {
    GraphBuilder g;
    auto x = g.input(names[0], DType::kFloat32, a);
    auto y = g.input(names[1], DType::kFloat32, b);
    Node n;
    n.op_type = op;
    n.domain = "sinter";
    n.name = "bad";
    n.inputs = {x, y};
    n.outputs = {"out"};
    n.attrs = std::move(attrs);
    Graph graph = g.build();
    graph.nodes.push_back(n);
    graph.outputs = {"out"};
    return graph;
  };
  Graph data = build("ConvGradData", {"dy", "w"}, {1, 2, 5, 5}, {2, 3, 3, 3},
                     {{"x_shape", std::vector<int64_t>{1, 3, 9, 9}}});  // dY should be 7x7
  EXPECT_THROW(infer_graph(data), ModelError);
  Graph weight = build("ConvGradWeight", {"x", "dy"}, {1, 3, 9, 9}, {1, 2, 7, 7},
                       {{"w_shape", std::vector<int64_t>{2, 4, 3, 3}}});  // C is 3, not 4
  EXPECT_THROW(infer_graph(weight), ModelError);
  Graph pool = build("MaxPoolGrad", {"x", "dy"}, {1, 2, 8, 8}, {1, 2, 5, 5},
                     {{"kernel_shape", std::vector<int64_t>{2, 2}},
                      {"strides", std::vector<int64_t>{2, 2}}});  // dY should be 4x4
  EXPECT_THROW(infer_graph(pool), ModelError);
}

TEST(Autodiff, ValuesUsedTwiceAccumulate) {
  Case c;
  auto x = c.param("x", away_from_zero({4}, 12));
  auto y = c.b.node("Add", {c.b.node("Mul", {x, x}), c.b.node("Sigmoid", {c.b.node("Relu", {x})})});
  check_gradients(c, y);
}

TEST(Autodiff, ParameterTheLossIgnoresGetsZeros) {
  GraphBuilder b;
  auto x = b.weight("x", random_tensor({3}, 13));
  b.weight("unused", random_tensor({2}, 14));
  auto loss = b.node("ReduceSum", {x}, {{"keepdims", int64_t{0}}});
  b.output(loss);
  Graph g = b.build();
  append_gradients(g, loss, {"x", "unused"});
  Session s(g, {1, false, false});
  auto out = s.run({});
  EXPECT_EQ(out[2].data<float>()[0], 0.0f);
  EXPECT_EQ(out[2].data<float>()[1], 0.0f);
  EXPECT_EQ(out[1].data<float>()[2], 1.0f);
}

TEST(Autodiff, OpWithoutARuleIsNamed) {
  GraphBuilder b;
  auto x = b.weight("x", random_tensor({4}, 15));
  auto loss = b.node("ReduceSum", {b.node("Floor", {x})}, {{"keepdims", int64_t{0}}});
  b.output(loss);
  Graph g = b.build();
  try {
    append_gradients(g, loss, {"x"});
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("Floor"), std::string::npos) << e.what();
  }
  GraphBuilder v;
  auto y = v.weight("y", random_tensor({2}, 16));
  v.output(y);
  Graph not_scalar = v.build();
  EXPECT_THROW(append_gradients(not_scalar, y, {"y"}), InputError);
}

// The whole loop on a toy problem: a 2-layer MLP with softmax cross-entropy, trained by SGD on
// the graph's own gradients, must fit two separable classes.
TEST(Autodiff, MlpLearnsASeparableProblem) {
  const int64_t n = 32;
  Tensor xs(DType::kFloat32, {n, 2}), onehot(DType::kFloat32, {n, 2});
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t cls = i % 2;
    xs.data<float>()[2 * i] = (cls ? 1.0f : -1.0f) + noise(rng);
    xs.data<float>()[2 * i + 1] = (cls ? -1.0f : 1.0f) + noise(rng);
    onehot.data<float>()[2 * i + cls] = 1.0f;
  }
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {n, 2});
  auto t = b.input("t", DType::kFloat32, {n, 2});
  auto w1 = b.weight("w1", random_tensor({8, 2}, 20, -0.7f, 0.7f));
  auto b1 = b.weight("b1", Tensor(DType::kFloat32, {8}));
  auto w2 = b.weight("w2", random_tensor({2, 8}, 21, -0.35f, 0.35f));
  auto b2 = b.weight("b2", Tensor(DType::kFloat32, {2}));
  auto h = b.node("Relu", {b.node("Gemm", {x, w1, b1}, {{"transB", int64_t{1}}})});
  auto logp = b.node("LogSoftmax", {b.node("Gemm", {h, w2, b2}, {{"transB", int64_t{1}}})});
  auto axes = b.weight("axes", Tensor::from_vector<int64_t>({1}, {1}));
  auto per_sample =
      b.node("ReduceSum", {b.node("Mul", {logp, t}), axes}, {{"keepdims", int64_t{0}}});
  auto loss = b.node("Neg", {b.node("ReduceMean", {per_sample}, {{"keepdims", int64_t{0}}})});
  b.output(loss);
  Graph g = b.build();
  const std::vector<std::string> names = {"w1", "b1", "w2", "b2"};
  append_gradients(g, loss, names);
  auto feeds = as_inputs(g, names);
  feeds["x"] = xs;
  feeds["t"] = onehot;
  Session s(g, {1, true, false});

  std::vector<Tensor> grads(names.size());
  std::vector<Parameter> params;
  for (size_t i = 0; i < names.size(); ++i) {
    grads[i] = Tensor(DType::kFloat32, feeds[names[i]].shape());
    params.push_back({names[i], &feeds[names[i]], &grads[i]});
  }
  Sgd sgd(params, {0.9f, false, 0.0f});
  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    auto out = s.run(feeds);
    (step == 0 ? first : last) = out[0].data<float>()[0];
    for (size_t i = 0; i < names.size(); ++i)
      std::copy_n(out[1 + i].data<float>(), grads[i].numel(), grads[i].data<float>());
    sgd.step(0.1f);
  }
  EXPECT_GT(first, 0.5f);
  EXPECT_LT(last, 0.1f) << "loss went from " << first << " to " << last;
}

}  // namespace
}  // namespace sinter
