#include "compress/storage_size.h"

#include <gtest/gtest.h>

#include "compress/pattern_prune.h"
#include "compress/structured_prune.h"
#include "compress_test_util.h"
#include "pattern_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::random_weights;

// Nonzero everywhere: values from [0.5, 1).
Tensor dense_weights(const Shape& shape) {
  Tensor w = random_weights(shape, 3, false);
  for (int64_t i = 0; i < w.numel(); ++i)
    w.data<float>()[i] = 0.5f + 0.25f * (w.data<float>()[i] + 1.0f);
  return w;
}

TEST(PruneStorageTest, IndexWidthsAreWholeIntegerTypes) {
  EXPECT_EQ(index_bits_for(0), 8);
  EXPECT_EQ(index_bits_for(255), 8);
  EXPECT_EQ(index_bits_for(256), 16);
  EXPECT_EQ(index_bits_for(65535), 16);
  EXPECT_EQ(index_bits_for(65536), 32);
  EXPECT_EQ(index_bits_for(int64_t{1} << 32), 64);
}

TEST(PruneStorageTest, DenseCountsEveryElement) {
  const Tensor w = random_weights({4, 3, 3, 3}, 1, true);
  EXPECT_EQ(dense_storage(w, 32).value_bytes, 432);
  EXPECT_EQ(dense_storage(w, 32).index_bytes, 0);
  EXPECT_EQ(dense_storage(w, 4).total(), 54);
  EXPECT_EQ(dense_storage(Tensor(DType::kFloat32, {3}), 4).total(), 2);  // 12 bits round up
}

TEST(PruneStorageTest, CsrCountsValuesColumnIndicesAndRowPointers) {
  Tensor w(DType::kFloat32, {3, 300});
  for (int64_t i : {5, 299, 600, 601, 856}) w.data<float>()[i] = 1.0f;
  // 5 values; column indices up to 299 need 16 bits; 4 row pointers up to 5 need 8 bits.
  const StorageSize s = csr_storage(w, 4);
  EXPECT_EQ(s.value_bytes, 3);  // 20 bits
  EXPECT_EQ(s.index_bytes, 10 + 4);
  EXPECT_EQ(csr_storage(w, 32).total(), 20 + 14);

  // 256 columns fit 8-bit indices; 300 nonzeros need 16-bit row pointers.
  Tensor wide(DType::kFloat32, {2, 256});
  for (int64_t i = 0; i < 300; ++i) wide.data<float>()[i] = 0.5f;
  EXPECT_EQ(csr_storage(wide, 8).value_bytes, 300);
  EXPECT_EQ(csr_storage(wide, 8).index_bytes, 300 + 3 * 2);
  EXPECT_EQ(csr_storage(Tensor(DType::kFloat32, {4, 9}), 32).total(), 5);  // row pointers only
}

TEST(PruneStorageTest, CompactDenseDropsEmptyFiltersAndChannels) {
  Tensor w = dense_weights({4, 3, 3, 3});
  EXPECT_EQ(compact_dense_storage(w, 32).total(), 432);
  w = filter_mask(w, 0.5).applied_to(w);
  EXPECT_EQ(compact_dense_storage(w, 32).total(), 2 * 3 * 9 * 4);
  w = channel_mask(w, 0.34).applied_to(w);
  EXPECT_EQ(compact_dense_storage(w, 32).total(), 2 * 2 * 9 * 4);
  EXPECT_EQ(compact_dense_storage(w, 8).total(), 2 * 2 * 9);
  EXPECT_EQ(compact_dense_storage(w, 8).index_bytes, 0);
}

TEST(PruneStorageTest, PatternCountsIdsBitmapAndFourValuesPerKernel) {
  const std::vector<KernelPattern> set(candidate_patterns().begin(),
                                       candidate_patterns().begin() + 8);
  const Tensor dense = dense_weights({4, 8, 3, 3});
  const Tensor w = prune_to_patterns(dense, set, 4.0).mask.applied_to(dense);  // 8 of 32 kernels
  // 8 kernels x 4 values x 32 bits; a 32-bit bitmap and 8 ids of 3 bits.
  EXPECT_EQ(pattern_storage(w, 8, 32).value_bytes, 128);
  EXPECT_EQ(pattern_storage(w, 8, 32).index_bytes, 4 + 3);
  EXPECT_EQ(pattern_storage(w, 8, 4).value_bytes, 16);
  EXPECT_EQ(pattern_storage(w, 1, 4).index_bytes, 4);      // one pattern needs no id
  EXPECT_EQ(pattern_storage(w, 5, 4).index_bytes, 4 + 3);  // 3 bits
  EXPECT_EQ(pattern_storage(w, 9, 4).index_bytes, 4 + 4);  // 4 bits
  EXPECT_EQ(pattern_storage(w, 56, 4).index_bytes, 4 + 6);
  // The same tensor in CSR pays an 8-bit column index per value instead.
  EXPECT_EQ(csr_storage(w, 32).total(), 128 + 32 + 5);
}

TEST(PruneStorageTest, BadInput) {
  const Tensor w = random_weights({2, 2, 3, 3}, 1, false);  // every kernel holds 9 nonzeros
  expect_error([&] { pattern_storage(w, 4, 8); }, {"kernel 0,0 has 9 nonzeros", "at most 4"});
  expect_error([&] { pattern_storage(w, 0, 8); }, {"pattern count", "got 0"});
  expect_error([&] { pattern_storage(w, 57, 8); }, {"pattern count", "got 57"});
  expect_error(
      [] {
        pattern_storage(Tensor(DType::kFloat32, {2, 2, 1, 1}), 4, 8);
      },
      {"3x3 conv kernels", "[2,2,1,1]"});
  expect_error([&] { dense_storage(w, 0); }, {"value bits", "between 1 and 32", "got 0"});
  expect_error([&] { csr_storage(w, 33); }, {"value bits", "got 33"});
  expect_error([] { csr_storage(Tensor(DType::kFloat32, {9}), 8); }, {"rank >= 2", "[9]"});
  expect_error([] { compact_dense_storage(Tensor(DType::kFloat32, {9}), 8); }, {"rank >= 2"});
}

}  // namespace
}  // namespace sinter
