#include "train/grad_clip.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "train_test_util.h"

namespace sinter {
namespace {

using test::OwnedParams;

// grads [3, 4] and [12]: global norm sqrt(9 + 16 + 144) = 13.
OwnedParams three_four_twelve() {
  OwnedParams ps;
  ps.add("a", {0.0f, 0.0f});
  ps.add("b", {0.0f});
  ps.set_grad(0, {3.0f, 4.0f});
  ps.set_grad(1, {12.0f});
  return ps;
}

TEST(ClipGradNormTest, ScalesToMaxNormAndReturnsOriginalNorm) {
  OwnedParams ps = three_four_twelve();
  EXPECT_FLOAT_EQ(clip_grad_norm(ps.params, 1.0f), 13.0f);
  // PyTorch 1.13 clip_grad_norm_ gives [0.23076921701431274, 0.307692289352417],
  // [0.923076868057251] for this input (run once by hand).
  EXPECT_NEAR(ps.grads[0].data<float>()[0], 0.23076921701431274, 1e-7);
  EXPECT_NEAR(ps.grads[0].data<float>()[1], 0.307692289352417, 1e-7);
  EXPECT_NEAR(ps.grads[1].data<float>()[0], 0.923076868057251, 1e-7);
}

TEST(ClipGradNormTest, LeavesSmallGradientsAlone) {
  OwnedParams ps = three_four_twelve();
  EXPECT_FLOAT_EQ(clip_grad_norm(ps.params, 13.0f), 13.0f);
  EXPECT_FLOAT_EQ(clip_grad_norm(ps.params, 100.0f), 13.0f);
  EXPECT_EQ(ps.grads[0].data<float>()[0], 3.0f);
  EXPECT_EQ(ps.grads[1].data<float>()[0], 12.0f);
}

TEST(ClipGradNormTest, NonFiniteNormIsReturnedWithoutClipping) {
  OwnedParams ps = three_four_twelve();
  ps.grads[1].data<float>()[0] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isinf(clip_grad_norm(ps.params, 1.0f)));
  EXPECT_EQ(ps.grads[0].data<float>()[0], 3.0f);
  ps.grads[1].data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(clip_grad_norm(ps.params, 1.0f)));
  EXPECT_EQ(ps.grads[0].data<float>()[1], 4.0f);
}

TEST(ClipGradNormTest, EmptyAndBadMaxNorm) {
  EXPECT_EQ(clip_grad_norm({}, 1.0f), 0.0f);
  OwnedParams ps = three_four_twelve();
  EXPECT_THROW(clip_grad_norm(ps.params, -1.0f), InputError);
  EXPECT_THROW(clip_grad_norm(ps.params, NAN), InputError);
}

}  // namespace
}  // namespace sinter
