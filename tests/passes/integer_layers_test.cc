// The integer-layers pass on QDQ models that sinter's post-training quantization writes: the
// quantized layers become integer ops (no float Conv left, the pools and the residual Add on u8
// too), channels-last tensors are transposed only where values enter or leave, and the outputs
// agree with the same file run in float on its dequantized weights (1 and 2 threads) to within a
// few steps of the quantization grid.
#include "passes/integer_layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compress/post_training_quantization.h"
#include "ir/graph_builder.h"
#include "kernels/sparse/qpattern_conv2d.h"
#include "runtime/session.h"

namespace sinter {
namespace {

Tensor random_tensor(Shape shape, uint32_t seed, float lo, float hi) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

using Attrs = std::map<std::string, Attribute>;

// Stem, max pool, a residual block of a 3x3, a depthwise 3x3 and a 1x1 with its Add, a global
// average pool and a classifier.
Graph small_network() {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, 20, 20});
  uint32_t seed = 1;
  auto conv = [&](const std::string& in, int64_t c, int64_t m, int64_t k, Attrs attrs) {
    const int64_t group = attrs.count("group") ? std::get<int64_t>(attrs["group"]) : 1;
    auto w = b.weight(cat("w", seed), random_tensor({m, c / group, k, k}, seed, -0.3f, 0.3f));
    auto bias = b.weight(cat("b", seed), random_tensor({m}, seed + 100, -0.1f, 0.1f));
    ++seed;
    return b.node("Conv", {in, w, bias}, std::move(attrs));
  };
  const Attrs pad1 = {{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  auto stem = b.node("Relu", {conv(x, 3, 16, 3,
                                   {{"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                    {"strides", std::vector<int64_t>{2, 2}}})});
  auto pooled = b.node(
      "MaxPool", {stem},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{1, 1}}});
  auto a = b.node("Relu", {conv(pooled, 16, 32, 3, pad1)});
  Attrs dw = pad1;
  dw["group"] = int64_t{32};
  auto d = b.node("Relu", {conv(a, 32, 32, 3, dw)});
  auto p = conv(d, 32, 16, 1, {});
  auto sum = b.node("Relu", {b.node("Add", {p, pooled})});
  auto flat = b.node("Flatten", {b.node("GlobalAveragePool", {sum})});
  auto fc_w = b.weight("fc_w", random_tensor({10, 16}, 77, -0.5f, 0.5f));
  auto fc_b = b.weight("fc_b", random_tensor({10}, 78, -0.1f, 0.1f));
  b.output(b.node("Gemm", {flat, fc_w, fc_b}, {{"transB", int64_t{1}}}));
  return b.build();
}

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

// The integer run agrees with the float run of the same file on `images` random inputs: every
// output within 5 % of the largest float output (a few steps of the quantization grid).
void expect_agrees_with_float(Session& floats, Session& integers, int64_t images,
                              const std::string& what) {
  for (int64_t i = 0; i < images; ++i) {
    const Tensor x = random_tensor({1, 3, 20, 20}, 100 + static_cast<uint32_t>(i), -1, 1);
    const Tensor want = floats.run({{"x", x}})[0];
    const Tensor got = integers.run({{"x", x}})[0];
    float scale = 0;
    for (int64_t k = 0; k < want.numel(); ++k)
      scale = std::max(scale, std::fabs(want.data<float>()[k]));
    for (int64_t k = 0; k < want.numel(); ++k)
      EXPECT_NEAR(got.data<float>()[k], want.data<float>()[k], 0.05f * scale)
          << what << ", image " << i << ", output " << k;
  }
}

TEST(IntegerLayers, QdqModelRunsOnIntegersAndAgreesWithFloat) {
  const Graph model = small_network();
  const Tensor images = random_tensor({16, 3, 20, 20}, 5, -1.0f, 1.0f);
  PtqOptions options;
  options.batch = 1;  // the model's input has batch 1
  const QdqModel qdq = quantize_post_training(model, images, options);
  for (int threads : {1, 2}) {
    SessionOptions floats{threads};
    floats.integer_layers = false;
    SessionOptions integers{threads};
    Session want_session(qdq.graph, floats), got_session(qdq.graph, integers);
    expect_agrees_with_float(want_session, got_session, 4, cat(threads, " threads"));
    const Graph& compiled = got_session.compiled_graph();
    // The classifier writes the graph's float output: it stays float.
    EXPECT_EQ(count_ops(compiled, "QConv"), 4);
    EXPECT_EQ(count_ops(compiled, "Conv"), 0);
    // The Add is the 1x1 conv's fused residual.
    EXPECT_EQ(count_ops(compiled, "QAdd"), 0);
    EXPECT_EQ(count_ops(compiled, "QMaxPool"), 1);
    EXPECT_EQ(count_ops(compiled, "QGlobalAveragePool"), 1);
    // The image is quantized straight into channels-last; the pooled rows leave as they are.
    EXPECT_EQ(count_ops(compiled, "QuantizeToNhwc"), 1);
    EXPECT_EQ(count_ops(compiled, "Transpose"), 0);
  }
}

// int8 (symmetric) activations run on the same u8 kernels, their grid moved by 128, and agree with
// the float run as closely as u8 ones.
TEST(IntegerLayers, Int8ActivationsRunOnIntegers) {
  const Graph model = small_network();
  const Tensor images = random_tensor({16, 3, 20, 20}, 5, -1.0f, 1.0f);
  PtqOptions options;
  options.batch = 1;
  options.activations = ActivationQuantization::kInt8;
  const QdqModel qdq = quantize_post_training(model, images, options);
  SessionOptions floats{2};
  floats.integer_layers = false;
  Session want_session(qdq.graph, floats), got_session(qdq.graph, SessionOptions{2});
  expect_agrees_with_float(want_session, got_session, 3, "int8 activations");
  const Graph& compiled = got_session.compiled_graph();
  EXPECT_EQ(count_ops(compiled, "QConv"), 4);
  EXPECT_EQ(count_ops(compiled, "Conv"), 0);
  EXPECT_EQ(count_ops(compiled, "QMaxPool"), 1);
}

// Average pools with a window (both count_include_pad settings) and a Reshape of the pooled
// [N, C, 1, 1] to [N, C] run on the u8 tensors too.
TEST(IntegerLayers, AveragePoolsAndReshapeRunOnIntegers) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 3, 20, 20});
  uint32_t seed = 40;
  auto conv = [&](const std::string& in, int64_t c, int64_t m) {
    auto w = b.weight(cat("w", seed), random_tensor({m, c, 3, 3}, seed, -0.3f, 0.3f));
    auto bias = b.weight(cat("b", seed), random_tensor({m}, seed + 100, -0.1f, 0.1f));
    ++seed;
    return b.node("Relu",
                  {b.node("Conv", {in, w, bias}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}})});
  };
  auto a = b.node("AveragePool", {conv(x, 3, 16)},
                  {{"kernel_shape", std::vector<int64_t>{3, 3}},
                   {"strides", std::vector<int64_t>{2, 2}},
                   {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto p = b.node("AveragePool", {conv(a, 16, 16)},
                  {{"kernel_shape", std::vector<int64_t>{2, 2}},
                   {"strides", std::vector<int64_t>{2, 2}},
                   {"pads", std::vector<int64_t>{0, 0, 1, 1}},
                   {"count_include_pad", int64_t{1}},
                   {"ceil_mode", int64_t{1}}});
  auto gap = b.node("GlobalAveragePool", {conv(p, 16, 16)});
  auto flat =
      b.node("Reshape", {gap, b.weight("shape", Tensor::from_vector<int64_t>({2}, {1, 16}))});
  auto fc_w = b.weight("fc_w", random_tensor({10, 16}, 77, -0.5f, 0.5f));
  b.output(b.node("Gemm", {flat, fc_w}, {{"transB", int64_t{1}}}));
  const Graph model = b.build();
  const Tensor images = random_tensor({16, 3, 20, 20}, 5, -1.0f, 1.0f);
  PtqOptions options;
  options.batch = 1;
  const QdqModel qdq = quantize_post_training(model, images, options);
  SessionOptions floats{2};
  floats.integer_layers = false;
  Session want_session(qdq.graph, floats), got_session(qdq.graph, SessionOptions{2});
  expect_agrees_with_float(want_session, got_session, 3, "average pools");
  const Graph& compiled = got_session.compiled_graph();
  EXPECT_EQ(count_ops(compiled, "QAveragePool"), 2);
  EXPECT_EQ(count_ops(compiled, "AveragePool"), 0);
  EXPECT_EQ(count_ops(compiled, "QGlobalAveragePool"), 1);
  EXPECT_EQ(count_ops(compiled, "Reshape"), 0);
  // The Reshape became a Flatten of the pooled u8 rows.
  int u8_flattens = 0;
  for (const Node& n : compiled.nodes)
    u8_flattens += n.op_type == "Flatten" && compiled.type_of(n.inputs[0]) &&
                   compiled.type_of(n.inputs[0])->dtype == DType::kUint8;
  EXPECT_EQ(u8_flattens, 1);
}

// Opset 21 names a QuantizeLinear's type in output_dtype too: moving int8 activations onto uint8
// moves that name with the zero point.
TEST(IntegerLayers, Int8ActivationsWithOutputDtypeMoveToUint8) {
  GraphBuilder b(21);
  const auto x = b.input("x", DType::kFloat32, {1, 8});
  const auto s = b.weight("s", Tensor::scalar(0.05f));
  const auto zp = b.weight("zp", Tensor::scalar<int8_t>(0));
  const auto q = b.node("QuantizeLinear", {x, s, zp}, {{"output_dtype", int64_t{3}}});
  b.output(b.node("Relu", {b.node("DequantizeLinear", {q, s, zp})}));
  const Graph g = b.build();
  SessionOptions floats{1};
  floats.integer_layers = false;
  Session want(g, floats), got(g, SessionOptions{1});
  const Tensor in = random_tensor({1, 8}, 9, -2, 2);
  const Tensor a = want.run({{"x", in}})[0], c = got.run({{"x", in}})[0];
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(c.data<float>()[i], a.data<float>()[i]);
}

// The weight formats sinter quantize writes beyond per-channel s8: per-vector scales (each vector
// a row of its own behind Reshape/Slice/Transpose), 4-bit values, and two-level scales (a Mul by
// integer factors), whose factors go into 4-bit values and stay in the scales of 8-bit ones. Every
// quantized layer runs as a QConv with the scales it had, and agrees with the float run.
TEST(IntegerLayers, PerVectorAndFourBitWeightsRunOnIntegers) {
  const Graph model = small_network();
  const Tensor images = random_tensor({16, 3, 20, 20}, 5, -1.0f, 1.0f);
  struct Format {
    int bits;
    int64_t vector_size;
    int scale_bits;
    int64_t want_vector_size;  // of the 3x3 conv after the pool (K = 144), 0: per channel
    int want_bits;
  };
  for (const Format& f : {Format{8, 16, 0, 16, 8}, Format{4, 32, 0, 32, 4}, Format{4, 16, 4, 0, 8},
                          Format{8, 16, 4, 16, 8}}) {
    PtqOptions options;
    options.batch = 1;
    options.weights.bits = f.bits;
    options.weights.granularity = QuantGranularity::kVector;
    options.weights.vector_size = f.vector_size;
    options.weights.scale_bits = f.scale_bits;
    const QdqModel qdq = quantize_post_training(model, images, options);
    SessionOptions floats{1};
    floats.integer_layers = false;
    Session want_session(qdq.graph, floats), got_session(qdq.graph, SessionOptions{1});
    const std::string what = cat(f.bits, " bits, V ", f.vector_size, ", scale bits ", f.scale_bits);
    expect_agrees_with_float(want_session, got_session, 3, what);
    // Compiled at the first run.
    const Graph& compiled = got_session.compiled_graph();
    EXPECT_EQ(count_ops(compiled, "QConv"), 4) << what;

    EXPECT_EQ(count_ops(compiled, "Conv"), 0) << what;
    for (const Node& n : compiled.nodes) {
      if (n.op_type != "QConv" || n.attr_int("group", 1) > 1) continue;
      if (n.attr_ints("kernel_shape") == std::vector<int64_t>{3, 3} &&
          n.attr_ints("strides", {1, 1}) == std::vector<int64_t>{1, 1}) {
        EXPECT_EQ(n.attr_int("w_vector_size", 0), f.want_vector_size) << what;
      }
      EXPECT_EQ(n.attr_int("w_bits", 8), f.want_bits) << what << " " << n.name;
    }
  }
}

// Opset 21's own form of per-vector weights: int4 initializers behind a DequantizeLinear with
// block_size 16 along the input channels (ONNX Runtime's blockwise quantizers write this). Both
// convolutions run as 4-bit per-vector QConvs and agree with the float run of the same file.
TEST(IntegerLayers, Opset21BlockedFourBitWeightsRunOnIntegers) {
  GraphBuilder b(21);
  std::mt19937 rng(21);
  auto u8_qdq = [&](const std::string& v, float scale) {
    auto s = b.weight(cat(v, "_s"), Tensor::scalar(scale));
    auto zp = b.weight(cat(v, "_zp"), Tensor::scalar<uint8_t>(128));
    return b.node("DequantizeLinear", {b.node("QuantizeLinear", {v, s, zp}), s, zp});
  };
  auto blocked_weight = [&](const std::string& name, Shape shape) {
    Tensor q(DType::kInt4, shape);
    for (int64_t i = 0; i < q.numel(); ++i)
      q.data<int8_t>()[i] = static_cast<int8_t>(rng() % 16) - 8;
    Shape scale_shape = shape;
    scale_shape[1] /= 16;
    Tensor s = random_tensor(scale_shape, rng(), 0.002f, 0.02f);
    return b.node("DequantizeLinear", {b.weight(name, q), b.weight(name + "_s", s)},
                  {{"axis", int64_t{1}}, {"block_size", int64_t{16}}});
  };
  const std::string x = b.input("x", DType::kFloat32, {1, 32, 8, 8});
  auto c1 = b.node("Conv", {u8_qdq(x, 1.f / 64), blocked_weight("w1", {32, 32, 3, 3})},
                   {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto r1 = u8_qdq(b.node("Relu", {c1}), 1.f / 32);
  auto c2 = u8_qdq(b.node("Conv", {r1, blocked_weight("w2", {8, 32, 1, 1})}), 1.f / 16);
  b.output(c2);
  const Graph g = b.build();
  SessionOptions floats{1};
  floats.integer_layers = false;
  Session want_session(g, floats), got_session(g, SessionOptions{1});
  for (uint32_t i = 0; i < 3; ++i) {
    const Tensor in = random_tensor({1, 32, 8, 8}, 300 + i, -1, 1);
    const Tensor want = want_session.run({{"x", in}})[0];
    const Tensor got = got_session.run({{"x", in}})[0];
    // Rounding the intermediate activations differently moves an output by at most a few steps.
    for (int64_t k = 0; k < want.numel(); ++k)
      ASSERT_NEAR(got.data<float>()[k], want.data<float>()[k], 3.f / 16) << "output " << k;
  }
  const Graph& compiled = got_session.compiled_graph();
  EXPECT_EQ(count_ops(compiled, "QConv"), 2);
  for (const Node& n : compiled.nodes) {
    if (n.op_type != "QConv") continue;
    EXPECT_EQ(n.attr_int("w_vector_size", 0), 16) << n.name;
    EXPECT_EQ(n.attr_int("w_bits", 8), 4) << n.name;
  }
}

// A QOperator model: QuantizeLinear -> QLinearConv 3x3 (per-channel weights, int32 bias) ->
// QLinearConv 1x1 (one weight scale) -> DequantizeLinear. Both convs run as QConv and agree with
// QLinearConv's own loops (which requantize in double) to within one step.
TEST(IntegerLayers, QLinearConvRunsOnTheSameKernels) {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 8, 9, 9});
  auto scalar = [&](const std::string& name, float v) {
    return b.weight(name, Tensor::from_vector<float>({}, {v}));
  };
  auto zero_point = [&](const std::string& name, uint8_t v) {
    return b.weight(name, Tensor::from_vector<uint8_t>({}, {v}));
  };
  auto int8_weight = [&](const std::string& name, Shape shape, uint32_t seed) {
    Tensor t(DType::kInt8, std::move(shape));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(-127, 127);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(d(rng));
    return b.weight(name, t);
  };
  auto s1 = scalar("s1", 0.02f), s2 = scalar("s2", 0.05f), s3 = scalar("s3", 0.04f);
  auto z1 = zero_point("z1", 128), z2 = zero_point("z2", 10), z3 = zero_point("z3", 120);
  auto w1 = int8_weight("w1", {16, 8, 3, 3}, 1), w2 = int8_weight("w2", {4, 16, 1, 1}, 2);
  auto w1_scale = b.weight("w1_scale", random_tensor({16}, 3, 0.001f, 0.004f));
  auto w2_scale = scalar("w2_scale", 0.003f);
  auto w1_zp = b.weight("w1_zp", Tensor(DType::kInt8, {16}));
  auto w2_zp = b.weight("w2_zp", Tensor(DType::kInt8, {}));
  std::vector<int32_t> bias_values(16);
  for (int i = 0; i < 16; ++i) bias_values[static_cast<size_t>(i)] = i * 97 - 700;
  auto bias = b.weight("bias", Tensor::from_vector<int32_t>({16}, bias_values));
  auto q = b.node("QuantizeLinear", {x, s1, z1});
  auto c1 = b.node("QLinearConv", {q, s1, z1, w1, w1_scale, w1_zp, s2, z2, bias},
                   {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto c2 = b.node("QLinearConv", {c1, s2, z2, w2, w2_scale, w2_zp, s3, z3});
  b.output(b.node("DequantizeLinear", {c2, s3, z3}));
  const Graph g = b.build();
  SessionOptions floats;
  floats.integer_layers = false;
  Session want_session(g, floats), got_session(g, SessionOptions{});
  const Tensor x_value = random_tensor({1, 8, 9, 9}, 9, -2.5f, 2.5f);
  const Tensor want = want_session.run({{"x", x_value}})[0];
  const Tensor got = got_session.run({{"x", x_value}})[0];
  for (int64_t k = 0; k < want.numel(); ++k)
    EXPECT_NEAR(got.data<float>()[k], want.data<float>()[k], 0.04f * 1.01f) << "output " << k;
  EXPECT_EQ(count_ops(got_session.compiled_graph(), "QConv"), 2);
  EXPECT_EQ(count_ops(got_session.compiled_graph(), "QLinearConv"), 0);
}

// A pattern-pruned 3x3 layer (8 patterns of 4 taps, a kernel in 4 kept) with 256 input channels
// runs on the integer pattern kernel, and its outputs equal the dense integer kernel's bit for bit
// (both sums are exact), at one and two threads.
TEST(IntegerLayers, PatternPrunedLayerRunsOnThePatternKernel) {
  const uint16_t patterns[8] = {0x1B, 0x3A, 0xB8, 0x158, 0x5A, 0xB2, 0x9A, 0x1B0};
  const int64_t C = 256, M = 32;
  Tensor w = random_tensor({M, C, 3, 3}, 3, -0.3f, 0.3f);
  std::mt19937 rng(4);
  for (int64_t k = 0; k < M * C; ++k) {
    const uint16_t keep = rng() % 4 == 0 ? patterns[rng() % 8] : 0;
    for (int t = 0; t < 9; ++t)
      if (!(keep >> t & 1)) w.data<float>()[k * 9 + t] = 0.0f;
  }
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, C, 10, 10});
  auto conv = b.node(
      "Conv", {x, b.weight("w", std::move(w)), b.weight("b", random_tensor({M}, 5, -0.1f, 0.1f))},
      {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto flat = b.node("Flatten", {b.node("GlobalAveragePool", {b.node("Relu", {conv})})});
  auto fc_w = b.weight("fc_w", random_tensor({10, M}, 7, -0.5f, 0.5f));
  b.output(b.node("Gemm", {flat, fc_w}, {{"transB", int64_t{1}}}));
  const Graph model = b.build();
  PtqOptions options;
  options.batch = 1;
  const QdqModel qdq =
      quantize_post_training(model, random_tensor({4, C, 10, 10}, 9, -1.0f, 1.0f), options);
  for (int threads : {1, 2}) {
    SessionOptions sparse{threads}, dense{threads};
    dense.sparse_kernels = false;
    Session pattern_session(qdq.graph, sparse), dense_session(qdq.graph, dense);
    const Tensor input = random_tensor({1, C, 10, 10}, 11, -1.0f, 1.0f);
    const Tensor got = pattern_session.run({{"x", input}})[0];
    const Tensor want = dense_session.run({{"x", input}})[0];
    std::string kernel;
    for (const PlanStep& step : pattern_session.plan().steps())
      if (step.op_type == "QConv") kernel = step.kernel_name;
    // The pattern kernel where it has vector code (AVX-512-VNNI), else the dense one (the
    // capped-tier runs of this test): the outputs agree either way.
    const bool vnni =
        &kernels::qpattern_kernels().active() != &kernels::detail::qpattern_kernels_portable();
    EXPECT_EQ(kernel.rfind(vnni ? "qconv_pattern/" : "qconv/", 0), 0u) << kernel;
    ASSERT_EQ(got.numel(), want.numel());
    for (int64_t i = 0; i < got.numel(); ++i)
      EXPECT_EQ(got.data<float>()[i], want.data<float>()[i]) << threads << " threads, output " << i;
  }
}

TEST(IntegerLayers, FloatModelIsLeftAlone) {
  Graph g = small_network();
  EXPECT_EQ(use_integer_layers(g), 0);
}

}  // namespace
}  // namespace sinter
