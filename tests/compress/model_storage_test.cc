// A pruned model's size as a whole: weights counted over every float initializer, and each
// format's bytes the sum of its per-tensor storage with what the plan leaves alone kept dense.
#include "compress/model_storage.h"

#include <gtest/gtest.h>

#include "compress/masked_training.h"
#include "compress/storage_size.h"
#include "prune_training_util.h"

namespace sinter {
namespace {

TEST(ModelStorage, CountsWeightsAndBytesPerFormat) {
  Graph model = test::small_model("vgg-small");
  PruneScheme scheme = parse_prune_scheme("pattern");
  scheme.pattern_count = 4;
  scheme.sparsity = 0.9;  // fc1, not 3x3, goes unstructured
  const PrunePlan plan(model, scheme);
  hard_prune(model, plan);
  const ModelStorage s = measure_storage(model, plan);

  int64_t total = 0, nonzeros = 0, dense = 0, pattern = 0, csr = 0;
  for (const auto& [name, w] : model.initializers) {
    total += w.numel();
    nonzeros += Mask::of_nonzeros(w).count_kept();
    dense += 4 * w.numel();
    const bool patterned =
        name == "conv2.weight" || name == "conv3.weight" || name == "conv4.weight";
    const bool unstructured = name == "fc1.weight";
    csr += patterned || unstructured ? csr_storage(w, 32).total() : 4 * w.numel();
    pattern += patterned      ? pattern_storage(w, 4, 32).total()
               : unstructured ? csr_storage(w, 32).total()
                              : 4 * w.numel();
  }
  EXPECT_EQ(s.total_weights, total);
  EXPECT_EQ(s.nonzeros, nonzeros);
  EXPECT_EQ(s.dense_bytes, dense);
  EXPECT_EQ(s.csr_bytes, csr);
  EXPECT_EQ(s.pattern_bytes, pattern + 5);  // 4 patterns of 9 bits
  EXPECT_EQ(s.compact_bytes, 0);
  const Tensor& fc1 = model.initializers.at("fc1.weight");
  const Tensor& conv2 = model.initializers.at("conv2.weight");
  EXPECT_EQ(s.prunable_weights, fc1.numel() + conv2.numel() +
                                    model.initializers.at("conv3.weight").numel() +
                                    model.initializers.at("conv4.weight").numel());
  EXPECT_NEAR(s.sparsity(), 1.0 - static_cast<double>(nonzeros) / total, 1e-12);
  EXPECT_GT(s.prunable_sparsity(), 5.0 / 9.0);
}

TEST(ModelStorage, CompactsFilterPruning) {
  Graph model = test::small_model("mlp");
  PruneScheme scheme = parse_prune_scheme("filter");
  scheme.sparsity = 0.5;
  const PrunePlan plan(model, scheme);
  hard_prune(model, plan);
  const ModelStorage s = measure_storage(model, plan);
  // fc1 [256, 64] keeps 128 filters, fc2 [128, 256] 64: each tensor shrinks to its live rows.
  EXPECT_EQ(s.compact_bytes, s.dense_bytes - 4 * (128 * 64 + 64 * 256));
  EXPECT_EQ(s.pattern_bytes, 0);
  EXPECT_DOUBLE_EQ(s.prunable_sparsity(), 0.5);
}

}  // namespace
}  // namespace sinter
