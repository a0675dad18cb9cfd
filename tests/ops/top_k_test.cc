#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(TopK, LargestAlongLastAxis) {
  auto out =
      run(make_node("TopK", 2, 2), 11, {t<float>({2, 4}, {1, 4, 3, 4, 0, -1, 5, 2}), i64({2})});
  expect_tensor<float>(out[0], {2, 2}, {4, 4, 5, 2});
  expect_tensor<int64_t>(out[1], {2, 2}, {1, 3, 2, 3});
}

TEST(TopK, SmallestAlongAxis0AndAttributeK) {
  auto out = run(make_node("TopK", 2, 2, {{"axis", int64_t{0}}, {"largest", int64_t{0}}}), 11,
                 {t<int32_t>({3, 2}, {5, 1, 2, 7, 9, 0}), i64({1})});
  expect_tensor<int32_t>(out[0], {1, 2}, {2, 0});
  expect_tensor<int64_t>(out[1], {1, 2}, {1, 2});
  out = run(make_node("TopK", 1, 2, {{"k", int64_t{1}}}), 9, {t<float>({3}, {1, 3, 2})});
  expect_tensor<float>(out[0], {1}, {3});
  expect_tensor<int64_t>(out[1], {1}, {1});
}

TEST(TopK, BadK) {
  expect_node_error(
      [] {
        run(make_node("TopK", 2, 2), 11, {iota_f({3}), i64({4})});
      },
      "out of range");
  expect_node_error([] { run(make_node("TopK", 2, 2), 11, {iota_f({3}), i64({1, 2})}); });
}

TEST(TopK, HostileKAndAxisNameTheArgument) {
  Node n = make_node("TopK", 2, 2);
  expect_error<ModelError>(
      [&] {
        run(n, 11, {iota_f({3}), i64({-1})});
      },
      {"input 'K' = -1 is negative"});
  expect_error<ModelError>(
      [&] {
        run(n, 11, {iota_f({3}), i64({std::numeric_limits<int64_t>::max()})});
      },
      {"input 'K' = " + std::to_string(std::numeric_limits<int64_t>::max()), "out of range"});
  expect_error<ModelError>(
      [] {
        run(make_node("TopK", 1, 2, {{"k", int64_t{-5}}}), 9, {iota_f({3})});
      },
      {"attribute 'k' = -5 is negative"});
  expect_error<ModelError>(
      [] {
        run(make_node("TopK", 2, 2, {{"axis", int64_t{1} << 32}}), 11, {iota_f({3}), i64({1})});
      },
      {"attribute 'axis' = 4294967296", "out of range"});
}

// Independent definition: each slice along the axis stably sorted by value (NaN above every
// number), its first k kept; stability puts the lower index first among equals.
TEST(TopK, MatchesTheDefinitionOverShapesAxesAndOptions) {
  std::mt19937 gen(13);
  for (int trial = 0; trial < 200; ++trial) {
    const int rank = 1 + trial % 3;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + static_cast<int64_t>(gen() % 5));
    const int64_t axis = static_cast<int64_t>(gen() % rank);
    const int64_t k = static_cast<int64_t>(gen() % (s[axis] + 1));
    const bool largest = trial % 2 == 0;
    Tensor x(DType::kFloat32, s);
    for (int64_t i = 0; i < x.numel(); ++i)
      x.data<float>()[i] = gen() % 10 == 0 ? NAN : static_cast<float>(gen() % 4);
    const auto st = shape_strides(s);
    Shape os = s;
    os[axis] = k;
    const auto ost = shape_strides(os);
    std::vector<float> want_v(static_cast<size_t>(shape_numel(os)));
    std::vector<int64_t> want_i(want_v.size());
    for (int64_t base = 0; base < x.numel(); ++base) {
      if ((base / st[axis]) % s[axis] != 0) continue;  // one start per slice
      std::vector<int64_t> order(static_cast<size_t>(s[axis]));
      for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int64_t>(j);
      auto value = [&](int64_t j) { return x.data<float>()[base + j * st[axis]]; };
      auto above = [](float a, float b) { return std::isnan(a) ? !std::isnan(b) : a > b; };
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return largest ? above(value(a), value(b)) : above(value(b), value(a));
      });
      int64_t obase = 0;
      for (size_t d = 0; d < s.size(); ++d) obase += ((base / st[d]) % s[d]) * ost[d];
      for (int64_t j = 0; j < k; ++j) {
        want_v[static_cast<size_t>(obase + j * ost[axis])] = value(order[j]);
        want_i[static_cast<size_t>(obase + j * ost[axis])] = order[j];
      }
    }
    auto out =
        run(make_node("TopK", 2, 2,
                      {{"axis", axis}, {"largest", int64_t{largest}}, {"sorted", int64_t{1}}}),
            11, {x, i64({k})});
    expect_tensor<int64_t>(out[1], os, want_i);
    for (size_t i = 0; i < want_v.size(); ++i) {
      const float got = out[0].data<float>()[i];
      EXPECT_TRUE(got == want_v[i] || (std::isnan(got) && std::isnan(want_v[i]))) << "at " << i;
    }
  }
}

TEST(TopK, RuntimeKLargerThanTheAxis) {
  // A K known only at run time, and an output shaped for it, is checked by the kernel.
  Node n = make_node("TopK", 2, 2);
  KernelInfo ki{n, 11, {vt(DType::kFloat32, {3}), vt(DType::kInt64, {1})}, {}, {nullptr, nullptr}};
  auto k = choose_kernel(op_for(n, 11), ki).create(ki);
  Tensor x = iota_f({3}), kv = i64({4}), values(DType::kFloat32, {4}), idx(DType::kInt64, {4});
  KernelContext kc;
  kc.inputs = {&x, &kv};
  kc.outputs = {&values, &idx};
  expect_error<InputError>([&] { k->run(kc); }, {"input 'K' = 4 is out of range"});
}

}  // namespace sinter::test
