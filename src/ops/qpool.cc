// sinter::QMaxPool, sinter::QAveragePool and sinter::QGlobalAveragePool: pooling of quantized u8
// channels-last tensors (kernels/qpool/qpool2d.h), made by the integer-layers pass. QMaxPool takes
// MaxPool's attributes and keeps its input's scale; X [N, H, W, C] -> Y [N, OH, OW, C].
// QAveragePool takes AveragePool's attributes, QGlobalAveragePool none; both requantize
// (attributes x_scale, x_zero_point, y_scale, y_zero_point), Y [N, OH, OW, C] or [N, 1, 1, C].

#include <climits>

#include "kernels/qpool/qpool2d.h"
#include "ops/op_registry.h"
#include "ops/pool_params.h"
#include "ops/quant_param_checks.h"

namespace sinter {

namespace {

// MaxPool's window reads an NCHW shape.
Shape logical_x(const Shape& x) { return {x[0], x[3], x[1], x[2]}; }

void require_u8_rank4(InferContext& ic) {
  if (ic.num_inputs() != 1) ic.fail(cat("expects 1 input, got ", ic.num_inputs()));
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kUint8 || !x.has_shape || x.shape.size() != 4 || !shape_is_static(x.shape))
    ic.fail(cat("expects a static u8 [N, H, W, C] input, got ", shape_str(x.shape)));
}

// A windowed pool's output: [N, OH, OW, C] u8.
void infer_windowed_pool(InferContext& ic) {
  require_u8_rank4(ic);
  const Shape& x = ic.input(0).shape;
  const kernels::Pool2dParams p = pool_params(ic.node, logical_x(x));
  ic.set_output(0, DType::kUint8, {x[0], p.out_h(), p.out_w(), x[3]});
}

OpDef make_qmax_pool() {
  OpDef def;
  def.type = "QMaxPool";
  def.domain = "sinter";
  def.infer = infer_windowed_pool;
  def.impls.push_back({"qmax_pool", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const kernels::Pool2dParams p =
                             pool_params(ki.node, logical_x(ki.inputs[0].shape));
                         return std::make_unique<FunctionKernel>([p](KernelContext& ctx) {
                           kernels::qmax_pool2d_nhwc(p, ctx.in(0).data<uint8_t>(),
                                                     ctx.out(0).data<uint8_t>(), ctx.pool);
                         });
                       }});
  return def;
}

kernels::QAverageQuant average_quant(const Node& node) {
  kernels::QAverageQuant q{scale_attribute(node, "x_scale"),
                           static_cast<int32_t>(node.attr_int_in("x_zero_point", 0, 0, 255)),
                           scale_attribute(node, "y_scale"),
                           static_cast<int32_t>(node.attr_int_in("y_zero_point", 0, 0, 255))};
  return q;
}

void infer_qaverage_pool(InferContext& ic) {
  infer_windowed_pool(ic);
  average_quant(ic.node);
  const Shape& x = ic.input(0).shape;
  // Window sums are int32: 255 times the input's pixels must fit.
  if (x[1] * x[2] > INT32_MAX / 255)
    ic.fail(cat("an input of ", x[1], "x", x[2], " pixels overflows the int32 window sums"));
}

OpDef make_qaverage_pool() {
  OpDef def;
  def.type = "QAveragePool";
  def.domain = "sinter";
  def.infer = infer_qaverage_pool;
  def.impls.push_back(
      {"qaverage_pool", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const kernels::Pool2dParams p = pool_params(ki.node, logical_x(ki.inputs[0].shape));
         const kernels::QAverageQuant q = average_quant(ki.node);
         return std::make_unique<FunctionKernel>([p, q](KernelContext& ctx) {
           kernels::qaverage_pool2d_nhwc(p, ctx.in(0).data<uint8_t>(), q,
                                         ctx.out(0).data<uint8_t>(), ctx.pool);
         });
       }});
  return def;
}

void infer_qglobal_average_pool(InferContext& ic) {
  require_u8_rank4(ic);
  average_quant(ic.node);
  const Shape& x = ic.input(0).shape;
  ic.set_output(0, DType::kUint8, {x[0], 1, 1, x[3]});
}

OpDef make_qglobal_average_pool() {
  OpDef def;
  def.type = "QGlobalAveragePool";
  def.domain = "sinter";
  def.infer = infer_qglobal_average_pool;
  def.impls.push_back(
      {"qglobal_average_pool", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const kernels::QAverageQuant q = average_quant(ki.node);
         const Shape x = ki.inputs[0].shape;
         return std::make_unique<FunctionKernel>([q, x](KernelContext& ctx) {
           kernels::qglobal_average_pool_nhwc(ctx.in(0).data<uint8_t>(), x[0], x[1] * x[2], x[3], q,
                                              ctx.out(0).data<uint8_t>(), ctx.pool);
         });
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_qmax_pool);
SINTER_REGISTER_OP(make_qaverage_pool);
SINTER_REGISTER_OP(make_qglobal_average_pool);
}  // namespace sinter
