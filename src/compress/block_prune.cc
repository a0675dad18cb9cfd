#include "compress/block_prune.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "compress/prune_checks.h"
#include "compress/select_largest.h"
#include "core/error.h"

namespace sinter {

namespace {

// Cuts every row into blocks of `block` and keeps kept_in(len) largest entries of each block of
// length len.
template <class KeptIn>
Mask keep_largest_per_block(const Tensor& w, int64_t block, KeptIn kept_in) {
  const int64_t rows = w.dim(0);
  const int64_t cols = rows == 0 ? 0 : w.numel() / rows;
  const float* x = w.data<float>();
  std::vector<uint8_t> keep(static_cast<size_t>(w.numel()), 0);
  std::vector<double> magnitude;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t start = 0; start < cols; start += block) {
      const int64_t len = std::min(block, cols - start);
      const int64_t base = r * cols + start;
      magnitude.resize(static_cast<size_t>(len));
      for (int64_t i = 0; i < len; ++i) magnitude[i] = std::fabs(x[base + i]);
      for (int64_t i : largest_indices(magnitude, kept_in(len))) keep[base + i] = 1;
    }
  return Mask(w.shape(), std::move(keep));
}

}  // namespace

Mask balanced_mask(const Tensor& w, int64_t block, double sparsity) {
  constexpr const char* kWho = "balanced pruning";
  require_prunable_weights(w, kWho, 2);
  if (block < 1) throw InputError(cat(kWho, ": block size must be at least 1, got ", block));
  kept_count(block, sparsity, kWho);  // rejects a bad sparsity even for an empty tensor
  return keep_largest_per_block(w, block,
                                [&](int64_t len) { return kept_count(len, sparsity, kWho); });
}

Mask output_block_mask(const Tensor& w, int64_t rows, double sparsity) {
  constexpr const char* kWho = "block pruning";
  require_prunable_weights(w, kWho, 2);
  if (rows < 1) throw InputError(cat(kWho, ": block size must be at least 1, got ", rows));
  const int64_t outputs = w.dim(0);
  const int64_t cols = outputs == 0 ? 0 : w.numel() / outputs;
  const int64_t block_rows = (outputs + rows - 1) / rows;
  const float* x = w.data<float>();
  std::vector<double> norm(static_cast<size_t>(block_rows * cols), 0.0);
  for (int64_t r = 0; r < outputs; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double v = x[r * cols + c];
      norm[(r / rows) * cols + c] += v * v;
    }
  const int64_t kept = kept_count(block_rows * cols, sparsity, kWho);
  std::vector<uint8_t> keep(static_cast<size_t>(w.numel()), 0);
  for (int64_t b : largest_indices(norm, kept))
    for (int64_t r = b / cols * rows; r < std::min(outputs, (b / cols + 1) * rows); ++r)
      keep[r * cols + b % cols] = 1;
  return Mask(w.shape(), std::move(keep));
}

Mask n_of_m_mask(const Tensor& w, int64_t n, int64_t m) {
  constexpr const char* kWho = "N:M pruning";
  require_prunable_weights(w, kWho, 2);
  if (n < 1 || n > m) throw InputError(cat(kWho, ": needs 1 <= N <= M, got ", n, ":", m));
  return keep_largest_per_block(w, m, [&](int64_t len) { return std::min(n, len); });
}

}  // namespace sinter
