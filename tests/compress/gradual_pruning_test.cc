// Gradual magnitude pruning: the cubic schedule's values, and a pruner that cuts at its interval,
// reaches the final sparsity at the ramp's end and keeps pruned weights at zero in between.
#include "compress/gradual_pruning.h"

#include <gtest/gtest.h>

#include "compress_test_util.h"
#include "prune_training_util.h"

namespace sinter {
namespace {

using test::expect_error;

TEST(GradualPruning, CubicScheduleFromZeroToTheFinalSparsity) {
  EXPECT_EQ(gradual_sparsity(0.8, 0, 0, 100), 0.0);
  EXPECT_EQ(gradual_sparsity(0.8, -5, 0, 100), 0.0);
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 50, 0, 100), 0.8 * (1 - 0.125));
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 100, 0, 100), 0.8);
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.8, 250, 0, 100), 0.8);
  EXPECT_DOUBLE_EQ(gradual_sparsity(0.9, 30, 10, 30), 0.9);
  double last = 0.0, last_rise = 1.0;
  for (int64_t s = 1; s <= 100; ++s) {
    const double v = gradual_sparsity(0.8, s, 0, 100);
    EXPECT_GE(v, last);
    EXPECT_LE(v - last, last_rise + 1e-12) << "the rise slows down along the ramp";
    last_rise = v - last;
    last = v;
  }
  expect_error([] { gradual_sparsity(0.5, 0, 10, 10); }, {"ramp"});
}

TEST(GradualPruning, CutsOnScheduleAndHoldsTheMasks) {
  const Graph model = test::small_model("mlp");
  PruneScheme scheme;
  scheme.sparsity = 0.75;
  const PrunePlan plan(model, scheme);
  const Dataset data = test::squares(64, 7);
  Trainer trainer(model, test::small_trainer(10));
  {
    GradualPruner pruner(trainer, plan, {.end_step = 8, .interval = 3});
    DataLoader loader(data, test::small_loader());
    int64_t step = 0;
    for (int64_t epoch = 0; step < 10; ++epoch) {
      loader.start_epoch(epoch);
      Batch b;
      while (step < 10 && loader.next(b)) {
        trainer.step(b);
        ++step;
        // Cuts at steps 3, 6 and 8 (the end); the masks hold in between and after.
        const int64_t last_cut = step >= 8 ? 8 : step / 3 * 3;
        const double expected = gradual_sparsity(0.75, last_cut, 0, 8);
        EXPECT_DOUBLE_EQ(pruner.sparsity(), expected) << "step " << step;
        EXPECT_NEAR(target_sparsity(trainer.model(), plan), expected, 0.01) << "step " << step;
      }
    }
  }
  EXPECT_FALSE(trainer.on_update);
  EXPECT_NEAR(target_sparsity(trainer.model(), plan), 0.75, 1e-3);
}

TEST(GradualPruning, RejectsSchemesWithAFixedSparsity) {
  const Graph model = test::small_model("mlp");
  const PrunePlan plan(model, parse_prune_scheme("nm:2:4"));
  Trainer trainer(model, test::small_trainer(1));
  expect_error([&] { GradualPruner(trainer, plan, {}); }, {"nm:2:4", "fixes its own"});
  PruneScheme scheme;
  scheme.sparsity = 0.5;
  const PrunePlan unstructured(model, scheme);
  expect_error([&] { GradualPruner(trainer, unstructured, {.end_step = 0}); }, {"ramp length"});
}

}  // namespace
}  // namespace sinter
