#include "compress/unstructured_prune.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "compress_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::flags;
using test::random_weights;

const std::vector<Shape> kShapes = {{1}, {7}, {3, 5}, {4, 3, 3, 3}, {2, 3, 1, 5}, {16, 9}};
const std::vector<double> kSparsities = {0.0, 0.1, 0.5, 0.75, 0.9, 0.999};

// The count every sparsity promises, computed without the library: round((1 - s) * n), >= 1.
int64_t expected_kept(int64_t n, double s) {
  return std::max<int64_t>(1, std::llround((1.0 - s) * static_cast<double>(n)));
}

// Sort magnitudes (stable, so ties keep index order) and keep the first k.
std::vector<uint8_t> reference_mask(const Tensor& w, double sparsity) {
  std::vector<double> magnitude;
  for (float v : test::values_of(w)) magnitude.push_back(std::fabs(v));
  const std::vector<int64_t> order = test::order_by_score(magnitude);
  std::vector<uint8_t> keep(magnitude.size(), 0);
  for (int64_t i = 0; i < expected_kept(w.numel(), sparsity); ++i) keep[order[i]] = 1;
  return keep;
}

TEST(PruneUnstructuredTest, MatchesSortedReferenceAndKeepsTheCountAsked) {
  for (const Shape& shape : kShapes)
    for (double s : kSparsities)
      for (bool ties : {false, true})
        for (uint64_t seed = 0; seed < 3; ++seed) {
          const Tensor w = random_weights(shape, seed, ties);
          const Mask m = unstructured_mask(w, s);
          SCOPED_TRACE(shape_str(shape) + " sparsity " + std::to_string(s));
          EXPECT_EQ(m.shape(), shape);
          EXPECT_EQ(flags(m), reference_mask(w, s));
          EXPECT_EQ(m.count_kept(), expected_kept(w.numel(), s));
        }
}

TEST(PruneUnstructuredTest, IsTheClosestSparseTensor) {
  for (const Shape& shape : std::vector<Shape>{{2, 5}, {3, 4}, {12}})
    for (double s : {0.25, 0.5, 0.8})
      for (bool ties : {false, true}) {
        const Tensor w = random_weights(shape, 7, ties);
        const int64_t k = expected_kept(w.numel(), s);
        const double best = test::min_pruned_energy(w, [&](const std::vector<uint8_t>& keep) {
          return std::count(keep.begin(), keep.end(), 1) <= k;
        });
        EXPECT_NEAR(test::pruned_energy(w, flags(unstructured_mask(w, s))), best, 1e-12);
      }
}

TEST(PruneUnstructuredTest, ProjectingTwiceChangesNothing) {
  for (const Shape& shape : kShapes)
    for (double s : kSparsities)
      for (bool ties : {false, true}) {
        const Tensor once = unstructured_mask(random_weights(shape, 3, ties), s)
                                .applied_to(random_weights(shape, 3, ties));
        const Tensor twice = unstructured_mask(once, s).applied_to(once);
        EXPECT_EQ(test::values_of(twice), test::values_of(once)) << shape_str(shape) << " " << s;
      }
}

TEST(PruneUnstructuredTest, TiesGoToTheLowerIndexWhateverTheSign) {
  const Tensor w = Tensor::from_vector<float>({6}, {0.5f, -1.0f, 1.0f, -1.0f, 0.5f, 1.0f});
  EXPECT_EQ(flags(unstructured_mask(w, 0.5)), (std::vector<uint8_t>{0, 1, 1, 1, 0, 0}));
  EXPECT_EQ(flags(unstructured_mask(w, 0.2)), (std::vector<uint8_t>{1, 1, 1, 1, 0, 1}));
}

TEST(PruneUnstructuredTest, KeepsAtLeastOneAndEverythingAtZero) {
  const Tensor w = Tensor::from_vector<float>({4}, {0.1f, -0.4f, 0.3f, 0.2f});
  EXPECT_EQ(flags(unstructured_mask(w, 0.99)), (std::vector<uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(unstructured_mask(w, 0.0).count_kept(), 4);
  EXPECT_EQ(unstructured_mask(Tensor(DType::kFloat32, {0, 3}), 0.5).count_kept(), 0);
  EXPECT_EQ(unstructured_mask(Tensor::scalar(2.0f), 0.5).count_kept(), 1);
}

TEST(PruneUnstructuredTest, BadInput) {
  const Tensor w = random_weights({4, 4}, 1, false);
  expect_error([&] { unstructured_mask(w, 1.0); }, {"unstructured", "sparsity", "[0, 1)", "got 1"});
  expect_error([&] { unstructured_mask(w, 1.5); }, {"sparsity", "got 1.5"});
  expect_error([&] { unstructured_mask(w, -0.1); }, {"sparsity", "got -0.1"});
  expect_error([&] { unstructured_mask(w, std::nan("")); }, {"sparsity", "got nan"});
  expect_error([] { unstructured_mask(Tensor(DType::kInt8, {4}), 0.5); }, {"float32", "int8"});
  Tensor bad = w.clone();
  bad.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  expect_error<NumericError>([&] { unstructured_mask(bad, 0.5); }, {"non-finite", "index 5"});
}

}  // namespace
}  // namespace sinter
