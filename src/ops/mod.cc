// Mod with numpy broadcasting. fmod = 0 (integers only) gives the remainder with the divisor's
// sign, as Python's %; fmod = 1 gives it the dividend's sign, as C's fmod and integer %.
// float16 runs in float32: fmod's result is exact, so rounding it back to half changes nothing.
#include <cmath>
#include <type_traits>

#include "core/float16.h"
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

template <class T>
T remainder_of(T a, T b, bool fmod, const std::string& who) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else {
    if (b == 0) throw InputError(cat(who, ": integer Mod by zero"));
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return 0;  // the smallest value % -1 overflows in C++
      const T r = static_cast<T>(a % b);
      return !fmod && r != 0 && ((r < 0) != (b < 0)) ? static_cast<T>(r + b) : r;
    } else {
      return static_cast<T>(a % b);
    }
  }
}

bool mod_dtype(DType t) {
  switch (t) {
    case DType::kFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kInt8:
    case DType::kUint8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
      return true;
    default:
      return false;
  }
}

void broadcast_mod(const Tensor& a, const Tensor& b, Tensor& y, bool fmod, const std::string& who) {
  const std::array<std::vector<int64_t>, 2> strides = {
      movement::broadcast_strides(a.shape(), y.shape()),
      movement::broadcast_strides(b.shape(), y.shape())};
  movement::dispatch_numeric(a.dtype(), who, [&](auto zero) {
    using T = decltype(zero);
    const T* pa = static_cast<const T*>(a.raw());
    const T* pb = static_cast<const T*>(b.raw());
    T* py = static_cast<T*>(y.raw());
    movement::for_each_broadcast<2>(y.shape(), strides, [&](int64_t o, const auto& off) {
      py[o] = remainder_of(pa[off[0]], pb[off[1]], fmod, who);
    });
  });
}

Tensor widen_half(const Tensor& h) {
  Tensor f(DType::kFloat32, h.shape());
  const auto* p = static_cast<const uint16_t*>(h.raw());
  for (int64_t i = 0; i < h.numel(); ++i) f.data<float>()[i] = half_to_float(p[i]);
  return f;
}

OpDef make_mod() {
  OpDef def;
  def.type = "Mod";
  def.since_opset = 10;
  def.infer = [](InferContext& ic) {
    const ValueType& a = ic.input(0);
    const ValueType& b = ic.input(1);
    if (!mod_dtype(a.dtype))
      throw UnsupportedError(
          cat(ic.node.describe(), ": input type ", dtype_name(a.dtype), " is not supported"));
    if (b.dtype != a.dtype)
      ic.fail(cat("input 1 has type ", dtype_name(b.dtype), ", input 0 has ", dtype_name(a.dtype)));
    const bool fmod = ic.node.attr_int_in("fmod", 0, 0, 1) != 0;
    if (!fmod &&
        (a.dtype == DType::kFloat16 || a.dtype == DType::kFloat32 || a.dtype == DType::kFloat64))
      ic.fail(cat("attribute 'fmod' must be 1 for ", dtype_name(a.dtype), " inputs"));
    if (!a.has_shape || !b.has_shape) {
      movement::set_output_rank_unknown(ic, 0, a.dtype);
      return;
    }
    ic.set_output(0, a.dtype, movement::broadcast_in(ic, a.shape, b.shape));
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const bool fmod = ki.node.attr_int("fmod", 0) != 0;
                         const std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
                           const Tensor& a = ctx.in(0);
                           const Tensor& b = ctx.in(1);
                           Tensor& y = ctx.out(0);
                           if (a.dtype() != DType::kFloat16)
                             return broadcast_mod(a, b, y, fmod, who);
                           Tensor y32(DType::kFloat32, y.shape());
                           broadcast_mod(widen_half(a), widen_half(b), y32, fmod, who);
                           auto* h = static_cast<uint16_t*>(y.raw());
                           for (int64_t i = 0; i < y.numel(); ++i)
                             h[i] = float_to_half(y32.data<float>()[i]);
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_mod);
}  // namespace sinter
