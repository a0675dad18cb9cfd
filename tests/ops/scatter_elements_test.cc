#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

Node scatter_node(const char* reduction, int64_t axis = 0) {
  return make_node("ScatterElements", 3, 1,
                   {{"axis", axis}, {"reduction", std::string(reduction)}});
}

TEST(ScatterElements, HandWorkedAxis1) {
  // data [[1,2,3,4,5]], indices [[1,3]], updates [[1.1,2.1]] along axis 1.
  auto out = run(scatter_node("none", 1), 13,
                 {t<float>({1, 5}, {1, 2, 3, 4, 5}), t<int64_t>({1, 2}, {1, 3}),
                  t<float>({1, 2}, {1.1f, 2.1f})});
  expect_tensor<float>(out[0], {1, 5}, {1, 1.1f, 3, 2.1f, 5});
}

TEST(ScatterElements, HandWorkedAxis0WithNegativeIndices) {
  auto out = run(make_node("ScatterElements", 3), 11,
                 {t<int32_t>({3, 2}, {0, 0, 0, 0, 0, 0}), t<int32_t>({1, 2}, {-1, 1}),
                  t<int32_t>({1, 2}, {7, 8})});
  expect_tensor<int32_t>(out[0], {3, 2}, {0, 0, 0, 8, 7, 0});
}

TEST(ScatterElements, ReductionsCombineRepeatedIndices) {
  Tensor data = t<int64_t>({4}, {1, 2, 3, 4}), idx = i64({1, 1, 3, 0});
  Tensor upd = t<int64_t>({4}, {5, -2, 10, 0});
  expect_tensor<int64_t>(run(scatter_node("add"), 16, {data, idx, upd})[0], {4}, {1, 5, 3, 14});
  expect_tensor<int64_t>(run(scatter_node("mul"), 16, {data, idx, upd})[0], {4}, {0, -20, 3, 40});
  expect_tensor<int64_t>(run(scatter_node("max"), 18, {data, idx, upd})[0], {4}, {1, 5, 3, 10});
  expect_tensor<int64_t>(run(scatter_node("min"), 18, {data, idx, upd})[0], {4}, {0, -2, 3, 4});
  expect_tensor<int64_t>(run(scatter_node("none"), 18, {data, idx, upd})[0], {4}, {0, -2, 3, 10});
}

TEST(ScatterElements, OpsetNineScatterIsTheSame) {
  auto out =
      run(make_node("Scatter", 3), 9, {t<float>({3}, {0, 0, 0}), i64({2}), t<float>({1}, {4})});
  expect_tensor<float>(out[0], {3}, {0, 0, 4});
}

// Independent definition: each update, in order, combined into data at its own coordinates with
// the axis coordinate taken from indices.
TEST(ScatterElements, MatchesTheDefinitionOverShapesAxesAndReductions) {
  std::mt19937 gen(11);
  const char* reductions[] = {"none", "add", "mul", "max", "min"};
  for (int trial = 0; trial < 250; ++trial) {
    const int rank = 1 + trial % 3;
    Shape ds, is;
    for (int d = 0; d < rank; ++d) {
      ds.push_back(1 + static_cast<int64_t>(gen() % 4));
      is.push_back(1 + static_cast<int64_t>(gen() % 4));
    }
    const int64_t axis = static_cast<int64_t>(gen() % rank);
    for (int d = 0; d < rank; ++d)
      if (d != axis) is[d] = std::min(is[d], ds[d]);
    Tensor data(DType::kFloat32, ds), idx(DType::kInt64, is), upd(DType::kFloat32, is);
    for (int64_t i = 0; i < data.numel(); ++i) data.data<float>()[i] = float(gen() % 9) - 4;
    for (int64_t i = 0; i < idx.numel(); ++i) {
      idx.data<int64_t>()[i] = static_cast<int64_t>(gen() % (2 * ds[axis])) - ds[axis];
      upd.data<float>()[i] = float(gen() % 9) - 4;
    }
    const std::string r = reductions[trial % 5];
    std::vector<float> want(data.data<float>(), data.data<float>() + data.numel());
    const auto dst = shape_strides(ds), ist = shape_strides(is);
    for (int64_t i = 0; i < idx.numel(); ++i) {
      int64_t at = 0;
      for (int d = 0; d < rank; ++d) {
        int64_t c = (i / ist[d]) % is[d];
        if (d == axis) c = (idx.data<int64_t>()[i] + ds[d]) % ds[d];
        at += c * dst[d];
      }
      const float u = upd.data<float>()[i];
      float& w = want[static_cast<size_t>(at)];
      w = r == "none"  ? u
          : r == "add" ? w + u
          : r == "mul" ? w * u
          : r == "max" ? std::max(w, u)
                       : std::min(w, u);
    }
    auto out = run(scatter_node(r.c_str(), axis), 18, {data, idx, upd});
    expect_tensor<float>(out[0], ds, want);
  }
}

TEST(ScatterElements, BadInputsNameTheNode) {
  expect_error<InputError>(
      [] {
        run(scatter_node("none"), 13, {iota_f({3}), i64({-4}), t<float>({1}, {0})});
      },
      {"input 'indices' holds -4", "out of range for axis 0 of size 3"});
  expect_error<ModelError>(
      [] {
        run(scatter_node("none", 1), 13, {iota_f({3}), i64({0}), t<float>({1}, {0})});
      },
      {"attribute 'axis' = 1"});
  expect_error<ModelError>(
      [] {
        run(scatter_node("none"), 13, {iota_f({3}), i64({0}), t<float>({2}, {0, 0})});
      },
      {"input 'updates' [2] must have the shape of input 'indices' [1]"});
  expect_error<ModelError>(
      [] {
        run(scatter_node("max"), 16, {iota_f({3}), i64({0}), t<float>({1}, {0})});
      },
      {"attribute 'reduction' = 'max' is not defined at opset 16"});
  expect_error<ModelError>(
      [] {
        run(scatter_node("none"), 13, {iota_f({3}), i64({0}), t<int64_t>({1}, {0})});
      },
      {"input 'updates' has type"});
}

}  // namespace sinter::test
