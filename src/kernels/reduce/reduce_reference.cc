#include "kernels/reduce/reduce_step.h"

namespace sinter::kernels {

template <class T>
void reduce_reference(ReduceOp op, const T* x, const Shape& shape, const std::vector<bool>& reduced,
                      T* y) {
  const size_t rank = shape.size();
  // Each input index's output: its kept coordinates under the output's row-major strides.
  std::vector<int64_t> out_stride(rank, 0), idx(rank, 0);
  int64_t out_n = 1;
  for (size_t d = rank; d-- > 0;)
    if (!reduced[d]) {
      out_stride[d] = out_n;
      out_n *= shape[d];
    }
  const int64_t n = shape_numel(shape);
  const int64_t count = out_n ? n / out_n : 0;
  reduce_step::dispatch(op, [&](auto tag) {
    constexpr ReduceOp kOp = decltype(tag)::value;
    for (int64_t j = 0; j < out_n; ++j) y[j] = reduce_step::identity<kOp, T>();
    int64_t o = 0;
    for (int64_t i = 0; i < n; ++i) {
      y[o] = reduce_step::combine<kOp>(y[o], reduce_step::map<kOp>(x[i]));
      for (size_t d = rank; d-- > 0;) {
        o += out_stride[d];
        if (++idx[d] < shape[d]) break;
        o -= out_stride[d] * shape[d];
        idx[d] = 0;
      }
    }
    for (int64_t j = 0; j < out_n; ++j) y[j] = reduce_step::finish<kOp>(y[j], count);
  });
}

template void reduce_reference<float>(ReduceOp, const float*, const Shape&,
                                      const std::vector<bool>&, float*);
template void reduce_reference<int32_t>(ReduceOp, const int32_t*, const Shape&,
                                        const std::vector<bool>&, int32_t*);
template void reduce_reference<int64_t>(ReduceOp, const int64_t*, const Shape&,
                                        const std::vector<bool>&, int64_t*);

}  // namespace sinter::kernels
