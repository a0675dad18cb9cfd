// CumSum: running sums along the axis given as input 1 (a scalar or one-element tensor), from
// the end when 'reverse' is set; 'exclusive' leaves each element out of its own sum. The sums
// run over whole rows of the dims after the axis at a time, so the inner loop is contiguous.
#include <type_traits>

#include "core/integer_semantics.h"
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

template <class T>
void cum_sum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool exclusive,
             bool reverse) {
  std::vector<T> acc(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), T{0});
    for (int64_t step = 0; step < n; ++step) {
      const int64_t j = reverse ? n - 1 - step : step;
      const int64_t row = (o * n + j) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const T v = x[row + i];  // read before the write: y may alias x
        const T sum = [&] {
          if constexpr (std::is_integral_v<T>) {
            return wrapping_add(acc[i], v);
          } else {
            return acc[i] + v;
          }
        }();
        y[row + i] = exclusive ? acc[i] : sum;
        acc[i] = sum;
      }
    }
  }
}

bool cum_sum_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kInt32 || t == DType::kInt64;
}

OpDef make_cum_sum() {
  OpDef def;
  def.type = "CumSum";
  def.since_opset = 11;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const ValueType& axis = ic.input(1);
    if (!cum_sum_dtype(x.dtype))
      throw UnsupportedError(cat(ic.node.describe(), ": input type ", dtype_name(x.dtype),
                                 " is not supported (float32, float64, int32, int64)"));
    if (axis.dtype != DType::kInt32 && axis.dtype != DType::kInt64)
      ic.fail(cat("input 'axis' must be int32 or int64, not ", dtype_name(axis.dtype)));
    if (axis.has_shape && shape_numel(axis.shape) != 1)
      ic.fail(cat("input 'axis' must hold one value, not shape ", shape_str(axis.shape)));
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    if (x.shape.empty()) ic.fail("input 'x' must have rank 1 or more, not a scalar");
    if (const Tensor* v = ic.value(1))
      movement::axis_in(ic, "input 'axis'", v->to_int64_vector().at(0),
                        static_cast<int64_t>(x.shape.size()));
    ic.set_output(0, x.dtype, x.shape);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         const bool exclusive = ki.node.attr_int("exclusive", 0) != 0;
                         const bool reverse = ki.node.attr_int("reverse", 0) != 0;
                         const std::string who = ki.node.describe();
                         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           const std::vector<int64_t> av = ctx.in(1).to_int64_vector();
                           const int64_t rank = x.rank();
                           if (av.size() != 1 || av[0] < -rank || av[0] >= rank)
                             throw InputError(cat(who, ": input 'axis' = ", movement::list_str(av),
                                                  " is not one axis of rank ", rank));
                           const int64_t axis = av[0] < 0 ? av[0] + rank : av[0];
                           const Shape& s = x.shape();
                           const int64_t outer = shape_numel(Shape(s.begin(), s.begin() + axis));
                           const int64_t inner = shape_numel(Shape(s.begin() + axis + 1, s.end()));
                           const auto run = [&](auto zero) {
                             using T = decltype(zero);
                             cum_sum(static_cast<const T*>(x.raw()),
                                     static_cast<T*>(ctx.out(0).raw()), outer, s[axis], inner,
                                     exclusive, reverse);
                           };
                           switch (x.dtype()) {
                             case DType::kFloat32:
                               return run(float{});
                             case DType::kFloat64:
                               return run(double{});
                             case DType::kInt32:
                               return run(int32_t{});
                             case DType::kInt64:
                               return run(int64_t{});
                             default:
                               throw UnsupportedError(cat(who, ": unsupported input type"));
                           }
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_cum_sum);
}  // namespace sinter
