#pragma once
// Batch normalization in training mode, forward and backward, over x viewed as [N, C, S] (S is
// the product of the dimensions after C; 1 for [N, C]): each channel's statistics are taken over
// its N*S values. Channels are split over the pool, and each channel walks its N contiguous runs
// of S values. A channel's sums always run in the same order, so results do not depend on the
// number of threads.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

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

// The loops over one contiguous run of n values, per ISA tier (kernels/isa_tables.h); the fused
// kernels above run on those of active_isa().
struct BatchNormRunLoops {
  double (*sum)(const float* x, int64_t n);
  // dev += sum(x - m), sq += sum((x - m)^2).
  void (*deviation_sums)(const float* x, int64_t n, float m, double& dev, double& sq);
  // sum_dy += sum(dy), sum_dy_xc += sum(dy * (x - m)).
  void (*gradient_sums)(const float* dy, const float* x, int64_t n, float m, double& sum_dy,
                        double& sum_dy_xc);
  // y = (x - m) * a + b.
  void (*normalize)(const float* x, int64_t n, float m, float a, float b, float* y);
  // dx = a * dy + k * (x - m) + b.
  void (*input_gradient)(const float* dy, const float* x, int64_t n, float m, float a, float k,
                         float b, float* dx);
};
const IsaTables<BatchNormRunLoops>& batch_norm_run_loops();

namespace detail {
// Float partial sums are flushed into double every kBlockValues values, so a partial sum's
// rounding error stays that of a few hundred terms however many values a channel has.
constexpr int64_t kBlockValues = 1024;

// The tiers' loops: batch_norm_training_portable.cc, _avx2.cc, _avx512.cc.
const BatchNormRunLoops& batch_norm_run_loops_portable();
const BatchNormRunLoops& batch_norm_run_loops_avx2();
const BatchNormRunLoops& batch_norm_run_loops_avx512();

// The fused kernels on the given loops (the public ones pass the active tier's; tests each).
void batch_norm_training_forward(const BatchNormRunLoops& loops, const BatchNormDims& d,
                                 const float* x, const float* scale, const float* bias,
                                 float epsilon, float* y, float* mean, float* var, float* inv_std,
                                 ThreadPool* pool);
void batch_norm_training_backward(const BatchNormRunLoops& loops, const BatchNormDims& d,
                                  const float* dy, const float* x, const float* scale,
                                  const float* mean, const float* inv_std, float* dx, float* dscale,
                                  float* dbias, ThreadPool* pool);
}  // namespace detail

}  // namespace sinter::kernels
