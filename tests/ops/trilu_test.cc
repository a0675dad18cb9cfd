// Trilu: hand-worked triangles, the definition (keep x[..., i, j] where j - i >= k for the upper
// triangle, j - i <= k for the lower) over shapes, diagonals and element types, and bad input.
#include <limits>
#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

Node trilu_node(size_t inputs, int64_t upper) {
  return make_node("Trilu", inputs, 1, {{"upper", upper}});
}

TEST(Trilu, HandWorked) {
  Tensor x = t<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  expect_tensor<float>(run(trilu_node(1, 1), 14, {x})[0], {3, 3}, {1, 2, 3, 0, 5, 6, 0, 0, 9});
  expect_tensor<float>(run(trilu_node(1, 0), 14, {x})[0], {3, 3}, {1, 0, 0, 4, 5, 0, 7, 8, 9});
  expect_tensor<float>(run(trilu_node(2, 1), 14, {x, Tensor::scalar<int64_t>(1)})[0], {3, 3},
                       {0, 2, 3, 0, 0, 6, 0, 0, 0});
  expect_tensor<float>(run(trilu_node(2, 0), 14, {x, Tensor::scalar<int64_t>(-1)})[0], {3, 3},
                       {0, 0, 0, 4, 0, 0, 7, 8, 0});
}

TEST(Trilu, MatchesTheDefinitionOverShapesDiagonalsAndTypes) {
  std::mt19937 gen(5);
  for (int trial = 0; trial < 240; ++trial) {
    const int rank = 2 + trial % 3;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(static_cast<int64_t>(gen() % 5));  // zeros too
    const int64_t rows = s[s.size() - 2], cols = s.back();
    const int64_t k = static_cast<int64_t>(gen() % 11) - 5;
    const int64_t upper = trial % 2;
    const bool as_int = trial % 3 == 0;
    Tensor x(as_int ? DType::kInt64 : DType::kFloat32, s);
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (as_int) {
        x.data<int64_t>()[i] = static_cast<int64_t>(gen() % 100) + 1;
      } else {
        x.data<float>()[i] = static_cast<float>(gen() % 100) + 1;
      }
    }
    const Tensor y = run(trilu_node(2, upper), 14, {x, Tensor::scalar<int64_t>(k)})[0];
    ASSERT_EQ(y.shape(), s);
    for (int64_t e = 0; e < x.numel(); ++e) {
      const int64_t i = (e / cols) % rows, j = e % cols;
      const bool kept = upper ? j - i >= k : j - i <= k;
      const double got = as_int ? double(y.data<int64_t>()[e]) : y.data<float>()[e];
      const double had = as_int ? double(x.data<int64_t>()[e]) : x.data<float>()[e];
      ASSERT_EQ(got, kept ? had : 0.0) << "trial " << trial << " element " << e;
    }
  }
}

TEST(Trilu, HugeDiagonalsKeepAllOrNothing) {
  Tensor x = t<float>({2, 2}, {1, 2, 3, 4});
  const int64_t far = std::numeric_limits<int64_t>::max();
  expect_tensor<float>(run(trilu_node(2, 1), 14, {x, Tensor::scalar<int64_t>(far)})[0], {2, 2},
                       {0, 0, 0, 0});
  expect_tensor<float>(run(trilu_node(2, 1), 14, {x, Tensor::scalar<int64_t>(-far)})[0], {2, 2},
                       {1, 2, 3, 4});
}

TEST(Trilu, BadInputNamesTheNode) {
  expect_error<ModelError>(
      [&] {
        run(trilu_node(1, 1), 14, {t<float>({3}, {1, 2, 3})});
      },
      {"rank 2 or more"});
  expect_error<ModelError>(
      [&] {
        run(trilu_node(2, 1), 14, {t<float>({2, 2}, {1, 2, 3, 4}), i64({1, 2})});
      },
      {"input 'k' must hold one value"});
}

}  // namespace sinter::test
