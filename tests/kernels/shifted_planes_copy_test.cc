// ShiftedPlanes' padded-row copy (SparseKernels::copy_padded_rows) of every ISA tier against the
// portable one, over random row lengths, offsets, counts and column strides: the same floats in
// the rows, and nothing written past them.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "isa_tiers.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::testing {
namespace {

TEST(ShiftedPlanesCopy, EveryTierMatchesPortable) {
  std::mt19937 rng(41);
  for (int i = 0; i < 2000; ++i) {
    const int64_t stride_w = 1 + rng() % 4, row_length = 1 + rng() % 80, rows = 1 + rng() % 4;
    const int64_t start = rng() % (row_length + 1);
    const int64_t count = rng() % (row_length - start + 1);
    // Each source row holds exactly the floats the copy reads, so that the sanitized build
    // reports a scalar read past them (the AVX-512 copy's masked loads it does not see; they
    // read no lane outside the row by construction).
    const int64_t row_inputs = count == 0 ? 0 : (count - 1) * stride_w + 1;
    const int64_t src_stride = row_inputs + rng() % 3;
    std::vector<float> src(static_cast<size_t>(src_stride * (rows - 1) + row_inputs) + 1);
    for (auto& v : src) v = static_cast<float>(rng() % 1000) - 500.0f;
    constexpr int64_t kGuard = 32;
    std::vector<float> want(rows * row_length), got(rows * row_length + kGuard);
    detail::copy_padded_rows_portable(src.data(), src_stride, stride_w, count, start, want.data(),
                                      row_length, rows);
    for (Isa isa : tested_isas()) {
      if (!sparse_kernels().has(isa)) continue;
      std::fill(got.begin(), got.end(), NAN);
      sparse_kernels().at(isa).copy_padded_rows(src.data(), src_stride, stride_w, count, start,
                                                got.data(), row_length, rows);
      for (int64_t j = 0; j < rows * row_length; ++j)
        ASSERT_EQ(got[j], want[j]) << isa_name(isa) << " at " << j << " stride_w=" << stride_w
                                   << " row_length=" << row_length << " start=" << start
                                   << " count=" << count << " rows=" << rows;
      for (int64_t j = rows * row_length; j < rows * row_length + kGuard; ++j)
        ASSERT_TRUE(std::isnan(got[j])) << isa_name(isa) << " wrote past the rows at " << j;
    }
  }
}

}  // namespace
}  // namespace sinter::testing
