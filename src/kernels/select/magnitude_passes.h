#pragma once
// The passes over gradient magnitudes that a fitted sparsification threshold (SIDCo) costs: the
// sum of |x|, the moments of the excess over a threshold, keeping or counting the magnitudes
// above one, and the positions of the values above one. Each is one streaming pass, so that a
// fit stays cheaper than an exact top-k selection. Sums accumulate in double in every tier
// (their order differs between tiers, so they agree to rounding, not bit for bit); the
// comparisons are exact and agree bit for bit.
#include <cstdint>
#include <vector>

#include "kernels/isa_tables.h"

namespace sinter::kernels {

struct ExcessSums {
  double sum = 0, squares = 0;  // of m - base and of its square
};

// The sum of |x[0, n)|.
double sum_of_magnitudes(const float* x, int64_t n);
// The sums of m - base and (m - base)^2 over m[0, n).
ExcessSums excess_sums(const float* m, int64_t n, double base);
// Writes the |x[i]| > t to out in order and returns how many; out may be x.
int64_t keep_magnitudes_above(const float* x, int64_t n, double t, float* out);
// How many |x[i]| > t.
int64_t count_magnitudes_above(const float* x, int64_t n, double t);
// Writes the positions i with |x[i]| > t to indices, increasing, and returns how many; indices
// has room for n (a buffer the caller keeps, so that no pass clears it).
int64_t indices_of_magnitudes_above(const float* x, int64_t n, double t, uint32_t* indices);

// One ISA tier's bodies. The threshold is a float that splits the floats as the double did
// (float_below); out and indices have room for n.
struct MagnitudeKernels {
  double (*sum_of_magnitudes)(const float* x, int64_t n);
  ExcessSums (*excess_sums)(const float* m, int64_t n, double base);
  int64_t (*keep_above)(const float* x, int64_t n, float t, float* out);
  int64_t (*count_above)(const float* x, int64_t n, float t);
  int64_t (*indices_above)(const float* x, int64_t n, float t, uint32_t* indices);
};
const IsaTables<MagnitudeKernels>& magnitude_kernels();

// The largest float f with f <= t: for every float m, m > f exactly when m > t.
float float_below(double t);

// The plain-loop twins.
double sum_of_magnitudes_reference(const float* x, int64_t n);
ExcessSums excess_sums_reference(const float* m, int64_t n, double base);
int64_t keep_above_reference(const float* x, int64_t n, double t, float* out);
int64_t count_above_reference(const float* x, int64_t n, double t);
void indices_above_reference(const float* x, int64_t n, double t, std::vector<uint32_t>& indices);

namespace detail {
const MagnitudeKernels& magnitude_kernels_portable();
const MagnitudeKernels& magnitude_kernels_avx2();
const MagnitudeKernels& magnitude_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
