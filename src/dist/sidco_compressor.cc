#include "dist/sidco_compressor.h"

#include <algorithm>
#include <cmath>

#include "dist/sparse_allgather.h"
#include "dist/topk_compressor.h"
#include "kernels/select/magnitude_passes.h"

namespace sinter {

namespace {

// SIDCo's first stage keeps a quarter of the values: enough of the tail for the next fit.
constexpr double kFirstStageDensity = 0.25;
const char kStagesState[] = "sidco/stages";
// The adaptation leaves the stages alone while the achieved density is within this share of the
// target, and forgets what a stage count achieved after this many steps.
constexpr double kStageTolerance = 0.1;
constexpr int64_t kRecordSteps = 20;

// The value an exponential with this mean exceeds with probability `density`.
double exponential_quantile(double mean, double density) { return -mean * std::log(density); }

// The same for a generalised Pareto fitted by the method of moments (shape xi and scale sigma
// from the mean and variance of the exceedances; xi -> 0 is the exponential).
double pareto_quantile(double mean, double variance, double density) {
  if (!(variance > 0)) return exponential_quantile(mean, density);
  const double ratio = mean * mean / variance;
  const double xi = 0.5 * (1 - ratio), sigma = 0.5 * mean * (1 + ratio);
  if (std::fabs(xi) < 1e-9) return exponential_quantile(sigma, density);
  return sigma / xi * (std::pow(density, -xi) - 1);
}

}  // namespace

double sidco_threshold(const float* x, int64_t n, double density, int stages, SidcoTailFit fit,
                       std::vector<float>& scratch, SidcoRefinement* refine) {
  if (n == 0) return 0;
  const double mean = kernels::sum_of_magnitudes(x, n) / static_cast<double>(n);
  if (stages <= 1 || density >= kFirstStageDensity) return exponential_quantile(mean, density);
  double threshold = exponential_quantile(mean, kFirstStageDensity);
  const double stage_density = std::pow(density / kFirstStageDensity, 1.0 / (stages - 1));
  scratch.resize(static_cast<size_t>(n));
  auto kept = kernels::keep_magnitudes_above(x, n, threshold, scratch.data());
  // The last stage only counts, so that its pool stays whole for a refinement.
  int64_t pool = 0;
  bool counted = false;
  for (int stage = 1; stage < stages && kept > 0; ++stage) {
    const kernels::ExcessSums excess = kernels::excess_sums(scratch.data(), kept, threshold);
    const auto count = static_cast<double>(kept);
    const double excess_mean = excess.sum / count;
    const double variance = std::max(0.0, excess.squares / count - excess_mean * excess_mean);
    threshold += fit == SidcoTailFit::kExponential
                     ? exponential_quantile(excess_mean, stage_density)
                     : pareto_quantile(excess_mean, variance, stage_density);
    counted = stage + 1 == stages;
    pool = kept;
    kept = counted
               ? kernels::count_magnitudes_above(scratch.data(), kept, threshold)
               : kernels::keep_magnitudes_above(scratch.data(), kept, threshold, scratch.data());
  }
  if (!refine) return threshold;
  refine->fitted_count = kept;
  const int64_t target = values_to_send(density, n);
  const double miss = std::fabs(static_cast<double>(kept) - static_cast<double>(target));
  if (!counted || target == 0 || pool < target ||
      miss <= refine->tolerance * static_cast<double>(target))
    return threshold;
  // The target-th largest of the pool; values above the next float below it are the target.
  const auto kth = scratch.begin() + static_cast<std::ptrdiff_t>(pool - target);
  std::nth_element(scratch.begin(), kth, scratch.begin() + static_cast<std::ptrdiff_t>(pool));
  return std::nextafter(*kth, 0.0f);
}

SidcoCompressor::SidcoCompressor(std::string name, const SidcoOptions& options)
    : name_(std::move(name)),
      options_(options),
      stages_(initial_stages(options.density)),
      achieved_with_(static_cast<size_t>(max_stages(options.density)) + 1, 0.0),
      achieved_at_(achieved_with_.size(), -1) {}

int SidcoCompressor::max_stages(double density) {
  if (density >= kFirstStageDensity) return 1;
  return 1 + static_cast<int>(std::floor(std::log2(kFirstStageDensity / density)));
}

int SidcoCompressor::initial_stages(double density) {
  if (density >= kFirstStageDensity) return 1;
  const int stages = 1 + static_cast<int>(std::ceil(std::log10(kFirstStageDensity / density)));
  return std::min(stages, max_stages(density));
}

void SidcoCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                             int64_t /*step*/) {
  residual_.bind(gradients);
  const std::vector<int64_t> offsets = gradient_offsets(gradients);
  std::vector<SparseEntry> entries;
  std::vector<uint32_t> chosen;
  double fitted_target = 0, fitted_sent = 0;
  for (size_t t = 0; t < gradients.size(); ++t) {
    const int64_t n = gradients[t].size;
    float* acc = residual_.accumulate(t, gradients[t]);
    chosen.clear();
    SidcoRefinement refine;
    const double threshold = n < kMinFittedValues
                                 ? 0
                                 : sidco_threshold(acc, n, options_.density, stages_,
                                                   options_.tail_fit, scratch_, &refine);
    if (n < kMinFittedValues || !std::isfinite(threshold)) {
      // Also where a non-finite value broke the fit: sorting puts NaN first, so it is sent.
      select_top_k(acc, n, values_to_send(options_.density, n), scratch_, chosen);
    } else {
      if (positions_.size() < static_cast<size_t>(n)) positions_.resize(static_cast<size_t>(n));
      const int64_t above =
          kernels::indices_of_magnitudes_above(acc, n, threshold, positions_.data());
      chosen.assign(positions_.begin(), positions_.begin() + above);
      // The stages adapt to what the fit kept, before any refinement, so that they go on
      // looking for the count that needs none.
      fitted_target += options_.density * static_cast<double>(n);
      fitted_sent += static_cast<double>(
          refine.fitted_count >= 0 ? refine.fitted_count : static_cast<int64_t>(chosen.size()));
    }
    for (uint32_t i : chosen) {
      entries.push_back({static_cast<uint32_t>(offsets[t] + i), acc[i]});
      acc[i] = 0;
    }
  }
  const SparseStep sent = send_sparse(comm, entries, gradients, offsets.back());
  last_bytes_ = sent.bytes;
  last_density_ = sent.density;
  if (fitted_target > 0) adapt_stages(fitted_sent / fitted_target);
}

void SidcoCompressor::adapt_stages(double achieved) {
  const int64_t now = adaptations_++;
  auto fresh = [&](int c) {
    const int64_t at = achieved_at_[static_cast<size_t>(c)];
    return at >= 0 && now - at < kRecordSteps;
  };
  auto miss = [&](int c) { return std::fabs(achieved_with_[static_cast<size_t>(c)] - 1); };
  // A running mean per stage count: one step's density is noisy.
  double& record = achieved_with_[static_cast<size_t>(stages_)];
  record = fresh(stages_) ? 0.5 * (record + achieved) : achieved;
  achieved_at_[static_cast<size_t>(stages_)] = now;
  if (std::fabs(record - 1) <= kStageTolerance) return;
  // Neighbours first by the usual direction (too few sent: a threshold too high, which another
  // stage mostly lowers), though lighter tails reverse it: a neighbour known to do better wins,
  // else an untried one is tried, else the stages stay.
  const int most = max_stages(options_.density), toward = record < 1 ? 1 : -1;
  int best = stages_;
  for (int step : {toward, -toward}) {
    const int c = stages_ + step;
    if (c >= 1 && c <= most && fresh(c) && miss(c) < miss(best)) best = c;
  }
  if (best == stages_) {
    for (int step : {toward, -toward}) {
      const int c = stages_ + step;
      if (c >= 1 && c <= most && !fresh(c)) {
        best = c;
        break;
      }
    }
  }
  stages_ = best;
}

NamedTensors SidcoCompressor::state() const {
  NamedTensors s;
  residual_.append_state(s);
  // The stage count, the adaptations so far, then per stage count what it achieved and when.
  std::vector<double> search{static_cast<double>(stages_), static_cast<double>(adaptations_)};
  for (size_t c = 0; c < achieved_with_.size(); ++c) {
    search.push_back(achieved_with_[c]);
    search.push_back(static_cast<double>(achieved_at_[c]));
  }
  s.emplace_back(kStagesState,
                 Tensor::from_vector<double>({static_cast<int64_t>(search.size())}, search));
  return s;
}

void SidcoCompressor::load_state(const NamedTensors& state) {
  residual_.load_state(state);
  for (const auto& [name, tensor] : state) {
    if (name != kStagesState) continue;
    if (tensor.dtype() != DType::kFloat64 ||
        tensor.numel() != 2 + 2 * static_cast<int64_t>(achieved_with_.size()))
      throw InputError(cat("compressor state '", name, "' does not fit ", name_));
    const double* v = tensor.data<double>();
    stages_ = std::clamp(static_cast<int>(v[0]), 1, max_stages(options_.density));
    adaptations_ = static_cast<int64_t>(v[1]);
    for (size_t c = 0; c < achieved_with_.size(); ++c) {
      achieved_with_[c] = v[2 + 2 * c];
      achieved_at_[c] = static_cast<int64_t>(v[3 + 2 * c]);
    }
  }
}

}  // namespace sinter
