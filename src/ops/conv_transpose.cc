// ConvTranspose (1-D and 2-D): Y is the gradient of a convolution of Y's shape with respect to
// its input, taken at X. The fast path runs it as that (kernels/conv Conv2dBackwardData: per image
// and group the GEMM W^T X, scattered into Y by col2im), so every multiply-add pairs a weight with
// an input value: none meets the zeros that upsampling X by the stride would insert, which the
// zero-insertion form multiplies (stride^2 times the work at stride 2 in 2-D). The reference
// scatters each input through the window directly.
#include <algorithm>
#include <functional>
#include <memory>

#include "core/checked_math.h"
#include "kernels/conv/conv2d_backward.h"
#include "ops/conv_common.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {

namespace {

// The transposed window per spatial axis: out = stride (in - 1) + extent + output_padding -
// pads_begin - pads_end, where a negative pads_end stands for output past what the window
// reaches (an output_shape a little larger than that), which only the bias fills.
struct TransposedWindow {
  std::vector<int64_t> in, kernel, strides, dilations, pads_begin, pads_end, out;
};

std::vector<int64_t> per_axis(const Node& n, const char* key, size_t count, int64_t fallback,
                              int64_t lo) {
  std::vector<int64_t> v =
      n.attr_ints_in(key, std::vector<int64_t>(count, fallback), lo, kMaxWindowAttribute);
  if (v.size() != count)
    throw ModelError(
        cat(n.describe(), ": attribute '", key, "' has ", v.size(), " values, expected ", count));
  return v;
}

TransposedWindow transposed_window(const Node& n, const std::vector<int64_t>& in,
                                   const std::vector<int64_t>& kernel) {
  const size_t rank = in.size();
  TransposedWindow t;
  t.in = in;
  t.kernel = kernel;
  for (size_t i = 0; i < rank; ++i)
    if (kernel[i] != -1 && (kernel[i] < 1 || kernel[i] > kMaxWindowAttribute))
      throw ModelError(cat(n.describe(), ": kernel size ", kernel[i], " in spatial dim ", i,
                           " is out of range [1, ", kMaxWindowAttribute, "]"));
  t.strides = per_axis(n, "strides", rank, 1, 1);
  t.dilations = per_axis(n, "dilations", rank, 1, 1);
  const std::vector<int64_t> output_padding = per_axis(n, "output_padding", rank, 0, 0);
  std::vector<int64_t> pads = per_axis(n, "pads", 2 * rank, 0, 0);
  t.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  t.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      auto_pad != "VALID")
    throw ModelError(cat(n.describe(), ": unknown auto_pad '", auto_pad, "'"));
  std::vector<int64_t> wanted;  // output sizes asked for, if any
  if (n.has_attr("output_shape")) {
    wanted = n.attr_ints_in("output_shape", {}, 1, kMaxWindowAttribute);
    if (wanted.size() == rank + 2) wanted.erase(wanted.begin(), wanted.begin() + 2);  // [N, C, ...]
    if (wanted.size() != rank)
      throw ModelError(cat(n.describe(), ": attribute 'output_shape' has ", wanted.size(),
                           " values, expected ", rank));
  }
  t.out.assign(rank, -1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t s = t.strides[i], d = t.dilations[i];
    if (output_padding[i] >= std::max(s, d))
      throw ModelError(cat(n.describe(), ": output_padding ", output_padding[i],
                           " must be less than the stride ", s, " or the dilation ", d));
    if (in[i] < 0 || t.kernel[i] < 0) continue;        // known at run time
    const int64_t extent = (t.kernel[i] - 1) * d + 1;  // both at most 2^31: fits
    // What the window reaches with output_padding and no pads.
    const int64_t full =
        checked_add(checked_add(checked_mul(s, in[i] - 1), extent), output_padding[i]);
    if (auto_pad == "VALID") t.pads_begin[i] = t.pads_end[i] = 0;
    int64_t out = -1;
    if (!wanted.empty()) {
      out = wanted[i];
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = checked_mul(in[i], s);
    }
    if (out >= 0) {
      // Pads that crop `full` to `out`; the odd one goes to the end (SAME_UPPER) or the
      // beginning. A larger `out` gets the positions past `full` at the end.
      const int64_t total = full - out;
      if (total < 0 && -total >= std::max(s, d))
        throw InputError(cat(n.describe(), ": output_shape ", out, " in spatial dim ", i,
                             " cannot be produced: the window reaches ", full,
                             " and output padding adds less than ", std::max(s, d)));
      const int64_t small = total > 0 ? total / 2 : 0;
      const int64_t big = total > 0 ? total - small : total;
      const bool upper = auto_pad == "SAME_UPPER";
      t.pads_begin[i] = upper || total < 0 ? small : big;
      t.pads_end[i] = upper || total < 0 ? big : small;
    }
    t.out[i] = checked_sub(checked_sub(full, t.pads_begin[i]), t.pads_end[i]);
    if (t.out[i] < 1)
      throw InputError(cat(n.describe(), ": pads ", t.pads_begin[i], " and ", t.pads_end[i],
                           " leave no output in spatial dim ", i, " (", full, " before padding)"));
  }
  return t;
}

// X [N, C, in...] and W [C, M/group, k...] with their types checked; the window.
TransposedWindow checked_window(const Node& n, const Shape& x, const Shape& w,
                                const std::function<void(const std::string&)>& fail) {
  if (x.size() < 3) fail(cat("X must be [N, C, spatial...], got ", shape_str(x)));
  if (w.size() != x.size())
    fail(cat("W ", shape_str(w), " must have the rank of X ", shape_str(x)));
  if (x.size() > 4)
    throw UnsupportedError(cat(n.describe(), ": ", x.size() - 2,
                               "-D transposed convolution is not supported (1-D and 2-D are)"));
  const int64_t group = n.attr_int("group", 1);
  if (group < 1) fail(cat("group must be positive, got ", group));
  if (w[0] >= 0 && x[1] >= 0 && w[0] != x[1])
    fail(cat("W ", shape_str(w), " must have X's ", x[1], " input channels first"));
  if (x[1] >= 0 && x[1] % group != 0)
    fail(cat("X has ", x[1], " channels, not divisible by group=", group));
  return transposed_window(n, {x.begin() + 2, x.end()}, kernel_dims(n, w));
}

// The convolution whose input gradient this is: input Y [N, M, out...], weights W, output X.
Conv2dShape forward_conv(const Node& n, const Shape& x, const Shape& w, const TransposedWindow& t) {
  const bool one_d = x.size() == 3;
  Conv2dShape s;
  s.N = x[0];
  s.C = w[1] * n.attr_int("group", 1);
  s.M = x[1];
  s.group = n.attr_int("group", 1);
  s.H = one_d ? 1 : t.out[0];
  s.W = t.out.back();
  s.KH = one_d ? 1 : t.kernel[0];
  s.KW = t.kernel.back();
  s.stride_h = one_d ? 1 : t.strides[0];
  s.stride_w = t.strides.back();
  s.dilation_h = one_d ? 1 : t.dilations[0];
  s.dilation_w = t.dilations.back();
  s.pad_top = one_d ? 0 : t.pads_begin[0];
  s.pad_left = t.pads_begin.back();
  // Output past the window's reach needs no pad: it lies beyond what any input touches.
  s.pad_bottom = one_d ? 0 : std::max<int64_t>(0, t.pads_end[0]);
  s.pad_right = std::max<int64_t>(0, t.pads_end.back());
  return s;
}

// Whether that convolution maps Y back onto exactly X's spatial shape (not when the output
// padding or extra output reaches a whole stride, which only a dilation allows).
bool forward_conv_fits(const Conv2dShape& s, const Shape& x) {
  return s.OH() == (x.size() == 3 ? 1 : x[2]) && s.OW() == x.back();
}

void add_bias(const float* bias, int64_t n, int64_t m, int64_t plane, float* y) {
  for (int64_t i = 0; i < n * m; ++i) {
    const float b = bias[i % m];
    float* row = y + i * plane;
    for (int64_t p = 0; p < plane; ++p) row[p] += b;
  }
}

class ConvTransposeKernel : public Kernel {
 public:
  // `weights` is null unless the weights are a constant, which is then packed once.
  ConvTransposeKernel(const Conv2dShape& s, bool bias, const Tensor* weights)
      : plan_(s), s_(s), bias_(bias) {
    if (weights) plan_.keep_weights(weights->data<float>());
  }
  void run(KernelContext& ctx) override {
    float* y = ctx.out(0).data<float>();
    plan_.run(ctx.in(0).data<float>(), ctx.in(1).data<float>(), y, ctx.pool);
    if (bias_) add_bias(ctx.in(2).data<float>(), s_.N, s_.C, s_.H * s_.W, y);
  }
  const char* variant() const override {
    return Conv2dBackwardData::algorithm_name(plan_.algorithm());
  }

 private:
  Conv2dBackwardData plan_;
  Conv2dShape s_;
  bool bias_;
};

// Each input value scattered through its window: y[oy, ox] += x[iy, ix] w[ky, kx] where
// oy = iy stride - pad_begin + ky dilation.
void conv_transpose_reference(const Shape& x, const Shape& w, const TransposedWindow& t,
                              int64_t group, const float* xv, const float* wv, const float* bias,
                              float* yv) {
  const bool one_d = x.size() == 3;
  const int64_t N = x[0], C = x[1], Mg = w[1], M = Mg * group, Cg = C / group;
  const int64_t IH = one_d ? 1 : x[2], IW = x.back(), OH = one_d ? 1 : t.out[0], OW = t.out.back();
  const int64_t KH = one_d ? 1 : t.kernel[0], KW = t.kernel.back();
  const int64_t SH = one_d ? 1 : t.strides[0], SW = t.strides.back();
  const int64_t DH = one_d ? 1 : t.dilations[0], DW = t.dilations.back();
  const int64_t PH = one_d ? 0 : t.pads_begin[0], PW = t.pads_begin.back();
  for (int64_t i = 0; i < N * M * OH * OW; ++i) yv[i] = bias ? bias[(i / (OH * OW)) % M] : 0.0f;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t g = c / Cg;
      for (int64_t iy = 0; iy < IH; ++iy)
        for (int64_t ix = 0; ix < IW; ++ix) {
          const float v = xv[((n * C + c) * IH + iy) * IW + ix];
          for (int64_t m = 0; m < Mg; ++m)
            for (int64_t ky = 0; ky < KH; ++ky) {
              const int64_t oy = iy * SH - PH + ky * DH;
              if (oy < 0 || oy >= OH) continue;
              for (int64_t kx = 0; kx < KW; ++kx) {
                const int64_t ox = ix * SW - PW + kx * DW;
                if (ox < 0 || ox >= OW) continue;
                yv[((n * M + g * Mg + m) * OH + oy) * OW + ox] +=
                    v * wv[((c * Mg + m) * KH + ky) * KW + kx];
              }
            }
        }
    }
}

// Y is linear in X and in W through the forward convolution F (Y's shape to X's): <Y, dY> =
// <X, F(dY; W)>, so dX is F(dY; W) and dW the weight gradient of F at input dY and output
// gradient X; dB sums dY over the batch and the spatial axes.
void conv_transpose_gradient(GradientContext& g) {
  const Node& n = g.node();
  const Shape& x = g.input_type(0).shape;
  const Shape& w = g.input_type(1).shape;
  const TransposedWindow t = checked_window(
      n, x, w, [&](const std::string& why) { throw InputError(cat(n.describe(), ": ", why)); });
  const Conv2dShape s = forward_conv(n, x, w, t);
  if (!forward_conv_fits(s, x)) g.unsupported("output padding of a whole stride");
  std::vector<int64_t> pads = t.pads_begin;
  for (int64_t end : t.pads_end) pads.push_back(std::max<int64_t>(0, end));
  std::map<std::string, Attribute> attrs = {{"strides", t.strides},
                                            {"dilations", t.dilations},
                                            {"kernel_shape", t.kernel},
                                            {"pads", pads},
                                            {"group", n.attr_int("group", 1)}};
  const std::string& dy = g.output_grad(0);
  if (g.wants(0)) g.set_input_grad(0, g.emit("Conv", {dy, g.input(1)}, attrs));
  if (g.wants(1)) {
    attrs["w_shape"] = std::vector<int64_t>(w.begin(), w.end());
    g.set_input_grad(1, g.emit_in_domain("ConvGradWeight", "sinter", {dy, g.input(0)}, attrs));
  }
  if (n.has_input(2) && g.wants(2)) {
    std::vector<int64_t> axes = {0};
    for (size_t i = 2; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    g.set_input_grad(2, g.emit("ReduceSum",
                               {dy, g.constant(Tensor::from_vector<int64_t>(
                                        {static_cast<int64_t>(axes.size())}, axes))},
                               {{"keepdims", int64_t{0}}}));
  }
}

OpDef make_conv_transpose() {
  OpDef def;
  def.type = "ConvTranspose";
  def.infer = [](InferContext& ic) {
    if (ic.num_inputs() < 2 || ic.num_inputs() > 3) ic.fail("expects 2 or 3 inputs");
    for (size_t i = 0; i < ic.num_inputs(); ++i)
      if (ic.has_input(i) && ic.input(i).dtype != DType::kFloat32)
        throw UnsupportedError(cat(ic.node.describe(), ": input ", i, " must be float32, got ",
                                   dtype_name(ic.input(i).dtype)));
    if (!ic.input(0).has_shape || !ic.input(1).has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    const Shape& x = ic.input(0).shape;
    const Shape& w = ic.input(1).shape;
    const TransposedWindow t =
        checked_window(ic.node, x, w, [&](const std::string& why) { ic.fail(why); });
    const int64_t M = w[1] < 0 ? -1 : checked_mul(w[1], ic.node.attr_int("group", 1));
    if (ic.has_input(2)) check_conv_bias(ic, 2, M);
    Shape out = {x[0], M};
    out.insert(out.end(), t.out.begin(), t.out.end());
    ic.set_output(0, DType::kFloat32, out);
  };
  def.flops = [](const KernelInfo& ki) {
    // Each input value meets M/group output channels times the window: 2 flops each.
    const Shape& w = ki.inputs[1].shape;
    double per_input = 2.0;
    for (size_t i = 1; i < w.size(); ++i) per_input *= static_cast<double>(w[i]);
    return per_input * static_cast<double>(shape_numel(ki.inputs[0].shape));
  };
  auto window = [](const KernelInfo& ki) {
    return checked_window(
        ki.node, ki.inputs[0].shape, ki.inputs[1].shape,
        [&](const std::string& why) { throw InputError(cat(ki.node.describe(), ": ", why)); });
  };
  def.impls.push_back(
      {"conv2d_backward_data",
       [window](const KernelInfo& ki) {
         const Shape& x = ki.inputs[0].shape;
         return forward_conv_fits(forward_conv(ki.node, x, ki.inputs[1].shape, window(ki)), x);
       },
       [window](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const Conv2dShape s =
             forward_conv(ki.node, ki.inputs[0].shape, ki.inputs[1].shape, window(ki));
         return std::make_unique<ConvTransposeKernel>(s, ki.node.has_input(2), ki.constant(1));
       }});
  def.reference = KernelImpl{
      "reference", nullptr, [window](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
        const TransposedWindow t = window(ki);
        const Shape x = ki.inputs[0].shape, w = ki.inputs[1].shape;
        const int64_t group = ki.node.attr_int("group", 1);
        const bool bias = ki.node.has_input(2);
        return std::make_unique<FunctionKernel>([t, x, w, group, bias](KernelContext& ctx) {
          conv_transpose_reference(x, w, t, group, ctx.in(0).data<float>(), ctx.in(1).data<float>(),
                                   bias ? ctx.in(2).data<float>() : nullptr,
                                   ctx.out(0).data<float>());
        });
      }};
  def.impls.push_back(*def.reference);
  def.gradient = conv_transpose_gradient;
  def.impls.back().name = "conv_transpose_direct";
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_conv_transpose);
}  // namespace sinter
