// A model file's size as compress-report counts it: each weight in the format its pruning fits
// (never above dense), quantized weights at their bits with their zeros found through the QDQ
// layout, scales and zero points counted; every figure against bytes worked out by hand.
#include <gtest/gtest.h>

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

TEST(CompressionRecord, ReadsPruneAndQuantizationMetadata) {
  Graph g = sparse_gemm();
  EXPECT_EQ(read_compression_record(g).label(), "dense");
  EXPECT_EQ(read_compression_record(g).storage_format(), StorageFormat::kDense);
  g.metadata[kPruneSchemeKey] = "pattern";
  g.metadata[kPruneMethodKey] = "admm";
  g.metadata[kPruneSparsityKey] = "0.875";
  g.metadata[kPrunePatternsKey] = "[27,54,216]";
  g.metadata[kQuantizationKey] = "int4 symmetric weights per vector:16; uint8 activations";
  const CompressionRecord r = read_compression_record(g);
  EXPECT_EQ(r.storage_format(), StorageFormat::kPattern);
  EXPECT_EQ(r.pattern_set_size, 3);
  EXPECT_EQ(r.quantized_bits, 4);
  EXPECT_EQ(r.label(), "pattern 87.5% admm + int4 symmetric per vector:16");
  g.metadata[kQuantizationKey] +=
      "; weights fine-tuned quantization-aware for 2 epochs (straight-through estimator)";
  EXPECT_EQ(read_compression_record(g).label(),
            "pattern 87.5% admm + int4 symmetric per vector:16, QAT");

  g.metadata[kPrunePatternsKey] = "[27,x]";
  test::expect_error<ModelError>([&] { read_compression_record(g); }, {kPrunePatternsKey});
  g.metadata[kPrunePatternsKey] = "[27]";
  g.metadata[kQuantizationKey] = "int3 weights";
  test::expect_error<ModelError>([&] { read_compression_record(g); }, {"int4 or int8"});
}

}  // namespace
}  // namespace sinter
