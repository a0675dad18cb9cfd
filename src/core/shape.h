#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sinter {

// Dimensions of a tensor. -1 marks a dimension not known before run time.
using Shape = std::vector<int64_t>;

// Product of the dims; throws SizeOverflowError when it leaves int64.
int64_t shape_numel(const Shape& s);
bool shape_is_static(const Shape& s);
std::string shape_str(const Shape& s);  // "[1,3,224,224]"
// Row-major strides in elements.
std::vector<int64_t> shape_strides(const Shape& s);
// Numpy-style broadcast of two shapes; throws InputError naming both shapes when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b);
// Normalizes a possibly negative axis against rank; throws naming the axis when out of range.
int64_t normalize_axis(int64_t axis, int64_t rank);

}  // namespace sinter
