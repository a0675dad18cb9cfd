// A model file's size as compress-report counts it: each weight in the format its pruning fits
// (never above dense), quantized weights at their bits with their zeros found through the QDQ
// layout, scales and zero points counted; every figure against bytes worked out by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

#include "compress/compression_record.h"
#include "compress/mask.h"
#include "compress/model_storage.h"
#include "compress/qdq_export.h"
#include "compress/qdq_weights.h"
#include "compress_test_util.h"
#include "ir/graph_builder.h"

namespace sinter {
namespace {

// Gemm [3 outputs, 300 inputs] (transB) with five nonzero weights, the middle row all zero, and
// a bias of 3 nonzeros: CSR needs 16-bit column indices (up to 299) and 8-bit row pointers.
Graph sparse_gemm() {
  Tensor w(DType::kFloat32, {3, 300});
  const std::pair<int64_t, float> nonzeros[] = {
      {5, 1.0f}, {299, -0.5f}, {600, 0.25f}, {601, 0.75f}, {856, -1.0f}};
  for (auto [i, v] : nonzeros) w.data<float>()[i] = v;
  GraphBuilder gb;
  const auto x = gb.input("x", DType::kFloat32, {-1, 300});
  gb.output(gb.node("Gemm",
                    {x, gb.weight("fc.w", w),
                     gb.weight("fc.b", Tensor::from_vector<float>({3}, {0.1f, 0.2f, 0.3f}))},
                    {{"transB", int64_t{1}}}));
  return gb.build();
}

QuantScheme scheme(int bits, bool symmetric, QuantGranularity granularity) {
  QuantScheme s;
  s.bits = bits;
  s.symmetric = symmetric;
  s.granularity = granularity;
  return s;
}

// 5 values at `bits`, 5 column indices of 2 bytes, 4 row pointers of 1 byte.
int64_t csr_bytes(int bits) { return (5 * bits + 7) / 8 + 10 + 4; }
constexpr int64_t kBiasBytes = 12;

TEST(StoredModelSize, FloatWeightsInCsrAtThirtyTwoBits) {
  const StoredModelSize s = measure_stored_size(sparse_gemm(), StorageFormat::kCsr, 0, 32);
  EXPECT_EQ(s.weights, 903);
  EXPECT_EQ(s.nonzeros, 8);
  EXPECT_EQ(s.quantized_weights, 0);
  EXPECT_EQ(s.dense_bytes, 903 * 4);
  EXPECT_EQ(s.param_bytes, 0);
  EXPECT_EQ(s.bytes, csr_bytes(32) + kBiasBytes);
  EXPECT_EQ(measure_stored_size(sparse_gemm(), StorageFormat::kDense, 0, 32).bytes, 903 * 4);
  // An initializer no node reads (a weight left behind by a rewrite) is not part of the network.
  Graph g = sparse_gemm();
  g.initializers.emplace("left_behind", Tensor::from_vector<float>({2}, {1, 2}));
  EXPECT_EQ(measure_stored_size(g, StorageFormat::kCsr, 0, 32).weights, 903);
}

TEST(StoredModelSize, Int4PerChannelCountsFourBitValuesAndFloatScales) {
  const QdqModel q = export_qdq(sparse_gemm(), scheme(4, true, QuantGranularity::kChannel));
  const StoredModelSize s = measure_stored_size(q.graph, StorageFormat::kCsr, 0, 4);
  EXPECT_EQ(s.weights, 903);
  EXPECT_EQ(s.nonzeros, 8);
  EXPECT_EQ(s.quantized_weights, 900);
  EXPECT_EQ(s.dense_bytes, 903 * 4);
  EXPECT_EQ(s.param_bytes, 3 * 4);  // symmetric: no zero points stored
  EXPECT_EQ(s.bytes, csr_bytes(4) + 3 * 4 + kBiasBytes);
  // Dense at 4 bits: 900 values in 450 bytes.
  EXPECT_EQ(measure_stored_size(q.graph, StorageFormat::kDense, 0, 4).bytes,
            450 + 3 * 4 + kBiasBytes);
}

TEST(StoredModelSize, AsymmetricZerosAreTheZeroPointAndZeroPointsCount) {
  const QdqModel q = export_qdq(sparse_gemm(), scheme(8, false, QuantGranularity::kChannel));
  const StoredModelSize s = measure_stored_size(q.graph, StorageFormat::kCsr, 0, 8);
  EXPECT_EQ(s.nonzeros, 8);
  EXPECT_EQ(s.param_bytes, 3 * 4 + 3);  // a float scale and an int8 zero point per channel
  EXPECT_EQ(s.bytes, csr_bytes(8) + 3 * 4 + 3 + kBiasBytes);
}

TEST(StoredModelSize, PerVectorWeightsAreFoundInTheLayersLayout) {
  // Vectors of 16 along K = 300, padded to 304: 3 * 19 vectors, a float scale each.
  const QdqModel q = export_qdq(sparse_gemm(), scheme(4, true, QuantGranularity::kVector));
  const QdqWeights found = find_qdq_weights(q.graph);
  ASSERT_EQ(found.weights.size(), 1u);
  const Tensor& w = found.weights[0].dequantized;
  ASSERT_EQ(w.shape(), (Shape{3, 300}));
  const Graph float_model = sparse_gemm();
  EXPECT_EQ(Mask::of_nonzeros(w).count_kept(), 5);
  for (int64_t i = 0; i < w.numel(); ++i)
    EXPECT_EQ(w.data<float>()[i] != 0.0f,
              float_model.initializers.at("fc.w").data<float>()[i] != 0.0f)
        << i;
  EXPECT_EQ(found.params.size(), 1u);  // the scales

  const StoredModelSize s = measure_stored_size(q.graph, StorageFormat::kCsr, 0, 4);
  EXPECT_EQ(s.param_bytes, 57 * 4);
  EXPECT_EQ(s.bytes, csr_bytes(4) + 57 * 4 + kBiasBytes);
}

TEST(StoredModelSize, TwoLevelScalesCountAFloatPerChannelAndAFactorPerVector) {
  QuantScheme two_level = scheme(4, true, QuantGranularity::kVector);
  two_level.scale_bits = 4;
  const QdqModel q = export_qdq(sparse_gemm(), two_level);
  const QdqWeights found = find_qdq_weights(q.graph);
  ASSERT_EQ(found.weights.size(), 1u);
  // Found after the factors' Mul, in the layer's layout with the padding sliced off.
  EXPECT_EQ(found.weights[0].dequantized.shape(), (Shape{3, 300}));
  EXPECT_EQ(found.params.size(), 2u);  // the channel scales and the factors
  const StoredModelSize s = measure_stored_size(q.graph, StorageFormat::kCsr, 0, 4);
  EXPECT_EQ(s.weights, 903);
  EXPECT_EQ(s.nonzeros, 8);
  // 3 float channel scales, 57 factors stored a byte each (uint8).
  EXPECT_EQ(s.param_bytes, 3 * 4 + 57);
  EXPECT_EQ(s.bytes, csr_bytes(4) + 3 * 4 + 57 + kBiasBytes);
}

TEST(StoredModelSize, BestStorageNeverExceedsDense) {
  Tensor full(DType::kFloat32, {4, 9});
  for (int64_t i = 0; i < full.numel(); ++i) full.data<float>()[i] = 1.0f;
  EXPECT_EQ(best_storage(full, StorageFormat::kCsr, 0, 8).total(), 36);
  EXPECT_EQ(
      best_storage(Tensor::from_vector<float>({3}, {1, 0, 0}), StorageFormat::kCsr, 0, 32).total(),
      12);  // rank 1 stays dense

  // [2, 2, 3, 3] with 2 nonzeros in each of 3 kernels, the fourth empty. Pattern storage: 4
  // values of 8 bits per kept kernel (12 bytes), a 4-bit kernel bitmap (1 byte) and 3 ids of 2
  // bits (1 byte); CSR over [2, 18]: 6 values, 6 one-byte column indices, 3 row pointers.
  Tensor conv(DType::kFloat32, {2, 2, 3, 3});
  for (int64_t k = 0; k < 3; ++k) conv.data<float>()[k * 9] = conv.data<float>()[k * 9 + 4] = 1;
  EXPECT_EQ(best_storage(conv, StorageFormat::kPattern, 4, 8).total(), 14);
  EXPECT_EQ(best_storage(conv, StorageFormat::kCsr, 4, 8).total(), 15);
  // Compacting: every filter and channel holds a nonzero, so it saves nothing.
  EXPECT_EQ(best_storage(conv, StorageFormat::kCompact, 0, 8).total(), 36);
  // A kernel of 5 nonzeros is no pattern: CSR then, 9 values, 9 indices, 3 row pointers.
  for (int t : {1, 2, 3}) conv.data<float>()[t] = 1;
  EXPECT_EQ(best_storage(conv, StorageFormat::kPattern, 4, 8).total(), 21);
  // Filter 1 emptied: the compacted tensor is filter 0's 2 channels of 9.
  conv.data<float>()[18] = conv.data<float>()[22] = 0;
  EXPECT_EQ(best_storage(conv, StorageFormat::kCompact, 0, 8).total(), 18);
}

TEST(CompressionRecord, WrittenRecordsReadBackFieldByField) {
  Graph g = sparse_gemm();
  EXPECT_EQ(read_compression_record(g).label(), "dense");
  EXPECT_EQ(read_compression_record(g).storage_format(), StorageFormat::kDense);
  EXPECT_EQ(read_compression_record(g).value_bits(), 32);
  PruneRecord p;
  p.scheme = parse_prune_scheme("pattern");
  p.scheme.connectivity = 3.6;
  p.method = "admm";
  p.sparsity = 0.875;
  p.weights = {"conv2.weight", "conv3.weight"};
  p.bits = 4;
  p.layer_sparsity = {{"conv2.weight", 0.5}};
  p.patterns = {27, 54, 216};
  QuantizationRecord q;
  q.weights.bits = 4;
  q.weights.granularity = QuantGranularity::kVector;
  q.weights.vector_size = 32;
  q.weights.scale_bits = 4;
  q.activations = ActivationQuantization::kInt8;
  q.calibration = "mse on 500 images of fashion-mnist";
  q.qat_epochs = 2;
  g.metadata["sinter.prune.stale"] = "replaced";
  write_compression_record({p, q}, g);
  EXPECT_EQ(g.metadata.count("sinter.prune.stale"), 0u);
  EXPECT_EQ(g.metadata.at("sinter.prune.patterns"), "[27,54,216]");
  EXPECT_EQ(g.metadata.at("sinter.quantization.granularity"), "vector:32");
  const CompressionRecord r = read_compression_record(g);
  ASSERT_TRUE(r.prune && r.quantization);
  EXPECT_EQ(r.prune->scheme.kind, PruneKind::kPattern);
  EXPECT_EQ(r.prune->scheme.pattern_count, 3);
  EXPECT_DOUBLE_EQ(r.prune->scheme.connectivity, 3.6);
  EXPECT_EQ(r.prune->method, "admm");
  EXPECT_DOUBLE_EQ(r.prune->sparsity, 0.875);
  EXPECT_EQ(r.prune->weights, p.weights);
  EXPECT_EQ(r.prune->bits, 4);
  EXPECT_EQ(r.prune->layer_sparsity, p.layer_sparsity);
  EXPECT_EQ(r.prune->patterns, p.patterns);
  EXPECT_EQ(r.quantization->weights.bits, 4);
  EXPECT_TRUE(r.quantization->weights.symmetric);
  EXPECT_EQ(r.quantization->weights.granularity, QuantGranularity::kVector);
  EXPECT_EQ(r.quantization->weights.vector_size, 32);
  EXPECT_EQ(r.quantization->weights.scale_bits, 4);
  EXPECT_EQ(r.quantization->activations, ActivationQuantization::kInt8);
  EXPECT_EQ(r.quantization->calibration, q.calibration);
  EXPECT_EQ(r.quantization->qat_epochs, 2);
  EXPECT_FALSE(r.quantization->foreign);
  EXPECT_EQ(r.storage_format(), StorageFormat::kPattern);
  EXPECT_EQ(r.value_bits(), 4);
  EXPECT_EQ(r.label(), "pattern 87.5% admm + int4 symmetric per vector:32, QAT");
  EXPECT_EQ(g.metadata.at("sinter.quantization"), r.quantization->describe());
  EXPECT_EQ(r.quantization->describe(),
            "int4 symmetric weights per vector:32 (two-level scales: 4-bit factors times a float "
            "per channel); int8 activations calibrated by mse on 500 images of fashion-mnist; "
            "weights fine-tuned quantization-aware for 2 epochs (straight-through estimator)");
}

// Without sinter's record, a QDQ file's width is read off its integer weights.
TEST(CompressionRecord, ForeignWidthComesFromTheWeights) {
  for (const auto& [type, values, bits] :
       {std::tuple{DType::kInt8, std::vector<int8_t>{-8, 7, 3}, 4},
        std::tuple{DType::kInt4, std::vector<int8_t>{-8, 7, 3}, 4},
        std::tuple{DType::kInt8, std::vector<int8_t>{-8, 9, 3}, 8}}) {
    GraphBuilder b;
    const auto x = b.input("x", DType::kFloat32, {1, 3});
    Tensor q(type, {3, 1});
    std::memcpy(q.raw(), values.data(), 3);
    const auto w =
        b.node("DequantizeLinear", {b.weight("q", q), b.weight("s", Tensor::scalar(0.1f))});
    b.output(b.node("MatMul", {x, w}));
    const CompressionRecord r = read_compression_record(b.build());
    ASSERT_TRUE(r.quantization);
    EXPECT_TRUE(r.quantization->foreign);
    EXPECT_EQ(r.value_bits(), bits) << dtype_name(type);
  }
}

TEST(CompressionRecord, MalformedFieldsNameTheirKey) {
  Graph g = sparse_gemm();
  PruneRecord p;
  p.scheme = parse_prune_scheme("pattern");
  p.patterns = {27};
  QuantizationRecord q;
  write_compression_record({p, q}, g);
  const Graph good = g;
  auto expect_bad = [&](const char* key, const std::string& value) {
    g = good;
    g.metadata[key] = value;
    test::expect_error<ModelError>([&] { read_compression_record(g); }, {key});
  };
  expect_bad("sinter.prune.patterns", "[27,x]");
  expect_bad("sinter.prune.patterns", "[]");
  expect_bad("sinter.prune.patterns", "[512]");
  expect_bad("sinter.prune.scheme", "spiral");
  expect_bad("sinter.prune.sparsity", "1.5");
  expect_bad("sinter.prune.layer_sparsity", "{\"a\": 2}");
  expect_bad("sinter.quantization.bits", "3");
  expect_bad("sinter.quantization.granularity", "vector:0");
  expect_bad("sinter.quantization.activations", "float16");
  g = good;
  g.metadata.erase("sinter.prune.patterns");
  test::expect_error<ModelError>([&] { read_compression_record(g); }, {"pattern set"});
}

}  // namespace
}  // namespace sinter
