#include "compress/prune_plan.h"

#include <unordered_set>

#include "compress/block_prune.h"
#include "compress/pattern_prune.h"
#include "compress/structured_prune.h"
#include "compress/unstructured_prune.h"
#include "core/error.h"

namespace sinter {

namespace {

// The weight a Conv or Gemm node reads, when it is a prunable initializer; null otherwise.
const Tensor* prunable_weight(const Graph& g, const Node& n) {
  if (!n.domain.empty() || (n.op_type != "Conv" && n.op_type != "Gemm") || n.inputs.size() < 2)
    return nullptr;
  auto it = g.initializers.find(n.inputs[1]);
  if (it == g.initializers.end()) return nullptr;
  const Tensor& w = it->second;
  const bool shaped = n.op_type == "Conv" ? w.rank() >= 3 : w.rank() == 2;
  return w.dtype() == DType::kFloat32 && shaped && w.numel() > 1 ? &w : nullptr;
}

bool is_3x3_conv(const Tensor& w) { return w.rank() == 4 && w.dim(2) == 3 && w.dim(3) == 3; }

// [a, b] -> [b, a], for uint8 masks and float32 weights alike.
template <class T>
Tensor transposed_2d(const Tensor& t) {
  const int64_t rows = t.dim(0), cols = t.dim(1);
  Tensor out(t.dtype(), {cols, rows});
  const T* x = t.data<T>();
  T* y = out.data<T>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[c * rows + r] = x[r * cols + c];
  return out;
}

// The float initializers holding one value per output channel of `layer` (its bias, and the
// scale and shift of a BatchNormalization that alone reads its output).
std::vector<std::string> channel_params(const Graph& g, const Node& layer, int64_t channels) {
  std::vector<std::string> names;
  auto per_channel = [&](const std::string& name) {
    auto it = g.initializers.find(name);
    return it != g.initializers.end() && it->second.dtype() == DType::kFloat32 &&
           it->second.numel() == channels && it->second.rank() == 1;
  };
  if (layer.inputs.size() > 2 && per_channel(layer.inputs[2])) names.push_back(layer.inputs[2]);
  const Node* bn = nullptr;
  int readers = 0;
  for (const Node& n : g.nodes)
    for (const std::string& in : n.inputs)
      if (in == layer.outputs[0]) {
        ++readers;
        if (n.op_type == "BatchNormalization" && n.domain.empty() && n.inputs[0] == in) bn = &n;
      }
  if (bn && readers == 1 && per_channel(bn->inputs[1]) && per_channel(bn->inputs[2])) {
    names.push_back(bn->inputs[1]);
    names.push_back(bn->inputs[2]);
  }
  return names;
}

}  // namespace

PrunePlan::PrunePlan(const Graph& model, PruneScheme scheme, PruneRules rules) : scheme_(scheme) {
  validate_prune_scheme(scheme_);
  for (const auto& [name, sparsity] : rules.layer_sparsity) {
    if (!(sparsity >= 0.0 && sparsity < 1.0))
      throw InputError(cat("the sparsity of layer '", name, "' must be in [0, 1), got ", sparsity));
    if (!has_free_sparsity(scheme_) && scheme_.kind != PruneKind::kPattern)
      throw InputError(cat("scheme ", scheme_name(scheme_),
                           " fixes its own sparsity; per-layer sparsities do not apply"));
    bool found = false;
    for (const Node& n : model.nodes)
      found = found || (prunable_weight(model, n) && n.inputs[1] == name);
    if (!found)
      throw InputError(cat("per-layer sparsity for '", name,
                           "': the model has no prunable Conv/Gemm weight of that name"));
  }
  const std::unordered_set<std::string> graph_inputs(model.inputs.begin(), model.inputs.end());
  const Node* classifier = nullptr;
  for (const Node& n : model.nodes)
    if (prunable_weight(model, n)) classifier = &n;
  if (classifier && classifier->op_type != "Gemm") classifier = nullptr;

  std::unordered_set<std::string> seen;
  std::vector<Tensor> pattern_weights;
  for (const Node& n : model.nodes) {
    const Tensor* w = prunable_weight(model, n);
    if (!w || !seen.insert(n.inputs[1]).second) continue;
    const std::string& name = n.inputs[1];
    const auto own = rules.layer_sparsity.find(name);
    const bool named = own != rules.layer_sparsity.end();
    if (named && own->second == 0.0) {
      left_dense_.push_back(name + " (its sparsity is 0)");
      continue;
    }
    const bool stem = n.op_type == "Conv" && graph_inputs.count(n.inputs[0]) != 0;
    if (stem && !rules.prune_ends && !named) {
      left_dense_.push_back(name + " (stem)");
      continue;
    }
    const bool classifier_kept = !(rules.prune_ends || named) || scheme_.kind == PruneKind::kFilter;
    if (&n == classifier && classifier_kept) {
      left_dense_.push_back(name + " (classifier)");
      continue;
    }
    PruneTarget t;
    t.weight = name;
    t.node = n.name;
    t.transposed = n.op_type == "Gemm" && n.attr_int("transB", 0) == 0;
    t.sparsity = named ? own->second : scheme_.sparsity;
    if (scheme_.kind == PruneKind::kFilter)
      t.channel_params = channel_params(model, n, w->dim(t.transposed ? 1 : 0));
    if (scheme_.kind == PruneKind::kPattern) {
      t.pattern = is_3x3_conv(*w);
      if (t.pattern) {
        pattern_weights.push_back(*w);
      } else if (t.sparsity == 0.0) {
        left_dense_.push_back(name + " (not 3x3; no --sparsity for other layers)");
        continue;
      }
    }
    targets_.push_back(std::move(t));
  }
  if (targets_.empty()) {
    std::string why;
    for (const std::string& d : left_dense_) why += (why.empty() ? "" : ", ") + d;
    throw InputError(cat("nothing to prune in model '", model.name, "' with scheme ",
                         scheme_name(scheme_),
                         why.empty() ? ": it has no Conv or Gemm weights"
                                     : ": the rule leaves every Conv/Gemm weight dense: " + why));
  }
  if (!pattern_weights.empty())
    pattern_set_ = select_pattern_set(pattern_weights, scheme_.pattern_count);
}

Mask PrunePlan::project(size_t t, const Tensor& w) const {
  return project(t, w, targets_.at(t).sparsity);
}

Mask PrunePlan::project(size_t t, const Tensor& w, double sparsity) const {
  const PruneTarget& target = targets_.at(t);
  if (target.pattern) return prune_to_patterns(w, pattern_set_, scheme_.connectivity).mask;
  if (scheme_.kind == PruneKind::kUnstructured || scheme_.kind == PruneKind::kPattern)
    return unstructured_mask(w, sparsity);
  // The structured schemes read dim 0 as outputs and the rest as the reduction axis.
  const Tensor view = target.transposed ? transposed_2d<float>(w) : w;
  Mask m = [&] {
    switch (scheme_.kind) {
      case PruneKind::kFilter:
        return filter_mask(view, sparsity);
      case PruneKind::kChannel:
        return channel_mask(view, sparsity);
      case PruneKind::kBalanced:
        return balanced_mask(view, scheme_.block, sparsity);
      case PruneKind::kOutputBlocks:
        return output_block_mask(view, scheme_.block, sparsity);
      default:
        return n_of_m_mask(view, scheme_.n, scheme_.m);
    }
  }();
  if (!target.transposed) return m;
  const Tensor keep = transposed_2d<uint8_t>(m.values());
  const uint8_t* k = keep.data<uint8_t>();
  return Mask(w.shape(), std::vector<uint8_t>(k, k + keep.numel()));
}

}  // namespace sinter
