// Range: start, start+delta, ... up to (not including) limit; the length depends on the values,
// so the output shape is exact only when all three are known at compile time.
#include <cmath>
#include <limits>
#include <sstream>

#include "ops/data_movement_util.h"

namespace sinter {
namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

// ceil((limit - start) / delta), at least 0. Integers are computed exactly (their difference may
// not fit int64), floats in double and checked before the cast, which is undefined for NaN and
// for values beyond int64.
int64_t range_length(const InferContext& ic, const Tensor& start, const Tensor& limit,
                     const Tensor& delta) {
  const auto inputs = [&] {
    auto show = [&](const Tensor& t) {
      if (!is_float(t.dtype())) return cat(t.to_int64_vector()[0]);
      std::ostringstream s;  // 1e+30 and nan, not 1000000015047466219876688855040.000000
      s << t.value_as_double(0);
      return s.str();
    };
    return cat("inputs 'start' = ", show(start), ", 'limit' = ", show(limit),
               ", 'delta' = ", show(delta));
  };
  if (delta.value_as_double(0) == 0)
    throw InputError(cat(ic.node.describe(), ": input 'delta' must not be 0"));
  if (is_float(start.dtype())) {
    const double s = start.value_as_double(0), l = limit.value_as_double(0),
                 d = delta.value_as_double(0);
    if (!std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      ic.fail(cat(inputs(), " must be finite"));
    const double n = std::ceil((l - s) / d);
    if (n <= 0) return 0;
    if (!(n < 0x1p63)) ic.fail(cat(inputs(), " give more than 2^63 elements"));
    return static_cast<int64_t>(n);
  }
  const __int128 diff =
      static_cast<__int128>(limit.to_int64_vector()[0]) - start.to_int64_vector()[0];
  const int64_t d = delta.to_int64_vector()[0];
  const __int128 n = diff / d + (diff % d != 0 && (diff > 0) == (d > 0));
  if (n <= 0) return 0;
  if (n > std::numeric_limits<int64_t>::max())
    ic.fail(cat(inputs(), " give more than 2^63 elements"));
  return static_cast<int64_t>(n);
}

OpDef make_range() {
  OpDef def;
  def.type = "Range";
  def.since_opset = 11;
  def.infer = [](InferContext& ic) {
    DType dt = ic.input(0).dtype;
    for (size_t i = 0; i < 3; ++i) {
      const ValueType& t = ic.input(i);
      if (t.dtype != dt) ic.fail("start, limit and delta must have the same dtype");
      if (t.has_shape && shape_numel(t.shape) != 1) ic.fail(cat("input ", i, " must be a scalar"));
    }
    if (dt == DType::kBool || dt == DType::kFloat16)
      ic.fail(cat("dtype ", dtype_name(dt), " is not supported"));
    const Tensor *s = ic.value(0), *l = ic.value(1), *d = ic.value(2);
    const Shape out = {s && l && d ? range_length(ic, *s, *l, *d) : -1};
    movement::require_addressable(ic, "inputs 'start', 'limit' and 'delta'", out, dt);
    ic.set_output(0, dt, out);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([who](KernelContext& ctx) {
                           Tensor& y = ctx.out(0);
                           movement::dispatch_numeric(y.dtype(), who, [&](auto t) {
                             using T = decltype(t);
                             T start = *static_cast<const T*>(ctx.in(0).raw());
                             T delta = *static_cast<const T*>(ctx.in(2).raw());
                             T* out = static_cast<T*>(y.raw());
                             // Accumulated, as the spec's loop body and ONNX Runtime do; no
                             // step past the last element, which could overflow an integer.
                             T v = start;
                             for (int64_t i = 0; i < y.numel(); ++i) {
                               out[i] = v;
                               if (i + 1 < y.numel()) v = static_cast<T>(v + delta);
                             }
                           });
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_range);
}  // namespace sinter
