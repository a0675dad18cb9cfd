// BatchNormalization (inference form), InstanceNormalization and LayerNormalization.
// Each reduces to y = x * a + b with a and b per channel (BatchNorm: from the running stats;
// InstanceNorm: from the statistics of each image and channel) or per normalized row (LayerNorm).
#include <cmath>

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
  def.flops = [](const KernelInfo& ki) { return 4.0 * shape_numel(ki.outputs[0].shape); };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const float eps = ki.node.attr_float("epsilon", 1e-5f);
                         return std::make_unique<FunctionKernel>([eps](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           const int64_t channels = x.dim(1), spatial = spatial_size(x.shape());
                           const float* scale = ctx.in(1).data<float>();
                           const float* bias = ctx.in(2).data<float>();
                           const float* xp = x.data<float>();
                           float* yp = ctx.out(0).data<float>();
                           ctx.pool->parallel_for(x.dim(0) * channels, [&](int64_t nc, int) {
                             const float* row = xp + nc * spatial;
                             double sum = 0, sq = 0;
                             for (int64_t i = 0; i < spatial; ++i) sum += row[i];
                             const double mean = sum / spatial;
                             for (int64_t i = 0; i < spatial; ++i)
                               sq += (row[i] - mean) * (row[i] - mean);
                             const int64_t c = nc % channels;
                             const float a = scale[c] / std::sqrt(float(sq / spatial) + eps);
                             const float b = bias[c] - float(mean) * a;
                             float* out = yp + nc * spatial;
                             for (int64_t i = 0; i < spatial; ++i) out[i] = row[i] * a + b;
                           });
                         });
                       }});
  return def;
}

// Numpy-style unidirectional broadcast of a scale/bias to the normalized shape; returns the
// element step pattern as a flat table when the shapes differ.
std::vector<int64_t> broadcast_index(const Shape& from, const Shape& to) {
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

OpDef make_layer_normalization() {
  OpDef def;
  def.type = "LayerNormalization";
  def.since_opset = 17;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    require_float(ic, 0);
    require_float(ic, 1);
    if (ic.has_input(2)) require_float(ic, 2);
    if (ic.node.attr_int("stash_type", 1) != 1)
      throw UnsupportedError(cat(ic.node.describe(), ": only stash_type=1 (float) is supported"));
    if (!x.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = ic.node.attr_int("axis", -1);
    if (axis < -rank || axis >= rank)
      ic.fail(cat("attribute 'axis' = ", axis, " is out of range for rank ", rank));
    if (axis < 0) axis += rank;
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
  def.flops = [](const KernelInfo& ki) { return 5.0 * shape_numel(ki.outputs[0].shape); };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const float eps = ki.node.attr_float("epsilon", 1e-5f);
                         const Shape& xs = ki.inputs[0].shape;
                         const int64_t rank = static_cast<int64_t>(xs.size());
                         const int64_t axis = normalize_axis(ki.node.attr_int("axis", -1), rank);
                         Shape norm(xs.begin() + axis, xs.end());
                         std::vector<int64_t> scale_idx = broadcast_index(ki.inputs[1].shape, norm);
                         std::vector<int64_t> bias_idx;
                         const bool has_bias = ki.node.has_input(2);
                         if (has_bias) bias_idx = broadcast_index(ki.inputs[2].shape, norm);
                         std::vector<bool> want(3, false);
                         for (size_t i = 1; i < 3 && i < ki.node.outputs.size(); ++i)
                           want[i] = !ki.node.outputs[i].empty();
                         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
                           const int64_t cols = shape_numel(norm);
                           const int64_t rows = cols ? ctx.in(0).numel() / cols : 0;
                           const float* x = ctx.in(0).data<float>();
                           const float* scale = ctx.in(1).data<float>();
                           const float* bias = has_bias ? ctx.in(2).data<float>() : nullptr;
                           float* y = ctx.out(0).data<float>();
                           float* mean_out = want[1] ? ctx.out(1).data<float>() : nullptr;
                           float* inv_out = want[2] ? ctx.out(2).data<float>() : nullptr;
                           ctx.pool->parallel_for(rows, [&](int64_t r, int) {
                             const float* row = x + r * cols;
                             double sum = 0, sq = 0;
                             for (int64_t i = 0; i < cols; ++i) sum += row[i];
                             const double mean = sum / cols;
                             for (int64_t i = 0; i < cols; ++i)
                               sq += (row[i] - mean) * (row[i] - mean);
                             const float inv = 1.0f / std::sqrt(float(sq / cols) + eps);
                             float* out = y + r * cols;
                             for (int64_t i = 0; i < cols; ++i) {
                               float v = (row[i] - float(mean)) * inv * scale[scale_idx[i]];
                               out[i] = bias ? v + bias[bias_idx[i]] : v;
                             }
                             if (mean_out) mean_out[r] = float(mean);
                             if (inv_out) inv_out[r] = inv;
                           });
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_batch_normalization);
SINTER_REGISTER_OP(make_instance_normalization);
SINTER_REGISTER_OP(make_layer_normalization);
}  // namespace sinter
