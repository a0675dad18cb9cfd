#include "compress/model_storage.h"

#include <set>
#include <unordered_map>

#include "compress/mask.h"
#include "compress/qdq_weights.h"

namespace sinter {

namespace {

constexpr int kFloatBits = 32;

double pruned_fraction(int64_t nonzeros, int64_t total) {
  return total == 0 ? 0.0 : 1.0 - static_cast<double>(nonzeros) / static_cast<double>(total);
}

}  // namespace

double ModelStorage::sparsity() const { return pruned_fraction(nonzeros, total_weights); }

double ModelStorage::prunable_sparsity() const {
  return pruned_fraction(prunable_nonzeros, prunable_weights);
}

ModelStorage measure_storage(const Graph& model, const PrunePlan& plan) {
  std::unordered_map<std::string, const PruneTarget*> targets;
  for (const PruneTarget& t : plan.targets()) targets[t.weight] = &t;
  const PruneScheme& scheme = plan.scheme();
  const bool compact = scheme.kind == PruneKind::kFilter || scheme.kind == PruneKind::kChannel;
  const bool pattern = scheme.kind == PruneKind::kPattern;

  ModelStorage s;
  for (const auto& [name, w] : model.initializers) {
    if (w.dtype() != DType::kFloat32) continue;
    const int64_t nonzeros = Mask::of_nonzeros(w).count_kept();
    const int64_t dense = dense_storage(w, kFloatBits).total();
    s.total_weights += w.numel();
    s.nonzeros += nonzeros;
    s.dense_bytes += dense;
    auto it = targets.find(name);
    if (it == targets.end()) {
      s.csr_bytes += dense;
      s.compact_bytes += compact ? dense : 0;
      s.pattern_bytes += pattern ? dense : 0;
      continue;
    }
    s.prunable_weights += w.numel();
    s.prunable_nonzeros += nonzeros;
    const int64_t csr = csr_storage(w, kFloatBits).total();
    s.csr_bytes += csr;
    if (compact) s.compact_bytes += compact_dense_storage(w, kFloatBits).total();
    if (pattern)
      s.pattern_bytes +=
          it->second->pattern ? pattern_storage(w, scheme.pattern_count, kFloatBits).total() : csr;
  }
  if (pattern) s.pattern_bytes += (static_cast<int64_t>(plan.pattern_set().size()) * 9 + 7) / 8;
  return s;
}

StoredModelSize measure_stored_size(const Graph& model, StorageFormat format, int64_t pattern_count,
                                    int quantized_bits) {
  const QdqWeights qdq = find_qdq_weights(model);
  StoredModelSize s;
  auto add = [&](const Tensor& w, int value_bits) {
    s.weights += w.numel();
    s.nonzeros += Mask::of_nonzeros(w).count_kept();
    s.dense_bytes += dense_storage(w, kFloatBits).total();
    s.bytes += best_storage(w, format, pattern_count, value_bits).total();
  };
  for (const QdqWeight& w : qdq.weights) {
    add(w.dequantized, quantized_bits);
    s.quantized_weights += w.dequantized.numel();
  }
  const auto uses = model.use_counts();
  for (const auto& [name, t] : model.initializers) {
    // What no node reads is not part of the network, whatever the file carries.
    if (auto u = uses.find(name); u == uses.end() || u->second == 0) continue;
    if (qdq.params.count(name)) {
      s.param_bytes += static_cast<int64_t>(t.nbytes());
    } else if (t.dtype() == DType::kFloat32) {
      add(t, kFloatBits);
    }
  }
  s.bytes += s.param_bytes;
  if (format == StorageFormat::kPattern) s.bytes += (pattern_count * 9 + 7) / 8;
  return s;
}

}  // namespace sinter
