#include "train/adam.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "train_test_util.h"

namespace sinter {
namespace {

using test::grad_at;
using test::OwnedParams;

// A scalar transcription of PyTorch 1.13's _single_tensor_adam / _single_tensor_adamw.
struct RefAdam {
  AdamOptions o;
  float m = 0.0f, v = 0.0f;
  int t = 0;
  void step(float& p, float g, float lr) {
    ++t;
    if (o.decoupled_weight_decay) {
      p *= static_cast<float>(1.0 - static_cast<double>(lr) * o.weight_decay);
    } else {
      g += o.weight_decay * p;
    }
    m = m * o.beta1 + g * static_cast<float>(1.0 - o.beta1);
    v = v * o.beta2 + g * g * static_cast<float>(1.0 - o.beta2);
    const double bc1 = 1.0 - std::pow(static_cast<double>(o.beta1), t);
    const double bc2 = 1.0 - std::pow(static_cast<double>(o.beta2), t);
    const float denom = std::sqrt(v) / static_cast<float>(std::sqrt(bc2)) + o.eps;
    p -= static_cast<float>(lr / bc1) * (m / denom);
  }
};

void check_against_reference(AdamOptions o) {
  OwnedParams ps;
  ps.add("w", {0.5f, -1.25f, 2.0f});
  std::vector<float> want = {0.5f, -1.25f, 2.0f};
  std::vector<RefAdam> ref(3, RefAdam{o});
  std::unique_ptr<Optimizer> opt = o.decoupled_weight_decay
                                       ? std::unique_ptr<Optimizer>(new AdamW(ps.params, o))
                                       : std::unique_ptr<Optimizer>(new Adam(ps.params, o));
  for (int t = 0; t < 8; ++t) {
    const float lr = 0.01f;
    ps.set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1), grad_at(t, 0, 2)});
    for (size_t i = 0; i < 3; ++i) ref[i].step(want[i], grad_at(t, 0, i), lr);
    opt->step(lr);
    for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(ps.value(0, i), want[i], 1e-6) << "step " << t;
  }
}

TEST(AdamTest, MatchesReference) { check_against_reference({}); }
TEST(AdamTest, L2WeightDecayMatchesReference) {
  check_against_reference({0.8f, 0.99f, 1e-6f, 0.1f, false});
}
TEST(AdamTest, AdamWMatchesReference) {
  check_against_reference({0.9f, 0.999f, 1e-8f, 0.1f, true});
}

TEST(AdamTest, FirstStepMovesByLearningRate) {
  // After bias correction the first update is lr * g / (|g| + eps): about lr in g's direction.
  OwnedParams ps;
  ps.add("w", {1.0f, 1.0f});
  ps.set_grad(0, {3.0f, -0.02f});
  Adam opt(ps.params, {});
  opt.step(0.1f);
  EXPECT_NEAR(ps.value(0, 0), 0.9f, 1e-6);
  EXPECT_NEAR(ps.value(0, 1), 1.1f, 1e-6);
}

// Values from PyTorch 1.13 (lr 0.01, weight_decay 0.1, default betas and eps, five steps with
// grads [0.1(t+1), -0.3+0.05t, 1.5-0.2t]), run once by hand and pasted here.
void check_pytorch(bool adamw, const std::vector<double>& want) {
  OwnedParams ps;
  ps.add("w", {0.5f, -1.25f, 2.0f});
  AdamOptions o;
  o.weight_decay = 0.1f;
  std::unique_ptr<Optimizer> opt = adamw ? std::unique_ptr<Optimizer>(new AdamW(ps.params, o))
                                         : std::unique_ptr<Optimizer>(new Adam(ps.params, o));
  for (int t = 0; t < 5; ++t) {
    ps.set_grad(0, {0.1f * static_cast<float>(t + 1), -0.3f + 0.05f * static_cast<float>(t),
                    1.5f - 0.2f * static_cast<float>(t)});
    opt->step(0.01f);
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(ps.value(0, i), want[i], 2e-6) << i;
}

TEST(AdamTest, MatchesPyTorchAdam) {
  check_pytorch(false, {0.45078787207603455, -1.201088547706604, 1.951061487197876});
}
TEST(AdamTest, MatchesPyTorchAdamW) {
  check_pytorch(true, {0.44909435510635376, -1.1958550214767456, 1.9414293766021729});
}

TEST(AdamTest, AdamWDecayDiffersFromL2) {
  // With a zero gradient Adam's L2 decay becomes a normalized step of about lr, while AdamW only
  // shrinks the weight by lr*wd.
  OwnedParams a, w;
  a.add("p", {2.0f});
  w.add("p", {2.0f});
  AdamOptions o;
  o.weight_decay = 0.5f;
  Adam adam(a.params, o);
  AdamW adamw(w.params, o);
  adam.step(0.1f);
  adamw.step(0.1f);
  EXPECT_NEAR(a.value(0, 0), 1.9f, 1e-6);
  EXPECT_FLOAT_EQ(w.value(0, 0), 2.0f * 0.95f);
}

TEST(AdamTest, StateRoundTripContinuesBitIdentically) {
  OwnedParams a, b;
  a.add("w", {0.5f, -1.0f, 3.0f});
  b.add("w", {0.5f, -1.0f, 3.0f});
  AdamW opt_a(a.params);
  for (int t = 0; t < 4; ++t) {
    a.set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1), grad_at(t, 0, 2)});
    opt_a.step(0.01f);
  }
  const OptimizerState saved = opt_a.state();
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_EQ(saved[0].first, "steps");
  EXPECT_EQ(saved[1].first, "w.exp_avg");
  EXPECT_EQ(saved[2].first, "w.exp_avg_sq");
  b.values[0] = a.values[0].clone();
  AdamW opt_b(b.params);
  opt_b.load_state(saved);
  for (int t = 4; t < 8; ++t) {  // the bias correction depends on the restored step count
    a.set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1), grad_at(t, 0, 2)});
    b.set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1), grad_at(t, 0, 2)});
    opt_a.step(0.01f);
    opt_b.step(0.01f);
  }
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(a.value(0, i), b.value(0, i));
  // The saved copy did not follow the later steps.
  EXPECT_EQ(saved[0].second.data<int64_t>()[0], 4);
}

void expect_load_error(Optimizer& opt, const OptimizerState& s, const std::string& needle) {
  try {
    opt.load_state(s);
    FAIL() << "expected InputError mentioning " << needle;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(AdamTest, LoadStateRejectsBadEntriesAndChangesNothing) {
  OwnedParams ps;
  ps.add("w", {1.0f, 2.0f});
  ps.set_grad(0, {0.5f, 0.5f});
  Adam opt(ps.params, {});
  opt.step(0.1f);
  const OptimizerState good = opt.state();

  OptimizerState unknown = good;
  unknown.emplace_back("v.exp_avg", Tensor(DType::kFloat32, {2}));
  expect_load_error(opt, unknown, "v.exp_avg");

  OptimizerState misshaped = good;
  misshaped[1].second = Tensor(DType::kFloat32, {3});
  expect_load_error(opt, misshaped, "w.exp_avg");

  OptimizerState wrong_dtype = good;
  wrong_dtype[2].second = Tensor(DType::kInt64, {2});
  expect_load_error(opt, wrong_dtype, "w.exp_avg_sq");

  OptimizerState missing = good;
  missing.pop_back();
  expect_load_error(opt, missing, "w.exp_avg_sq");

  OptimizerState no_steps(good.begin() + 1, good.end());
  expect_load_error(opt, no_steps, "steps");

  OptimizerState duplicate = good;
  duplicate.push_back(good[1]);
  expect_load_error(opt, duplicate, "w.exp_avg");

  // None of the failures touched the state.
  const OptimizerState after = opt.state();
  ASSERT_EQ(after.size(), good.size());
  EXPECT_EQ(opt.steps(), 1);
  for (size_t k = 1; k < after.size(); ++k)
    for (int64_t i = 0; i < 2; ++i)
      EXPECT_EQ(after[k].second.data<float>()[i], good[k].second.data<float>()[i]);
}

TEST(AdamTest, LoadingFreshStateResets) {
  OwnedParams ps;
  ps.add("w", {1.0f});
  Adam fresh(ps.params, {});
  const OptimizerState empty = fresh.state();  // just steps = 0
  Adam opt(ps.params, {});
  opt.step(0.1f);
  opt.load_state(empty);
  EXPECT_EQ(opt.steps(), 0);
  EXPECT_EQ(opt.state().size(), 1u);
}

TEST(AdamTest, RejectsBadOptions) {
  OwnedParams ps;
  ps.add("w", {1.0f});
  EXPECT_THROW(Adam(ps.params, {1.0f, 0.999f, 1e-8f, 0.0f, false}), InputError);
  EXPECT_THROW(Adam(ps.params, {0.9f, 0.999f, -1.0f, 0.0f, false}), InputError);
  EXPECT_THROW(Adam(ps.params, {0.9f, 0.999f, 1e-8f, NAN, false}), InputError);
}

}  // namespace
}  // namespace sinter
