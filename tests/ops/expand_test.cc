#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Expand, BroadcastsBothWays) {
  Node n = make_node("Expand", 2);
  expect_tensor<float>(run(n, 13, {t<float>({3, 1}, {1, 2, 3}), i64({2, 1, 2})})[0], {2, 3, 2},
                       {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  // A shape of 1 keeps the input's bigger dim.
  expect_tensor<int64_t>(run(n, 13, {t<int64_t>({2}, {4, 5}), i64({1, 1})})[0], {1, 2}, {4, 5});
  expect_tensor<bool>(run(n, 13, {b1(true), i64({2})})[0], {2}, {true, true});
}

TEST(Expand, ZeroSizedAndUnknown) {
  Node n = make_node("Expand", 2);
  EXPECT_EQ(run(n, 13, {iota_f({1}), i64({0})})[0].shape(), (Shape{0}));
  auto types = infer(n, 13, {vt(DType::kFloat32, {3}), vt(DType::kInt64, {2})});
  EXPECT_EQ(types[0].shape, (Shape{-1, -1}));
}

TEST(Expand, Incompatible) {
  expect_node_error([] { run(make_node("Expand", 2), 13, {iota_f({3}), i64({2})}); }, "broadcast");
}

TEST(Tile, RepeatsEachDim) {
  Node n = make_node("Tile", 2);
  expect_tensor<float>(run(n, 13, {t<float>({2, 2}, {1, 2, 3, 4}), i64({2, 3})})[0], {4, 6},
                       {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  expect_tensor<int8_t>(run(n, 13, {t<int8_t>({2}, {1, 2}), i64({0})})[0], {0}, {});
  expect_tensor<int8_t>(run(n, 13, {t<int8_t>({1, 2}, {1, 2}), i64({3, 1})})[0], {3, 2},
                        {1, 2, 1, 2, 1, 2});
}

TEST(Tile, BadRepeats) {
  expect_node_error([] { run(make_node("Tile", 2), 13, {iota_f({2}), i64({1, 1})}); }, "repeats");
  expect_node_error([] { run(make_node("Tile", 2), 13, {iota_f({2}), i64({-1})}); });
}

constexpr int64_t kBig = int64_t{1} << 62;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Expand, HostileShapesNameTheInput) {
  Node n = make_node("Expand", 2);
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({1}), i64({2, -2})});
      },
      {"input 'shape'[1] = -2 is negative"});
  expect_error<ModelError>([&] { run(n, 13, {iota_f({1}), i64({kMin})}); }, {"input 'shape'[0]"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({1}), i64({kBig, 4})});
      },
      {"input 'shape'", "2^63 bytes"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({3}), i64({2})});
      },
      {"input 'shape' = [2] does not broadcast"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({1}), i64(std::vector<int64_t>(65, 1))});
      },
      {"input 'shape' has 65 entries"});
}

TEST(Tile, HostileRepeatsNameTheInput) {
  Node n = make_node("Tile", 2);
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2, 2}), i64({1, -3})});
      },
      {"input 'repeats'[1] = -3 is negative"});
  expect_error<ModelError>([&] { run(n, 13, {iota_f({2}), i64({kMin})}); }, {"input 'repeats'[0]"});
  // 3 * 2^62 leaves int64; 2^31 * 2^31 * 4 bytes does not fit either.
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({3}), i64({kBig})});
      },
      {"input 'repeats'", "overflow"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({1, 1}), i64({int64_t{1} << 31, int64_t{1} << 31})});
      },
      {"input 'repeats'", "2^63 bytes"});
  expect_error<ModelError>(
      [&] {
        run(n, 13, {iota_f({2}), i64({1, 1})});
      },
      {"input 'repeats' has 2 entries"});
}

}  // namespace sinter::test
