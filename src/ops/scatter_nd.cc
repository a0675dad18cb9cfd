// ScatterND: indices of shape [..., k] name k-dim prefixes of data, each the start of a slice of
// data.shape[k:] that the matching slice of updates replaces or is combined with
// (ops/scatter_reduction.h). Slices apply in order, so repeated indices end deterministically.
#include "ops/data_movement_util.h"
#include "ops/scatter_reduction.h"

namespace sinter {
namespace {

void infer_scatter_nd(InferContext& ic) {
  const ValueType& data = ic.input(0);
  const ValueType& idx = ic.input(1);
  const ValueType& upd = ic.input(2);
  if (idx.dtype != DType::kInt64 && idx.dtype != DType::kInt32)
    ic.fail(cat("input 'indices' must be int64 or int32, not ", dtype_name(idx.dtype)));
  if (upd.dtype != data.dtype)
    ic.fail(cat("input 'updates' has type ", dtype_name(upd.dtype), ", input 'data' has ",
                dtype_name(data.dtype)));
  scatter_reduction(ic.node, ic.opset);
  if (!data.has_shape) {
    movement::set_output_rank_unknown(ic, 0, data.dtype);
    return;
  }
  if (data.shape.empty()) ic.fail("cannot scatter into a scalar");
  if (idx.has_shape) {
    if (idx.shape.empty()) ic.fail("input 'indices' must have rank 1 or more, not a scalar");
    const int64_t k = idx.shape.back();
    if (k > static_cast<int64_t>(data.shape.size()))
      ic.fail(cat("input 'indices' ", shape_str(idx.shape), " indexes ", k,
                  " dims, more than input 'data' ", shape_str(data.shape), " has"));
    if (k >= 0 && upd.has_shape) {
      Shape want(idx.shape.begin(), idx.shape.end() - 1);
      want.insert(want.end(), data.shape.begin() + k, data.shape.end());
      if (shape_is_static(want) && shape_is_static(upd.shape) && want != upd.shape)
        ic.fail(cat("input 'updates' ", shape_str(upd.shape), " must have shape ", shape_str(want),
                    " for input 'data' ", shape_str(data.shape), " and input 'indices' ",
                    shape_str(idx.shape)));
    }
  }
  ic.set_output(0, data.dtype, data.shape);
}

// Element offset in data of each index tuple; an index out of range is an InputError.
std::vector<int64_t> slice_offsets(const Tensor& indices, const Shape& data,
                                   const std::string& who) {
  const std::vector<int64_t> idx = indices.to_int64_vector();
  const size_t k = static_cast<size_t>(indices.shape().back());
  const std::vector<int64_t> strides = shape_strides(data);
  const Shape& ishape = indices.shape();
  const int64_t tuples = shape_numel(Shape(ishape.begin(), ishape.end() - 1));
  std::vector<int64_t> offsets(static_cast<size_t>(tuples), 0);
  for (int64_t t = 0; t < tuples; ++t)
    for (size_t d = 0; d < k; ++d) {
      const int64_t i = idx[static_cast<size_t>(t) * k + d];
      if (i < -data[d] || i >= data[d])
        throw InputError(cat(who, ": input 'indices' holds ", i, ", out of range for axis ", d,
                             " of size ", data[d]));
      offsets[static_cast<size_t>(t)] += (i < 0 ? i + data[d] : i) * strides[d];
    }
  return offsets;
}

std::unique_ptr<Kernel> make_scatter_nd_kernel(const KernelInfo& ki) {
  const ScatterReduction reduction = scatter_reduction(ki.node, ki.opset);
  const std::string who = ki.node.describe();
  return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
    const Tensor& data = ctx.in(0);
    const Tensor& indices = ctx.in(1);
    const Tensor& updates = ctx.in(2);
    Tensor& out = ctx.out(0);
    if (out.raw() != data.raw() && data.nbytes()) std::memcpy(out.raw(), data.raw(), data.nbytes());
    const auto k = static_cast<size_t>(indices.shape().back());
    const int64_t slice = shape_numel(Shape(data.shape().begin() + k, data.shape().end()));
    const std::vector<int64_t> offsets = slice_offsets(indices, data.shape(), who);
    if (updates.numel() != static_cast<int64_t>(offsets.size()) * slice)
      throw InputError(cat(who, ": input 'updates' ", shape_str(updates.shape()),
                           " does not match input 'indices' ", shape_str(indices.shape())));
    if (reduction == ScatterReduction::kNone) {
      const size_t bytes = static_cast<size_t>(slice) * dtype_size(data.dtype());
      const auto* src = static_cast<const std::byte*>(updates.raw());
      auto* dst = static_cast<std::byte*>(out.raw());
      const size_t esize = dtype_size(data.dtype());
      for (size_t s = 0; s < offsets.size(); ++s)
        std::memcpy(dst + offsets[s] * esize, src + s * bytes, bytes);
      return;
    }
    movement::dispatch_numeric(data.dtype(), who, [&](auto zero) {
      using T = decltype(zero);
      const T* src = static_cast<const T*>(updates.raw());
      T* dst = static_cast<T*>(out.raw());
      for (size_t s = 0; s < offsets.size(); ++s)
        for (int64_t e = 0; e < slice; ++e)
          scatter_combine(reduction, dst[offsets[s] + e], src[static_cast<int64_t>(s) * slice + e]);
    });
  });
}

OpDef make_scatter_nd() {
  OpDef def;
  def.type = "ScatterND";
  def.since_opset = 11;
  def.infer = infer_scatter_nd;
  def.impls.push_back({"generic", nullptr, make_scatter_nd_kernel});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_scatter_nd);
}  // namespace sinter
