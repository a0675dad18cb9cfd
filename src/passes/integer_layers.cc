#include "passes/integer_layers.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "kernels/qconv/qconv2d.h"
#include "ops/conv_common.h"
#include "passes/constant_fold.h"
#include "passes/integer_weights.h"
#include "passes/unsigned_activations.h"

namespace sinter {

namespace {

struct QParams {
  float scale = 1;
  int32_t zero_point = 0;
  bool operator==(const QParams& o) const { return scale == o.scale && zero_point == o.zero_point; }
};

// Where a layer's output goes: the QuantizeLinear that writes its u8 tensor, and the activation and
// QuantizeLinear nodes that the integer op replaces.
struct Sink {
  std::string value;  // the u8 tensor the QuantizeLinear writes
  QParams params;
  int32_t y_min = 0, y_max = 255;
  std::vector<size_t> removed;  // the activation and QuantizeLinear nodes
};

class Rewriter {
 public:
  explicit Rewriter(Graph& g) : g_(g), producers_(g.producers()) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (const std::string& in : g.nodes[i].inputs)
        if (!in.empty()) consumers_[in].push_back(i);
    for (const std::string& o : g.outputs) graph_outputs_.insert(o);
  }

  int run();

 private:
  const Node* producer(const std::string& v) const {
    auto it = producers_.find(v);
    return it == producers_.end() ? nullptr : &g_.nodes[it->second];
  }
  const std::vector<size_t>& consumers(const std::string& v) const {
    static const std::vector<size_t> none;
    auto it = consumers_.find(v);
    return it == consumers_.end() ? none : it->second;
  }
  const Shape* shape_of(const std::string& v) const {
    const ValueType* t = g_.type_of(v);
    return t && t->has_shape && shape_is_static(t->shape) ? &t->shape : nullptr;
  }

  std::optional<Tensor> constant_value(const std::string& v) const;
  std::optional<QParams> per_tensor_u8(const Node& qdq) const;
  // The u8 tensor and params a DequantizeLinear output `v` reads.
  std::optional<std::pair<std::string, QParams>> dequantized(const std::string& v) const;
  std::optional<Sink> quantized_output(const Node& layer) const;

  bool rewrite_layer(size_t i);
  bool rewrite_add(size_t i);
  bool rewrite_pool(size_t i);
  bool rewrite_concat(size_t i);
  bool rewrite_qlinear(size_t i);
  void drop_dead_dequantizes();
  int fuse_residual_adds();
  void make_channels_last();

  void replace(size_t i, Node n, const Sink& sink) {
    removed_.insert(i);
    removed_.insert(sink.removed.begin(), sink.removed.end());
    for (const std::string& in : n.inputs) integer_values_.insert(in);
    integer_values_.insert(n.outputs[0]);
    made_.insert(n.outputs[0]);
    added_.push_back(std::move(n));
  }
  std::string add_initializer(const std::string& hint, Tensor t) {
    std::string name = g_.unique_name(hint);
    while (g_.initializers.count(name) || reserved_.count(name)) name += "_";
    reserved_.insert(name);
    g_.initializers[name] = std::move(t);
    return name;
  }

  Graph& g_;
  std::unordered_map<std::string, size_t> producers_;
  std::unordered_map<std::string, std::vector<size_t>> consumers_;
  std::unordered_set<std::string> graph_outputs_;
  std::set<size_t> removed_;
  std::vector<Node> added_;
  std::unordered_set<std::string> integer_values_;  // read or written by integer ops
  std::unordered_set<std::string> made_;            // written by integer ops
  std::unordered_set<std::string> reserved_;
};

std::optional<Tensor> Rewriter::constant_value(const std::string& v) const {
  if (auto it = g_.initializers.find(v); it != g_.initializers.end()) return it->second;
  // A short chain of nodes over initializers (a DequantizeLinear, an Identity, a Cast): fold a
  // copy of it.
  Graph m;
  m.opset = g_.opset;
  std::set<size_t> nodes;
  std::vector<std::string> pending{v};
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    if (auto it = g_.initializers.find(name); it != g_.initializers.end()) {
      m.initializers[name] = it->second;
      continue;
    }
    auto p = producers_.find(name);
    if (p == producers_.end() || nodes.size() > 8) return std::nullopt;
    if (nodes.insert(p->second).second)
      for (const std::string& in : g_.nodes[p->second].inputs)
        if (!in.empty()) pending.push_back(in);
  }
  for (size_t i : nodes) m.nodes.push_back(g_.nodes[i]);
  constant_fold(m);
  auto it = m.initializers.find(v);
  if (it == m.initializers.end()) return std::nullopt;
  return it->second;
}

std::optional<QParams> Rewriter::per_tensor_u8(const Node& qdq) const {
  if (qdq.inputs.size() < 2 || qdq.outputs.size() != 1) return std::nullopt;
  const std::optional<Tensor> scale = constant_value(qdq.inputs[1]);
  if (!scale || scale->dtype() != DType::kFloat32 || scale->numel() != 1) return std::nullopt;
  QParams p{scale->data<float>()[0], 0};
  if (!(std::isfinite(p.scale) && p.scale > 0)) return std::nullopt;
  if (qdq.has_input(2)) {
    const std::optional<Tensor> zp = constant_value(qdq.inputs[2]);
    if (!zp || zp->dtype() != DType::kUint8 || zp->numel() != 1) return std::nullopt;
    p.zero_point = zp->data<uint8_t>()[0];
  }
  return p;
}

std::optional<std::pair<std::string, QParams>> Rewriter::dequantized(const std::string& v) const {
  const Node* dq = producer(v);
  if (!dq || dq->op_type != "DequantizeLinear" || !dq->domain.empty()) return std::nullopt;
  const ValueType* t = g_.type_of(dq->inputs[0]);
  if (!t || t->dtype != DType::kUint8 || g_.is_initializer(dq->inputs[0])) return std::nullopt;
  const std::optional<QParams> p = per_tensor_u8(*dq);
  if (!p) return std::nullopt;
  return std::make_pair(dq->inputs[0], *p);
}

std::optional<Sink> Rewriter::quantized_output(const Node& layer) const {
  Sink sink;
  std::string v = layer.outputs[0];
  std::optional<float> lo, hi;  // the fused activation's real range
  for (;;) {
    if (graph_outputs_.count(v) || consumers(v).size() != 1) return std::nullopt;
    const size_t next = consumers(v)[0];
    const Node& n = g_.nodes[next];
    if (!n.domain.empty() || n.inputs.empty() || n.inputs[0] != v) return std::nullopt;
    if (n.op_type == "Relu" && !lo && !hi) {
      lo = 0.0f;
    } else if (n.op_type == "Clip" && !lo && !hi) {
      for (size_t i = 1; i < 3; ++i) {
        if (!n.has_input(i)) continue;
        const std::optional<Tensor> bound = constant_value(n.inputs[i]);
        if (!bound || bound->dtype() != DType::kFloat32 || bound->numel() != 1) return std::nullopt;
        (i == 1 ? lo : hi) = bound->data<float>()[0];
      }
      if (g_.opset < 11) {
        lo = n.attr_float("min", -3.4028234663852886e38f);
        hi = n.attr_float("max", 3.4028234663852886e38f);
      }
    } else if (n.op_type == "QuantizeLinear") {
      const std::optional<QParams> p = per_tensor_u8(n);
      const ValueType* t = g_.type_of(n.outputs[0]);
      if (!p || !t || t->dtype != DType::kUint8) return std::nullopt;
      if (graph_outputs_.count(n.outputs[0])) return std::nullopt;
      sink.value = n.outputs[0];
      sink.params = *p;
      sink.removed.push_back(next);
      // The activation's bounds on the u8 grid (quantization is monotonic, so it commutes with
      // the clamp).
      auto on_grid = [&](float real) {
        const double q = std::nearbyint(static_cast<double>(real) / p->scale) + p->zero_point;
        return static_cast<int32_t>(std::clamp(q, 0.0, 255.0));
      };
      if (lo) sink.y_min = on_grid(*lo);
      if (hi) sink.y_max = on_grid(*hi);
      if (sink.y_min > sink.y_max) return std::nullopt;
      return sink;
    } else {
      return std::nullopt;
    }
    sink.removed.push_back(next);
    v = n.outputs[0];
  }
}

// The u8 grid and range an integer op writes: the QuantizeLinear's, narrowed by an activation.
void set_output_grid(Node& q, const Sink& sink) {
  q.attrs["y_scale"] = sink.params.scale;
  q.attrs["y_zero_point"] = int64_t{sink.params.zero_point};
  q.attrs["y_min"] = int64_t{sink.y_min};
  q.attrs["y_max"] = int64_t{sink.y_max};
}

// [K, N] -> [N, K].
Tensor transposed(const Tensor& w) {
  const int64_t K = w.shape()[0], N = w.shape()[1];
  Tensor t(DType::kInt8, {N, K});
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) t.data<int8_t>()[n * K + k] = w.data<int8_t>()[k * N + n];
  return t;
}

bool Rewriter::rewrite_layer(size_t i) {
  const Node& n = g_.nodes[i];
  const bool conv = n.op_type == "Conv", gemm = n.op_type == "Gemm", matmul = n.op_type == "MatMul";
  if (!(conv || gemm || matmul) || !n.domain.empty() || n.inputs.size() < 2 ||
      n.outputs.size() != 1)
    return false;
  const auto x = dequantized(n.inputs[0]);
  const Shape* xs = shape_of(n.inputs[0]);
  if (!x || !xs || xs->size() != (conv ? 4u : 2u)) return false;
  if (gemm && (n.attr_int("transA", 0) != 0 || n.attr_float("alpha", 1) != 1 ||
               n.attr_float("beta", 1) != 1))
    return false;
  const bool k_by_n = matmul || (gemm && n.attr_int("transB", 0) == 0);
  std::optional<IntegerWeights> w = integer_weights(
      g_, producers_, [this](const std::string& v) { return constant_value(v); }, n.inputs[1],
      k_by_n);
  if (!w || w->values.shape().size() != (conv ? 4u : 2u)) return false;
  const int64_t M = w->values.shape()[0];
  // A depthwise layer sums in floats with one scale a channel.
  if (conv && w->vector_size > 0 && n.attr_int("group", 1) == M && M > 1) return false;
  std::optional<Tensor> bias;
  if (n.has_input(2)) {
    bias = constant_value(n.inputs[2]);
    if (!bias || bias->dtype() != DType::kFloat32 || bias->numel() != M) return false;
    bias = bias->reshaped({M});
  }
  const std::optional<Sink> sink = quantized_output(n);
  if (!sink) return false;

  Node q;
  q.name = n.name;
  q.op_type = "QConv";
  q.domain = "sinter";
  if (conv) q.attrs = n.attrs;
  q.attrs["x_scale"] = x->second.scale;
  q.attrs["x_zero_point"] = int64_t{x->second.zero_point};
  set_output_grid(q, *sink);
  if (w->vector_size > 0) q.attrs["w_vector_size"] = w->vector_size;
  if (w->bits == 4) q.attrs["w_bits"] = int64_t{4};
  q.inputs = {x->first, add_initializer(n.inputs[1] + "_s8", std::move(w->values)),
              add_initializer(n.inputs[1] + "_scale", std::move(w->scales))};
  if (bias) q.inputs.push_back(add_initializer(n.inputs[2] + "_float", std::move(*bias)));
  q.outputs = {sink->value};
  replace(i, std::move(q), *sink);
  return true;
}

bool Rewriter::rewrite_add(size_t i) {
  const Node& n = g_.nodes[i];
  if (n.op_type != "Add" || !n.domain.empty() || n.inputs.size() != 2) return false;
  const auto a = dequantized(n.inputs[0]);
  const auto b = dequantized(n.inputs[1]);
  const Shape* as = shape_of(n.inputs[0]);
  const Shape* bs = shape_of(n.inputs[1]);
  if (!a || !b || !as || !bs || *as != *bs || (as->size() != 4 && as->size() != 2)) return false;
  const std::optional<Sink> sink = quantized_output(n);
  if (!sink) return false;
  Node q;
  q.name = n.name;
  q.op_type = "QAdd";
  q.domain = "sinter";
  q.attrs["a_scale"] = a->second.scale;
  q.attrs["a_zero_point"] = int64_t{a->second.zero_point};
  q.attrs["b_scale"] = b->second.scale;
  q.attrs["b_zero_point"] = int64_t{b->second.zero_point};
  set_output_grid(q, *sink);
  q.inputs = {a->first, b->first};
  q.outputs = {sink->value};
  replace(i, std::move(q), *sink);
  return true;
}

bool Rewriter::rewrite_pool(size_t i) {
  const Node& n = g_.nodes[i];
  const bool max_pool = n.op_type == "MaxPool", global = n.op_type == "GlobalAveragePool",
             average = n.op_type == "AveragePool" || global,
             // Flatten, Reshape or Squeeze of [N, C, 1, 1] to [N, C]: the same bytes channels-last.
      flatten = n.op_type == "Flatten" || n.op_type == "Reshape" || n.op_type == "Squeeze";
  if (!(max_pool || average || flatten) || !n.domain.empty() || n.outputs.size() != 1 ||
      n.inputs.empty() || (n.inputs.size() != 1 && !flatten))
    return false;
  const auto x = dequantized(n.inputs[0]);
  const Shape* xs = shape_of(n.inputs[0]);
  if (!x || !xs || xs->size() != 4) return false;
  const std::optional<Sink> sink = quantized_output(n);
  if (!sink || sink->removed.size() != 1) return false;  // no activation after a pool
  // Max pooling and flattening move values: they keep the input's grid.
  if ((max_pool || flatten) && !(sink->params == x->second)) return false;
  if (flatten) {
    const Shape* ys = shape_of(n.outputs[0]);
    if ((*xs)[2] != 1 || (*xs)[3] != 1 || !ys || *ys != Shape{(*xs)[0], (*xs)[1]}) return false;
  }
  // Window sums are int32 (QAveragePool).
  if (n.op_type == "AveragePool" && (*xs)[2] * (*xs)[3] > INT32_MAX / 255) return false;
  Node q;
  q.name = n.name;
  q.inputs = {x->first};
  q.outputs = {sink->value};
  if (flatten) {
    q.op_type = "Flatten";
    q.attrs["axis"] = int64_t{1};
  } else if (max_pool) {
    q.op_type = "QMaxPool";
    q.domain = "sinter";
    q.attrs = n.attrs;
  } else {
    q.op_type = global ? "QGlobalAveragePool" : "QAveragePool";
    q.domain = "sinter";
    if (!global) q.attrs = n.attrs;
    q.attrs["x_scale"] = x->second.scale;
    q.attrs["x_zero_point"] = int64_t{x->second.zero_point};
    q.attrs["y_scale"] = sink->params.scale;
    q.attrs["y_zero_point"] = int64_t{sink->params.zero_point};
  }
  replace(i, std::move(q), *sink);
  return true;
}

bool Rewriter::rewrite_concat(size_t i) {
  const Node& n = g_.nodes[i];
  if (n.op_type != "Concat" || !n.domain.empty() || n.outputs.size() != 1 || n.inputs.empty())
    return false;
  const int64_t axis = n.attr_int("axis", 1);
  if (axis != 1 && axis != -3) return false;
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  std::vector<std::string> inputs;
  for (const std::string& in : n.inputs) {
    const auto x = dequantized(in);
    const Shape* xs = shape_of(in);
    if (!x || !xs || xs->size() != 4) return false;
    inputs.push_back(x->first);
    scales.push_back(x->second.scale);
    zero_points.push_back(x->second.zero_point);
  }
  const std::optional<Sink> sink = quantized_output(n);
  if (!sink || sink->removed.size() != 1) return false;
  Node q;
  q.name = n.name;
  q.op_type = "QConcat";
  q.domain = "sinter";
  q.attrs["x_scales"] = scales;
  q.attrs["x_zero_points"] = zero_points;
  q.attrs["y_scale"] = sink->params.scale;
  q.attrs["y_zero_point"] = int64_t{sink->params.zero_point};
  q.inputs = inputs;
  q.outputs = {sink->value};
  replace(i, std::move(q), *sink);
  return true;
}

// QLinearConv and QLinearMatMul (QOperator models) whose tensors are u8 with one scale and
// whose weights are constant s8 with zero points 0: the same QConv.
bool Rewriter::rewrite_qlinear(size_t i) {
  const Node& n = g_.nodes[i];
  const bool conv = n.op_type == "QLinearConv", matmul = n.op_type == "QLinearMatMul";
  if (!(conv || matmul) || !n.domain.empty() || n.outputs.size() != 1 ||
      graph_outputs_.count(n.outputs[0]))
    return false;
  // Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point[, bias].
  if (n.inputs.size() < 8) return false;
  const Shape* xs = shape_of(n.inputs[0]);
  const ValueType* xt = g_.type_of(n.inputs[0]);
  const ValueType* yt = g_.type_of(n.outputs[0]);
  if (!xs || !xt || !yt || xt->dtype != DType::kUint8 || yt->dtype != DType::kUint8 ||
      xs->size() != (conv ? 4u : 2u))
    return false;
  auto scalar = [&](size_t k, DType t) -> std::optional<Tensor> {
    std::optional<Tensor> v = constant_value(n.inputs[k]);
    if (!v || v->dtype() != t || v->numel() != 1) return std::nullopt;
    return v;
  };
  const auto x_scale = scalar(1, DType::kFloat32), x_zp = scalar(2, DType::kUint8);
  const auto y_scale = scalar(6, DType::kFloat32), y_zp = scalar(7, DType::kUint8);
  auto w = g_.initializers.find(n.inputs[3]);
  const std::optional<Tensor> w_scale = constant_value(n.inputs[4]);
  const std::optional<Tensor> w_zp = constant_value(n.inputs[5]);
  if (!x_scale || !x_zp || !y_scale || !y_zp || w == g_.initializers.end() ||
      w->second.dtype() != DType::kInt8 || w->second.rank() != (conv ? 4 : 2) || !w_scale ||
      w_scale->dtype() != DType::kFloat32 || !w_zp || w_zp->dtype() != DType::kInt8)
    return false;
  for (int64_t k = 0; k < w_zp->numel(); ++k)
    if (w_zp->data<int8_t>()[k] != 0) return false;
  Tensor values = conv ? w->second : transposed(w->second);
  const int64_t M = values.shape()[0];
  if (w_scale->numel() != 1 && w_scale->numel() != M) return false;
  Tensor scales(DType::kFloat32, {M});
  for (int64_t m = 0; m < M; ++m) {
    const float s = w_scale->data<float>()[w_scale->numel() == 1 ? 0 : m];
    if (!(std::isfinite(s) && s > 0)) return false;
    scales.data<float>()[m] = s;
  }
  const float xsv = x_scale->data<float>()[0], ysv = y_scale->data<float>()[0];
  if (!(std::isfinite(xsv) && xsv > 0 && std::isfinite(ysv) && ysv > 0)) return false;
  std::optional<Tensor> bias;
  if (conv && n.has_input(8)) {
    const std::optional<Tensor> b = constant_value(n.inputs[8]);
    if (!b || b->dtype() != DType::kInt32 || b->numel() != M) return false;
    // Real units, from which QConv rounds the same integers back.
    bias = Tensor(DType::kFloat32, {M});
    for (int64_t m = 0; m < M; ++m)
      bias->data<float>()[m] = static_cast<float>(static_cast<double>(b->data<int32_t>()[m]) * xsv *
                                                  scales.data<float>()[m]);
  }
  Node q;
  q.name = n.name;
  q.op_type = "QConv";
  q.domain = "sinter";
  if (conv) q.attrs = n.attrs;
  q.attrs["x_scale"] = xsv;
  q.attrs["x_zero_point"] = int64_t{x_zp->data<uint8_t>()[0]};
  q.attrs["y_scale"] = ysv;
  q.attrs["y_zero_point"] = int64_t{y_zp->data<uint8_t>()[0]};
  q.inputs = {n.inputs[0], add_initializer(n.inputs[3] + "_s8", std::move(values)),
              add_initializer(n.inputs[3] + "_scale", std::move(scales))};
  if (bias) q.inputs.push_back(add_initializer(n.inputs[3] + "_bias", std::move(*bias)));
  q.outputs = {n.outputs[0]};
  replace(i, std::move(q), Sink{});
  return true;
}

// A DequantizeLinear whose readers were all rewritten is dead; dropping it now keeps the u8
// values that fusions remove from being read.
void Rewriter::drop_dead_dequantizes() {
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    const Node& n = g_.nodes[i];
    if (removed_.count(i) || n.op_type != "DequantizeLinear" || !n.domain.empty() ||
        n.outputs.size() != 1 || graph_outputs_.count(n.outputs[0]))
      continue;
    bool dead = true;
    for (size_t c : consumers(n.outputs[0])) dead = dead && removed_.count(c) != 0;
    if (dead) removed_.insert(i);
  }
}

// A QAdd whose one input a QConv writes for it alone becomes that QConv's fused residual: the
// conv's sums, the other input and the Add's output grid meet in one requantization (the conv's
// own output grid, a rounding in between, is skipped).
int Rewriter::fuse_residual_adds() {
  std::unordered_map<std::string, int> readers;
  for (size_t i = 0; i < g_.nodes.size(); ++i)
    if (!removed_.count(i))
      for (const std::string& in : g_.nodes[i].inputs) ++readers[in];
  for (const Node& n : added_)
    for (const std::string& in : n.inputs) ++readers[in];
  std::unordered_map<std::string, size_t> writer;
  for (size_t i = 0; i < added_.size(); ++i) writer[added_[i].outputs[0]] = i;
  std::set<size_t> fused;
  for (size_t a = 0; a < added_.size(); ++a) {
    const Node& add = added_[a];
    if (add.op_type != "QAdd") continue;
    for (int side = 0; side < 2; ++side) {
      const std::string& v = add.inputs[static_cast<size_t>(side)];
      auto w = writer.find(v);
      if (w == writer.end() || readers[v] != 1 || graph_outputs_.count(v)) continue;
      Node& conv = added_[w->second];
      const Shape* xs = shape_of(conv.inputs[0]);
      const Tensor& weights = g_.initializers.at(conv.inputs[1]);
      if (conv.op_type != "QConv" || conv.has_input(4) || !xs || xs->size() != 4) continue;
      if (!kernels::QConv2d::supports_residual(conv_shape(conv, *xs, weights.shape()))) continue;
      const char* other = side == 0 ? "b" : "a";
      conv.inputs.resize(4);  // no bias: an empty name
      conv.inputs.push_back(add.inputs[static_cast<size_t>(1 - side)]);
      conv.attrs["r_scale"] = add.attrs.at(cat(other, "_scale"));
      conv.attrs["r_zero_point"] = add.attrs.at(cat(other, "_zero_point"));
      for (const char* k : {"y_scale", "y_zero_point", "y_min", "y_max"})
        conv.attrs[k] = add.attrs.at(k);
      conv.outputs[0] = add.outputs[0];
      integer_values_.erase(v);
      made_.erase(v);
      fused.insert(a);
      break;
    }
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < added_.size(); ++i)
    if (!fused.count(i)) kept.push_back(std::move(added_[i]));
  added_ = std::move(kept);
  return static_cast<int>(fused.size());
}

Node transpose(const std::string& name, const std::string& in, const std::string& out,
               std::vector<int64_t> perm) {
  Node t;
  t.name = name;
  t.op_type = "Transpose";
  t.inputs = {in};
  t.outputs = {out};
  t.attrs["perm"] = std::move(perm);
  return t;
}

void Rewriter::make_channels_last() {
  std::vector<Node> extra;
  for (const std::string& v : integer_values_) {
    const Shape* s = shape_of(v);
    if (!s || s->size() != 4) continue;
    // Integer ops write channels-last; a QuantizeLinear (or any other producer) gets a
    // Transpose after it.
    if (!made_.count(v)) {
      auto p = producers_.find(v);
      if (p != producers_.end() && g_.nodes[p->second].op_type == "QuantizeLinear") {
        // The QuantizeLinear itself writes channels-last.
        Node& q = g_.nodes[p->second];
        const std::optional<QParams> params = per_tensor_u8(q);
        if (params) {
          q.op_type = "QuantizeToNhwc";
          q.domain = "sinter";
          q.inputs.resize(1);
          q.attrs.clear();
          q.attrs["scale"] = params->scale;
          q.attrs["zero_point"] = int64_t{params->zero_point};
          made_.insert(v);
        }
      }
    }
    if (!made_.count(v)) {
      auto p = producers_.find(v);
      const std::string nchw = g_.unique_name(v + "_nchw");
      reserved_.insert(nchw);
      if (p != producers_.end()) {
        for (std::string& o : g_.nodes[p->second].outputs)
          if (o == v) o = nchw;
      } else {
        for (std::string& in : g_.inputs)
          if (in == v) in = nchw;
      }
      extra.push_back(transpose(v + "_to_nhwc", nchw, v, {0, 2, 3, 1}));
    }
    // Readers other than integer ops, and graph outputs, get the NCHW tensor back.
    std::vector<size_t> readers;
    for (size_t c : consumers(v))
      if (!removed_.count(c)) readers.push_back(c);
    if (readers.empty() && !graph_outputs_.count(v)) continue;
    const std::string back = g_.unique_name(v + "_nchw_out");
    reserved_.insert(back);
    for (size_t c : readers)
      for (std::string& in : g_.nodes[c].inputs)
        if (in == v) in = back;
    for (std::string& o : g_.outputs)
      if (o == v) o = back;
    extra.push_back(transpose(v + "_to_nchw", v, back, {0, 3, 1, 2}));
  }
  added_.insert(added_.end(), extra.begin(), extra.end());
}

int Rewriter::run() {
  int rewritten = 0;
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    if (removed_.count(i)) continue;
    if (rewrite_layer(i) || rewrite_add(i) || rewrite_pool(i) || rewrite_concat(i) ||
        rewrite_qlinear(i))
      ++rewritten;
  }
  if (rewritten == 0) return 0;
  drop_dead_dequantizes();
  fuse_residual_adds();
  make_channels_last();
  std::vector<Node> nodes;
  for (size_t i = 0; i < g_.nodes.size(); ++i)
    if (!removed_.count(i)) nodes.push_back(std::move(g_.nodes[i]));
  for (Node& n : added_) nodes.push_back(std::move(n));
  g_.nodes = std::move(nodes);
  g_.topological_sort();
  return rewritten;
}

}  // namespace

int use_integer_layers(Graph& g) {
  use_unsigned_activations(g);
  return Rewriter(g).run();
}

}  // namespace sinter
