#pragma once
// Orthonormal columns for PowerSGD's left factor.
#include <cstdint>

namespace sinter {

// Makes the `cols` columns of the row-major rows x cols matrix `a` orthonormal, in place, by
// Gram-Schmidt: each column loses its components along the columns before it (twice, since one
// pass in float leaves a column that was nearly dependent far from orthogonal), then is scaled to
// unit length; dot products in double. A column of which nothing is left becomes zero.
void orthonormalize_columns(float* a, int64_t rows, int64_t cols);

}  // namespace sinter
