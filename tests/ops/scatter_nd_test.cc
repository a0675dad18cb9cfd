#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

Node scatter_nd_node(const char* reduction = "none") {
  return make_node("ScatterND", 3, 1, {{"reduction", std::string(reduction)}});
}

TEST(ScatterND, HandWorkedElementsAndSlices) {
  // Single elements of a vector.
  auto out = run(scatter_nd_node(), 11,
                 {t<float>({8}, {1, 2, 3, 4, 5, 6, 7, 8}), t<int64_t>({4, 1}, {4, 3, 1, 7}),
                  t<float>({4}, {9, 10, 11, 12})});
  expect_tensor<float>(out[0], {8}, {1, 11, 3, 10, 9, 6, 7, 12});
  // Whole rows of a matrix, one negative.
  out = run(scatter_nd_node(), 13,
            {t<int32_t>({3, 2}, {1, 2, 3, 4, 5, 6}), t<int64_t>({1, 1}, {-1}),
             t<int32_t>({1, 2}, {7, 8})});
  expect_tensor<int32_t>(out[0], {3, 2}, {1, 2, 3, 4, 7, 8});
}

TEST(ScatterND, ReductionsCombineRepeatedIndices) {
  Tensor data = t<int64_t>({2, 2}, {1, 2, 3, 4}), idx = t<int64_t>({3, 2}, {0, 1, 0, 1, 1, 0});
  Tensor upd = t<int64_t>({3}, {10, -5, 2});
  expect_tensor<int64_t>(run(scatter_nd_node("add"), 16, {data, idx, upd})[0], {2, 2},
                         {1, 7, 5, 4});
  expect_tensor<int64_t>(run(scatter_nd_node("mul"), 16, {data, idx, upd})[0], {2, 2},
                         {1, -100, 6, 4});
  expect_tensor<int64_t>(run(scatter_nd_node("max"), 18, {data, idx, upd})[0], {2, 2},
                         {1, 10, 3, 4});
  expect_tensor<int64_t>(run(scatter_nd_node("min"), 18, {data, idx, upd})[0], {2, 2},
                         {1, -5, 2, 4});
}

TEST(ScatterND, EmptyIndexTupleReplacesAll) {
  auto out = run(scatter_nd_node(), 13,
                 {t<float>({2}, {1, 2}), Tensor(DType::kInt64, {1, 0}), t<float>({1, 2}, {5, 6})});
  expect_tensor<float>(out[0], {2}, {5, 6});
}

// Independent definition: slice s of updates, element e, lands at the data coordinates formed by
// index tuple s followed by e's coordinates in data.shape[k:].
TEST(ScatterND, MatchesTheDefinitionOverShapesAndReductions) {
  std::mt19937 gen(5);
  const char* reductions[] = {"none", "add", "mul", "max", "min"};
  for (int trial = 0; trial < 250; ++trial) {
    const int rank = 1 + trial % 4;
    Shape ds;
    for (int d = 0; d < rank; ++d) ds.push_back(1 + static_cast<int64_t>(gen() % 4));
    const int64_t k = 1 + static_cast<int64_t>(gen() % rank);
    const int64_t tuples = 1 + static_cast<int64_t>(gen() % 5);
    Shape is = {tuples, k}, us = {tuples};
    us.insert(us.end(), ds.begin() + k, ds.end());
    Tensor data(DType::kFloat32, ds), idx(DType::kInt64, is), upd(DType::kFloat32, us);
    for (int64_t i = 0; i < data.numel(); ++i) data.data<float>()[i] = float(gen() % 9) - 4;
    for (int64_t i = 0; i < upd.numel(); ++i) upd.data<float>()[i] = float(gen() % 9) - 4;
    for (int64_t s = 0; s < tuples; ++s)
      for (int64_t d = 0; d < k; ++d)
        idx.data<int64_t>()[s * k + d] = static_cast<int64_t>(gen() % (2 * ds[d])) - ds[d];
    const std::string r = reductions[trial % 5];
    std::vector<float> want(data.data<float>(), data.data<float>() + data.numel());
    const auto st = shape_strides(ds);
    const int64_t slice = upd.numel() / tuples;
    for (int64_t s = 0; s < tuples; ++s)
      for (int64_t e = 0; e < slice; ++e) {
        int64_t at = e;  // the trailing dims are contiguous
        for (int64_t d = 0; d < k; ++d)
          at += ((idx.data<int64_t>()[s * k + d] + ds[d]) % ds[d]) * st[d];
        const float u = upd.data<float>()[s * slice + e];
        float& w = want[static_cast<size_t>(at)];
        w = r == "none"  ? u
            : r == "add" ? w + u
            : r == "mul" ? w * u
            : r == "max" ? std::max(w, u)
                         : std::min(w, u);
      }
    auto out = run(scatter_nd_node(r.c_str()), 18, {data, idx, upd});
    expect_tensor<float>(out[0], ds, want);
  }
}

TEST(ScatterND, BadInputsNameTheNode) {
  expect_error<InputError>(
      [] {
        run(scatter_nd_node(), 13,
            {iota_f({2, 3}), t<int64_t>({1, 2}, {1, 3}), t<float>({1}, {0})});
      },
      {"input 'indices' holds 3", "out of range for axis 1 of size 3"});
  expect_error<ModelError>(
      [] {
        run(scatter_nd_node(), 13, {iota_f({2}), t<int64_t>({1, 2}, {0, 0}), t<float>({1}, {0})});
      },
      {"indexes 2 dims"});
  expect_error<ModelError>(
      [] {
        run(scatter_nd_node(), 13, {iota_f({2, 3}), t<int64_t>({1, 1}, {0}), t<float>({1}, {0})});
      },
      {"input 'updates' [1] must have shape [1,3]"});
  expect_error<ModelError>(
      [] {
        run(scatter_nd_node("min"), 16, {iota_f({2}), t<int64_t>({1, 1}, {0}), t<float>({1}, {0})});
      },
      {"attribute 'reduction' = 'min'"});
}

}  // namespace sinter::test
