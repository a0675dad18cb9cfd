#pragma once
// Batch normalization in training mode, forward and backward, over x viewed as [N, C, S] (S is
// the product of the dimensions after C; 1 for [N, C]): each channel's statistics are taken over
// its N*S values. Channels are split over the pool, and each channel walks its N contiguous runs
// of S values. A channel's sums always run in the same order, so results do not depend on the
// number of threads.
#include <cstdint>

#include "core/thread_pool.h"

namespace sinter::kernels {

struct BatchNormDims {
  int64_t batch = 1;     // N
  int64_t channels = 1;  // C
  int64_t spatial = 1;   // S
  int64_t per_channel() const { return batch * spatial; }
};

// With the batch's mean and biased variance per channel:
//   y = (x - mean) / sqrt(var + epsilon) * scale + bias.
// Writes mean, var and inv_std = 1 / sqrt(var + epsilon), [C] each. Two passes over each
// channel's data for the statistics (the second, over deviations from the first's mean, corrects
// both for the first's rounding), one to normalize. `pool` may be null.
void batch_norm_training_forward(const BatchNormDims& d, const float* x, const float* scale,
                                 const float* bias, float epsilon, float* y, float* mean,
                                 float* var, float* inv_std, ThreadPool* pool = nullptr);

// From dy and the forward's x, mean and inv_std, with xhat = (x - mean) * inv_std and M = N*S:
//   dbias = sum(dy), dscale = sum(dy * xhat), dx = scale * inv_std / M * (M*dy - dbias - xhat *
//   dscale).
// One pass for both sums of a channel, one for dx. Any of dx, dscale, dbias may be null: not
// wanted (with dx null, the second pass is skipped).
void batch_norm_training_backward(const BatchNormDims& d, const float* dy, const float* x,
                                  const float* scale, const float* mean, const float* inv_std,
                                  float* dx, float* dscale, float* dbias,
                                  ThreadPool* pool = nullptr);

// Plain loops in double precision, the formulas as written above.
void batch_norm_training_forward_reference(const BatchNormDims& d, const float* x,
                                           const float* scale, const float* bias, float epsilon,
                                           float* y, float* mean, float* var, float* inv_std);
void batch_norm_training_backward_reference(const BatchNormDims& d, const float* dy, const float* x,
                                            const float* scale, const float* mean,
                                            const float* inv_std, float* dx, float* dscale,
                                            float* dbias);

namespace detail {
// Float partial sums are flushed into double every kBlockValues values, so a partial sum's
// rounding error stays that of a few hundred terms however many values a channel has.
constexpr int64_t kBlockValues = 1024;

// The loops over one contiguous run of n values, AVX2+FMA.
double run_sum_avx2(const float* x, int64_t n);
// dev += sum(x - m), sq += sum((x - m)^2).
void run_deviation_sums_avx2(const float* x, int64_t n, float m, double& dev, double& sq);
// sum_dy += sum(dy), sum_dy_xc += sum(dy * (x - m)).
void run_gradient_sums_avx2(const float* dy, const float* x, int64_t n, float m, double& sum_dy,
                            double& sum_dy_xc);
// y = (x - m) * a + b.
void run_normalize_avx2(const float* x, int64_t n, float m, float a, float b, float* y);
// dx = a * dy + k * (x - m) + b.
void run_input_gradient_avx2(const float* dy, const float* x, int64_t n, float m, float a, float k,
                             float b, float* dx);
}  // namespace detail

}  // namespace sinter::kernels
