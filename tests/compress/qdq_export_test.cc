// QDQ export: the exported model computes the fake-quantized float network (weights through
// fake_quantize, the activations each quantized layer reads through their calibrated params),
// for every granularity, bit width and activation type; the file keeps that through save/load;
// the layout and size accounting of per-vector weights; and bad input.
#include "compress/qdq_export.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "../onnx/onnx_test_util.h"
#include "compress/observe_activations.h"
#include "compress/post_training_quantization.h"
#include "compress/quant_weights.h"
#include "ir/graph_builder.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "quant_test_util.h"
#include "runtime/session.h"

namespace sinter {
namespace {

using quant_test::expect_error;
using quant_test::normal_tensor;
using quant_test::uniform_tensor;

// Conv [4,3,3,3] (K = 27) -> Relu -> Flatten -> Gemm [5,144] transB -> Relu -> MatMul [5,3]: a
// weight of each layout, and reductions that vectors of 4 or 16 do not all divide.
struct Layers {
  Tensor conv_w = normal_tensor({4, 3, 3, 3}, 1, 0.3);
  Tensor conv_b = normal_tensor({4}, 2, 0.1);
  Tensor gemm_w = normal_tensor({5, 144}, 3, 0.1);
  Tensor gemm_b = normal_tensor({5}, 4, 0.1);
  Tensor matmul_w = normal_tensor({5, 3}, 5, 0.5);
};

const std::map<std::string, Attribute> kConvAttrs = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                                     {"pads", std::vector<int64_t>{1, 1, 1, 1}}};

Graph conv_part(const Tensor& w, const Tensor& b) {
  GraphBuilder gb;
  const auto x = gb.input("x", DType::kFloat32, {-1, 3, 6, 6});
  const auto y = gb.node("Conv", {x, gb.weight("conv.w", w), gb.weight("conv.b", b)}, kConvAttrs);
  gb.output(gb.node("Flatten", {gb.node("Relu", {y})}, {{"axis", int64_t{1}}}));
  return gb.build();
}

Graph gemm_part(const Tensor& w, const Tensor& b) {
  GraphBuilder gb;
  const auto x = gb.input("h", DType::kFloat32, {-1, 144});
  gb.output(gb.node("Relu", {gb.node("Gemm", {x, gb.weight("gemm.w", w), gb.weight("gemm.b", b)},
                                     {{"transB", int64_t{1}}})}));
  return gb.build();
}

Graph matmul_part(const Tensor& w) {
  GraphBuilder gb;
  const auto x = gb.input("h", DType::kFloat32, {-1, 5});
  gb.output(gb.node("MatMul", {x, gb.weight("matmul.w", w)}));
  return gb.build();
}

Graph whole_model(const Layers& l) {
  GraphBuilder gb;
  const auto x = gb.input("x", DType::kFloat32, {-1, 3, 6, 6});
  auto y = gb.node("Conv", {x, gb.weight("conv.w", l.conv_w), gb.weight("conv.b", l.conv_b)},
                   kConvAttrs);
  y = gb.node("Flatten", {gb.node("Relu", {y})}, {{"axis", int64_t{1}}});
  y = gb.node("Relu",
              {gb.node("Gemm", {y, gb.weight("gemm.w", l.gemm_w), gb.weight("gemm.b", l.gemm_b)},
                       {{"transB", int64_t{1}}})});
  gb.output(gb.node("MatMul", {y, gb.weight("matmul.w", l.matmul_w)}));
  Graph g = gb.build();
  g.name = "three_layers";
  return g;
}

// The file's own ops (its QuantizeLinear/DequantizeLinear pairs in float): what the export
// promises. The integer layers compute the same grid with integer sums, a step apart at times.
Tensor run(const Graph& g, const Tensor& x) {
  SessionOptions options;
  options.integer_layers = false;
  Session s(g, options);
  return s.run({{g.inputs[0], x}})[0];
}

// The weight fake-quantized from its definition: per tensor or per output channel on the weight
// itself; per vector on rows [channels, K] zero-padded to a multiple of V, vectors along K (a
// Conv's K in window order: kh, kw, then input channels).
Tensor reference_weight(const Tensor& w, int64_t channel_axis, QuantScheme s) {
  if (s.granularity != QuantGranularity::kVector) {
    s.channel_axis = channel_axis;
    return fake_quantize_weights(w, s);
  }
  const int64_t channels = w.dim(channel_axis), k = w.numel() / channels;
  const int64_t width = (k + s.vector_size - 1) / s.vector_size * s.vector_size;
  auto at = [&](int64_t c, int64_t r) {
    if (channel_axis == 0 && w.rank() == 4) {
      const int64_t inputs = w.dim(1), taps = w.dim(2) * w.dim(3);
      return (c * inputs + r % inputs) * taps + r / inputs;
    }
    return channel_axis == 0 ? c * k + r : r * channels + c;
  };
  Tensor rows(DType::kFloat32, {channels, width});
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < width; ++r)
      rows.data<float>()[c * width + r] = r < k ? w.data<float>()[at(c, r)] : 0.0f;
  s.vector_axis = 1;
  const Tensor fq = fake_quantize_weights(rows, s);
  Tensor out(DType::kFloat32, w.shape());
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < k; ++r) out.data<float>()[at(c, r)] = fq.data<float>()[c * width + r];
  return out;
}

struct Case {
  const char* name;
  QuantGranularity granularity;
  int64_t vector_size;
  int bits;
  bool symmetric;
  ActivationQuantization activations;
  int scale_bits = 0;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class QdqExportCases : public ::testing::TestWithParam<Case> {};

TEST_P(QdqExportCases, ComputesTheFakeQuantizedNetworkBeforeAndAfterSaving) {
  const Case& c = GetParam();
  const Layers l;
  const Graph model = whole_model(l);
  const Tensor images = uniform_tensor({8, 3, 6, 6}, 7, -1.0, 2.0);
  PtqOptions o;
  o.weights.bits = c.bits;
  o.weights.symmetric = c.symmetric;
  o.weights.granularity = c.granularity;
  o.weights.vector_size = c.vector_size;
  o.weights.scale_bits = c.scale_bits;
  o.activations = c.activations;
  const QdqModel q = quantize_post_training(model, images, o);
  ASSERT_EQ(q.weights.size(), 3u);
  for (const auto& w : {"conv.w", "gemm.w", "matmul.w"})
    EXPECT_FALSE(q.graph.is_initializer(w)) << w << " is still stored as float";

  // The reference, layer by layer: fake-quantized weights, and each layer's input through the
  // params calibrated on what the float model computes there.
  const bool quantize_activations = c.activations != ActivationQuantization::kNone;
  CalibrationOptions co;
  co.symmetric = c.activations == ActivationQuantization::kInt8;
  const Graph conv = conv_part(reference_weight(l.conv_w, 0, o.weights), l.conv_b);
  const Graph gemm = gemm_part(reference_weight(l.gemm_w, 0, o.weights), l.gemm_b);
  const Graph matmul = matmul_part(reference_weight(l.matmul_w, 1, o.weights));
  const Graph float_conv = conv_part(l.conv_w, l.conv_b);
  const Graph float_gemm = gemm_part(l.gemm_w, l.gemm_b);
  // Calibration sees the float network's values; the quantized network runs on its own.
  const Tensor h1_float = run(float_conv, images);
  const Tensor h2_float = run(float_gemm, h1_float);
  // x fake-quantized with the params calibrated on `calibration`.
  auto through_qdq = [&](const Tensor& calibration, const Tensor& x) {
    if (!quantize_activations) return x;
    RangeObserver observed;
    observed.observe(calibration);
    return fake_quantize(x, calibrate_activation(observed, co));
  };
  const Tensor h1 = run(conv, through_qdq(images, images));
  const Tensor h2 = run(gemm, through_qdq(h1_float, h1));
  const Tensor want = run(matmul, through_qdq(h2_float, h2));

  const Tensor got = run(q.graph, images);
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5) << "element " << i;

  testing::TempDir dir;
  save_onnx(q.graph, dir.file("q.onnx"));
  const Graph loaded = load_onnx(dir.file("q.onnx"));
  const Tensor again = run(loaded, images);
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_EQ(again.data<float>()[i], got.data<float>()[i]) << "element " << i;
  // The stored integers stay inside the scheme's range (4-bit values held in int8).
  const kernels::IntRange range = int_range(c.bits, c.symmetric);
  for (const auto& w : q.weights) {
    const Tensor& stored = loaded.initializers.at(w.name + "_quantized");
    ASSERT_EQ(stored.dtype(), DType::kInt8);
    const auto [lo, hi] =
        std::minmax_element(stored.data<int8_t>(), stored.data<int8_t>() + stored.numel());
    EXPECT_GE(*lo, range.lo) << w.name;
    EXPECT_LE(*hi, range.hi) << w.name;
  }
}

TEST(QdqExport, PerVectorLayoutAndSizes) {
  const Layers l;
  QuantScheme s;
  s.bits = 4;
  s.granularity = QuantGranularity::kVector;
  s.vector_size = 16;
  const QdqModel q = export_qdq(whole_model(l), s);
  // Conv: rows [4, 27] padded to 32, two vectors a row, stored as [8, 16] with 8 scales.
  const Tensor& conv = q.graph.initializers.at("conv.w_quantized");
  EXPECT_EQ(conv.shape(), (Shape{8, 16}));
  EXPECT_EQ(q.graph.initializers.at("conv.w_scale").shape(), (Shape{8}));
  EXPECT_FALSE(q.graph.is_initializer("conv.w_zero_point"));  // symmetric: DequantizeLinear's 0
  for (int64_t row = 0; row < 4; ++row)  // the padding of each row quantizes to 0
    for (int64_t i = 27; i < 32; ++i) EXPECT_EQ(conv.data<int8_t>()[row * 32 + i], 0);
  // MatMul [K=5, N=3]: rows [3, 5] (transposed), one padded vector each.
  EXPECT_EQ(q.graph.initializers.at("matmul.w_quantized").shape(), (Shape{3, 16}));
  // Packed: 4 bits a weight (padding not counted) and a float32 per scale.
  ASSERT_EQ(q.weights.size(), 3u);
  EXPECT_EQ(q.weights[0].packed_bytes, (108 * 4 + 7) / 8 + 8 * 4);
  EXPECT_EQ(q.weights[1].packed_bytes, 720 / 2 + 45 * 4);
  EXPECT_EQ(q.weights[2].packed_bytes, (15 * 4 + 7) / 8 + 3 * 4);
  EXPECT_EQ(q.float_weight_bytes, (108 + 720 + 15) * 4);
  EXPECT_EQ(q.quantized_weight_bytes,
            q.weights[0].packed_bytes + q.weights[1].packed_bytes + q.weights[2].packed_bytes);
  EXPECT_TRUE(q.activations.empty());
}

// At opset 21 the same quantized network is written with int4 values and blocked scales: the
// Gemm [5, 144] (transB) as blocks of 16 along axis 1, the MatMul [5, 3] as one block along axis
// 0, and the Conv [4, 3, 3, 3], whose vectors of 16 span taps, through its rows as at opset 13. It
// computes exactly what the opset-13 file computes, before and after saving.
TEST(QdqExport, Opset21WritesFourBitTypesAndBlocks) {
  const Layers l;
  const Tensor images = uniform_tensor({8, 3, 6, 6}, 7, -1.0, 2.0);
  for (bool symmetric : {true, false}) {
    PtqOptions o;
    o.weights.bits = 4;
    o.weights.symmetric = symmetric;
    o.weights.granularity = QuantGranularity::kVector;
    o.weights.vector_size = 16;
    const QdqModel old_form = quantize_post_training(whole_model(l), images, o);
    o.format.opset = 21;
    const QdqModel q = quantize_post_training(whole_model(l), images, o);
    EXPECT_EQ(q.graph.opset, 21);
    const Tensor& gemm = q.graph.initializers.at("gemm.w_quantized");
    EXPECT_EQ(gemm.dtype(), DType::kInt4);
    EXPECT_EQ(gemm.shape(), (Shape{5, 144}));
    EXPECT_EQ(q.graph.initializers.at("gemm.w_scale").shape(), (Shape{5, 9}));
    EXPECT_EQ(q.graph.initializers.at("matmul.w_scale").shape(), (Shape{1, 3}));
    EXPECT_EQ(q.graph.initializers.at("conv.w_quantized").shape(), (Shape{8, 16}));
    EXPECT_EQ(q.graph.initializers.at("conv.w_quantized").dtype(), DType::kInt4);
    if (!symmetric) {
      EXPECT_EQ(q.graph.initializers.at("gemm.w_zero_point").dtype(), DType::kInt4);
    }
    int blocked = 0;
    for (const Node& n : q.graph.nodes) blocked += n.attr_int("block_size", 0) == 16;
    EXPECT_EQ(blocked, 2);
    EXPECT_EQ(q.quantized_weight_bytes, old_form.quantized_weight_bytes);

    const Tensor want = run(old_form.graph, images);
    testing::TempDir dir;
    save_onnx(q.graph, dir.file("q21.onnx"));
    for (const Graph& g : {q.graph, load_onnx(dir.file("q21.onnx"))}) {
      const Tensor got = run(g, images);
      ASSERT_EQ(got.shape(), want.shape());
      EXPECT_EQ(std::memcmp(got.raw(), want.raw(), got.nbytes()), 0) << "symmetric " << symmetric;
    }
    // int4 values take half the bytes the opset-13 file's int8 values take (843 weights).
    save_onnx(old_form.graph, dir.file("q13.onnx"));
    EXPECT_LE(std::filesystem::file_size(dir.file("q21.onnx")) + 843 / 2,
              std::filesystem::file_size(dir.file("q13.onnx")));
  }
  expect_error<InputError>([&] { export_qdq(whole_model(l), QuantScheme{}, {}, {22}); },
                           {"up to 21, not 22"});
}

TEST(QdqExport, TwoLevelScalesAreStoredAsChannelScalesAndIntegerFactors) {
  const Layers l;
  QuantScheme s;
  s.bits = 4;
  s.granularity = QuantGranularity::kVector;
  s.vector_size = 16;
  s.scale_bits = 4;
  const QdqModel q = export_qdq(whole_model(l), s);
  // Conv: rows [4, 27] padded to 32: [4 channels, 2 vectors, 16], a float scale per channel
  // and a 4-bit factor per vector.
  EXPECT_EQ(q.graph.initializers.at("conv.w_quantized").shape(), (Shape{4, 2, 16}));
  EXPECT_EQ(q.graph.initializers.at("conv.w_scale").shape(), (Shape{4}));
  const Tensor& factor = q.graph.initializers.at("conv.w_vector_factor");
  EXPECT_EQ(factor.dtype(), DType::kUint8);
  EXPECT_EQ(factor.shape(), (Shape{4, 2, 1}));
  for (int64_t i = 0; i < factor.numel(); ++i) {
    EXPECT_GE(factor.data<uint8_t>()[i], 1);
    EXPECT_LE(factor.data<uint8_t>()[i], 15);
  }
  EXPECT_EQ(q.weights[0].packed_bytes, (108 * 4 + 7) / 8 + 4 * 4 + (8 * 4 + 7) / 8);
}

TEST(QdqExport, PerChannelAxisFollowsTheLayer) {
  const Layers l;
  QuantScheme s;  // int8 symmetric per channel
  const QdqModel q = export_qdq(whole_model(l), s);
  std::map<std::string, int64_t> axis;
  for (const Node& n : q.graph.nodes)
    if (n.op_type == "DequantizeLinear") axis[n.inputs[0]] = n.attr_int("axis", 1);
  EXPECT_EQ(axis.at("conv.w_quantized"), 0);
  EXPECT_EQ(axis.at("gemm.w_quantized"), 0);    // transB: [N, K]
  EXPECT_EQ(axis.at("matmul.w_quantized"), 1);  // [K, N]
  EXPECT_EQ(q.graph.initializers.at("matmul.w_scale").shape(), (Shape{3}));
}

TEST(QdqExport, FoldsBatchNormBeforeQuantizing) {
  GraphBuilder gb;
  const auto x = gb.input("x", DType::kFloat32, {-1, 3, 6, 6});
  const auto y =
      gb.node("Conv", {x, gb.weight("w", normal_tensor({4, 3, 3, 3}, 11, 0.3))}, kConvAttrs);
  auto param = [&](const char* name, uint64_t seed, double lo, double hi) {
    return gb.weight(name, uniform_tensor({4}, seed, lo, hi));
  };
  gb.output(
      gb.node("BatchNormalization", {y, param("gamma", 12, 0.5, 2), param("beta", 13, -1, 1),
                                     param("mean", 14, -0.5, 0.5), param("var", 15, 0.5, 2)}));
  const Graph model = gb.build();
  const Tensor images = uniform_tensor({4, 3, 6, 6}, 16, -1.0, 1.0);
  PtqOptions o;
  o.activations = ActivationQuantization::kNone;
  const QdqModel q = quantize_post_training(model, images, o);
  for (const Node& n : q.graph.nodes) EXPECT_NE(n.op_type, "BatchNormalization");
  const Tensor want = run(model, images), got = run(q.graph, images);
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i)
    worst = std::max(worst, std::fabs(double{got.data<float>()[i]} - want.data<float>()[i]));
  EXPECT_LT(worst, 0.05);  // int8 per channel of folded weights: close to the float network
}

TEST(QdqExport, RejectsBadInput) {
  const Layers l;
  const Graph model = whole_model(l);
  const Tensor images = uniform_tensor({2, 3, 6, 6}, 21, -1.0, 1.0);
  PtqOptions o;
  o.weights.bits = 3;
  expect_error<InputError>([&] { quantize_post_training(model, images, o); }, {"bits", "3"});
  o.weights.bits = 8;
  const QdqModel q = quantize_post_training(model, images, o);
  expect_error<InputError>([&] { quantize_post_training(q.graph, images, o); },
                           {"already quantized", "DequantizeLinear"});
  expect_error<InputError>(
      [&] {
        quantize_post_training(model, uniform_tensor({2, 1, 6, 6}, 22, 0, 1), o);
      },
      {"calibration images [2,1,6,6]", "do not fit", "[?,3,6,6]"});
  GraphBuilder gb;
  gb.output(gb.node("Relu", {gb.input("x", DType::kFloat32, {-1, 3, 6, 6})}));
  expect_error<InputError>([&] { quantize_post_training(gb.build(), images, o); },
                           {"nothing to quantize"});
  QuantScheme two_level;
  two_level.granularity = QuantGranularity::kVector;
  two_level.scale_bits = 4;
  two_level.symmetric = false;
  expect_error<UnsupportedError>([&] { export_qdq(model, two_level); },
                                 {"two-level", "asymmetric"});
  two_level.symmetric = true;
  two_level.scale_bits = 12;
  expect_error<UnsupportedError>([&] { export_qdq(model, two_level); }, {"12 scale bits"});
}

INSTANTIATE_TEST_SUITE_P(
    QdqExport, QdqExportCases,
    ::testing::Values(Case{"tensor_int8_uint8", QuantGranularity::kTensor, 0, 8, true,
                           ActivationQuantization::kUint8},
                      Case{"channel_int8_uint8", QuantGranularity::kChannel, 0, 8, true,
                           ActivationQuantization::kUint8},
                      Case{"channel_int4_int8", QuantGranularity::kChannel, 0, 4, true,
                           ActivationQuantization::kInt8},
                      Case{"channel_asym_int4_float", QuantGranularity::kChannel, 0, 4, false,
                           ActivationQuantization::kNone},
                      Case{"vector4_int4_uint8", QuantGranularity::kVector, 4, 4, true,
                           ActivationQuantization::kUint8},
                      Case{"vector16_asym_int8_uint8", QuantGranularity::kVector, 16, 8, false,
                           ActivationQuantization::kUint8},
                      Case{"vector1_int8_float", QuantGranularity::kVector, 1, 8, true,
                           ActivationQuantization::kNone},
                      Case{"vector16_two_level4_int4_uint8", QuantGranularity::kVector, 16, 4, true,
                           ActivationQuantization::kUint8, 4},
                      Case{"vector4_two_level6_int8_float", QuantGranularity::kVector, 4, 8, true,
                           ActivationQuantization::kNone, 6}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sinter
