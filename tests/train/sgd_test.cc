#include "train/sgd.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "train_test_util.h"

namespace sinter {
namespace {

using test::grad_at;
using test::OwnedParams;

// A scalar transcription of torch.optim.SGD's update (dampening 0) to check against.
struct RefSgd {
  float mu, wd;
  bool nesterov;
  float buf = 0.0f;
  bool first = true;
  void step(float& p, float g, float lr) {
    float d = g + wd * p;
    if (mu != 0.0f) {
      buf = first ? d : mu * buf + d;
      first = false;
      d = nesterov ? d + mu * buf : buf;
    }
    p -= lr * d;
  }
};

void check_against_reference(SgdOptions o) {
  const std::vector<float> init = {0.5f, -1.25f, 2.0f};
  OwnedParams ps;
  ps.add("w", init);
  Sgd opt(ps.params, o);
  std::vector<RefSgd> ref(3, RefSgd{o.momentum, o.weight_decay, o.nesterov});
  std::vector<float> want = init;
  for (int t = 0; t < 6; ++t) {
    const float lr = 0.1f / static_cast<float>(t + 1);
    for (size_t i = 0; i < 3; ++i) {
      ps.set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1), grad_at(t, 0, 2)});
      ref[i].step(want[i], grad_at(t, 0, i), lr);
    }
    opt.step(lr);
    for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(ps.value(0, i), want[i], 1e-6) << "step " << t;
  }
  EXPECT_EQ(opt.steps(), 6);
}

TEST(SgdTest, PlainStepIsGradientDescent) {
  OwnedParams ps;
  ps.add("w", {1.0f, 2.0f});
  ps.set_grad(0, {0.5f, -1.0f});
  Sgd opt(ps.params, {});
  opt.step(0.1f);
  EXPECT_FLOAT_EQ(ps.value(0, 0), 0.95f);
  EXPECT_FLOAT_EQ(ps.value(0, 1), 2.1f);
  EXPECT_EQ(opt.state().size(), 1u);  // only "steps": no momentum buffer without momentum
}

TEST(SgdTest, WeightDecayMatchesReference) { check_against_reference({0.0f, false, 0.1f}); }
TEST(SgdTest, MomentumMatchesReference) { check_against_reference({0.9f, false, 0.0f}); }
TEST(SgdTest, NesterovWithDecayMatchesReference) { check_against_reference({0.9f, true, 0.05f}); }

TEST(SgdTest, FirstMomentumStepUsesGradientAsBuffer) {
  OwnedParams ps;
  ps.add("w", {0.0f});
  ps.set_grad(0, {2.0f});
  Sgd opt(ps.params, {0.9f, false, 0.0f});
  opt.step(1.0f);  // buf = g = 2
  EXPECT_FLOAT_EQ(ps.value(0, 0), -2.0f);
  opt.step(1.0f);  // buf = 0.9*2 + 2 = 3.8
  EXPECT_FLOAT_EQ(ps.value(0, 0), -5.8f);
  EXPECT_EQ(opt.state()[1].first, "w.momentum");
  EXPECT_FLOAT_EQ(opt.state()[1].second.data<float>()[0], 3.8f);
}

// Values from PyTorch 1.13 (torch.optim.SGD, lr 0.01, momentum 0.9, nesterov, weight_decay 0.1,
// five steps with grads [0.1(t+1), -0.3+0.05t, 1.5-0.2t]), run once by hand and pasted here.
TEST(SgdTest, MatchesPyTorchNumbers) {
  OwnedParams ps;
  ps.add("w", {0.5f, -1.25f, 2.0f});
  Sgd opt(ps.params, {0.9f, true, 0.1f});
  for (int t = 0; t < 5; ++t) {
    ps.set_grad(0, {0.1f * static_cast<float>(t + 1), -0.3f + 0.05f * static_cast<float>(t),
                    1.5f - 0.2f * static_cast<float>(t)});
    opt.step(0.01f);
  }
  EXPECT_NEAR(ps.value(0, 0), 0.4482068121433258, 1e-6);
  EXPECT_NEAR(ps.value(0, 1), -1.1920902729034424, 1e-6);
  EXPECT_NEAR(ps.value(0, 2), 1.7683607339859009, 1e-6);
}

TEST(SgdTest, StateRoundTripContinuesBitIdentically) {
  OwnedParams a, b;
  a.add("w", {0.5f, -1.0f});
  a.add("b", {0.25f});
  b.add("w", {0.5f, -1.0f});
  b.add("b", {0.25f});
  SgdOptions o{0.9f, true, 0.01f};
  Sgd opt_a(a.params, o);
  for (int t = 0; t < 3; ++t) {
    a.set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1)});
    a.set_grad(1, {grad_at(t, 1, 0)});
    opt_a.step(0.05f);
  }
  // b resumes from a's parameters and optimizer state, then both run the same steps.
  b.values[0] = a.values[0].clone();
  b.values[1] = a.values[1].clone();
  Sgd opt_b(b.params, o);
  opt_b.load_state(opt_a.state());
  EXPECT_EQ(opt_b.steps(), 3);
  for (int t = 3; t < 6; ++t) {
    for (OwnedParams* ps : {&a, &b}) {
      ps->set_grad(0, {grad_at(t, 0, 0), grad_at(t, 0, 1)});
      ps->set_grad(1, {grad_at(t, 1, 0)});
    }
    opt_a.step(0.05f);
    opt_b.step(0.05f);
  }
  for (size_t p = 0; p < 2; ++p)
    for (int64_t i = 0; i < a.values[p].numel(); ++i)
      EXPECT_EQ(a.value(p, i), b.value(p, i));  // bit-identical, not just close
}

TEST(SgdTest, RejectsBadOptionsAndParameters) {
  OwnedParams ps;
  ps.add("w", {1.0f});
  EXPECT_THROW(Sgd(ps.params, {0.0f, true, 0.0f}), InputError);  // Nesterov without momentum
  EXPECT_THROW(Sgd(ps.params, {-0.5f, false, 0.0f}), InputError);
  ps.add("w", {1.0f});
  EXPECT_THROW(Sgd(ps.params, {}), InputError);  // duplicate name
  Tensor v(DType::kFloat32, {2}), g(DType::kFloat32, {3});
  try {
    Sgd(std::vector<Parameter>{{"odd", &v, &g}}, {});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("odd"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sinter
