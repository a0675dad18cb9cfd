// BatchNormalization (inference form), InstanceNormalization, GroupNormalization and
// LayerNormalization. BatchNorm is y = x * a + b with a and b per channel from the running stats;
// the others normalize rows of X by their own statistics: each image's channel (instance), group
// of channels (group) or trailing axes (layer).
#include <algorithm>
#include <cmath>
#include <functional>

#include "kernels/norm/row_norm.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

void require_float(InferContext& ic, size_t i) {
  if (ic.input(i).dtype != DType::kFloat32)
    throw UnsupportedError(cat(ic.node.describe(), ": ", "input ", i, " must be float32, got ",
                               dtype_name(ic.input(i).dtype)));
}

// Checks that input i is a vector of `channels` values (when both are known).
void require_per_channel(InferContext& ic, size_t i, int64_t channels, const char* what) {
  const ValueType& t = ic.input(i);
  if (!t.has_shape || channels < 0) return;
  if (t.shape.size() != 1 || (t.shape[0] >= 0 && t.shape[0] != channels))
    ic.fail(cat(what, " must have shape [", channels, "], got ", shape_str(t.shape)));
}

// y[n, c, ...] = x[n, c, ...] * a[c] + b[c] over `spatial` elements per (n, c).
void apply_channel_affine(const float* x, float* y, int64_t batch, int64_t channels,
                          int64_t spatial, const float* a, const float* b, ThreadPool* pool) {
  pool->parallel_range(batch * channels,
                       std::max<int64_t>(1, 16384 / std::max<int64_t>(spatial, 1)),
                       [&](int64_t begin, int64_t end, int) {
                         for (int64_t nc = begin; nc < end; ++nc) {
                           const float s = a[nc % channels], t = b[nc % channels];
                           const float* xp = x + nc * spatial;
                           float* yp = y + nc * spatial;
                           for (int64_t i = 0; i < spatial; ++i) yp[i] = xp[i] * s + t;
                         }
                       });
}

int64_t spatial_size(const Shape& s) {
  int64_t n = 1;
  for (size_t i = 2; i < s.size(); ++i) n *= s[i];
  return n;
}

OpDef make_batch_normalization() {
  OpDef def;
  def.type = "BatchNormalization";
  def.since_opset = 7;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    for (size_t i = 0; i < 5; ++i) require_float(ic, i);
    if (ic.node.attr_int("training_mode", 0) != 0)
      throw UnsupportedError(cat(ic.node.describe(), ": training_mode=1 is not supported"));
    for (size_t i = 1; i < ic.node.outputs.size(); ++i)
      if (!ic.node.outputs[i].empty())
        throw UnsupportedError(cat(ic.node.describe(),
                                   ": training outputs (running mean/var, saved stats) are not "
                                   "supported"));
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    if (x.shape.size() < 2) ic.fail(cat("input must have rank >= 2, got ", shape_str(x.shape)));
    if (ic.opset < 9 && ic.node.attr_int("spatial", 1) == 0)
      throw UnsupportedError(cat(ic.node.describe(), ": spatial=0 is not supported"));
    const char* names[] = {"", "scale", "B", "mean", "var"};
    for (size_t i = 1; i < 5; ++i) require_per_channel(ic, i, x.shape[1], names[i]);
    ic.set_output(0, DType::kFloat32, x.shape);
  };
  def.flops = [](const KernelInfo& ki) { return 2.0 * shape_numel(ki.outputs[0].shape); };
  def.impls.push_back(
      {"channel_affine", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         const float eps = ki.node.attr_float("epsilon", 1e-5f);
         return std::make_unique<FunctionKernel>([eps](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           const int64_t channels = x.dim(1);
           std::vector<float> a(channels), b(channels);
           const float* scale = ctx.in(1).data<float>();
           const float* bias = ctx.in(2).data<float>();
           const float* mean = ctx.in(3).data<float>();
           const float* var = ctx.in(4).data<float>();
           for (int64_t c = 0; c < channels; ++c) {
             a[c] = scale[c] / std::sqrt(var[c] + eps);
             b[c] = bias[c] - mean[c] * a[c];
           }
           apply_channel_affine(x.data<float>(), ctx.out(0).data<float>(), x.dim(0), channels,
                                spatial_size(x.shape()), a.data(), b.data(), ctx.pool);
         });
       }});
  return def;
}

// InstanceNormalization, GroupNormalization and LayerNormalization normalize rows
// (kernels/norm/row_norm). Scale and bias arrive at run time; LayerNorm's may broadcast, and are
// then spread to one value per column first.

// The element of the scale and bias inputs each column takes; empty when the input already holds
// one value per index.
struct AffineIndex {
  std::vector<int64_t> scale, bias;
};

class RowNormKernel : public Kernel {
 public:
  RowNormKernel(kernels::RowNormParams p, bool reference, AffineIndex index)
      : p_(p), reference_(reference), index_(std::move(index)) {}

  void run(KernelContext& ctx) override {
    const float* scale = spread(ctx.in(1), index_.scale, scale_);
    const float* bias = ctx.has_in(2) ? spread(ctx.in(2), index_.bias, bias_) : nullptr;
    const float* x = ctx.in(0).data<float>();
    float* y = ctx.out(0).data<float>();
    float* mean = optional_output(ctx, 1);
    float* inv_std = optional_output(ctx, 2);
    if (reference_) {
      kernels::normalize_rows_reference(p_, x, scale, bias, y, mean, inv_std);
    } else {
      kernels::normalize_rows(p_, x, scale, bias, y, mean, inv_std, ctx.pool);
    }
  }

 private:
  static float* optional_output(KernelContext& ctx, size_t i) {
    return i < ctx.outputs.size() && ctx.outputs[i] ? ctx.out(i).data<float>() : nullptr;
  }
  static const float* spread(const Tensor& t, const std::vector<int64_t>& index,
                             std::vector<float>& buffer) {
    if (index.empty()) return t.data<float>();
    buffer.resize(index.size());
    for (size_t i = 0; i < index.size(); ++i) buffer[i] = t.data<float>()[index[i]];
    return buffer.data();
  }

  kernels::RowNormParams p_;
  bool reference_;
  AffineIndex index_;
  std::vector<float> scale_, bias_;
};

// Adds the row-normalization kernel and its reference oracle; `params` and `index` read the
// node at plan time.
void add_row_norm_kernels(OpDef& def,
                          std::function<kernels::RowNormParams(const KernelInfo&)> params,
                          std::function<AffineIndex(const KernelInfo&)> index = nullptr) {
  auto make = [params, index](bool reference) {
    return [params, index, reference](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
      return std::make_unique<RowNormKernel>(params(ki), reference,
                                             index ? index(ki) : AffineIndex{});
    };
  };
  def.flops = [](const KernelInfo& ki) { return 5.0 * shape_numel(ki.outputs[0].shape); };
  def.impls.push_back({"row_norm", nullptr, make(false)});
  def.reference = KernelImpl{"reference", nullptr, make(true)};
}

OpDef make_instance_normalization() {
  OpDef def;
  def.type = "InstanceNormalization";
  def.since_opset = 6;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    for (size_t i = 0; i < 3; ++i) require_float(ic, i);
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    if (x.shape.size() < 3) ic.fail(cat("input must have rank >= 3, got ", shape_str(x.shape)));
    require_per_channel(ic, 1, x.shape[1], "scale");
    require_per_channel(ic, 2, x.shape[1], "B");
    ic.set_output(0, DType::kFloat32, x.shape);
  };
  add_row_norm_kernels(def, [](const KernelInfo& ki) {
    const Shape& x = ki.inputs[0].shape;
    kernels::RowNormParams p;
    p.rows = x[0] * x[1];
    p.cols = spatial_size(x);
    p.epsilon = ki.node.attr_float("epsilon", 1e-5f);
    p.per_column = false;
    p.period = x[1];
    return p;
  });
  return def;
}

// The statistics are computed in double whatever stash_type asks; Mean and InvStdDev, typed by
// it, exist here in float32 only.
void require_float_stash(InferContext& ic) {
  const int64_t stash = ic.node.attr_int("stash_type", 1);
  bool stats = false;
  for (size_t i = 1; i < ic.node.outputs.size(); ++i) stats |= !ic.node.outputs[i].empty();
  const bool floating = stash == 1 || stash == 10 || stash == 11 || stash == 16;
  if (!floating) ic.fail(cat("attribute 'stash_type' = ", stash, " is not a floating-point type"));
  if (stash != 1 && stats)
    throw UnsupportedError(cat(ic.node.describe(), ": stash_type=", stash,
                               " with Mean or InvStdDev outputs (only float32 is supported)"));
}

// Opset 18 scales and shifts each group (scale and bias of [num_groups]); opset 21, which
// replaced it, each channel ([C]).
bool per_channel_affine(int64_t opset) { return opset >= 21; }

OpDef make_group_normalization() {
  OpDef def;
  def.type = "GroupNormalization";
  def.since_opset = 18;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    for (size_t i = 0; i < 3; ++i) require_float(ic, i);
    require_float_stash(ic);
    if (!ic.node.has_attr("num_groups")) ic.fail("missing required attribute 'num_groups'");
    const int64_t groups = ic.node.attr_int("num_groups", 0);
    if (groups < 1) ic.fail(cat("attribute 'num_groups' = ", groups, " must be positive"));
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    if (x.shape.size() < 2) ic.fail(cat("input must have rank >= 2, got ", shape_str(x.shape)));
    const int64_t channels = x.shape[1];
    if (channels >= 0 && channels % groups != 0)
      ic.fail(
          cat("attribute 'num_groups' = ", groups, " does not divide the ", channels, " channels"));
    const int64_t affine = per_channel_affine(ic.opset) ? channels : groups;
    require_per_channel(ic, 1, affine, "scale");
    require_per_channel(ic, 2, affine, "bias");
    ic.set_output(0, DType::kFloat32, x.shape);
  };
  add_row_norm_kernels(def, [](const KernelInfo& ki) {
    const Shape& x = ki.inputs[0].shape;
    const int64_t groups = ki.node.attr_int("num_groups", 1);
    kernels::RowNormParams p;
    p.rows = x[0] * groups;
    p.cols = x[1] / groups * spatial_size(x);
    p.epsilon = ki.node.attr_float("epsilon", 1e-5f);
    p.per_column = false;
    p.period = groups;
    p.segments = per_channel_affine(ki.opset) ? x[1] / groups : 1;
    return p;
  });
  return def;
}

// Numpy-style unidirectional broadcast of a scale/bias to the normalized shape: the element of
// `from` each element of `to` takes, or nothing when the shapes hold the same elements.
std::vector<int64_t> broadcast_index(const Shape& from, const Shape& to) {
  if (shape_numel(from) == shape_numel(to)) return {};
  std::vector<int64_t> idx(shape_numel(to));
  auto from_strides = shape_strides(from);
  auto to_strides = shape_strides(to);
  const size_t off = to.size() - from.size();
  for (int64_t i = 0; i < static_cast<int64_t>(idx.size()); ++i) {
    int64_t src = 0;
    for (size_t d = off; d < to.size(); ++d) {
      int64_t coord = (i / to_strides[d]) % to[d];
      if (from[d - off] != 1) src += coord * from_strides[d - off];
    }
    idx[i] = src;
  }
  return idx;
}

int64_t layer_norm_axis(const Node& node, int64_t rank) {
  const int64_t axis = node.attr_int("axis", -1);
  return axis < 0 ? axis + rank : axis;
}

// The mean over `axes`, kept as 1s (ReduceMean takes its axes as an input from opset 18).
std::string mean_over(GradientContext& g, const std::string& v, const std::vector<int64_t>& axes) {
  if (g.opset() < 18) return g.emit("ReduceMean", {v}, {{"axes", axes}, {"keepdims", int64_t{1}}});
  const Tensor list = Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes);
  return g.emit("ReduceMean", {v, g.constant(list)}, {{"keepdims", int64_t{1}}});
}

// With x^ = (x - mean) * inv_std and dx^ = dy * scale, over the normalized axes:
// dx = inv_std * (dx^ - mean(dx^) - x^ * mean(dx^ * x^)); dscale and dB are dy * x^ and dy summed
// down to their shapes. x^ and inv_std come from the forward op run again with a scale of ones.
void layer_norm_gradient(GradientContext& g) {
  if (!g.output_grad(1).empty() || !g.output_grad(2).empty())
    g.unsupported("the Mean and InvStdDev outputs");
  const Shape& x = g.input_type(0).shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  const int64_t axis = layer_norm_axis(g.node(), rank);
  const Shape norm(x.begin() + axis, x.end());
  std::vector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d) axes.push_back(d);
  std::map<std::string, Attribute> attrs = {{"axis", axis}};
  if (g.node().has_attr("epsilon")) attrs["epsilon"] = g.node().attrs.at("epsilon");
  Tensor ones(DType::kFloat32, norm);
  std::fill(ones.data<float>(), ones.data<float>() + ones.numel(), 1.0f);
  const std::vector<std::string> stats = g.emit_outputs(
      "LayerNormalization", "", {g.input(0), g.constant(ones)}, attrs, {"xhat", "", "inv_std"});
  const std::string &xhat = stats[0], &inv_std = stats[2], &dy = g.output_grad(0);
  if (g.wants(0)) {
    const std::string dxhat = g.emit("Mul", {dy, g.input(1)});
    const std::string centered = g.emit("Sub", {dxhat, mean_over(g, dxhat, axes)});
    const std::string along =
        g.emit("Mul", {xhat, mean_over(g, g.emit("Mul", {dxhat, xhat}), axes)});
    g.set_input_grad(0, g.emit("Mul", {inv_std, g.emit("Sub", {centered, along})}));
  }
  if (g.wants(1))
    g.set_input_grad(1, g.unbroadcast(g.emit("Mul", {dy, xhat}), x, g.input_type(1).shape));
  if (g.node().has_input(2) && g.wants(2))
    g.set_input_grad(2, g.unbroadcast(dy, x, g.input_type(2).shape));
}

OpDef make_layer_normalization() {
  OpDef def;
  def.type = "LayerNormalization";
  def.since_opset = 17;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    require_float(ic, 0);
    require_float(ic, 1);
    if (ic.has_input(2)) require_float(ic, 2);
    require_float_stash(ic);
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    const int64_t attr = ic.node.attr_int("axis", -1);
    if (attr < -rank || attr >= rank)
      ic.fail(cat("attribute 'axis' = ", attr, " is out of range for rank ", rank));
    const int64_t axis = layer_norm_axis(ic.node, rank);
    Shape norm(x.shape.begin() + axis, x.shape.end());
    for (size_t i = 1; i < 3; ++i) {
      if (!ic.has_input(i) || !ic.input(i).has_shape) continue;
      const Shape& s = ic.input(i).shape;
      bool ok = s.size() <= norm.size();
      for (size_t d = 0; ok && d < s.size(); ++d) {
        int64_t target = norm[norm.size() - s.size() + d];
        ok = s[d] == 1 || s[d] == target || s[d] < 0 || target < 0;
      }
      if (!ok)
        ic.fail(cat(i == 1 ? "Scale " : "B ", shape_str(s),
                    " does not broadcast to the normalized shape ", shape_str(norm)));
    }
    ic.set_output(0, DType::kFloat32, x.shape);
    Shape stat = x.shape;
    for (int64_t d = axis; d < rank; ++d) stat[d] = 1;
    for (size_t i = 1; i < 3 && i < ic.node.outputs.size(); ++i)
      if (!ic.node.outputs[i].empty()) ic.set_output(i, DType::kFloat32, stat);
  };
  auto normalized_shape = [](const KernelInfo& ki) {
    const Shape& x = ki.inputs[0].shape;
    const int64_t axis = layer_norm_axis(ki.node, static_cast<int64_t>(x.size()));
    return Shape(x.begin() + axis, x.end());
  };
  add_row_norm_kernels(
      def,
      [normalized_shape](const KernelInfo& ki) {
        kernels::RowNormParams p;
        p.cols = shape_numel(normalized_shape(ki));
        p.rows = p.cols ? shape_numel(ki.inputs[0].shape) / p.cols : 0;
        p.epsilon = ki.node.attr_float("epsilon", 1e-5f);
        return p;
      },
      [normalized_shape](const KernelInfo& ki) {
        const Shape norm = normalized_shape(ki);
        AffineIndex index;
        index.scale = broadcast_index(ki.inputs[1].shape, norm);
        if (ki.node.has_input(2)) index.bias = broadcast_index(ki.inputs[2].shape, norm);
        return index;
      });
  def.gradient = layer_norm_gradient;
  return def;
}

// The same in sinter's domain at any opset: what passes/fuse_layer_norm makes of a LayerNorm
// exported as ReduceMean, Sub, Pow, Sqrt and Div (before opset 17).
OpDef make_fused_layer_normalization() {
  OpDef def = make_layer_normalization();
  def.domain = "sinter";
  def.since_opset = 1;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_batch_normalization);
SINTER_REGISTER_OP(make_instance_normalization);
SINTER_REGISTER_OP(make_layer_normalization);
SINTER_REGISTER_OP(make_fused_layer_normalization);
SINTER_REGISTER_OP(make_group_normalization);
}  // namespace sinter
