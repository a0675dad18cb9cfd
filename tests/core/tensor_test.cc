#include "core/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sinter {

TEST(Tensor, FromVectorAndReshapeShareData) {
  Tensor t = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = t.reshaped({3, 2});
  r.data<float>()[0] = 9;
  EXPECT_EQ(t.data<float>()[0], 9);
  EXPECT_THROW(t.reshaped({4}), Error);
  EXPECT_THROW(t.data<int64_t>(), Error);
  Tensor b = Tensor::from_vector<bool>({3}, {true, false, true});
  EXPECT_EQ(b.value_as_double(2), 1.0);
}

TEST(Tensor, FindsTheFirstNonFiniteValue) {
  Tensor t = Tensor::from_vector<float>({4}, {1, 2, 3, 4});
  EXPECT_EQ(find_nonfinite(t), -1);
  t.data<float>()[2] = std::numeric_limits<float>::quiet_NaN();
  t.data<float>()[3] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(find_nonfinite(t), 2);
  Tensor d = Tensor::from_vector<double>({2}, {0.0, -std::numeric_limits<double>::infinity()});
  EXPECT_EQ(find_nonfinite(d), 1);
  EXPECT_EQ(find_nonfinite(Tensor::from_vector<int64_t>({1}, {7})), -1);
}

}  // namespace sinter
