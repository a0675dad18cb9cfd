#pragma once
// What calibration keeps of one activation over any number of batches, in bounded memory: the
// exact count, minimum, maximum and number of exact zeros, and a histogram of the other values
// over [-R, R]. R starts at the first batch's largest magnitude and doubles whenever a larger
// value arrives; doubling merges pairs of bins exactly, so no count is ever spread by guesswork.
// Zeros stay out of the bins because every quantization grid holds 0 exactly (post-ReLU
// activations are often half zeros).
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace sinter {

class RangeObserver {
 public:
  // `bins` split [-R, R]; a multiple of 4 so that 0 and the doubled range fall on bin edges.
  // Throws InputError otherwise.
  explicit RangeObserver(int64_t bins = 4096);

  // Adds values. Throws NumericError naming the first NaN or infinity (and adds nothing), and
  // InputError for a tensor that is not float32.
  void observe(const float* x, int64_t n);
  void observe(const Tensor& t);

  int64_t count() const { return count_; }
  int64_t zeros() const { return zeros_; }
  // Exact extremes; 0 before anything was observed.
  float min() const { return count_ ? min_ : 0.0f; }
  float max() const { return count_ ? max_ : 0.0f; }
  // R, 0 until a nonzero value arrives; bin k counts the nonzero values in [-R + k w, -R + (k+1) w)
  // with w = 2R / bins (the last bin also holds R).
  float half_range() const { return half_range_; }
  double bin_width() const { return 2.0 * half_range_ / static_cast<double>(bins_.size()); }
  const std::vector<int64_t>& bins() const { return bins_; }

 private:
  void grow_to(float magnitude);

  std::vector<int64_t> bins_;
  float half_range_ = 0.0f;
  int64_t count_ = 0;
  int64_t zeros_ = 0;
  float min_ = 0.0f;
  float max_ = 0.0f;
};

}  // namespace sinter
