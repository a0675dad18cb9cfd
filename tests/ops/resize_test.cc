#include <gtest/gtest.h>

#include "ir/graph_builder.h"
#include "math_op_test_util.h"
#include "runtime/session.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;
using sinter::test::iota_f;

// One Resize node (opset 11 and later) and its inputs; an empty roi, scales or sizes is omitted.
struct ResizeCall {
  Node node;
  std::vector<Tensor> inputs;  // x, roi, scales, sizes

  std::vector<const Tensor*> pointers() const {
    std::vector<const Tensor*> p;
    for (size_t i = 0; i < node.inputs.size(); ++i)
      p.push_back(node.has_input(i) ? &inputs[i] : nullptr);
    return p;
  }
};

ResizeCall resize_call(Tensor x, std::vector<float> scales, std::vector<int64_t> sizes,
                       Attrs attrs = {}, std::vector<float> roi = {}) {
  ResizeCall c;
  c.node.name = "node_under_test";
  c.node.op_type = "Resize";
  c.node.attrs = std::move(attrs);
  c.node.outputs = {"y"};
  auto vec = [](const auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    return Tensor::from_vector<T>({static_cast<int64_t>(v.size())}, v);
  };
  c.inputs = {std::move(x), vec(roi), vec(scales), vec(sizes)};
  c.node.inputs = {"x", roi.empty() ? "" : "roi", scales.empty() ? "" : "scales",
                   sizes.empty() ? "" : "sizes"};
  while (c.node.inputs.back().empty()) c.node.inputs.pop_back();
  return c;
}

// The gradient node Resize's rule makes for `c`, fed dY; its inputs follow dY's.
ResizeCall gradient_call(const ResizeCall& c, Tensor dy) {
  ResizeCall g = c;
  g.node.op_type = "ResizeGrad";
  g.node.domain = "sinter";
  g.node.attrs["forward"] = std::string("Resize");
  g.node.inputs.insert(g.node.inputs.begin(), "dy");
  g.inputs.insert(g.inputs.begin(), std::move(dy));
  return g;
}

Tensor run_resize(const ResizeCall& c, int64_t opset = 13) {
  return run1(c.node, opset, c.pointers());
}

TEST(Resize, NearestUpsamplesByRepeating) {
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor y = run_resize(resize_call(x, {1, 1, 2, 3}, {}));
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 6}));
  expect_values(y, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST(Resize, LinearHalfPixelAndAlignCorners) {
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  expect_values(run_resize(resize_call(x, {1, 1, 2, 2}, {}, {{"mode", std::string("linear")}})),
                {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
  Tensor row = Tensor::from_vector<float>({1, 2}, {0, 3});
  expect_values(
      run_resize(resize_call(row, {}, {1, 4},
                             {{"mode", std::string("linear")},
                              {"coordinate_transformation_mode", std::string("align_corners")}})),
      {0, 1, 2, 3});
}

TEST(Resize, EveryNearestRounding) {
  // in 3 -> out 4, asymmetric: the coordinates are 0, 0.75, 1.5 and 2.25.
  Tensor x = Tensor::from_vector<float>({3}, {10, 20, 30});
  const std::vector<std::pair<std::string, std::vector<double>>> want = {
      {"round_prefer_floor", {10, 20, 20, 30}},
      {"round_prefer_ceil", {10, 20, 30, 30}},
      {"floor", {10, 10, 20, 30}},
      {"ceil", {10, 20, 30, 30}}};
  for (const auto& [mode, values] : want) {
    SCOPED_TRACE(mode);
    expect_values(
        run_resize(resize_call(x, {}, {4},
                               {{"nearest_mode", mode},
                                {"coordinate_transformation_mode", std::string("asymmetric")}})),
        values);
  }
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  Tensor x = iota_f({1, 1, 4, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] += 1;
  ResizeCall c = resize_call(x, {}, {1, 1, 3, 3},
                             {{"mode", std::string("linear")},
                              {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                              {"extrapolation_value", 10.f}},
                             {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f});
  const std::vector<double> want = {7.6, 10, 10, 12.4, 10, 10, 10, 10, 10};
  expect_values(run_resize(c), want);
  expect_values(run_impl(c.node, 13, c.pointers(), "separable"), want);
}

TEST(Resize, AntialiasWidensTheLinearFilter) {
  // Downscaling by 2 samples at 2o + 0.5 with the triangle stretched to four taps:
  // 1/8, 3/8, 3/8, 1/8 over inputs 2o - 1 .. 2o + 2 (clamped).
  Tensor x = iota_f({8});
  ResizeCall c =
      resize_call(x, {0.5f}, {}, {{"mode", std::string("linear")}, {"antialias", int64_t{1}}});
  const std::vector<double> want = {0.625, 2.5, 4.5, 6.375};
  expect_values(run_resize(c, 18), want);
  expect_values(run_impl(c.node, 18, c.pointers(), "separable"), want);
}

TEST(Resize, AxesAndKeepAspectRatio) {
  Tensor x = iota_f({1, 1, 4, 6});
  Attrs attrs = {{"axes", std::vector<int64_t>{2, 3}}};
  EXPECT_EQ(run_resize(resize_call(x, {}, {2, 2}, attrs), 18).shape(), (Shape{1, 1, 2, 2}));
  attrs["keep_aspect_ratio_policy"] = std::string("not_larger");  // scale 1/3
  EXPECT_EQ(run_resize(resize_call(x, {}, {2, 2}, attrs), 18).shape(), (Shape{1, 1, 1, 2}));
  attrs["keep_aspect_ratio_policy"] = std::string("not_smaller");  // scale 1/2
  Tensor y = run_resize(resize_call(x, {}, {2, 2}, attrs), 18);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 3}));
  // Nearest, half_pixel: rows 0.5 -> 0 and 2.5 -> 2; columns 0, 2, 4.
  expect_values(y, {0, 2, 4, 12, 14, 16});
  Tensor axis_minus_one =
      run_resize(resize_call(x, {2}, {},
                             {{"axes", std::vector<int64_t>{-1}}, {"mode", std::string("linear")}}),
                 18);
  EXPECT_EQ(axis_minus_one.shape(), (Shape{1, 1, 4, 12}));
}

TEST(Upsample, ScalesAsAttributeAndInput) {
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  const std::vector<double> want = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                    3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  Node seven = make_node("Upsample", 1, {{"scales", std::vector<float>{1, 1, 2, 3}}});
  expect_values(run1(seven, 7, {&x}), want);
  Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 2, 3});
  expect_values(run1(make_node("Upsample", 2), 9, {&x, &scales}), want);
  expect_values(run1(make_node("Resize", 2), 10, {&x, &scales}), want);
  // Linear before opset 11 samples at o / scale: 1, 1.5, 2, 2 along a row of two.
  Tensor row = Tensor::from_vector<float>({1, 2}, {1, 2});
  Tensor two = Tensor::from_vector<float>({2}, {1, 2});
  expect_values(run1(make_node("Upsample", 2, {{"mode", std::string("linear")}}), 9, {&row, &two}),
                {1, 1.5, 2, 2});
}

// Every option the separable kernel plans for, over shapes that resize every axis, only the
// trailing ones, by integer factors and not, up and down: it must match the reference.
TEST(Resize, SeparableMatchesReference) {
  const std::vector<Shape> shapes = {{1, 3, 5, 7}, {2, 2, 4, 4}, {1, 1, 1, 9},
                                     {3, 6},       {11},         {1, 2, 3, 4, 5}};
  const std::vector<double> factors = {2.0, 3.0, 0.5, 0.6, 1.7, 1.0, 0.25};
  const std::vector<std::string> coordinates = {
      "half_pixel",           "pytorch_half_pixel", "align_corners",       "asymmetric",
      "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
  const std::vector<std::string> nearest = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                            "ceil"};
  uint32_t seed = 1;
  int cases = 0;
  for (const Shape& shape : shapes) {
    Tensor x = random_tensor(shape, seed++, -2, 2);
    const auto rank = static_cast<int64_t>(shape.size());
    for (size_t f = 0; f < factors.size(); ++f) {
      for (const char* mode : {"nearest", "linear", "cubic"}) {
        for (size_t ci = 0; ci < coordinates.size(); ++ci) {
          const std::string& coord = coordinates[ci];
          Attrs attrs = {{"mode", std::string(mode)}, {"coordinate_transformation_mode", coord}};
          attrs["nearest_mode"] = nearest[(f + ci) % nearest.size()];
          attrs["exclude_outside"] = static_cast<int64_t>((f + ci) % 2);
          attrs["antialias"] = static_cast<int64_t>((f + ci / 2) % 2);
          attrs["cubic_coeff_a"] = ci % 2 ? -0.5f : -0.75f;
          attrs["extrapolation_value"] = 3.5f;
          // The last two axes by the factor (the first one of a 5-D shape too), others kept.
          std::vector<float> scales(rank, 1.f), roi;
          for (int64_t d = std::max<int64_t>(0, rank - 2); d < rank; ++d)
            scales[d] = static_cast<float>(d == rank - 1 ? factors[f] : factors[(f + 1) % 7]);
          if (rank == 5) scales[0] = 2.f;
          if (coord == "tf_crop_and_resize") {
            for (int64_t d = 0; d < rank; ++d) roi.push_back(d == rank - 1 ? -0.2f : 0.1f);
            for (int64_t d = 0; d < rank; ++d) roi.push_back(d == rank - 1 ? 1.1f : 0.8f);
          }
          std::vector<int64_t> sizes;
          if (f % 3 == 2) {  // the same factors as sizes
            for (int64_t d = 0; d < rank; ++d)
              sizes.push_back(std::max<int64_t>(1, static_cast<int64_t>(shape[d] * scales[d])));
            scales.clear();
          }
          ResizeCall c = resize_call(x, scales, sizes, attrs, roi);
          SCOPED_TRACE(cat(shape_str(shape), " ", mode, " ", coord, " factor ", factors[f],
                           sizes.empty() ? " scales" : " sizes"));
          Tensor want = run_impl(c.node, 19, c.pointers());
          if (want.numel() == 0) continue;
          expect_close(run_impl(c.node, 19, c.pointers(), "separable"), want, 1e-5);
          expect_close(run_impl(c.node, 19, c.pointers(), "separable", 2), want, 1e-5);
          ResizeCall g = gradient_call(c, random_tensor(want.shape(), seed++));
          const Tensor want_dx = run_impl(g.node, 19, g.pointers());
          expect_close(run_impl(g.node, 19, g.pointers(), "separable"), want_dx, 1e-5);
          expect_close(run_impl(g.node, 19, g.pointers(), "separable", 2), want_dx, 1e-5);
          ++cases;
        }
      }
    }
  }
  EXPECT_GT(cases, 700);
}

// The resize is linear in x (with a zero extrapolation value), and its gradient is the
// transposed map: <resize(x), dy> = <x, ResizeGrad(dy)>.
TEST(Resize, GradientIsTheTransposedResize) {
  Tensor x = random_tensor({2, 3, 5, 6}, 11);
  const Attrs crop = {{"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                      {"mode", std::string("cubic")}};
  for (const ResizeCall& c :
       {resize_call(x, {1, 1, 2, 0.5f}, {}, {{"mode", std::string("linear")}}),
        resize_call(x, {}, {2, 3, 3, 11}, {{"mode", std::string("cubic")}}),
        resize_call(x, {1, 1, 0.6f, 1.7f}, {}, {{"mode", std::string("nearest")}}),
        resize_call(x, {}, {2, 3, 4, 4}, crop, {0, 0, 0.2f, -0.3f, 1, 1, 0.9f, 1.2f})}) {
    const Tensor y = run1(c.node, 13, c.pointers());
    const Tensor dy = random_tensor(y.shape(), 12);
    ResizeCall g = gradient_call(c, dy);
    const Tensor dx = run1(g.node, 13, g.pointers());
    ASSERT_EQ(dx.shape(), x.shape());
    double forward = 0, backward = 0;
    for (int64_t i = 0; i < y.numel(); ++i)
      forward += double(y.data<float>()[i]) * dy.data<float>()[i];
    for (int64_t i = 0; i < x.numel(); ++i)
      backward += double(x.data<float>()[i]) * dx.data<float>()[i];
    EXPECT_NEAR(forward, backward, 1e-4 * std::max(1.0, std::abs(forward)));
  }
}

// The segmentation case at size: NCHW upsampled 2x, 4x and 8x by nearest and linear.
TEST(Resize, SeparableMatchesReferenceOnSegmentationShapes) {
  Tensor x = random_tensor({1, 21, 16, 20}, 7);
  for (float factor : {2.f, 4.f, 8.f})
    for (const char* mode : {"nearest", "linear"})
      for (const char* coord : {"half_pixel", "align_corners", "pytorch_half_pixel"}) {
        SCOPED_TRACE(cat(mode, " ", coord, " x", factor));
        ResizeCall c = resize_call(
            x, {1, 1, factor, factor}, {},
            {{"mode", std::string(mode)}, {"coordinate_transformation_mode", std::string(coord)}});
        expect_close(run_impl(c.node, 13, c.pointers(), "separable", 2),
                     run_impl(c.node, 13, c.pointers()), 1e-5);
      }
}

// One kernel fed other sizes plans its taps again for them, and back.
TEST(Resize, KernelReplansWhenTheSizesChange) {
  Tensor x = random_tensor({1, 2, 5, 6}, 3);
  ResizeCall small = resize_call(x, {}, {1, 2, 7, 9}, {{"mode", std::string("linear")}});
  ResizeCall large = resize_call(x, {}, {1, 2, 12, 3}, {{"mode", std::string("linear")}});
  const OpDef& def = op_for(small.node, 13);
  const KernelImpl* impl = find_kernel(def, "separable");
  ASSERT_NE(impl, nullptr);
  std::vector<ValueType> types;
  for (const Tensor* t : small.pointers())
    types.push_back(t ? ValueType{t->dtype(), t->shape(), true} : ValueType{});
  KernelInfo info{small.node, 13, types, {}, std::vector<const Tensor*>(types.size()), 1};
  auto kernel = impl->create(info);
  ThreadPool pool(1);
  for (const ResizeCall* c : {&small, &large, &small}) {
    const Tensor want = run_impl(c->node, 13, c->pointers());
    Tensor got(DType::kFloat32, want.shape());
    KernelContext ctx;
    ctx.inputs = c->pointers();
    ctx.outputs = {&got};
    ctx.pool = &pool;
    kernel->run(ctx);
    expect_close(got, want, 1e-6);
  }
}

// Scales fed as a model input decide the output shape: each new value gets its own plan.
TEST(Resize, SessionPlansForTheScalesItIsGiven) {
  GraphBuilder b(13);
  const std::string x = b.input("x", DType::kFloat32, {1, 2, 3, 4});
  const std::string scales = b.input("scales", DType::kFloat32, {4});
  b.output(b.node("Resize", {x, "", scales}, {{"mode", std::string("linear")}}));
  const Graph g = b.build();
  const Tensor xin = random_tensor({1, 2, 3, 4}, 5);
  Session session(g, {1, true});
  for (std::vector<float> s : {std::vector<float>{1, 1, 2, 2}, std::vector<float>{1, 1, 0.5f, 0.5f},
                               std::vector<float>{1, 1, 2, 2}}) {
    const Tensor st = Tensor::from_vector<float>({4}, s);
    const Tensor y = session.run({{"x", xin}, {"scales", st}})[0];
    expect_close(y, run_resize(resize_call(xin, s, {}, {{"mode", std::string("linear")}})), 1e-6);
  }
}

TEST(Resize, BadScalesAndSizesNameTheNode) {
  Tensor x = iota_f({1, 1, 2, 2});
  auto input_error = [&](const ResizeCall& c, std::vector<std::string> fragments) {
    sinter::test::expect_error<InputError>([&] { run_resize(c); }, fragments);
  };
  input_error(resize_call(x, {1, 1, 2, 2}, {1, 1, 4, 4}), {"'scales'", "'sizes'", "both"});
  input_error(resize_call(x, {2, 2}, {}), {"input 'scales' has 2 entries", "needs 4"});
  input_error(resize_call(x, {}, {4, 4, 4}), {"input 'sizes' has 3 entries", "needs 4"});
  input_error(resize_call(x, {1, 1, 0, 2}, {}), {"input 'scales'[2] = 0", "positive"});
  input_error(resize_call(x, {1, 1, -2, 2}, {}), {"input 'scales'[2] = -2", "positive"});
  input_error(resize_call(x, {}, {1, 1, 0, 4}), {"input 'sizes'[2] = 0", "positive"});
  input_error(resize_call(x, {}, {1, 1, 4, -4}), {"input 'sizes'[3] = -4", "positive"});
  input_error(resize_call(x, {}, {}), {"needs input 'scales' or input 'sizes'"});
  input_error(resize_call(x, {1, 1, 1e30f, 1}, {}), {"input 'scales'[2]", "beyond any tensor"});
  Tensor wide = iota_f({1, 1, 1, 1000});
  sinter::test::expect_error<InputError>(
      [&] {
        run_resize(resize_call(wide, {}, {1, 1, int64_t{1} << 62, 1000},
                               {{"keep_aspect_ratio_policy", std::string("not_smaller")}}),
                   18);
      },
      {"not_smaller", "beyond any tensor"});
  Attrs crop = {{"coordinate_transformation_mode", std::string("tf_crop_and_resize")}};
  input_error(resize_call(x, {}, {1, 1, 4, 4}, crop, {0, 1}), {"input 'roi' has 2 entries"});
  input_error(resize_call(x, {}, {1, 1, 4, 4}, crop, {0, 0, 0, NAN, 1, 1, 1, 1}),
              {"input 'roi'[3] = nan is not finite"});
  // The same checks at run time, when the values are not known while planning.
  ResizeCall late = resize_call(x, {}, {1, 1, 0, 4});
  sinter::test::expect_error<InputError>(
      [&] {
        const OpDef& def = op_for(late.node, 13);
        std::vector<ValueType> types;
        for (const Tensor* t : late.pointers())
          types.push_back(t ? ValueType{t->dtype(), t->shape(), true} : ValueType{});
        KernelInfo info{late.node, 13, types, {}, std::vector<const Tensor*>(types.size()), 1};
        auto kernel = find_kernel(def, "separable")->create(info);
        Tensor y(DType::kFloat32, {1, 1, 4, 4});
        KernelContext ctx;
        ctx.inputs = late.pointers();
        ctx.outputs = {&y};
        kernel->run(ctx);
      },
      {"input 'sizes'[2] = 0"});
}

TEST(ResizeGrad, DyOfTheWrongShapeNamesTheNode) {
  ResizeCall g =
      gradient_call(resize_call(iota_f({1, 1, 2, 2}), {1, 1, 2, 2}, {}), iota_f({1, 1, 4, 3}));
  sinter::test::expect_error<InputError>([&] { run1(g.node, 13, g.pointers()); },
                                         {"dY is [1,1,4,3]", "[1,1,4,4]"});
}

TEST(Resize, BadAttributesNameTheNode) {
  Tensor x = iota_f({1, 1, 2, 2});
  auto model_error = [&](Attrs attrs, int64_t opset, std::vector<std::string> fragments) {
    sinter::test::expect_error<ModelError>(
        [&] {
          run_resize(resize_call(x, {}, {1, 1, 4, 4}, attrs), opset);
        },
        fragments);
  };
  model_error({{"mode", std::string("bicubic")}}, 13, {"'mode' = 'bicubic'"});
  model_error({{"coordinate_transformation_mode", std::string("half_pixel_symmetric")}}, 18,
              {"half_pixel_symmetric", "opset 19"});
  model_error({{"coordinate_transformation_mode", std::string("corners")}}, 13, {"'corners'"});
  model_error({{"nearest_mode", std::string("nearest")}}, 13, {"nearest_mode 'nearest'"});
  model_error({{"antialias", int64_t{1}}}, 13, {"'antialias'", "opset 18"});
  model_error({{"axes", std::vector<int64_t>{2, 2}}}, 18, {"axis 2 twice"});
  model_error({{"axes", std::vector<int64_t>{4}}}, 18, {"out of range"});
  model_error({{"keep_aspect_ratio_policy", std::string("fit")}}, 18, {"'fit'"});
  Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 2, 2});
  sinter::test::expect_error<ModelError>(
      [&] {
        Node n = make_node("Upsample", 2);
        n.name = "node_under_test";
        run1(n, 10, {&x, &scales});
      },
      {"deprecated"});
  sinter::test::expect_error<ModelError>(
      [&] {
        Node n = make_node("Resize", 2, {{"mode", std::string("cubic")}});
        n.name = "node_under_test";
        run1(n, 10, {&x, &scales});
      },
      {"'mode' = 'cubic'"});
}

}  // namespace
}  // namespace sinter::testing
