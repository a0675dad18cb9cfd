#include "passes/blocked_layout.h"

#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "kernels/blocked/blocked_conv2d.h"
#include "kernels/sparse/sparse_kernel_choice.h"
#include "ops/conv_common.h"

namespace sinter {

namespace {
// A region pays when its convolutions do this many flops per element they make the reorders
// move: a reorder costs about what a GEMM path's packing of that element does, and the blocked
// kernels save 10-40 % of each layer's time (docs/PERFORMANCE.md).
constexpr double kFlopsPerReorderedElement = 4096;

const Shape* static_shape(const Graph& g, const std::string& value) {
  const ValueType* t = g.type_of(value);
  return t && t->has_shape && shape_is_static(t->shape) && t->dtype == DType::kFloat32 ? &t->shape
                                                                                       : nullptr;
}

bool is_conv(const Node& n) {
  return (n.op_type == "Conv" && n.domain.empty()) ||
         (n.op_type == "FusedConv" && n.domain == "sinter");
}

// The conv's 2-D problem, when the blocked kernels should run it.
std::optional<Conv2dShape> blockable_conv(const Graph& g, const Node& n, bool sparse_kernels) {
  if (!is_conv(n) || n.outputs.size() != 1 || n.inputs.size() < 2) return std::nullopt;
  const Shape* x = static_shape(g, n.inputs[0]);
  const Tensor* w = g.float_initializer(n.inputs[1]);
  if (!x || !w || x->size() != 4 || w->shape().size() != 4 || !static_shape(g, n.outputs[0]) ||
      (n.has_input(2) && !g.float_initializer(n.inputs[2])) ||
      (n.has_input(3) && !static_shape(g, n.inputs[3])))
    return std::nullopt;
  const Conv2dShape s = conv_shape(n, *x, w->shape());
  if (!BlockedConv2d::supports(s)) return std::nullopt;
  // The direct kernel streams a group's weights (input channels x taps x 64 floats) once per
  // output row: keep them within L2 (a 3x3 on 512 channels, 1.2 MB, ran at a third of peak).
  const bool pointwise = s.KH == 1 && s.KW == 1 && s.pad_top == 0 && s.pad_left == 0 &&
                         s.pad_bottom == 0 && s.pad_right == 0;
  if (s.group == 1 && !pointwise && s.C * s.KH * s.KW > 1024) return std::nullopt;
  if (s.group == 1) {
    // Winograd does fewer multiplies than any direct kernel; a pruned layer's sparse kernel skips
    // its zeros.
    if (Conv2d::choose(s) == Conv2d::Algorithm::kWinograd) return std::nullopt;
    if (sparse_kernels &&
        (pattern_conv2d_pays(s, w->data<float>()) || csr_conv2d_pays(s, w->data<float>())))
      return std::nullopt;
  }
  return s;
}

// Whether the first conv of a region reads an NCHW input in place (the direct kernel, whose
// broadcasts then come from one row per channel: fine for an image's few channels, but each
// tile would touch C cache lines) rather than through a reorder.
bool reads_nchw(const Conv2dShape& s) { return s.group == 1 && s.C <= 8; }

double conv_flops(const Conv2dShape& s) {
  return 2.0 * s.N * s.M * s.OH() * s.OW() * (s.C / s.group) * s.KH * s.KW;
}

struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t find(size_t i) { return parent[i] == i ? i : parent[i] = find(parent[i]); }
  void join(size_t a, size_t b) { parent[find(a)] = find(b); }
};

struct Region {
  double flops = 0, reordered = 0;
  bool has_conv = false;
};

bool is_global_average_pool(const Graph& g, const Node& n) {
  if (n.op_type != "GlobalAveragePool" || !n.domain.empty() || n.inputs.size() != 1) return false;
  const Shape* x = static_shape(g, n.inputs[0]);
  return x && x->size() == 4;
}

}  // namespace

int use_blocked_layout(Graph& g, bool sparse_kernels) {
  if (!BlockedConv2d::vectorized()) return 0;
  const size_t count = g.nodes.size();
  std::vector<std::optional<Conv2dShape>> conv(count);
  std::vector<bool> member(count, false);
  std::unordered_map<std::string, size_t> conv_of;  // output value -> its blockable conv
  for (size_t i = 0; i < count; ++i) {
    conv[i] = blockable_conv(g, g.nodes[i], sparse_kernels);
    if (conv[i]) conv_of[g.nodes[i].outputs[0]] = i;
  }
  auto producer = [&](const std::string& v) -> std::optional<size_t> {
    auto it = conv_of.find(v);
    return it == conv_of.end() ? std::nullopt : std::optional<size_t>(it->second);
  };
  // Regions: convs joined through data and residual inputs; a pool joins the conv it reads.
  UnionFind regions(count);
  for (size_t i = 0; i < count; ++i) {
    const Node& n = g.nodes[i];
    if (conv[i]) {
      member[i] = true;
      for (size_t k : {size_t{0}, size_t{3}})
        if (n.has_input(k))
          if (auto p = producer(n.inputs[k])) regions.join(*p, i);
    } else if (is_global_average_pool(g, n)) {
      if (auto p = producer(n.inputs[0])) {
        member[i] = true;
        regions.join(*p, i);
      }
    }
  }
  // The uses of each blocked value that read it blocked, against all its uses.
  std::unordered_map<std::string, int> blocked_uses;
  for (size_t i = 0; i < count; ++i) {
    if (!member[i]) continue;
    const Node& n = g.nodes[i];
    for (size_t k : {size_t{0}, size_t{3}})
      if (n.has_input(k) && producer(n.inputs[k])) ++blocked_uses[n.inputs[k]];
  }
  const auto uses = g.use_counts();
  auto leaves = [&](const std::string& v) {  // read as NCHW somewhere too
    auto all = uses.find(v);
    return all != uses.end() && all->second > blocked_uses[v];
  };
  std::unordered_map<size_t, Region> cost;
  for (size_t i = 0; i < count; ++i) {
    if (!member[i]) continue;
    Region& r = cost[regions.find(i)];
    const Node& n = g.nodes[i];
    if (!conv[i]) continue;
    const Conv2dShape& s = *conv[i];
    r.has_conv = true;
    r.flops += conv_flops(s);
    if (leaves(n.outputs[0]))
      r.reordered += static_cast<double>(shape_numel(g.type_of(n.outputs[0])->shape));
    if (!reads_nchw(s) && !producer(n.inputs[0]))
      r.reordered += static_cast<double>(shape_numel(*static_shape(g, n.inputs[0])));
    if (n.has_input(3) && !producer(n.inputs[3]))
      r.reordered += static_cast<double>(shape_numel(*static_shape(g, n.inputs[3])));
  }
  auto accepted = [&](size_t i) {
    const Region& r = cost[regions.find(i)];
    return member[i] && r.has_conv && r.flops >= kFlopsPerReorderedElement * r.reordered;
  };

  std::unordered_map<std::string, std::string> blocked;  // NCHW value -> its blocked twin
  std::unordered_set<std::string> taken;
  auto fresh = [&](const std::string& hint) {
    std::string name = g.unique_name(hint);
    for (int k = 1; taken.count(name); ++k) name = g.unique_name(cat(hint, "_", k));
    taken.insert(name);
    return name;
  };
  for (size_t i = 0; i < count; ++i)
    if (conv[i] && accepted(i))
      blocked[g.nodes[i].outputs[0]] = fresh(g.nodes[i].outputs[0] + "_blocked");
  std::vector<Node> out;
  // The blocked twin of an NCHW value from outside the region, reordered once.
  auto to_blocked = [&](const std::string& v) {
    auto it = blocked.find(v);
    if (it != blocked.end()) return it->second;
    Node r;
    r.op_type = "ReorderToBlocked";
    r.domain = "sinter";
    r.name = v + "/ReorderToBlocked";
    r.inputs = {v};
    r.outputs = {fresh(v + "_blocked")};
    out.push_back(r);
    return blocked[v] = r.outputs[0];
  };
  int rewritten = 0;
  for (size_t i = 0; i < count; ++i) {
    Node n = std::move(g.nodes[i]);
    if (!accepted(i)) {
      out.push_back(std::move(n));
      continue;
    }
    ++rewritten;
    if (!conv[i]) {  // the pool
      const std::string x = n.inputs[0];
      n.op_type = "BlockedGlobalAveragePool";
      n.domain = "sinter";
      n.inputs = {blocked.at(x)};
      n.attrs = {{"channels", conv[*producer(x)]->M}};
      out.push_back(std::move(n));
      continue;
    }
    const Conv2dShape& s = *conv[i];
    const std::string y = n.outputs[0];
    const bool blocked_input = producer(n.inputs[0]).has_value() || !reads_nchw(s);
    if (blocked_input) n.inputs[0] = to_blocked(n.inputs[0]);
    if (n.has_input(3)) n.inputs[3] = to_blocked(n.inputs[3]);
    n.op_type = "BlockedConv";
    n.domain = "sinter";
    n.attrs["input_blocked"] = int64_t{blocked_input ? 1 : 0};
    n.outputs = {blocked.at(y)};
    const std::string name = n.name;
    out.push_back(std::move(n));
    if (leaves(y)) {
      Node r;
      r.op_type = "ReorderFromBlocked";
      r.domain = "sinter";
      r.name = name + "/ReorderFromBlocked";
      r.inputs = {blocked.at(y)};
      r.outputs = {y};
      r.attrs["channels"] = s.M;
      out.push_back(std::move(r));
    } else {
      g.types.erase(y);  // no node makes it any more
    }
  }
  g.nodes = std::move(out);
  return rewritten;
}

}  // namespace sinter
