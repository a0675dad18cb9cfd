#include "train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace sinter {
namespace {

TEST(LrScheduleTest, Constant) {
  auto s = make_schedule("constant", 0.1f, 100, 0);
  EXPECT_FLOAT_EQ(s->lr(0), 0.1f);
  EXPECT_FLOAT_EQ(s->lr(99), 0.1f);
}

TEST(LrScheduleTest, StepDecay) {
  auto s = make_schedule("step:10:0.5", 0.8f, 100, 0);
  EXPECT_FLOAT_EQ(s->lr(0), 0.8f);
  EXPECT_FLOAT_EQ(s->lr(9), 0.8f);
  EXPECT_FLOAT_EQ(s->lr(10), 0.4f);
  EXPECT_FLOAT_EQ(s->lr(25), 0.2f);
  EXPECT_FLOAT_EQ(s->lr(99), 0.8f / 512.0f);
}

TEST(LrScheduleTest, CosineEndpointsMidpointAndMonotone) {
  auto s = make_schedule("cosine:0.01", 1.0f, 100, 0);
  EXPECT_FLOAT_EQ(s->lr(0), 1.0f);
  EXPECT_FLOAT_EQ(s->lr(50), 0.505f);
  EXPECT_FLOAT_EQ(s->lr(100), 0.01f);
  EXPECT_FLOAT_EQ(s->lr(500), 0.01f);  // clamps past the end
  EXPECT_FLOAT_EQ(s->lr(25),
                  static_cast<float>(0.01 + 0.99 * (1 + std::cos(std::numbers::pi / 4)) / 2));
  for (int64_t t = 1; t <= 100; ++t) EXPECT_LE(s->lr(t), s->lr(t - 1)) << t;
  EXPECT_FLOAT_EQ(make_schedule("cosine", 1.0f, 100, 0)->lr(100), 0.0f);
}

// Expected values from PyTorch 1.13 OneCycleLR(max_lr=0.1, total_steps=100), read from
// optimizer.param_groups[0]['lr'] before each step, run once by hand and pasted here.
TEST(LrScheduleTest, OneCycleMatchesPyTorch) {
  auto s = make_schedule("onecycle", 0.1f, 100, 0);
  EXPECT_FLOAT_EQ(s->lr(0), 0.0040000000000000036f);
  EXPECT_FLOAT_EQ(s->lr(10), 0.029516394846410082f);
  EXPECT_FLOAT_EQ(s->lr(29), 0.1f);
  EXPECT_FLOAT_EQ(s->lr(30), 0.09994965352845243f);
  EXPECT_FLOAT_EQ(s->lr(50), 0.0793893450575732f);
  EXPECT_FLOAT_EQ(s->lr(99), 4e-07f);
  for (int64_t t = 1; t <= 29; ++t) EXPECT_GE(s->lr(t), s->lr(t - 1)) << t;
  for (int64_t t = 30; t < 100; ++t) EXPECT_LE(s->lr(t), s->lr(t - 1)) << t;
}

TEST(LrScheduleTest, WarmupRampsThenRunsInnerSchedule) {
  // 10 warm-up steps, then cosine over the remaining 90.
  auto s = make_schedule("cosine", 1.0f, 100, 10);
  EXPECT_FLOAT_EQ(s->lr(0), 0.1f);
  EXPECT_FLOAT_EQ(s->lr(4), 0.5f);
  EXPECT_FLOAT_EQ(s->lr(9), 1.0f);   // warm-up end reaches the inner start
  EXPECT_FLOAT_EQ(s->lr(10), 1.0f);  // inner step 0
  EXPECT_FLOAT_EQ(s->lr(55), 0.5f);  // inner midpoint (45 of 90)
  EXPECT_FLOAT_EQ(s->lr(100), 0.0f);
  for (int64_t t = 1; t < 10; ++t) EXPECT_GT(s->lr(t), s->lr(t - 1)) << t;
  for (int64_t t = 11; t <= 100; ++t) EXPECT_LE(s->lr(t), s->lr(t - 1)) << t;

  // Warm-up ramps toward the inner schedule's own start, e.g. one-cycle's max_lr / 25.
  auto oc = make_schedule("onecycle", 0.1f, 110, 10);
  EXPECT_FLOAT_EQ(oc->lr(9), 0.004f);
  EXPECT_FLOAT_EQ(oc->lr(10 + 29), 0.1f);
}

TEST(LrScheduleTest, FactoryRejectsBadSpecsNamingThem) {
  for (const char* spec :
       {"", "linear", "step", "step:10", "step:x:0.5", "step:0:0.5", "step:10:-1", "step:10:0.5:1",
        "cosine:abc", "cosine:5", "constant:1", "onecycle:0.3"}) {
    try {
      make_schedule(spec, 0.1f, 100, 0);
      ADD_FAILURE() << "expected InputError for '" << spec << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + spec + "'"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(make_schedule("constant", 0.0f, 100, 0), InputError);
  EXPECT_THROW(make_schedule("constant", 0.1f, 100, 100), InputError);
  EXPECT_THROW(make_schedule("constant", 0.1f, 100, -1), InputError);
  EXPECT_THROW(make_schedule("onecycle", 0.1f, 3, 0), InputError);
}

}  // namespace
}  // namespace sinter
