// sinter::QuantizeToNhwc: QuantizeLinear to u8 (one scale, attributes scale and zero_point) of a
// float NCHW tensor, written channels-last (NHWC): where a QDQ model's float values enter a
// region of integer layers (passes/integer_layers.h). X [N, C, H, W] -> Y [N, H, W, C].
#include <cmath>
#include <vector>

#include "kernels/quant/quantize_linear.h"
#include "ops/op_registry.h"

namespace sinter {

namespace {

struct Params {
  float scale;
  int32_t zero_point;
};

Params params_of(const Node& node) {
  const Params p{node.attr_float("scale", 1),
                 static_cast<int32_t>(node.attr_int_in("zero_point", 0, 0, 255))};
  if (!(std::isfinite(p.scale) && p.scale > 0))
    throw ModelError(cat(node.describe(), ": scale ", p.scale, " is not a positive finite number"));
  return p;
}

void infer_quantize_to_nhwc(InferContext& ic) {
  if (ic.num_inputs() != 1) ic.fail(cat("expects 1 input, got ", ic.num_inputs()));
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kFloat32 || !x.has_shape || x.shape.size() != 4)
    ic.fail(cat("expects a float32 [N, C, H, W] input, got ", shape_str(x.shape)));
  params_of(ic.node);
  ic.set_output(0, DType::kUint8, {x.shape[0], x.shape[2], x.shape[3], x.shape[1]});
}

// Each image row of each channel is quantized by the vector kernel, then spread over the pixels.
void quantize_to_nhwc(const Params& p, const Tensor& x, Tensor& y) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  std::vector<uint8_t> row(static_cast<size_t>(W));
  const kernels::AxisLayout layout{1, 1, W};
  const float* in = x.data<float>();
  uint8_t* out = y.data<uint8_t>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h) {
        kernels::quantize_linear(in + ((n * C + c) * H + h) * W, row.data(), layout, &p.scale,
                                 &p.zero_point, {0, 255});
        uint8_t* dst = out + (n * H + h) * W * C + c;
        for (int64_t w = 0; w < W; ++w) dst[w * C] = row[static_cast<size_t>(w)];
      }
}

OpDef make_quantize_to_nhwc() {
  OpDef def;
  def.type = "QuantizeToNhwc";
  def.domain = "sinter";
  def.infer = infer_quantize_to_nhwc;
  def.impls.push_back(
      {"quantize_to_nhwc", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const Params p = params_of(ki.node);
         return std::make_unique<FunctionKernel>(
             [p](KernelContext& ctx) { quantize_to_nhwc(p, ctx.in(0), ctx.out(0)); });
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_quantize_to_nhwc);
}  // namespace sinter
