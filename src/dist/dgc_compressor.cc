#include "dist/dgc_compressor.h"

#include <cmath>

#include "dist/sparse_allgather.h"
#include "dist/topk_compressor.h"

namespace sinter {

namespace {

constexpr double kWarmupStartDensity = 0.25;

// The factor that brings this rank's gradient norm down to clip_norm / sqrt(ranks), or 1.
float clip_factor(const std::vector<GradientView>& gradients, double clip_norm, int ranks) {
  if (clip_norm <= 0) return 1.0f;
  double squares = 0;
  for (const GradientView& g : gradients)
    for (int64_t i = 0; i < g.size; ++i) squares += static_cast<double>(g.data[i]) * g.data[i];
  const double norm = std::sqrt(squares), bound = clip_norm / std::sqrt(static_cast<double>(ranks));
  return norm > bound ? static_cast<float>(bound / norm) : 1.0f;
}

}  // namespace

DgcCompressor::DgcCompressor(std::string name, const DgcOptions& options)
    : name_(std::move(name)), options_(options) {}

double DgcCompressor::density_at(int64_t step) const {
  if (options_.density >= kWarmupStartDensity || step >= options_.warmup_steps)
    return options_.density;
  const double progress = static_cast<double>(step) / static_cast<double>(options_.warmup_steps);
  return kWarmupStartDensity * std::pow(options_.density / kWarmupStartDensity, progress);
}

void DgcCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients, int64_t step) {
  velocity_.bind(gradients);
  accumulation_.bind(gradients);
  const float clip = clip_factor(gradients, options_.clip_norm, comm.size());
  const auto m = static_cast<float>(options_.momentum);
  const double density = density_at(step);
  const std::vector<int64_t> offsets = gradient_offsets(gradients);
  std::vector<SparseEntry> entries;
  std::vector<uint32_t> chosen;
  for (size_t t = 0; t < gradients.size(); ++t) {
    float* u = velocity_.values(t);
    float* v = accumulation_.values(t);
    const float* g = gradients[t].data;
    for (int64_t i = 0; i < gradients[t].size; ++i) {
      u[i] = m * u[i] + clip * g[i];
      v[i] += u[i];
    }
    chosen.clear();
    select_top_k(v, gradients[t].size, values_to_send(density, gradients[t].size), scratch_,
                 chosen);
    for (uint32_t i : chosen) {
      entries.push_back({static_cast<uint32_t>(offsets[t] + i), v[i]});
      u[i] = 0;
      v[i] = 0;
    }
  }
  const SparseStep sent = send_sparse(comm, entries, gradients, offsets.back());
  last_bytes_ = sent.bytes;
  last_density_ = sent.density;
}

NamedTensors DgcCompressor::state() const {
  NamedTensors s;
  velocity_.append_state(s);
  accumulation_.append_state(s);
  return s;
}

void DgcCompressor::load_state(const NamedTensors& state) {
  velocity_.load_state(state);
  accumulation_.load_state(state);
}

}  // namespace sinter
