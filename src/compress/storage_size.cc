#include "compress/storage_size.h"

#include <bit>
#include <vector>

#include "compress/mask.h"
#include "compress/pattern_set.h"
#include "compress/prune_checks.h"
#include "core/error.h"

namespace sinter {

namespace {

constexpr const char* kWho = "storage size";

int64_t bytes_for_bits(int64_t bits) { return (bits + 7) / 8; }

void require_value_bits(int value_bits) {
  if (value_bits < 1 || value_bits > 32)
    throw InputError(cat(kWho, ": value bits must be between 1 and 32, got ", value_bits));
}

bool fits_pattern_storage(const Tensor& w) {
  if (w.rank() != 4 || w.dim(2) != 3 || w.dim(3) != 3) return false;
  const float* x = w.data<float>();
  for (int64_t kn = 0; kn < w.dim(0) * w.dim(1); ++kn) {
    int nonzeros = 0;
    for (int t = 0; t < 9; ++t) nonzeros += x[kn * 9 + t] != 0.0f;
    if (nonzeros > kPatternTaps) return false;
  }
  return true;
}

StorageSize smaller(const StorageSize& a, const StorageSize& b) {
  return b.total() < a.total() ? b : a;
}

}  // namespace

const char* storage_format_name(StorageFormat format) {
  switch (format) {
    case StorageFormat::kDense:
      return "dense";
    case StorageFormat::kCsr:
      return "csr";
    case StorageFormat::kCompact:
      return "compact";
    case StorageFormat::kPattern:
      return "pattern";
  }
  return "dense";
}

int index_bits_for(int64_t max_value) {
  SINTER_CHECK(max_value >= 0, "index range cannot be negative: ", max_value);
  for (int bits : {8, 16, 32})
    if (max_value < (int64_t{1} << bits)) return bits;
  return 64;
}

StorageSize dense_storage(const Tensor& w, int value_bits) {
  require_value_bits(value_bits);
  require_prunable_weights(w, kWho, 0);
  return {bytes_for_bits(w.numel() * value_bits), 0};
}

StorageSize csr_storage(const Tensor& w, int value_bits) {
  require_value_bits(value_bits);
  require_prunable_weights(w, kWho, 2);
  const int64_t rows = w.dim(0);
  const int64_t cols = rows == 0 ? 0 : w.numel() / rows;
  const int64_t nonzeros = Mask::of_nonzeros(w).count_kept();
  const int64_t column_index_bits = nonzeros * index_bits_for(cols == 0 ? 0 : cols - 1);
  const int64_t row_pointer_bits = (rows + 1) * index_bits_for(nonzeros);
  return {bytes_for_bits(nonzeros * value_bits),
          bytes_for_bits(column_index_bits) + bytes_for_bits(row_pointer_bits)};
}

StorageSize compact_dense_storage(const Tensor& w, int value_bits) {
  require_value_bits(value_bits);
  require_prunable_weights(w, kWho, 2);
  const int64_t filters = w.dim(0), channels = w.dim(1);
  const int64_t inner = filters * channels == 0 ? 0 : w.numel() / (filters * channels);
  std::vector<uint8_t> filter_used(static_cast<size_t>(filters), 0);
  std::vector<uint8_t> channel_used(static_cast<size_t>(channels), 0);
  const float* x = w.data<float>();
  for (int64_t f = 0; f < filters; ++f)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i)
        if (x[(f * channels + c) * inner + i] != 0.0f) filter_used[f] = channel_used[c] = 1;
  int64_t kept_filters = 0, kept_channels = 0;
  for (uint8_t u : filter_used) kept_filters += u;
  for (uint8_t u : channel_used) kept_channels += u;
  return {bytes_for_bits(kept_filters * kept_channels * inner * value_bits), 0};
}

StorageSize pattern_storage(const Tensor& w, int64_t pattern_count, int value_bits) {
  require_value_bits(value_bits);
  require_3x3_conv_weights(w, kWho);
  if (pattern_count < 1 || pattern_count > kCandidatePatternCount)
    throw InputError(cat(kWho, ": pattern count must be between 1 and ", kCandidatePatternCount,
                         ", got ", pattern_count));
  const int64_t kernels = w.dim(0) * w.dim(1);
  const float* x = w.data<float>();
  int64_t kept_kernels = 0;
  for (int64_t kn = 0; kn < kernels; ++kn) {
    int nonzeros = 0;
    for (int t = 0; t < 9; ++t) nonzeros += x[kn * 9 + t] != 0.0f;
    if (nonzeros > kPatternTaps)
      throw InputError(cat(kWho, ": kernel ", kn / w.dim(1), ",", kn % w.dim(1), " has ", nonzeros,
                           " nonzeros; a pattern-pruned kernel has at most ", kPatternTaps));
    kept_kernels += nonzeros > 0;
  }
  // ceil(log2(P)): the bits that number P patterns; one pattern needs no id at all.
  const int64_t id_bits = std::bit_width(static_cast<uint64_t>(pattern_count - 1));
  return {bytes_for_bits(kept_kernels * kPatternTaps * value_bits),
          bytes_for_bits(kernels) + bytes_for_bits(kept_kernels * id_bits)};
}

StorageSize best_storage(const Tensor& w, StorageFormat format, int64_t pattern_count,
                         int value_bits) {
  const StorageSize dense = dense_storage(w, value_bits);
  if (format == StorageFormat::kDense || w.rank() < 2) return dense;
  if (format == StorageFormat::kCompact)
    return smaller(dense, compact_dense_storage(w, value_bits));
  const StorageSize csr = smaller(dense, csr_storage(w, value_bits));
  if (format == StorageFormat::kPattern && fits_pattern_storage(w))
    return smaller(csr, pattern_storage(w, pattern_count, value_bits));
  return csr;
}

}  // namespace sinter
