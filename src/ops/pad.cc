// Pad: grows (or, with negative pads, crops) every dim. Pads and the constant are attributes
// before opset 11 and inputs from 11; from opset 18 an optional 'axes' input says which dims the
// pads are for (the others are not padded). Modes are constant, reflect, edge and (opset 19) wrap.
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

PadMode pad_mode(const Node& node, int64_t opset) {
  std::string m = node.attr_string("mode", "constant");
  if (m == "wrap" && opset < 19)
    throw ModelError(cat(node.describe(), ": pad mode 'wrap' needs opset 19, not ", opset));
  if (m == "constant") return PadMode::kConstant;
  if (m == "reflect") return PadMode::kReflect;
  if (m == "edge") return PadMode::kEdge;
  if (m == "wrap") return PadMode::kWrap;
  throw UnsupportedError(cat(node.describe(), ": pad mode '", m, "' is not supported"));
}

// Each pad at least crops its whole dim, never more; the sizes are checked to fit int64 so that the
// kernel's coordinates (output index minus pad) cannot overflow.
Shape padded_shape(const InferContext& ic, const std::string& what, const Shape& in,
                   const std::vector<int64_t>& pads) {
  size_t rank = in.size();
  if (pads.size() != 2 * rank)
    ic.fail(cat(what, " has ", pads.size(), " entries for a rank-", rank, " input (needs ",
                2 * rank, ")"));
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (in[d] < 0) {
      out[d] = -1;
      continue;
    }
    for (size_t i : {d, d + rank})
      if (pads[i] < -in[d])
        ic.fail(cat(what, "[", i, "] = ", pads[i], " crops more than dim ", d, " of size ", in[d]));
    out[d] = movement::sized_by(
        ic, what, [&] { return checked_add(checked_add(in[d], pads[d]), pads[d + rank]); });
    if (out[d] < 0)
      ic.fail(cat(what, " (", pads[d], ", ", pads[d + rank], ") crop dim ", d, " of size ", in[d],
                  " below zero"));
  }
  return out;
}

const char* mode_name(PadMode m) {
  switch (m) {
    case PadMode::kConstant:
      return "constant";
    case PadMode::kReflect:
      return "reflect";
    case PadMode::kEdge:
      return "edge";
    case PadMode::kWrap:
      return "wrap";
  }
  return "?";
}

// Source coordinate for output coordinate `o` of a dim of size n padded by `before`, or -1 when
// the output element is the constant.
int64_t source_index(int64_t o, int64_t before, int64_t n, PadMode mode) {
  int64_t c = o - before;
  if (c >= 0 && c < n) return c;
  switch (mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      return std::clamp<int64_t>(c, 0, n - 1);
    case PadMode::kWrap:
      return ((c % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      int64_t period = 2 * (n - 1);
      int64_t m = ((c % period) + period) % period;
      return m < n ? m : period - m;
    }
  }
  return -1;
}

// Opset 18's pads for `axes` only, spread over all `rank` dims (zeros for the others). `fail`
// throws naming the node.
template <class Fail>
std::vector<int64_t> pads_over_axes(const std::vector<int64_t>& pads,
                                    const std::vector<int64_t>& axes, int64_t rank,
                                    const Fail& fail) {
  const auto n = static_cast<int64_t>(axes.size());
  if (static_cast<int64_t>(pads.size()) != 2 * n)
    fail(cat("input 'pads' has ", pads.size(), " entries for ", n, " axes (needs ", 2 * n, ")"));
  std::vector<int64_t> full(2 * rank, 0);
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank)
      fail(cat("axes[", i, "] = ", axes[i], " is out of range for rank ", rank));
    if (seen[a]) fail(cat("axis ", axes[i], " appears twice in input 'axes'"));
    seen[a] = true;
    full[a] = pads[i];
    full[a + rank] = pads[i + n];
  }
  return full;
}

// The constant as bytes of `dtype`. An integer type takes the value saturated to its range (NaN
// as 0): a float attribute (opset < 11) can hold any value, and an out-of-range cast is undefined.
std::vector<std::byte> constant_bytes(DType dtype, double v, const std::string& who) {
  std::vector<std::byte> b(dtype_size(dtype));
  movement::dispatch_numeric(dtype, who, [&](auto t) {
    using T = decltype(t);
    T x{};
    if constexpr (std::is_integral_v<T>) {
      const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
      const double hi = static_cast<double>(std::numeric_limits<T>::max());
      // hi may round up past the type's maximum (int64): compare with >= and take max() there.
      x = !(v == v) ? T{0}
          : v <= lo ? std::numeric_limits<T>::lowest()
          : v >= hi ? std::numeric_limits<T>::max()
                    : static_cast<T>(v);
    } else {
      x = static_cast<T>(v);
    }
    std::memcpy(b.data(), &x, sizeof(x));
  });
  return b;
}

// Constant padding only adds elements (and negative pads only drop them), so the gradient is the
// output's gradient padded by the negated pads: what was added is cut off, what was cropped comes
// back as zeros. The other modes copy input elements into the border and are not differentiated.
void pad_gradient(GradientContext& g) {
  if (pad_mode(g.node(), g.opset()) != PadMode::kConstant)
    g.unsupported(cat("pad mode '", g.node().attr_string("mode", "constant"), "'"));
  if (g.wants(2)) g.unsupported("a padding value that depends on what is differentiated");
  std::vector<int64_t> pads;
  if (g.opset() < 11) {
    pads = g.node().attr_ints("pads");
  } else if (const Tensor* t = g.constant_input(1)) {
    pads = t->to_int64_vector();
  } else {
    g.unsupported("pads computed at run time");
  }
  for (int64_t& p : pads) p = -p;
  if (g.opset() < 11) {
    g.set_input_grad(0, g.emit("Pad", {g.output_grad(0)}, {{"pads", pads}}));
  } else {
    const std::string negated =
        g.constant(Tensor::from_vector<int64_t>({static_cast<int64_t>(pads.size())}, pads));
    std::vector<std::string> inputs{g.output_grad(0), negated};
    if (g.node().has_input(3)) inputs.insert(inputs.end(), {"", g.input(3)});  // same axes
    g.set_input_grad(0, g.emit("Pad", inputs));
  }
}

OpDef make_pad() {
  OpDef def;
  def.type = "Pad";
  def.since_opset = 2;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    pad_mode(ic.node, ic.opset);
    if (ic.has_input(3) && ic.opset < 18)
      ic.fail(cat("input 'axes' needs opset 18, not ", ic.opset));
    if (ic.opset >= 11 && ic.has_input(2) && ic.input(2).dtype != x.dtype)
      ic.fail(cat("input 'constant_value' is ", dtype_name(ic.input(2).dtype), ", data is ",
                  dtype_name(x.dtype)));
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    const std::string what = movement::arg_name(ic.opset >= 11, "pads");
    std::vector<int64_t> pads;
    if (ic.opset < 11) {
      pads = ic.node.attr_ints("pads");
    } else {
      const Tensor* v = ic.value(1);
      if (!v) {
        ic.set_output(0, x.dtype, Shape(x.shape.size(), -1));
        return;
      }
      pads = movement::int_values(ic, what, *v);
      if (ic.has_input(3)) {
        const Tensor* axes = ic.value(3);
        if (!axes) {
          ic.set_output(0, x.dtype, Shape(x.shape.size(), -1));
          return;
        }
        pads = pads_over_axes(pads, movement::int_values(ic, "input 'axes'", *axes),
                              static_cast<int64_t>(x.shape.size()),
                              [&](const std::string& why) { ic.fail(why); });
      }
    }
    const Shape out = padded_shape(ic, what, x.shape, pads);
    movement::require_addressable(ic, what, out, x.dtype);
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back(
      {"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         PadMode mode = pad_mode(ki.node, ki.opset);
         std::string who = ki.node.describe();
         int64_t opset = ki.opset;
         std::vector<int64_t> attr_pads = ki.node.attr_ints("pads");
         double attr_value = ki.node.attr_float("value", 0.f);
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           Tensor& y = ctx.out(0);
           std::vector<int64_t> pads = opset < 11 ? attr_pads : ctx.in(1).to_int64_vector();
           if (ctx.has_in(3))
             pads = pads_over_axes(
                 pads, ctx.in(3).to_int64_vector(), x.rank(),
                 [&](const std::string& why) { throw InputError(cat(who, ": ", why)); });
           size_t es = dtype_size(x.dtype());
           std::vector<std::byte> fill(es);
           if (opset >= 11 && ctx.has_in(2) && ctx.in(2).numel() > 0)
             std::memcpy(fill.data(), ctx.in(2).raw(), es);
           else if (opset < 11)
             fill = constant_bytes(x.dtype(), attr_value, who);
           int64_t rank = x.rank();
           if (y.numel() == 0) return;
           if (x.numel() == 0 && mode != PadMode::kConstant)
             throw InputError(cat(who, ": cannot ", mode_name(mode), "-pad an empty tensor"));
           const auto* src = static_cast<const std::byte*>(x.raw());
           auto* dst = static_cast<std::byte*>(y.raw());
           if (rank == 0) {
             std::memcpy(dst, src, es);
             return;
           }
           const Shape& in = x.shape();
           const Shape& out = y.shape();
           std::vector<int64_t> st = shape_strides(in);
           int64_t inner = out[rank - 1], rows = y.numel() / inner;
           int64_t n_last = in[rank - 1], before_last = pads[rank - 1];
           // Input coordinate of each output column of the last dim.
           std::vector<int64_t> col(inner);
           for (int64_t c = 0; c < inner; ++c) col[c] = source_index(c, before_last, n_last, mode);
           int64_t mid_begin = std::clamp<int64_t>(before_last, 0, inner);
           int64_t mid_end = std::clamp<int64_t>(before_last + n_last, mid_begin, inner);
           std::vector<int64_t> idx(rank, 0);
           for (int64_t row = 0; row < rows; ++row) {
             std::byte* o = dst + row * inner * es;
             int64_t off = 0;
             bool constant_row = false;
             for (int64_t d = 0; d + 1 < rank; ++d) {
               int64_t s = source_index(idx[d], pads[d], in[d], mode);
               if (s < 0) constant_row = true;
               off += s * st[d];
             }
             for (int64_t c = 0; c < inner; ++c) {
               if (c == mid_begin && !constant_row && mid_end > mid_begin) {
                 // The unpadded middle of the row is contiguous in the input.
                 std::memcpy(o + c * es, src + (off + col[c]) * es, (mid_end - mid_begin) * es);
                 c = mid_end - 1;
                 continue;
               }
               const std::byte* from =
                   constant_row || col[c] < 0 ? fill.data() : src + (off + col[c]) * es;
               std::memcpy(o + c * es, from, es);
             }
             for (int64_t d = rank - 2; d >= 0; --d) {
               if (++idx[d] < out[d]) break;
               idx[d] = 0;
             }
           }
         });
       }});
  def.gradient = pad_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_pad);
}  // namespace sinter
