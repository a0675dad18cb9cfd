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
constexpr double kFlopsPerReorderedElement = 1024;

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
  if (s.group == 1 && !pointwise && s.C * s.KH * s.KW > 2304) return std::nullopt;
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

enum class Kind { kNone, kConv, kMaxPool, kConcat, kGlobalAveragePool };

// What a node that reads only blocked values (pools and concats) is, or kNone.
Kind reader_kind(const Graph& g, const Node& n) {
  if (!n.domain.empty() || n.inputs.empty()) return Kind::kNone;
  for (const auto& in : n.inputs) {
    const Shape* x = static_shape(g, in);
    if (!x || x->size() != 4) return Kind::kNone;
  }
  if (n.op_type == "GlobalAveragePool" && n.inputs.size() == 1) return Kind::kGlobalAveragePool;
  if (n.op_type == "MaxPool" && n.inputs.size() == 1 &&
      (n.outputs.size() == 1 || n.outputs[1].empty()))
    return Kind::kMaxPool;
  if (n.op_type == "Concat") {
    int64_t axis = n.attr_int("axis", 1);
    if (axis < 0) axis += 4;
    // Along the channel blocks: every part but the last must fill its blocks.
    for (size_t k = 0; k + 1 < n.inputs.size(); ++k)
      if ((*static_shape(g, n.inputs[k]))[1] % kernels::kChannelBlock != 0) return Kind::kNone;
    return axis == 1 ? Kind::kConcat : Kind::kNone;
  }
  return Kind::kNone;
}

// The inputs a member reads blocked: a conv's data and residual, every input of the others.
std::vector<size_t> blocked_inputs(const Node& n, Kind kind) {
  if (kind != Kind::kConv) {
    std::vector<size_t> all(n.inputs.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  return n.has_input(3) ? std::vector<size_t>{0, 3} : std::vector<size_t>{0};
}

Node reorder_node(const char* type, const std::string& name, const std::string& in,
                  const std::string& out) {
  Node r;
  r.op_type = type;
  r.domain = "sinter";
  r.name = name + "/" + type;
  r.inputs = {in};
  r.outputs = {out};
  return r;
}

}  // namespace

int use_blocked_layout(Graph& g, bool sparse_kernels) {
  if (!BlockedConv2d::vectorized()) return 0;
  const size_t count = g.nodes.size();
  std::vector<Kind> kind(count, Kind::kNone);
  std::vector<std::optional<Conv2dShape>> conv(count);
  std::unordered_map<std::string, size_t> maker;  // blocked-capable value -> the member making it
  auto made_blocked = [&](const std::string& v) { return maker.count(v) != 0; };
  // Regions: members joined through the values they read blocked. Nodes are in topological
  // order, so a pool or concat knows whether its inputs come blocked.
  UnionFind regions(count);
  for (size_t i = 0; i < count; ++i) {
    const Node& n = g.nodes[i];
    conv[i] = blockable_conv(g, n, sparse_kernels);
    if (conv[i]) {
      kind[i] = Kind::kConv;
    } else {
      const Kind k = reader_kind(g, n);
      bool all_blocked = k != Kind::kNone;
      for (const auto& in : n.inputs) all_blocked = all_blocked && made_blocked(in);
      if (!all_blocked) continue;
      kind[i] = k;
    }
    for (size_t k : blocked_inputs(n, kind[i]))
      if (auto it = maker.find(n.inputs[k]); it != maker.end()) regions.join(it->second, i);
    if (kind[i] != Kind::kGlobalAveragePool) maker[n.outputs[0]] = i;
  }
  // The uses of each blocked value that read it blocked, against all its uses.
  std::unordered_map<std::string, int> blocked_uses;
  for (size_t i = 0; i < count; ++i)
    if (kind[i] != Kind::kNone)
      for (size_t k : blocked_inputs(g.nodes[i], kind[i]))
        if (made_blocked(g.nodes[i].inputs[k])) ++blocked_uses[g.nodes[i].inputs[k]];
  const auto uses = g.use_counts();
  auto leaves = [&](const std::string& v) {  // read as NCHW somewhere too
    auto all = uses.find(v);
    return all != uses.end() && all->second > blocked_uses[v];
  };
  auto numel = [&](const std::string& v) {
    return static_cast<double>(shape_numel(*static_shape(g, v)));
  };
  std::unordered_map<size_t, Region> cost;
  for (size_t i = 0; i < count; ++i) {
    if (kind[i] == Kind::kNone) continue;
    Region& r = cost[regions.find(i)];
    const Node& n = g.nodes[i];
    if (kind[i] != Kind::kGlobalAveragePool && leaves(n.outputs[0]))
      r.reordered += numel(n.outputs[0]);
    if (kind[i] != Kind::kConv) continue;
    const Conv2dShape& s = *conv[i];
    r.has_conv = true;
    r.flops += conv_flops(s);
    if (!reads_nchw(s) && !made_blocked(n.inputs[0])) r.reordered += numel(n.inputs[0]);
    if (n.has_input(3) && !made_blocked(n.inputs[3])) r.reordered += numel(n.inputs[3]);
  }
  auto accepted = [&](size_t i) {
    const Region& r = cost[regions.find(i)];
    return kind[i] != Kind::kNone && r.has_conv &&
           r.flops >= kFlopsPerReorderedElement * r.reordered;
  };

  std::unordered_map<std::string, std::string> twin;  // NCHW value -> its blocked twin
  std::unordered_set<std::string> taken;
  auto fresh = [&](const std::string& hint) {
    std::string name = g.unique_name(hint);
    for (int k = 1; taken.count(name); ++k) name = g.unique_name(cat(hint, "_", k));
    taken.insert(name);
    return name;
  };
  std::unordered_map<std::string, int64_t> channels;  // of every value that gets a twin
  for (size_t i = 0; i < count; ++i)
    if (accepted(i) && kind[i] != Kind::kGlobalAveragePool) {
      const std::string& y = g.nodes[i].outputs[0];
      twin[y] = fresh(y + "_blocked");
      channels[y] = (*static_shape(g, y))[1];
    }
  std::vector<Node> out;
  // The blocked twin of a value from outside the region, reordered once.
  auto to_blocked = [&](const std::string& v) {
    if (auto it = twin.find(v); it != twin.end()) return it->second;
    out.push_back(reorder_node("ReorderToBlocked", v, v, fresh(v + "_blocked")));
    return twin[v] = out.back().outputs[0];
  };
  std::vector<std::string> gone;  // values no node makes any more
  int rewritten = 0;
  for (size_t i = 0; i < count; ++i) {
    Node n = std::move(g.nodes[i]);
    if (!accepted(i)) {
      out.push_back(std::move(n));
      continue;
    }
    ++rewritten;
    const std::string y = n.outputs[0];
    switch (kind[i]) {
      case Kind::kConv: {
        const bool blocked_input = made_blocked(n.inputs[0]) || !reads_nchw(*conv[i]);
        if (blocked_input) n.inputs[0] = to_blocked(n.inputs[0]);
        if (n.has_input(3)) n.inputs[3] = to_blocked(n.inputs[3]);
        n.op_type = "BlockedConv";
        n.domain = "sinter";
        n.attrs["input_blocked"] = int64_t{blocked_input ? 1 : 0};
        break;
      }
      case Kind::kMaxPool:
        n.op_type = "BlockedMaxPool";
        n.domain = "sinter";
        n.attrs["channels"] = channels.at(y);
        n.inputs = {twin.at(n.inputs[0])};
        n.outputs.resize(1);
        break;
      case Kind::kConcat:
        n.attrs["axis"] = int64_t{1};
        for (auto& in : n.inputs) in = twin.at(in);
        break;
      case Kind::kGlobalAveragePool:
        n.op_type = "BlockedGlobalAveragePool";
        n.domain = "sinter";
        n.attrs = {{"channels", channels.at(n.inputs[0])}};
        n.inputs = {twin.at(n.inputs[0])};
        out.push_back(std::move(n));
        continue;
      case Kind::kNone:
        break;
    }
    n.outputs = {twin.at(y)};
    const std::string name = n.name;
    out.push_back(std::move(n));
    if (leaves(y)) {
      out.push_back(reorder_node("ReorderFromBlocked", name, twin.at(y), y));
      out.back().attrs["channels"] = channels.at(y);
    } else {
      gone.push_back(y);
    }
  }
  g.nodes = std::move(out);
  for (const auto& v : gone) g.types.erase(v);
  return rewritten;
}

}  // namespace sinter
