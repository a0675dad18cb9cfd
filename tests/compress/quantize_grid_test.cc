#include "compress/quantize_grid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "compress/unstructured_prune.h"
#include "compress_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::random_weights;
using test::values_of;

int levels(int bits) { return (1 << (bits - 1)) - 1; }

TEST(PruneQuantizeGridTest, MaxAbsScales) {
  const Tensor w = Tensor::from_vector<float>({3, 2}, {0.5f, -1.27f, 0.0f, 0.0f, 2.54f, 1.0f});
  const std::vector<float> tensor = max_abs_scales(w, 8, ScaleGranularity::kTensor);
  ASSERT_EQ(tensor.size(), 1u);
  EXPECT_FLOAT_EQ(tensor[0], 2.54f / 127);
  const std::vector<float> channel = max_abs_scales(w, 4, ScaleGranularity::kOutputChannel);
  ASSERT_EQ(channel.size(), 3u);
  EXPECT_FLOAT_EQ(channel[0], 1.27f / 7);
  EXPECT_EQ(channel[1], 0.0f);  // an all-zero channel
  EXPECT_FLOAT_EQ(channel[2], 2.54f / 7);
}

// Every output is the grid point nearest its input, found by trying every level.
void expect_nearest_levels(const Tensor& w, const Tensor& got, int bits,
                           const std::vector<float>& scales) {
  const int q = levels(bits);
  const int64_t group = scales.size() == 1 ? w.numel() : w.numel() / w.dim(0);
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double s = scales[i / group], x = w.data<float>()[i], y = got.data<float>()[i];
    if (s == 0.0) {
      EXPECT_EQ(y, 0.0f);
      continue;
    }
    const double level = std::round(y / s);
    EXPECT_NEAR(y, level * s, 1e-6 * std::fabs(y)) << "at " << i << ": not on the grid";
    EXPECT_LE(std::fabs(level), q);
    double best = std::numeric_limits<double>::infinity();
    for (int k = -q; k <= q; ++k) best = std::min(best, std::fabs(x - k * s));
    // Float division may pick the other level only where both are (nearly) equally close.
    EXPECT_NEAR(std::fabs(x - level * s), best, 1e-6 * (std::fabs(x) + s)) << "at " << i;
  }
}

TEST(PruneQuantizeGridTest, NearestLevelForEveryGranularityAndWidth) {
  for (const Shape& shape : std::vector<Shape>{{5}, {4, 6}, {3, 2, 3, 3}, {1, 7}})
    for (int bits : {2, 3, 4, 8})
      for (bool ties : {false, true})
        for (auto g : {ScaleGranularity::kTensor, ScaleGranularity::kOutputChannel}) {
          const Tensor w = random_weights(shape, bits, ties);
          const std::vector<float> scales = max_abs_scales(w, bits, g);
          const Tensor got = project_to_grid(w, bits, scales);
          SCOPED_TRACE(shape_str(shape) + " bits " + std::to_string(bits));
          expect_nearest_levels(w, got, bits, scales);
          // A smaller given scale saturates the largest values at the grid's ends.
          std::vector<float> half = scales;
          for (float& s : half) s *= 0.5f;
          expect_nearest_levels(w, project_to_grid(w, bits, half), bits, half);
        }
}

TEST(PruneQuantizeGridTest, ProjectingTwiceChangesNothing) {
  for (int bits : {4, 8}) {
    const Tensor w = random_weights({6, 3, 3, 3}, 4, false);
    const std::vector<float> scales = max_abs_scales(w, bits, ScaleGranularity::kOutputChannel);
    const Tensor once = project_to_grid(w, bits, scales);
    EXPECT_EQ(values_of(project_to_grid(once, bits, scales)), values_of(once));
  }
}

TEST(PruneQuantizeGridTest, HalvesRoundToEvenAndTheEndsClamp) {
  const Tensor w = Tensor::from_vector<float>({7}, {2.5f, 3.5f, -2.5f, 0.5f, 100.0f, -8.0f, 6.9f});
  EXPECT_EQ(values_of(project_to_grid(w, 4, {1.0f})),
            (std::vector<float>{2.0f, 4.0f, -2.0f, 0.0f, 7.0f, -7.0f, 7.0f}));
  EXPECT_EQ(values_of(project_to_grid(w, 4, {0.0f})), std::vector<float>(7, 0.0f));
}

TEST(PruneQuantizeGridTest, LargestMagnitudeLandsOnTheEndAndZerosStay) {
  const Tensor dense = random_weights({8, 16}, 6, false);
  const Tensor w = unstructured_mask(dense, 0.8).applied_to(dense);
  const std::vector<float> scales = max_abs_scales(w, 8, ScaleGranularity::kOutputChannel);
  const Tensor got = project_to_grid(w, 8, scales);
  for (int64_t r = 0; r < 8; ++r) {
    float max_in = 0.0f, max_out = 0.0f;
    for (int64_t c = 0; c < 16; ++c) {
      const float x = w.data<float>()[r * 16 + c], y = got.data<float>()[r * 16 + c];
      if (x == 0.0f) {
        EXPECT_EQ(y, 0.0f);
      }
      max_in = std::max(max_in, std::fabs(x));
      max_out = std::max(max_out, std::fabs(y));
    }
    EXPECT_NEAR(max_out, max_in, 1e-6f * max_in);
  }
}

TEST(PruneQuantizeGridTest, BadInput) {
  const Tensor w = random_weights({4, 3}, 1, false);
  expect_error([&] { project_to_grid(w, 1, {1.0f}); }, {"quantization", "bits", "got 1"});
  expect_error([&] { project_to_grid(w, 9, {1.0f}); }, {"bits", "between 2 and 8", "got 9"});
  expect_error([&] { max_abs_scales(w, 16, ScaleGranularity::kTensor); }, {"bits", "got 16"});
  expect_error(
      [&] {
        project_to_grid(w, 8, {1.0f, 1.0f});
      },
      {"1 scale or one per output channel", "[4,3]", "got 2"});
  expect_error([&] { project_to_grid(w, 8, {}); }, {"got 0"});
  expect_error([&] { project_to_grid(w, 8, {-1.0f}); }, {"scales", ">= 0", "got -1"});
  expect_error([&] { project_to_grid(w, 8, {std::numeric_limits<float>::infinity()}); },
               {"scales", "got inf"});
  expect_error([] { project_to_grid(Tensor(DType::kInt8, {3}), 8, {1.0f}); }, {"float32"});
  expect_error([] { max_abs_scales(Tensor::scalar(1.0f), 8, ScaleGranularity::kOutputChannel); },
               {"rank >= 1"});
}

}  // namespace
}  // namespace sinter
