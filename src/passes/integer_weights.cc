#include "passes/integer_weights.h"

#include <cmath>
#include <numeric>

#include "kernels/quant/quantize_linear.h"
#include "passes/constant_fold.h"

namespace sinter {

namespace {

bool is_layout(const Node& n) {
  return n.domain.empty() && (n.op_type == "Identity" || n.op_type == "Reshape" ||
                              n.op_type == "Slice" || n.op_type == "Transpose");
}

// A constant's values as whole numbers, if they all are.
std::optional<std::vector<int32_t>> whole_numbers(const Tensor& t) {
  std::vector<int32_t> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v;
    switch (t.dtype()) {
      case DType::kFloat32:
        v = t.data<float>()[i];
        break;
      case DType::kUint8:
        v = t.data<uint8_t>()[i];
        break;
      case DType::kInt32:
        v = t.data<int32_t>()[i];
        break;
      default:
        return std::nullopt;
    }
    if (!(v == std::floor(v) && std::abs(v) < 65536)) return std::nullopt;
    out[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  return out;
}

// Where element i of `target` reads a tensor of shape `source` broadcast to it (numpy's rules,
// ranks aligned on the right).
int64_t broadcast_index(int64_t i, const Shape& target, const Shape& source) {
  int64_t at = 0, stride = 1;
  auto s = static_cast<int64_t>(source.size()) - 1;
  for (auto d = static_cast<int64_t>(target.size()) - 1; d >= 0 && s >= 0; --d, --s) {
    const int64_t coord = i % target[static_cast<size_t>(d)];
    i /= target[static_cast<size_t>(d)];
    if (source[static_cast<size_t>(s)] != 1) at += coord * stride;
    stride *= source[static_cast<size_t>(s)];
  }
  return at;
}

bool broadcasts_to(const Shape& source, const Shape& target) {
  if (source.size() > target.size()) return false;
  for (size_t i = 0; i < source.size(); ++i) {
    const int64_t s = source[source.size() - 1 - i], t = target[target.size() - 1 - i];
    if (s != 1 && s != t) return false;
  }
  return true;
}

// The DequantizeLinear's output, element by element: its integer, scale and factor.
struct Dequantized {
  const Tensor* values;  // s8 or s4, shape S
  Tensor scale;          // float, broadcast to S through scale_shape
  Shape scale_shape;
  std::vector<int32_t> factor;  // empty, or broadcast to S through factor_shape
  Shape factor_shape;
  std::optional<kernels::AxisLayout> blocked;  // opset 21 blocks: which scale each value has

  int32_t value(int64_t i) const { return values->data<int8_t>()[i]; }
  float scale_at(int64_t i) const {
    return scale.data<float>()[blocked ? blocked->param_index(i)
                                       : broadcast_index(i, values->shape(), scale_shape)];
  }
  int32_t factor_at(int64_t i) const {
    return factor.empty()
               ? 1
               : factor[static_cast<size_t>(broadcast_index(i, values->shape(), factor_shape))];
  }
};

bool is_signed_weight_type(DType t) { return t == DType::kInt8 || t == DType::kInt4; }

std::optional<Dequantized> dequantized(const Graph& g, const ConstantOf& constant_of,
                                       const Node& dq) {
  if (dq.op_type != "DequantizeLinear" || !dq.domain.empty() || dq.inputs.size() < 2)
    return std::nullopt;
  auto q = g.initializers.find(dq.inputs[0]);
  if (q == g.initializers.end() || !is_signed_weight_type(q->second.dtype())) return std::nullopt;
  const Shape& shape = q->second.shape();
  const auto rank = static_cast<int64_t>(shape.size());
  std::optional<Tensor> scale = constant_of(dq.inputs[1]);
  if (!scale || scale->dtype() != DType::kFloat32 || rank == 0) return std::nullopt;
  Dequantized d{&q->second, *scale, Shape(static_cast<size_t>(rank), 1), {}, {}, {}};
  const int64_t block = g.opset >= 21 ? dq.attr_int("block_size", 0) : 0;
  if (scale->numel() != 1 || block != 0) {
    int64_t axis = dq.attr_int("axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return std::nullopt;
    const auto a = static_cast<size_t>(axis);
    if (block > 0) {
      // Opset 21: the scale is x's shape with the axis cut into blocks.
      Shape want = shape;
      want[a] = kernels::AxisLayout::ceil_blocks(shape[a], block);
      if (scale->shape() != want) return std::nullopt;
      kernels::AxisLayout l;
      for (size_t i = 0; i < a; ++i) l.outer *= shape[i];
      l.channels = shape[a];
      for (size_t i = a + 1; i < shape.size(); ++i) l.inner *= shape[i];
      l.block = block;
      d.blocked = l;
    } else {
      if (block < 0 || scale->rank() != 1 || scale->numel() != shape[a]) return std::nullopt;
      d.scale_shape[a] = scale->numel();
    }
  }
  if (dq.has_input(2)) {
    const std::optional<Tensor> zp = constant_of(dq.inputs[2]);
    if (!zp || zp->dtype() != q->second.dtype() || zp->numel() != scale->numel())
      return std::nullopt;
    for (int64_t i = 0; i < zp->numel(); ++i)
      if (zp->data<int8_t>()[i] != 0) return std::nullopt;
  }
  return d;
}

// For each element of the layer's weight, the element of `start` (shaped `shape`) it is: the
// layout nodes folded over the indices.
std::optional<Tensor> element_map(const Graph& g, const ConstantOf& constant_of,
                                  const std::vector<const Node*>& layout, const std::string& start,
                                  const Shape& shape, const std::string& value) {
  Tensor iota(DType::kInt32, shape);
  if (iota.numel() >= (int64_t{1} << 31)) return std::nullopt;
  std::iota(iota.data<int32_t>(), iota.data<int32_t>() + iota.numel(), 0);
  Graph m;
  m.opset = g.opset;
  m.initializers[start] = std::move(iota);
  for (auto it = layout.rbegin(); it != layout.rend(); ++it) {
    m.nodes.push_back(**it);
    for (size_t i = 1; i < (*it)->inputs.size(); ++i) {
      const std::string& in = (*it)->inputs[i];
      if (in.empty()) continue;
      std::optional<Tensor> c = constant_of(in);
      if (!c) return std::nullopt;
      m.initializers[in] = std::move(*c);
    }
  }
  constant_fold(m);
  auto out = m.initializers.find(value);
  if (out == m.initializers.end() || out->second.dtype() != DType::kInt32) return std::nullopt;
  return out->second;
}

}  // namespace

std::optional<IntegerWeights> integer_weights(
    const Graph& g, const std::unordered_map<std::string, size_t>& producers,
    const ConstantOf& constant_of, const std::string& value, bool k_by_n) {
  auto producer = [&](const std::string& v) -> const Node* {
    auto it = producers.find(v);
    return it == producers.end() ? nullptr : &g.nodes[it->second];
  };
  std::vector<const Node*> layout;  // from the layer back
  std::string start = value;
  const Node* n = producer(start);
  while (n && is_layout(*n) && layout.size() < 8) {
    layout.push_back(n);
    start = n->inputs[0];
    n = producer(start);
  }
  std::optional<std::vector<int32_t>> factor;
  Shape factor_shape;
  if (n && n->domain.empty() && n->op_type == "Mul" && n->inputs.size() == 2) {
    const Node* left = producer(n->inputs[0]);
    const size_t side = left && left->op_type == "DequantizeLinear" ? 0 : 1;
    const std::optional<Tensor> f = constant_of(n->inputs[1 - side]);
    if (!f) return std::nullopt;
    factor = whole_numbers(*f);
    factor_shape = f->shape();
    n = producer(n->inputs[side]);
  }
  if (!n) return std::nullopt;
  std::optional<Dequantized> d = dequantized(g, constant_of, *n);
  if (!d) return std::nullopt;
  const Shape& source_shape = d->values->shape();
  if (factor) {
    if (!broadcasts_to(factor_shape, source_shape)) return std::nullopt;
    for (int32_t f : *factor)
      if (f < 1 || f > 255) return std::nullopt;
    d->factor = std::move(*factor);
    d->factor_shape = factor_shape;
  }
  std::optional<Tensor> map;
  if (!layout.empty()) {
    map = element_map(g, constant_of, layout, start, source_shape, value);
    if (!map) return std::nullopt;
  }
  const Shape& shape = map ? map->shape() : source_shape;
  if (shape.size() != 4 && shape.size() != 2) return std::nullopt;
  const bool conv = shape.size() == 4;
  // The weights as rows [M][K] in the kernel's order: element (m, k) of the layer's weight.
  const int64_t M = conv || !k_by_n ? shape[0] : shape[1];
  const int64_t Cg = conv ? shape[1] : 0, KH = conv ? shape[2] : 1, KW = conv ? shape[3] : 1;
  const int64_t K = conv ? Cg * KH * KW : k_by_n ? shape[0] : shape[1];
  auto layer_index = [&](int64_t m, int64_t k) -> int64_t {
    if (!conv) return k_by_n ? k * M + m : m * K + k;
    const int64_t kh = k / (KW * Cg), kw = k / Cg % KW, c = k % Cg;
    return ((m * Cg + c) * KH + kh) * KW + kw;
  };
  // Where it was dequantized.
  auto element = [&](int64_t m, int64_t k) -> int64_t {
    const int64_t at = layer_index(m, k);
    return map ? map->data<int32_t>()[at] : at;
  };
  // Two-level factors go into the values where every product fits s8.
  bool fold = !d->factor.empty();
  for (int64_t i = 0; fold && i < d->values->numel(); ++i)
    fold = std::abs(d->value(i) * d->factor_at(i)) <= 127;
  auto value_at = [&](int64_t e) { return fold ? d->value(e) * d->factor_at(e) : d->value(e); };
  auto scale_at = [&](int64_t e) {
    return fold ? d->scale_at(e) : d->scale_at(e) * static_cast<float>(d->factor_at(e));
  };

  IntegerWeights w;
  w.values = Tensor(DType::kInt8, conv ? shape : Shape{M, K});
  bool four_bit = true;
  int64_t boundaries = 0;  // the gcd of the k where a row's scale changes
  for (int64_t m = 0; m < M; ++m) {
    float previous = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = element(m, k);
      const int32_t v = value_at(e);
      four_bit = four_bit && v >= -8 && v <= 7;
      w.values.data<int8_t>()[conv ? layer_index(m, k) : m * K + k] = static_cast<int8_t>(v);
      const float s = scale_at(e);
      if (!(std::isfinite(s) && s > 0)) return std::nullopt;
      if (k > 0 && s != previous) boundaries = std::gcd(boundaries, k);
      previous = s;
    }
  }
  if (boundaries % 16 != 0) return std::nullopt;
  w.vector_size = boundaries;
  w.bits = four_bit ? 4 : 8;
  const int64_t vectors = w.vector_size ? (K + w.vector_size - 1) / w.vector_size : 1;
  w.scales = w.vector_size ? Tensor(DType::kFloat32, {M, vectors}) : Tensor(DType::kFloat32, {M});
  for (int64_t m = 0; m < M; ++m)
    for (int64_t v = 0; v < vectors; ++v)
      w.scales.data<float>()[m * vectors + v] = scale_at(element(m, v * w.vector_size));
  return w;
}

}  // namespace sinter
