#pragma once
// SIDCo (Abdelmoniem et al., MLSys 2021): sparsification by a threshold fitted to the gradients'
// distribution instead of found by sorting. Gradient magnitudes are heavy-tailed; the first
// stage fits an exponential to all of them (the threshold exceeded by a share d is -mean ln d)
// and later stages fit the exceedances above the previous stage's threshold (peaks over
// threshold: a generalised Pareto by the method of moments, or an exponential again), each
// stage taking its share of the target, so the tail that decides the threshold is fitted where
// it lies. A fit costs a few passes over the values, where an exact top-k selection sorts them.
// The threshold only estimates the target: the number of stages adapts after every step to keep
// the achieved density near it (more stages fit a smaller tail, which usually lowers the
// threshold), and last_density() reports what was sent.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dist/compressor.h"
#include "dist/gradient_memory.h"

namespace sinter {

enum class SidcoTailFit {
  kExponential,        // SIDCo-E: exponentials at every stage
  kGeneralizedPareto,  // an exponential first, generalised Pareto fits of the tail after it
};

struct SidcoOptions {
  double density = 0.01;
  SidcoTailFit tail_fit = SidcoTailFit::kGeneralizedPareto;
};

// Correcting a multi-stage fit whose threshold misses its target count: `tolerance` is the share
// of the target allowed; `fitted_count` returns how many values the fitted threshold kept (-1
// for a one-stage fit, which does not count them).
struct SidcoRefinement {
  double tolerance = 0.2;
  int64_t fitted_count = -1;
};

// The magnitude above which about `density` of |x[0, n)| lie, estimated in `stages` stages: with
// one stage (or a density of 25 % or more) an exponential fit at `density`; with more, the first
// stage fits all magnitudes at 25 % and each later one the exceedances over the previous
// threshold at (density / 0.25)^(1 / (stages - 1)). With `refine` and more than one stage, a last
// threshold that keeps a count off the target ceil(density n) by more than the tolerance is
// replaced by the target's magnitude among the previous stage's exceedances: a selection over
// that pool (25x the target at 2 stages and 1 %, less with more stages) instead of over all n;
// ties at that magnitude are all kept. `scratch` is reused memory.
double sidco_threshold(const float* x, int64_t n, double density, int stages, SidcoTailFit fit,
                       std::vector<float>& scratch, SidcoRefinement* refine = nullptr);

class SidcoCompressor final : public Compressor {
 public:
  // Tensors smaller than this take an exact top-k: a fit to a few values means little, and
  // sorting them costs nothing.
  static constexpr int64_t kMinFittedValues = 1024;

  SidcoCompressor(std::string name, const SidcoOptions& options);

  std::string name() const override { return name_; }
  void reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) override;
  int64_t last_bytes_sent() const override { return last_bytes_; }
  double last_density() const override { return last_density_; }
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

  // The stages the next reduce() fits with.
  int stages() const { return stages_; }
  // The most stages at `density`: each stage after the first keeps at least half of the values
  // the one before kept (5 at 1 %, 8 at 0.1 %).
  static int max_stages(double density);
  // The stages a compressor starts with: one, and one more for every factor of ten below 25 %
  // (3 at 1 %, 4 at 0.1 %), where gradients accumulated by error feedback needed them.
  static int initial_stages(double density);

 private:
  // Moves the stage count after a step whose fitted tensors sent `achieved` times their target.
  void adapt_stages(double achieved);

  std::string name_;
  SidcoOptions options_;
  GradientMemory residual_{"residual"};
  std::vector<float> scratch_;
  std::vector<uint32_t> positions_;  // room for the largest tensor's positions
  int stages_;
  // What each stage count achieved lately (a running mean, times the target) and at which
  // adaptation, so the search does not step back to a count that was further off (one stage on
  // gradients accumulated by error feedback sent almost nothing); a record expires after 20
  // steps, since the gradients change.
  std::vector<double> achieved_with_;
  std::vector<int64_t> achieved_at_;
  int64_t adaptations_ = 0;
  int64_t last_bytes_ = 0;
  double last_density_ = 0;
};

}  // namespace sinter
