// MaxPool, AveragePool (1-D, 2-D and 3-D; 1-D runs as 2-D with H = 1, 3-D as two passes of the
// 2-D kernels), GlobalAveragePool and GlobalMaxPool, over kernels/pool with its reference twins
// last.
#include "kernels/pool/pool2d.h"
#include "kernels/pool/pool2d_backward.h"
#include "kernels/pool/pool3d.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"
#include "ops/pool_params.h"

namespace sinter {
namespace {

void require_float_nc(InferContext& ic, size_t min_rank) {
  const ValueType& x = ic.input(0);
  if (x.dtype != DType::kFloat32)
    throw UnsupportedError(
        cat(ic.node.describe(), ": ", "input must be float32, got ", dtype_name(x.dtype)));
  if (x.has_shape && x.shape.size() < min_rank)
    ic.fail(cat("input must be [N, C, spatial...], got ", shape_str(x.shape)));
}

// The intermediate between the two passes lives with the kernel, from one run to the next.
std::unique_ptr<Kernel> make_pool3d_kernel(const Node& node, bool is_max, bool reference) {
  return std::make_unique<FunctionKernel>(
      [node, is_max, reference, scratch = Tensor()](KernelContext& ctx) mutable {
        const kernels::Pool3dParams p = pool3d_params(node, ctx.in(0).shape());
        const float* x = ctx.in(0).data<float>();
        float* y = ctx.out(0).data<float>();
        if (reference) {
          is_max ? kernels::max_pool3d_reference(p, x, y) : kernels::avg_pool3d_reference(p, x, y);
        } else {
          is_max ? kernels::max_pool3d(p, x, y, scratch, ctx.pool)
                 : kernels::avg_pool3d(p, x, y, scratch, ctx.pool);
        }
      });
}

OpDef make_window_pool(const char* type, bool is_max) {
  OpDef def;
  def.type = type;
  def.infer = [is_max](InferContext& ic) {
    require_float_nc(ic, 3);
    if (is_max && ic.node.outputs.size() > 1 && !ic.node.outputs[1].empty())
      throw UnsupportedError(cat(ic.node.describe(), ": the Indices output is not supported"));
    const ValueType& x = ic.input(0);
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    if (x.shape.size() > 5)
      throw UnsupportedError(cat(ic.node.describe(), ": ", x.shape.size() - 2,
                                 "-D pooling is not supported (1-D, 2-D and 3-D are)"));
    WindowGeometry g = pool_geometry(ic.node, x.shape);
    Shape out = {x.shape[0], x.shape[1]};
    out.insert(out.end(), g.out.begin(), g.out.end());
    ic.set_output(0, DType::kFloat32, out);
  };
  def.flops = [](const KernelInfo& ki) {
    double window = 1;
    for (int64_t k : ki.node.attr_ints("kernel_shape")) window *= k;
    return window * shape_numel(ki.outputs[0].shape);
  };
  auto make = [is_max](bool reference) {
    return [is_max, reference](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      Node node = ki.node;
      if (ki.inputs[0].shape.size() == 5) return make_pool3d_kernel(node, is_max, reference);
      return std::make_unique<FunctionKernel>([node, is_max, reference](KernelContext& ctx) {
        const kernels::Pool2dParams p = pool_params(node, ctx.in(0).shape());
        const float* x = ctx.in(0).data<float>();
        float* y = ctx.out(0).data<float>();
        if (reference) {
          is_max ? kernels::max_pool2d_reference(p, x, y) : kernels::avg_pool2d_reference(p, x, y);
        } else {
          is_max ? kernels::max_pool2d(p, x, y, ctx.pool) : kernels::avg_pool2d(p, x, y, ctx.pool);
        }
      });
    };
  };
  def.impls.push_back({"pool2d", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
  return def;
}

OpDef make_global_pool(const char* type, bool is_max) {
  OpDef def;
  def.type = type;
  def.infer = [](InferContext& ic) {
    require_float_nc(ic, 3);
    const ValueType& x = ic.input(0);
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    Shape out = x.shape;
    for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
    ic.set_output(0, DType::kFloat32, out);
  };
  def.flops = [](const KernelInfo& ki) { return double(shape_numel(ki.inputs[0].shape)); };
  auto make = [is_max](bool reference) {
    return [is_max, reference](const KernelInfo&) -> std::unique_ptr<Kernel> {
      return std::make_unique<FunctionKernel>([is_max, reference](KernelContext& ctx) {
        const Tensor& x = ctx.in(0);
        const int64_t planes = x.dim(0) * x.dim(1);
        const int64_t size = planes ? x.numel() / planes : 0;
        const float* in = x.data<float>();
        float* y = ctx.out(0).data<float>();
        if (reference) {
          is_max ? kernels::global_max_pool_reference(in, y, planes, size)
                 : kernels::global_avg_pool_reference(in, y, planes, size);
        } else {
          is_max ? kernels::global_max_pool(in, y, planes, size, ctx.pool)
                 : kernels::global_avg_pool(in, y, planes, size, ctx.pool);
        }
      });
    };
  };
  def.impls.push_back({"pool2d", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
  return def;
}

// Gradients. MaxPoolGrad(X, dY) and AveragePoolGrad(dY) (domain "sinter") carry the forward
// attributes, AveragePoolGrad also `x_shape`; GlobalAveragePool's is ordinary ops.
void max_pool_gradient(GradientContext& g) {
  g.set_input_grad(
      0, g.emit_in_domain("MaxPoolGrad", "sinter", {g.input(0), g.output_grad(0)}, g.node().attrs));
}
void average_pool_gradient(GradientContext& g) {
  std::map<std::string, Attribute> attrs = g.node().attrs;
  const Shape& x = g.input_type(0).shape;
  attrs["x_shape"] = std::vector<int64_t>(x.begin(), x.end());
  g.set_input_grad(0, g.emit_in_domain("AveragePoolGrad", "sinter", {g.output_grad(0)}, attrs));
}
void global_average_pool_gradient(GradientContext& g) {  // dx = expand(dy) / (H*W)
  const Shape& x = g.input_type(0).shape;
  int64_t plane = 1;
  for (size_t i = 2; i < x.size(); ++i) plane *= x[i];
  const std::string spread = g.emit("Expand", {g.output_grad(0), g.shape_constant(x)});
  g.set_input_grad(0, g.emit("Mul", {spread, g.scalar(1.0f / static_cast<float>(plane))}));
}

OpDef make_pool_grad(const char* type, bool is_max) {
  OpDef def;
  def.type = type;
  def.domain = "sinter";
  def.infer = [is_max](InferContext& ic) {
    require_float_nc(ic, 3);
    Shape x = ic.input(0).shape;
    if (!is_max) {
      const std::vector<int64_t> attr = ic.node.attr_ints("x_shape");
      x.assign(attr.begin(), attr.end());
    }
    // dY must be exactly the forward pooling's output: the kernels index by it.
    const ValueType& dy = ic.input(is_max ? 1 : 0);
    if (x.size() < 3 || x.size() > 4 || !shape_is_static(x) || !dy.has_shape)
      ic.fail("needs a static rank-3 or -4 input shape and a known dY shape");
    WindowGeometry g = pool_geometry(ic.node, x);
    Shape want = {x[0], x[1]};
    want.insert(want.end(), g.out.begin(), g.out.end());
    if (dy.shape != want)
      ic.fail(cat("dY ", shape_str(dy.shape), " is not the pooled shape ", shape_str(want)));
    ic.set_output(0, DType::kFloat32, x);
  };
  auto make = [is_max](bool reference) {
    return [is_max, reference](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      Node node = ki.node;
      return std::make_unique<FunctionKernel>([node, is_max, reference](KernelContext& ctx) {
        float* dx = ctx.out(0).data<float>();
        const kernels::Pool2dParams p = pool_params(node, ctx.out(0).shape());
        const float* in0 = ctx.in(0).data<float>();
        if (is_max) {
          const float* dy = ctx.in(1).data<float>();
          reference ? kernels::max_pool2d_backward_reference(p, in0, dy, dx)
                    : kernels::max_pool2d_backward(p, in0, dy, dx, ctx.pool);
        } else {
          reference ? kernels::avg_pool2d_backward_reference(p, in0, dx)
                    : kernels::avg_pool2d_backward(p, in0, dx, ctx.pool);
        }
      });
    };
  };
  def.impls.push_back({"pool2d", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
  return def;
}

OpDef make_max_pool() {
  return with_gradient(make_window_pool("MaxPool", true), max_pool_gradient);
}
OpDef make_average_pool() {
  return with_gradient(make_window_pool("AveragePool", false), average_pool_gradient);
}
OpDef make_global_average_pool() {
  return with_gradient(make_global_pool("GlobalAveragePool", false), global_average_pool_gradient);
}
OpDef make_max_pool_grad() { return make_pool_grad("MaxPoolGrad", true); }
OpDef make_average_pool_grad() { return make_pool_grad("AveragePoolGrad", false); }
OpDef make_global_max_pool() { return make_global_pool("GlobalMaxPool", true); }

}  // namespace
SINTER_REGISTER_OP(make_max_pool);
SINTER_REGISTER_OP(make_average_pool);
SINTER_REGISTER_OP(make_global_average_pool);
SINTER_REGISTER_OP(make_global_max_pool);
SINTER_REGISTER_OP(make_max_pool_grad);
SINTER_REGISTER_OP(make_average_pool_grad);
}  // namespace sinter
