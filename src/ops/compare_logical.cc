// Comparison and logical ops with numpy broadcasting and bool outputs: Equal, Less, Greater,
// LessOrEqual, GreaterOrEqual, And, Or, Xor, and the unary Not. One family, one file.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

enum class Cmp { kEqual, kLess, kGreater, kLessEq, kGreaterEq, kAnd, kOr, kXor };

template <class T>
bool apply(Cmp op, T a, T b) {
  switch (op) {
    case Cmp::kEqual:
      return a == b;
    case Cmp::kLess:
      return a < b;
    case Cmp::kGreater:
      return a > b;
    case Cmp::kLessEq:
      return a <= b;
    case Cmp::kGreaterEq:
      return a >= b;
    case Cmp::kAnd:
      return a && b;
    case Cmp::kOr:
      return a || b;
    case Cmp::kXor:
      return static_cast<bool>(a) != static_cast<bool>(b);
  }
  return false;
}

template <class T>
void compare(Cmp op, const T* a, const T* b, bool* out, const Shape& shape,
             const std::array<std::vector<int64_t>, 2>& strides) {
  movement::for_each_broadcast<2>(shape, strides,
                                  [&](int64_t o, const std::array<int64_t, 2>& off) {
                                    out[o] = apply(op, a[off[0]], b[off[1]]);
                                  });
}

OpDef make_binary(const char* type, Cmp op, int since, bool logical) {
  OpDef def;
  def.type = type;
  def.since_opset = since;
  def.infer = [logical](InferContext& ic) {
    const ValueType &a = ic.input(0), &b = ic.input(1);
    if (a.dtype != b.dtype)
      ic.fail(
          cat("inputs have different dtypes ", dtype_name(a.dtype), " and ", dtype_name(b.dtype)));
    if (logical && a.dtype != DType::kBool)
      ic.fail(cat("inputs must be bool, not ", dtype_name(a.dtype)));
    if (!a.has_shape || !b.has_shape) {
      movement::set_output_rank_unknown(ic, 0, DType::kBool);
      return;
    }
    ic.set_output(0, DType::kBool, movement::broadcast_in(ic, a.shape, b.shape));
  };
  def.impls.push_back({"generic", nullptr, [op](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([op, who](KernelContext& ctx) {
                           const Tensor &a = ctx.in(0), &b = ctx.in(1);
                           Tensor& y = ctx.out(0);
                           std::array<std::vector<int64_t>, 2> st = {
                               movement::broadcast_strides(a.shape(), y.shape()),
                               movement::broadcast_strides(b.shape(), y.shape())};
                           movement::dispatch_numeric(a.dtype(), who, [&](auto t) {
                             using T = decltype(t);
                             compare(op, static_cast<const T*>(a.raw()),
                                     static_cast<const T*>(b.raw()), y.data<bool>(), y.shape(), st);
                           });
                         });
                       }});
  return def;
}

OpDef make_not() {
  OpDef def;
  def.type = "Not";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (x.dtype != DType::kBool) ic.fail(cat("input must be bool, not ", dtype_name(x.dtype)));
    ic.output(0) = x;
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const bool* x = ctx.in(0).data<bool>();
                           bool* y = ctx.out(0).data<bool>();
                           for (int64_t i = 0; i < ctx.in(0).numel(); ++i) y[i] = !x[i];
                         });
                       }});
  return def;
}

OpDef make_equal() { return make_binary("Equal", Cmp::kEqual, 1, false); }
OpDef make_less() { return make_binary("Less", Cmp::kLess, 1, false); }
OpDef make_greater() { return make_binary("Greater", Cmp::kGreater, 1, false); }
OpDef make_less_equal() { return make_binary("LessOrEqual", Cmp::kLessEq, 12, false); }
OpDef make_greater_equal() { return make_binary("GreaterOrEqual", Cmp::kGreaterEq, 12, false); }
OpDef make_and() { return make_binary("And", Cmp::kAnd, 1, true); }
OpDef make_or() { return make_binary("Or", Cmp::kOr, 1, true); }
OpDef make_xor() { return make_binary("Xor", Cmp::kXor, 1, true); }

}  // namespace
SINTER_REGISTER_OP(make_equal);
SINTER_REGISTER_OP(make_less);
SINTER_REGISTER_OP(make_greater);
SINTER_REGISTER_OP(make_less_equal);
SINTER_REGISTER_OP(make_greater_equal);
SINTER_REGISTER_OP(make_and);
SINTER_REGISTER_OP(make_or);
SINTER_REGISTER_OP(make_xor);
SINTER_REGISTER_OP(make_not);
}  // namespace sinter
