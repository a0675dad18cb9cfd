// ADMM pruning over the trainer: Z is the projection of W + U and U gathers the residuals, the
// penalty's gradient pulls W towards Z by exactly rho * (W - Z + U), hard pruning lands on the
// constraint set, masked retraining keeps pruned weights at zero, and a small model pruned to
// 50% keeps its accuracy.
#include "compress/admm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "compress/masked_training.h"
#include "compress_test_util.h"
#include "prune_training_util.h"
#include "train/evaluate.h"
#include "train/fit.h"

namespace sinter {
namespace {

using test::expect_error;
using test::values_of;

PruneScheme unstructured(double sparsity) {
  PruneScheme s;
  s.sparsity = sparsity;
  return s;
}

// W + U, elementwise.
Tensor sum(const Tensor& a, const Tensor& b) {
  Tensor out = a.clone();
  for (int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] += b.data<float>()[i];
  return out;
}

void expect_same_values(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(values_of(a), values_of(b)) << what;
}

TEST(Admm, ZIsTheProjectionOfWPlusUAndUGathersTheResiduals) {
  const Graph model = test::small_model("mlp");
  const PrunePlan plan(model, unstructured(0.6));
  const Dataset data = test::squares(64, 1);
  Trainer trainer(model, test::small_trainer(8));
  AdmmOptions o;
  o.rho = 0.01f;
  o.rho_factor = 2.0f;
  o.rho_max = 0.03f;
  o.interval = 1000;  // updates only when the test calls them
  AdmmPruner admm(trainer, plan, o);
  const std::vector<Parameter> params = target_parameters(trainer, plan);
  ASSERT_EQ(params.size(), 2u);  // fc1 and fc2; fc3 is the classifier
  for (size_t t = 0; t < params.size(); ++t) {
    const Tensor& w = *params[t].value;
    expect_same_values(admm.z(t), plan.project(t, w).applied_to(w), "Z starts at Proj(W)");
    EXPECT_EQ(values_of(admm.u(t)), std::vector<float>(w.numel(), 0.0f));
  }

  for (int round = 0; round < 2; ++round) {
    for (int s = 0; s < 2; ++s) trainer.step(test::first_batch(data, s));
    std::vector<Tensor> w_before, u_before;
    for (size_t t = 0; t < params.size(); ++t) {
      w_before.push_back(params[t].value->clone());
      u_before.push_back(admm.u(t).clone());
    }
    admm.update();
    for (size_t t = 0; t < params.size(); ++t) {
      const Tensor target = sum(w_before[t], u_before[t]);
      expect_same_values(admm.z(t), plan.project(t, target).applied_to(target), "Z = Proj(W + U)");
      EXPECT_NEAR(Mask::of_nonzeros(admm.z(t)).sparsity(), 0.6, 1e-3);
      const float* w = w_before[t].data<float>();
      const float* z = admm.z(t).data<float>();
      for (int64_t i = 0; i < target.numel(); ++i)
        EXPECT_FLOAT_EQ(admm.u(t).data<float>()[i], u_before[t].data<float>()[i] + (w[i] - z[i]))
            << "U += W - Z at " << i;
    }
  }
  EXPECT_EQ(admm.updates(), 2);
  EXPECT_FLOAT_EQ(admm.rho(), 0.03f);  // 0.01 doubled twice, capped at 0.03
  // The share of the weights' norm that hard pruning removes, then none.
  double pruned = 0.0, norm = 0.0;
  for (size_t t = 0; t < params.size(); ++t) {
    const Tensor& w = *params[t].value;
    const Mask m = plan.project(t, w);
    for (int64_t i = 0; i < w.numel(); ++i) {
      const double v = w.data<float>()[i];
      norm += v * v;
      pruned += m.kept(i) ? 0.0 : v * v;
    }
  }
  EXPECT_NEAR(admm.distance_to_set(), std::sqrt(pruned / norm), 1e-9);
  admm.hard_prune();
  EXPECT_EQ(admm.distance_to_set(), 0.0);
}

TEST(Admm, PenaltyGradientIsRhoTimesWMinusZPlusU) {
  const Graph model = test::small_model("mlp");
  const PrunePlan plan(model, unstructured(0.5));
  const Batch batch = test::first_batch(test::squares(32, 2));
  TrainerOptions to = test::small_trainer(1);
  to.momentum = 0.0f;
  to.weight_decay = 0.0f;
  to.schedule = "constant";
  to.lr = 0.1f;
  Trainer plain(model, to), penalized(model, to);
  AdmmOptions o;
  o.rho = 0.5f;
  o.interval = 100;
  AdmmPruner admm(penalized, plan, o);
  std::vector<Tensor> z0;
  for (size_t t = 0; t < plan.targets().size(); ++t) z0.push_back(admm.z(t).clone());
  plain.step(batch);
  penalized.step(batch);

  const Graph a = plain.model(), b = penalized.model();
  for (size_t t = 0; t < plan.targets().size(); ++t) {
    const std::string& name = plan.targets()[t].weight;
    const float* w0 = model.initializers.at(name).data<float>();
    const float* wa = a.initializers.at(name).data<float>();
    const float* wb = b.initializers.at(name).data<float>();
    const float* z = z0[t].data<float>();
    for (int64_t i = 0; i < z0[t].numel(); ++i)
      ASSERT_NEAR(wb[i] - wa[i], -0.1f * 0.5f * (w0[i] - z[i]), 1e-6f) << name << " at " << i;
  }
  // Everything else trains as without ADMM.
  for (const char* name : {"fc1.bias", "fc3.weight"})
    EXPECT_EQ(values_of(a.initializers.at(name)), values_of(b.initializers.at(name))) << name;
}

TEST(Admm, HardPruneLandsOnTheConstraintSetAndMasksHoldWhileRetraining) {
  const Graph model = test::small_model("vgg-small");
  PruneScheme pattern = parse_prune_scheme("pattern");
  pattern.pattern_count = 4;
  pattern.connectivity = 2.0;
  const PrunePlan plan(model, pattern);
  const Dataset data = test::squares(64, 3);
  Trainer trainer(model, test::small_trainer(8));
  DataLoader loader(data, test::small_loader());
  std::vector<Mask> masks;
  {
    AdmmOptions o;
    o.interval = 4;
    AdmmPruner admm(trainer, plan, o);
    FitOptions fo;
    fo.epochs = 2;
    fit(trainer, loader, fo);
    EXPECT_EQ(admm.updates(), 2);
    masks = admm.hard_prune();
    EXPECT_FALSE(trainer.on_gradients);
    EXPECT_FALSE(trainer.on_update);
  }
  Graph pruned = trainer.model();
  ASSERT_EQ(masks.size(), 3u);
  for (size_t t = 0; t < masks.size(); ++t) {
    const Tensor& w = pruned.initializers.at(plan.targets()[t].weight);
    const float* x = w.data<float>();
    int64_t kept_kernels = 0;
    for (int64_t kn = 0; kn < w.dim(0) * w.dim(1); ++kn) {
      KernelPattern used = 0;
      for (int tap = 0; tap < 9; ++tap) used |= x[kn * 9 + tap] != 0.0f ? 1u << tap : 0u;
      if (used == 0) continue;
      ++kept_kernels;
      bool in_set = false;
      for (KernelPattern p : plan.pattern_set()) in_set |= (used & ~p) == 0;
      EXPECT_TRUE(in_set) << plan.targets()[t].weight << " kernel " << kn;
    }
    EXPECT_LE(kept_kernels, (w.dim(0) * w.dim(1) + 1) / 2);
  }

  // Masked retraining from the pruned model: momentum and weight decay are on, and still every
  // pruned weight stays exactly zero while the survivors move.
  Trainer retrain(pruned, test::small_trainer(8));
  {
    MaskedTraining masked(retrain, plan, masks);
    FitOptions fo;
    fo.epochs = 2;
    fit(retrain, loader, fo);
  }
  EXPECT_FALSE(retrain.on_update);
  const Graph after = retrain.model();
  for (size_t t = 0; t < masks.size(); ++t) {
    const std::string& name = plan.targets()[t].weight;
    const float* before = pruned.initializers.at(name).data<float>();
    const float* x = after.initializers.at(name).data<float>();
    int64_t moved = 0;
    for (int64_t i = 0; i < masks[t].numel(); ++i) {
      if (!masks[t].kept(i)) {
        ASSERT_EQ(x[i], 0.0f) << name << " at " << i;
      }
      moved += masks[t].kept(i) && x[i] != before[i];
    }
    EXPECT_EQ(moved, masks[t].count_kept()) << name;
  }
}

TEST(MaskedTraining, FilterPruningHoldsEachPrunedFiltersBatchNormAtZero) {
  Graph model = test::small_model("vgg-small");
  // Trained-looking BatchNorm entries: nonzero shifts that pruning must clear.
  for (const char* name : {"bn2.bias", "bn3.bias", "bn4.bias"}) {
    Tensor& b = model.initializers.at(name);
    for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = 0.1f;
  }
  PruneScheme filter = parse_prune_scheme("filter");
  filter.sparsity = 0.5;
  const PrunePlan plan(model, filter);
  const std::vector<Mask> masks = hard_prune(model, plan);
  auto expect_zero_with_filters = [&](const Graph& g, const char* when) {
    for (size_t t = 0; t < plan.targets().size(); ++t) {
      const Mask kept = kept_filters(masks[t], plan.targets()[t].transposed);
      EXPECT_EQ(kept.count_kept(), kept.numel() / 2) << plan.targets()[t].weight;
      for (const std::string& name : plan.targets()[t].channel_params)
        for (int64_t c = 0; c < kept.numel(); ++c)
          EXPECT_EQ(g.initializers.at(name).data<float>()[c] == 0.0f, !kept.kept(c))
              << name << " channel " << c << " " << when;
    }
  };
  expect_zero_with_filters(model, "after hard pruning");
  const Dataset data = test::squares(64, 8);
  Trainer trainer(model, test::small_trainer(4));
  MaskedTraining masked(trainer, plan, masks);
  for (int s = 0; s < 4; ++s) trainer.step(test::first_batch(data, s));
  expect_zero_with_filters(trainer.model(), "after masked retraining");
}

TEST(Admm, SmallModelKeepsItsAccuracyAtHalfSparsity) {
  const Dataset train = test::squares(192, 4), test_set = test::squares(96, 5);
  DataLoader loader(train, test::small_loader());
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  Trainer dense(test::small_model("mlp"), test::small_trainer(4 * steps_per_epoch));
  FitOptions fo;
  fo.epochs = 4;
  fit(dense, loader, fo);
  const Graph trained = dense.model();
  const double dense_accuracy = evaluate(trained, test_set).accuracy;
  ASSERT_GE(dense_accuracy, 0.95);

  const PrunePlan plan(trained, unstructured(0.5), {.prune_ends = true, .layer_sparsity = {}});
  TrainerOptions to = test::small_trainer(2 * steps_per_epoch);
  to.lr = 0.01f;
  Trainer admm_trainer(trained, to);
  AdmmOptions o;
  o.rho = 0.05f;
  o.interval = steps_per_epoch;
  AdmmPruner admm(admm_trainer, plan, o);
  fo.epochs = 2;
  fit(admm_trainer, loader, fo);
  const std::vector<Mask> masks = admm.hard_prune();
  Trainer retrain(admm_trainer.model(), to);
  MaskedTraining masked(retrain, plan, masks);
  fit(retrain, loader, fo);
  const Graph pruned = retrain.model();
  EXPECT_NEAR(target_sparsity(pruned, plan), 0.5, 1e-3);
  EXPECT_GE(evaluate(pruned, test_set).accuracy, dense_accuracy - 0.02);
}

TEST(Admm, RejectsBadOptions) {
  const Graph model = test::small_model("mlp");
  const PrunePlan plan(model, unstructured(0.5));
  Trainer trainer(model, test::small_trainer(1));
  AdmmOptions o;
  o.rho = 0.0f;
  expect_error([&] { AdmmPruner(trainer, plan, o); }, {"rho"});
  o = {};
  o.rho_factor = 0.5f;
  expect_error([&] { AdmmPruner(trainer, plan, o); }, {"rho factor"});
  o = {};
  o.interval = 0;
  expect_error([&] { AdmmPruner(trainer, plan, o); }, {"interval"});
  // A plan made for another model names the weight the trainer lacks.
  const PrunePlan other(test::small_model("vgg-small"), unstructured(0.5));
  expect_error([&] { AdmmPruner(trainer, other, {}); }, {"conv2.weight", "not among"});
}

}  // namespace
}  // namespace sinter
