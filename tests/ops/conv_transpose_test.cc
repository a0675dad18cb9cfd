// ConvTranspose: a hand-worked example, every implementation against the direct-scatter
// reference over strides, dilations, groups, pads, output padding, output_shape and auto_pad in
// 1-D and 2-D, the zero-insertion definition it must equal, and bad attributes named.
#include <gtest/gtest.h>

#include "core/error.h"
#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;
using Ints = std::vector<int64_t>;

TEST(ConvTransposeOp, HandWorkedStride2Example) {
  // x [1, 1, 2, 2] = 1 2 / 3 4, w [1, 1, 2, 2] all ones, stride 2: each input becomes a 2x2
  // block of itself; a pad of 1 on every side crops the border away.
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 1, 1, 1});
  Node n = make_node("ConvTranspose", 2, {{"strides", Ints{2, 2}}});
  const std::vector<double> want = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  for (const char* impl : {"conv2d_backward_data", "reference"})
    expect_values(run_impl(n, 13, {&x, &w}, impl), want);
  Node padded =
      make_node("ConvTranspose", 2, {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  expect_values(run1(padded, 13, {&x, &w}), {1, 2, 3, 4});
}

struct Case {
  Shape x, w;
  Attrs attrs;
  Shape out;
};

TEST(ConvTransposeOp, EveryImplementationMatchesReference) {
  const Case cases[] = {
      {{2, 3, 5, 6}, {3, 4, 3, 3}, {}, {2, 4, 7, 8}},
      {{1, 4, 6, 6},
       {4, 2, 4, 4},
       {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}},
       {1, 2, 12, 12}},  // a DCGAN layer
      {{1, 3, 4, 5}, {3, 2, 3, 3}, {{"strides", Ints{3, 2}}}, {1, 2, 12, 11}},
      {{1, 2, 4, 4},
       {2, 3, 3, 3},
       {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}},
       {1, 3, 8, 8}},
      {{1, 2, 5, 5},
       {2, 2, 3, 3},
       {{"dilations", Ints{2, 2}}, {"pads", Ints{1, 2, 0, 1}}},
       {1, 2, 8, 6}},
      {{2, 6, 4, 4}, {6, 2, 3, 3}, {{"group", int64_t{3}}, {"strides", Ints{2, 2}}}, {2, 6, 9, 9}},
      {{1, 4, 5, 5},
       {4, 1, 3, 3},
       {{"group", int64_t{4}}, {"pads", Ints{1, 1, 1, 1}}},
       {1, 4, 5, 5}},
      {{1, 2, 3, 3},
       {2, 2, 3, 3},
       {{"strides", Ints{3, 2}}, {"output_shape", Ints{10, 8}}},
       {1, 2, 10, 8}},  // larger than the window reaches: the last row and column see no input
      {{1, 2, 4, 4},
       {2, 2, 3, 3},
       {{"strides", Ints{2, 2}}, {"output_shape", Ints{6, 7}}},
       {1, 2, 6, 7}},  // smaller: cropped
      {{1, 2, 3, 4},
       {2, 3, 3, 3},
       {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}},
       {1, 3, 6, 8}},
      {{1, 2, 3, 4},
       {2, 3, 3, 3},
       {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_LOWER")}},
       {1, 3, 6, 8}},
      {{1, 2, 3, 3},
       {2, 2, 2, 2},
       {{"auto_pad", std::string("VALID")}, {"strides", Ints{2, 2}}},
       {1, 2, 6, 6}},
      {{2, 3, 7}, {3, 5, 4}, {{"strides", Ints{2}}, {"pads", Ints{1, 1}}}, {2, 5, 14}},
      {{1, 4, 6}, {4, 1, 3}, {{"group", int64_t{4}}, {"dilations", Ints{2}}}, {1, 4, 10}},
      // Output padding past the stride (a dilation allows it): only the direct kernel maps it.
      {{1, 1, 3, 3},
       {1, 1, 3, 3},
       {{"dilations", Ints{3, 3}}, {"output_padding", Ints{2, 2}}},
       {1, 1, 11, 11}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(cat(shape_str(c.x), " * ", shape_str(c.w)));
    Tensor x = random_tensor(c.x, seed++), w = random_tensor(c.w, seed++);
    const int64_t group = c.attrs.count("group") ? std::get<int64_t>(c.attrs.at("group")) : 1;
    Tensor b = random_tensor({c.w[1] * group}, seed++);
    for (bool with_bias : {false, true}) {
      Node n = make_node("ConvTranspose", with_bias ? 3 : 2, c.attrs);
      std::vector<const Tensor*> in = {&x, &w};
      if (with_bias) in.push_back(&b);
      const Tensor ref = run_impl(n, 13, in, "reference");
      ASSERT_EQ(shape_str(ref.shape()), shape_str(c.out));
      expect_close(run1(n, 13, in), ref, 1e-5);
      expect_close(run_impl(n, 13, in, "conv_transpose_direct"), ref, 1e-6);
      const OpDef& def = op_for(n, 13);
      const bool fits = impl_supports(
          def.impls[0], {n, 13, {{DType::kFloat32, c.x, true}, {DType::kFloat32, c.w, true}}});
      EXPECT_EQ(fits, c.attrs.count("output_padding") == 0 ||
                          std::get<Ints>(c.attrs.at("output_padding"))[0] < 2);
      if (fits) {
        // Constant weights are packed once; weights fed at run time, on every run.
        expect_close(run_impl(n, 13, in, "conv2d_backward_data", 2), ref, 1e-5);
        expect_close(run_impl(n, 13, in, "conv2d_backward_data", 1, false), ref, 1e-5);
      }
    }
  }
}

// The definition the fast path avoids: insert stride - 1 zeros between the inputs, pad by
// dilation (k - 1) - pad, and convolve with the weights flipped and in/out channels swapped.
TEST(ConvTransposeOp, EqualsConvolvingTheZeroInsertedInput) {
  const int64_t C = 3, M = 2, H = 4, W = 5, K = 3, S = 2, P = 1;
  Tensor x = random_tensor({1, C, H, W}, 7), w = random_tensor({C, M, K, K}, 8);
  const int64_t UH = (H - 1) * S + 1, UW = (W - 1) * S + 1;
  std::vector<float> upsampled(static_cast<size_t>(C * UH * UW), 0.0f);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j)
        upsampled[static_cast<size_t>((c * UH + i * S) * UW + j * S)] =
            x.data<float>()[(c * H + i) * W + j];
  std::vector<float> flipped(static_cast<size_t>(M * C * K * K));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t a = 0; a < K; ++a)
        for (int64_t b = 0; b < K; ++b)
          flipped[static_cast<size_t>(((m * C + c) * K + a) * K + b)] =
              w.data<float>()[((c * M + m) * K + (K - 1 - a)) * K + (K - 1 - b)];
  Tensor u = Tensor::from_vector<float>({1, C, UH, UW}, upsampled);
  Tensor f = Tensor::from_vector<float>({M, C, K, K}, flipped);
  const int64_t pad = K - 1 - P;
  Node conv = make_node("Conv", 2, {{"pads", Ints{pad, pad, pad, pad}}});
  Node transpose =
      make_node("ConvTranspose", 2, {{"strides", Ints{S, S}}, {"pads", Ints{P, P, P, P}}});
  expect_close(run1(transpose, 13, {&x, &w}), run1(conv, 13, {&u, &f}), 1e-5);
}

TEST(ConvTransposeOp, BadAttributesAreNamed) {
  Tensor x = random_tensor({1, 2, 3, 3}, 1), w = random_tensor({2, 2, 3, 3}, 2);
  auto error_of = [&](const Attrs& attrs, const Tensor& weights) {
    try {
      run1(make_node("ConvTranspose", 2, attrs), 13, {&x, &weights});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto expect_error = [&](const Attrs& attrs, const std::string& part, const Tensor& weights) {
    const std::string what = error_of(attrs, weights);
    EXPECT_NE(what.find("ConvTranspose node 'n0'"), std::string::npos) << what;
    EXPECT_NE(what.find(part), std::string::npos) << what;
  };
  expect_error({{"strides", Ints{2, 2}}, {"output_shape", Ints{9, 7}}},
               "output_shape 9 in spatial dim 0 cannot be produced", w);
  expect_error({{"output_shape", Ints{5}}}, "'output_shape' has 1 values, expected 2", w);
  expect_error({{"strides", Ints{2, 2}}, {"output_padding", Ints{2, 0}}},
               "output_padding 2 must be less than the stride 2", w);
  expect_error({{"pads", Ints{3, 3, 3, 3}}}, "leave no output in spatial dim 0", w);
  Tensor wrong = random_tensor({3, 2, 3, 3}, 3);
  expect_error({}, "must have X's 2 input channels first", wrong);
  expect_error({{"group", int64_t{4}}}, "not divisible by group=4", w);
}

}  // namespace
}  // namespace sinter::testing
