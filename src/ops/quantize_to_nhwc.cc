// sinter::QuantizeToNhwc: QuantizeLinear to u8 (one scale, attributes scale and zero_point) of a
// float NCHW tensor, written channels-last (NHWC): where a QDQ model's float values enter a
// region of integer layers (passes/integer_layers.h). X [N, C, H, W] -> Y [N, H, W, C].

#include "kernels/quant/quantize_linear.h"
#include "kernels/thread_scratch.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {

namespace {

struct PlanesTag {};

struct Params {
  float scale;
  int32_t zero_point;
};

Params params_of(const Node& node) {
  return {scale_attribute(node, "scale"),
          static_cast<int32_t>(node.attr_int_in("zero_point", 0, 0, 255))};
}

void infer_quantize_to_nhwc(InferContext& ic) {
  if (ic.num_inputs() != 1) ic.fail(cat("expects 1 input, got ", ic.num_inputs()));
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kFloat32 || !x.has_shape || x.shape.size() != 4)
    ic.fail(cat("expects a float32 [N, C, H, W] input, got ", shape_str(x.shape)));
  params_of(ic.node);
  ic.set_output(0, DType::kUint8, {x.shape[0], x.shape[2], x.shape[3], x.shape[1]});
}

// Planes [C][pixels] -> pixels [pixels][C]; C known at compile time for images (3), where the
// channel loop then unrolls.
template <int kChannels>
void interleave(const uint8_t* src, int64_t channels, int64_t pixels, uint8_t* dst) {
  const int64_t C = kChannels ? kChannels : channels;
  for (int64_t i = 0; i < pixels; ++i)
    for (int64_t c = 0; c < C; ++c) dst[i * C + c] = src[c * pixels + i];
}

// The vector kernel quantizes the tensor as it lies; the bytes are then spread over the pixels.
void quantize_to_nhwc(const Params& p, const Tensor& x, Tensor& y, ThreadPool* pool) {
  const int64_t N = x.dim(0), C = x.dim(1), HW = x.dim(2) * x.dim(3);
  // The planes live in the thread's scratch: a fresh buffer each run would be mapped anew.
  auto* planes =
      reinterpret_cast<uint8_t*>(kernels::thread_scratch<PlanesTag>((x.numel() + 3) / 4));
  kernels::quantize_linear(x.data<float>(), planes, {1, 1, x.numel()}, &p.scale, &p.zero_point,
                           {0, 255}, pool);
  uint8_t* out = y.data<uint8_t>();
  for (int64_t n = 0; n < N; ++n) {
    const uint8_t* src = planes + n * C * HW;
    uint8_t* dst = out + n * HW * C;
    if (C == 3) {
      interleave<3>(src, C, HW, dst);
    } else {
      interleave<0>(src, C, HW, dst);
    }
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
             [p](KernelContext& ctx) { quantize_to_nhwc(p, ctx.in(0), ctx.out(0), ctx.pool); });
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_quantize_to_nhwc);
}  // namespace sinter
