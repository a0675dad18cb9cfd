// Where: elementwise condition ? X : Y with three-way broadcasting; copies bytes for any dtype.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

template <size_t kBytes>
void select(const bool* c, const std::byte* x, const std::byte* y, std::byte* out,
            const Shape& shape, const std::array<std::vector<int64_t>, 3>& strides) {
  movement::for_each_broadcast<3>(
      shape, strides, [&](int64_t o, const std::array<int64_t, 3>& off) {
        const std::byte* from = c[off[0]] ? x + off[1] * kBytes : y + off[2] * kBytes;
        std::memcpy(out + o * kBytes, from, kBytes);
      });
}

OpDef make_where() {
  OpDef def;
  def.type = "Where";
  def.since_opset = 9;
  def.infer = [](InferContext& ic) {
    const ValueType &c = ic.input(0), &x = ic.input(1), &y = ic.input(2);
    if (c.dtype != DType::kBool) ic.fail(cat("condition must be bool, not ", dtype_name(c.dtype)));
    if (x.dtype != y.dtype)
      ic.fail(cat("X is ", dtype_name(x.dtype), " but Y is ", dtype_name(y.dtype)));
    if (!c.has_shape || !x.has_shape || !y.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    ic.set_output(
        0, x.dtype,
        movement::broadcast_in(ic, movement::broadcast_in(ic, c.shape, x.shape), y.shape));
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([who](KernelContext& ctx) {
                           const Tensor &c = ctx.in(0), &x = ctx.in(1), &y = ctx.in(2);
                           Tensor& out = ctx.out(0);
                           const Shape& s = out.shape();
                           std::array<std::vector<int64_t>, 3> st = {
                               movement::broadcast_strides(c.shape(), s),
                               movement::broadcast_strides(x.shape(), s),
                               movement::broadcast_strides(y.shape(), s)};
                           const bool* cp = static_cast<const bool*>(c.raw());
                           const auto* xp = static_cast<const std::byte*>(x.raw());
                           const auto* yp = static_cast<const std::byte*>(y.raw());
                           auto* op = static_cast<std::byte*>(out.raw());
                           switch (dtype_size(x.dtype())) {
                             case 1:
                               return select<1>(cp, xp, yp, op, s, st);
                             case 2:
                               return select<2>(cp, xp, yp, op, s, st);
                             case 4:
                               return select<4>(cp, xp, yp, op, s, st);
                             case 8:
                               return select<8>(cp, xp, yp, op, s, st);
                           }
                           throw UnsupportedError(cat(who, ": unsupported element size"));
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_where);
}  // namespace sinter
