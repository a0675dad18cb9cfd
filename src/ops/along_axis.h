#pragma once
// The geometry GatherElements and ScatterElements share: an indices tensor of data's rank whose
// every element names one data element, at its own coordinates except along `axis`, where its
// value (negative counting from the end) is taken.
#include <string>
#include <vector>

#include "ops/data_movement_util.h"

namespace sinter::movement {

// Checks indices (and updates, when given) against data at plan time: same rank, indices no
// larger than data off the axis, updates shaped like indices.
inline void check_along_axis_shapes(const InferContext& ic, const Shape& data, const Shape& indices,
                                    int64_t axis, const Shape* updates = nullptr) {
  if (indices.size() != data.size())
    ic.fail(cat("input 'indices' ", shape_str(indices), " must have the rank of input 'data' ",
                shape_str(data)));
  for (size_t d = 0; d < data.size(); ++d)
    if (static_cast<int64_t>(d) != axis && data[d] >= 0 && indices[d] > data[d])
      ic.fail(cat("input 'indices' ", shape_str(indices), " is larger than input 'data' ",
                  shape_str(data), " along axis ", d));
  if (updates && *updates != indices)
    ic.fail(cat("input 'updates' ", shape_str(*updates), " must have the shape of input 'indices' ",
                shape_str(indices)));
}

// Calls fn(i, data_offset) for every element i of indices (row-major), data_offset being the data
// element it names. An index out of range is an InputError naming `who`.
template <class F>
void for_each_along_axis(const Tensor& indices, const Shape& data, int64_t axis,
                         const std::string& who, F&& fn) {
  const std::vector<int64_t> idx = indices.to_int64_vector();
  const Shape& ishape = indices.shape();
  const std::vector<int64_t> strides = shape_strides(data);
  const int64_t rank = static_cast<int64_t>(ishape.size());
  const int64_t dim = data[axis];
  std::vector<int64_t> at(ishape.size(), 0);
  int64_t base = 0;  // data offset of the coordinates off the axis
  for (int64_t i = 0; i < static_cast<int64_t>(idx.size()); ++i) {
    int64_t k = idx[i];
    if (k < -dim || k >= dim)
      throw InputError(cat(who, ": input 'indices' holds ", k, ", out of range for axis ", axis,
                           " of size ", dim));
    if (k < 0) k += dim;
    fn(i, base + k * strides[axis]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      const int64_t step = d == axis ? 0 : strides[d];
      if (++at[d] < ishape[d]) {
        base += step;
        break;
      }
      base -= step * (ishape[d] - 1);
      at[d] = 0;
    }
  }
}

// Fails unless input i holds int32 or int64 indices.
inline void require_index_dtype(const InferContext& ic, size_t i) {
  const DType t = ic.input(i).dtype;
  if (t != DType::kInt32 && t != DType::kInt64)
    ic.fail(cat("input 'indices' must be int32 or int64, not ", dtype_name(t)));
}

}  // namespace sinter::movement
