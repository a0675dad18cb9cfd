#include "data/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "data_test_util.h"

namespace sinter {
namespace {

Dataset tiny() {
  Dataset d;
  d.name = "tiny";
  d.images = Tensor::from_vector<float>({2, 1, 1, 2}, {0.0f, 0.5f, 1.0f, 0.25f});
  d.labels = Tensor::from_vector<int64_t>({2}, {0, 2});
  d.num_classes = 3;
  return d;
}

std::string validate_error(const Dataset& d) {
  try {
    validate(d);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Dataset, ValidateAcceptsAndRejects) {
  EXPECT_EQ(tiny().size(), 2);
  EXPECT_EQ(Dataset().size(), 0);
  EXPECT_NO_THROW(validate(tiny()));

  Dataset d = tiny();
  d.images = Tensor(DType::kFloat32, {2, 2});
  EXPECT_CONTAINS(validate_error(d), "tiny: images must be float32 [N,C,H,W], got float32 [2,2]");
  d = tiny();
  d.labels = Tensor::from_vector<int32_t>({2}, {0, 1});
  EXPECT_CONTAINS(validate_error(d), "tiny: labels must be int64 [N], got int32 [2]");
  d = tiny();
  d.labels = Tensor::from_vector<int64_t>({3}, {0, 1, 1});
  EXPECT_CONTAINS(validate_error(d), "tiny: 2 images but 3 labels");
  d = tiny();
  d.num_classes = 2;
  EXPECT_CONTAINS(validate_error(d), "tiny: label 2 at index 1 is outside [0, 2)");
}

TEST(Dataset, NormalizeIsElementwise) {
  Dataset d = tiny();
  normalize(d, 0.5f, 0.25f);
  EXPECT_EQ(d.images.shape(), (Shape{2, 1, 1, 2}));
  const float* x = d.images.data<float>();
  EXPECT_EQ(x[0], -2.0f);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_EQ(x[2], 2.0f);
  EXPECT_EQ(x[3], -1.0f);
}

TEST(Dataset, NormalizeRejectsBadStd) {
  Dataset d = tiny();
  for (float bad : {0.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    try {
      normalize(d, 0.5f, bad);
      ADD_FAILURE() << "std " << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_CONTAINS(e.what(), "tiny: cannot normalize");
    }
  }
  EXPECT_EQ(d.images.data<float>()[1], 0.5f);  // left untouched
}

}  // namespace
}  // namespace sinter
