#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(GatherElements, HandWorkedAxis0And1) {
  // data [[1,2],[3,4]], indices [[0,0],[1,0]]: axis 1 picks within rows, axis 0 within columns.
  Tensor data = t<float>({2, 2}, {1, 2, 3, 4}), idx = t<int64_t>({2, 2}, {0, 0, 1, 0});
  auto out = run(make_node("GatherElements", 2, 1, {{"axis", int64_t{1}}}), 13, {data, idx});
  expect_tensor<float>(out[0], {2, 2}, {1, 1, 4, 3});
  out = run(make_node("GatherElements", 2), 13, {data, idx});
  expect_tensor<float>(out[0], {2, 2}, {1, 2, 3, 2});
}

TEST(GatherElements, NegativeIndicesAndSmallerIndices) {
  Tensor data = t<int32_t>({3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  auto out = run(make_node("GatherElements", 2), 11, {data, t<int32_t>({2, 2}, {-1, -2, 0, -3})});
  expect_tensor<int32_t>(out[0], {2, 2}, {6, 4, 0, 1});
}

// Independent definition: out[c] = data[c with c[axis] = indices[c]].
Tensor gather_elements_by_coordinates(const Tensor& data, const Tensor& idx, int64_t axis) {
  Tensor out(DType::kInt64, idx.shape());
  const auto ds = shape_strides(data.shape()), is = shape_strides(idx.shape());
  for (int64_t i = 0; i < idx.numel(); ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < ds.size(); ++d) {
      int64_t c = (i / is[d]) % idx.shape()[d];
      if (static_cast<int64_t>(d) == axis) {
        c = idx.data<int64_t>()[i];
        if (c < 0) c += data.shape()[d];
      }
      at += c * ds[d];
    }
    out.data<int64_t>()[i] = data.data<int64_t>()[at];
  }
  return out;
}

TEST(GatherElements, MatchesTheDefinitionOverShapesAndAxes) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int rank = 1 + trial % 4;
    Shape ds, is;
    for (int d = 0; d < rank; ++d) {
      ds.push_back(1 + static_cast<int64_t>(gen() % 4));
      is.push_back(1 + static_cast<int64_t>(gen() % 4));
    }
    const int64_t axis = static_cast<int64_t>(gen() % rank);
    for (int d = 0; d < rank; ++d)
      if (d != axis) is[d] = std::min(is[d], ds[d]);
    Tensor data(DType::kInt64, ds), idx(DType::kInt64, is);
    for (int64_t i = 0; i < data.numel(); ++i) data.data<int64_t>()[i] = 100 + i;
    for (int64_t i = 0; i < idx.numel(); ++i)
      idx.data<int64_t>()[i] = static_cast<int64_t>(gen() % (2 * ds[axis])) - ds[axis];
    const int64_t attr = trial % 2 ? axis - rank : axis;
    auto out = run(make_node("GatherElements", 2, 1, {{"axis", attr}}), 13, {data, idx});
    Tensor want = gather_elements_by_coordinates(data, idx, axis);
    expect_tensor<int64_t>(
        out[0], is,
        std::vector<int64_t>(want.data<int64_t>(), want.data<int64_t>() + want.numel()));
  }
}

TEST(GatherElements, BadInputsNameTheNode) {
  Node n = make_node("GatherElements", 2);
  expect_error<InputError>(
      [&] {
        run(n, 13, {iota_f({3}), i64({3})});
      },
      {"input 'indices' holds 3", "out of range"});
  expect_error<ModelError>(
      [&] {
        run(make_node("GatherElements", 2, 1, {{"axis", int64_t{2}}}), 13,
            {iota_f({2, 2}), t<int64_t>({2, 2}, {0, 0, 0, 0})});
      },
      {"attribute 'axis' = 2", "out of range for rank 2"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2, 2}), i64({0})});
      },
      {"must have the rank of input 'data'"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2, 2}), t<int64_t>({1, 3}, {0, 0, 0})});
      },
      {"larger than input 'data'"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2}), t<float>({1}, {0})});
      },
      {"int32 or int64"});
}

}  // namespace sinter::test
