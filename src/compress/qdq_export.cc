#include "compress/qdq_export.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

#include "compress/quant_targets.h"
#include "compress/quant_weights.h"
#include "core/error.h"
#include "kernels/quant/quantize_linear.h"
#include "onnx/opset_upgrade.h"

namespace sinter {

namespace {

// Adds initializers and nodes to a graph under fresh names derived from a hint.
class GraphWriter {
 public:
  explicit GraphWriter(Graph& g) : g_(g) {}

  std::string constant(const std::string& hint, Tensor value) {
    const std::string name = g_.unique_name(hint);
    g_.initializers.emplace(name, std::move(value));
    return name;
  }
  std::string shape_constant(const std::string& hint, const std::vector<int64_t>& values) {
    return constant(hint,
                    Tensor::from_vector<int64_t>({static_cast<int64_t>(values.size())}, values));
  }
  std::string node(const std::string& op_type, std::vector<std::string> inputs,
                   const std::string& hint, std::map<std::string, Attribute> attrs = {}) {
    Node n;
    n.op_type = op_type;
    n.inputs = std::move(inputs);
    n.outputs = {g_.unique_name(hint + "_" + op_type)};
    n.name = n.outputs[0];  // unique, as ONNX Runtime requires of node names
    n.attrs = std::move(attrs);
    g_.nodes.push_back(std::move(n));
    return g_.nodes.back().outputs[0];
  }

 private:
  Graph& g_;
};

// The weight as rows [channels, K]: a view for channel axis 0, a transposed copy for [K, N].
Tensor rows_of(const Tensor& w, int64_t channel_axis) {
  const int64_t channels = w.dim(channel_axis);
  const int64_t k = w.numel() / channels;
  if (channel_axis == 0 && w.rank() == 4) {
    // A Conv's row in window order (kh, kw, input channel): a vector is V input channels of one
    // tap, the order in which integer kernels sum a channels-last window.
    const int64_t C = w.dim(1), taps = w.dim(2) * w.dim(3);
    Tensor rows(DType::kFloat32, {channels, k});
    for (int64_t m = 0; m < channels; ++m)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < taps; ++t)
          rows.data<float>()[m * k + t * C + c] = w.data<float>()[(m * C + c) * taps + t];
    return rows;
  }
  if (channel_axis == 0) return w.reshaped({channels, k});
  Tensor rows(DType::kFloat32, {channels, k});
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < channels; ++c)
      rows.data<float>()[c * k + r] = w.data<float>()[r * channels + c];
  return rows;
}

// Rows [channels, K] (K <= width of `rows`) back in the weight's own layout.
Tensor weight_from_rows(const Tensor& rows, const Shape& shape, int64_t channel_axis) {
  const int64_t channels = shape[channel_axis];
  const int64_t k = shape_numel(shape) / channels;
  const int64_t width = rows.dim(1);
  Tensor w(DType::kFloat32, shape);
  if (channel_axis == 0 && shape.size() == 4) {
    const int64_t C = shape[1], taps = shape[2] * shape[3];
    for (int64_t m = 0; m < channels; ++m)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < taps; ++t)
          w.data<float>()[(m * C + c) * taps + t] = rows.data<float>()[m * width + t * C + c];
    return w;
  }
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < k; ++r) {
      const float v = rows.data<float>()[c * width + r];
      w.data<float>()[channel_axis == 0 ? c * k + r : r * channels + c] = v;
    }
  return w;
}

// Rows widened to `width` columns with zeros.
Tensor padded(const Tensor& rows, int64_t width) {
  const int64_t channels = rows.dim(0), k = rows.dim(1);
  Tensor p(DType::kFloat32, {channels, width});
  std::fill(p.data<float>(), p.data<float>() + p.numel(), 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    std::memcpy(p.data<float>() + c * width, rows.data<float>() + c * k, k * sizeof(float));
  return p;
}

// One weight quantized: the int8 initializer as stored, its params (for that stored shape) and
// what DequantizeLinear gives back, in the weight's own layout.
struct WeightQdq {
  Tensor q;
  QuantParams params;
  Tensor dequantized;
  std::optional<int64_t> axis;  // DequantizeLinear's per-axis axis; none per tensor
  // Per vector: the rows [channels, width] DequantizeLinear's [rows * width / V, V] output
  // reshapes to, of which the first k columns are the weight's.
  int64_t channels = 0, width = 0, k = 0;
  // Two-level vector scales: uint8 [channels, width / V, 1], multiplied into DequantizeLinear's
  // per-channel output [channels, width / V, V].
  std::optional<Tensor> vector_factor;
};

// int32 factors as the uint8 tensor the file stores (they are at most 2^8 - 1 here).
Tensor factor_bytes(const Tensor& factor, const Shape& shape) {
  Tensor out(DType::kUint8, shape);
  for (int64_t i = 0; i < factor.numel(); ++i)
    out.data<uint8_t>()[i] = static_cast<uint8_t>(factor.data<int32_t>()[i]);
  return out;
}

WeightQdq quantize_weight(const Tensor& w, int64_t channel_axis, QuantScheme s,
                          const std::string& what) {
  WeightQdq wq;
  if (s.granularity != QuantGranularity::kVector) {
    s.channel_axis = channel_axis;
    wq.params = choose_weight_params(w, s, what);
    wq.q = quantize_tensor(w, wq.params);
    wq.dequantized = dequantize_tensor(wq.q, wq.params);
    if (s.granularity == QuantGranularity::kChannel) wq.axis = channel_axis;
    return wq;
  }
  const Tensor rows = rows_of(w, channel_axis);
  const int64_t v = s.vector_size;
  wq.channels = rows.dim(0);
  wq.k = rows.dim(1);
  wq.width = (wq.k + v - 1) / v * v;
  const Tensor wide = padded(rows, wq.width);
  s.vector_axis = 1;
  const QuantParams wide_params = choose_weight_params(wide, s, what);
  const Tensor q = quantize_tensor(wide, wide_params);
  wq.dequantized = weight_from_rows(dequantize_tensor(q, wide_params), w.shape(), channel_axis);
  wq.axis = 0;
  if (wide_params.two_level) {
    // [channels, width / V, V]: the float channel scales on axis 0, the factors multiplied in.
    const Shape blocked = {wq.channels, wq.width / v, v};
    wq.q = q.reshaped(blocked);
    wq.params = wide_params;
    wq.params.scheme.granularity = QuantGranularity::kChannel;
    wq.params.scale = wide_params.two_level->channel_scale.reshaped({wq.channels, 1, 1});
    wq.params.zero_point = Tensor(DType::kInt8, {wq.channels, 1, 1});  // symmetric: unused
    std::fill_n(wq.params.zero_point.data<int8_t>(), wq.channels, int8_t{0});
    wq.vector_factor =
        factor_bytes(wide_params.two_level->vector_factor, {wq.channels, wq.width / v, 1});
    return wq;
  }
  // Each vector a row of its own: per-axis params on axis 0 are then per-vector params.
  const Shape vectors = {wq.channels * wq.width / v, v};
  wq.q = q.reshaped(vectors);
  wq.params = wide_params;
  wq.params.scheme.granularity = QuantGranularity::kChannel;
  wq.params.scheme.channel_axis = 0;
  wq.params.scale = wide_params.scale.reshaped({vectors[0], 1});
  wq.params.zero_point = wide_params.zero_point.reshaped({vectors[0], 1});
  return wq;
}

// int8 values in [-8, 7] as opset 21's int4 type, which files store packed two a byte.
Tensor as_int4(const Tensor& t) {
  Tensor out(DType::kInt4, t.shape());
  std::memcpy(out.raw(), t.raw(), t.nbytes());
  return out;
}

// Where element e of the layer's weight (shaped `shape`, output channels on `channel_axis`) sits
// in its rows [channels, K]: (m, k), k in window order for a Conv.
struct RowPosition {
  int64_t m, k;
};
RowPosition row_position(int64_t e, const Shape& shape, int64_t channel_axis) {
  if (shape.size() == 4) {
    const int64_t C = shape[1], taps = shape[2] * shape[3];
    return {e / (C * taps), e % taps * C + e / taps % C};
  }
  if (channel_axis == 0) return {e / shape[1], e % shape[1]};
  return {e % shape[1], e / shape[1]};
}

// Opset 21's form of per-vector weights: the values in the layer's own layout behind one
// DequantizeLinear whose scales come in blocks of V along the reduction axis (a Conv's input
// channels). It holds where every vector is such a block: for Gemm/MatMul and 1x1 Convs, and for
// larger windows when V divides the input channels (no vector spans two taps). The blocked
// params are filled through the same layout helper the kernels use.
bool vectors_are_blocks(const Shape& shape, int64_t v) {
  return shape.size() == 2 || shape[2] * shape[3] == 1 || shape[1] % v == 0;
}

std::string write_blocked_weight(GraphWriter& out, const std::string& name, const Shape& shape,
                                 const QuantTarget& t, const WeightQdq& wq, bool four_bit,
                                 std::set<std::string>& storage) {
  const int64_t v = wq.q.dim(1), vectors = wq.width / v;
  const int64_t axis = shape.size() == 4 || t.channel_axis == 0 ? 1 : 0;
  Shape blocked = shape;
  blocked[axis] = (shape[axis] + v - 1) / v;
  kernels::AxisLayout layout;
  for (int64_t d = 0; d < axis; ++d) layout.outer *= shape[d];
  layout.channels = shape[axis];
  for (size_t d = axis + 1; d < shape.size(); ++d) layout.inner *= shape[d];
  layout.block = v;
  Tensor q(DType::kInt8, shape), scale(DType::kFloat32, blocked), zp(DType::kInt8, blocked);
  for (int64_t e = 0; e < q.numel(); ++e) {
    const RowPosition p = row_position(e, shape, t.channel_axis);
    q.data<int8_t>()[e] = wq.q.data<int8_t>()[p.m * wq.width + p.k];
    const int64_t param = layout.param_index(e), vector = p.m * vectors + p.k / v;
    scale.data<float>()[param] = wq.params.scale.data<float>()[vector];
    zp.data<int8_t>()[param] = wq.params.zero_point.data<int8_t>()[vector];
  }
  std::vector<std::string> inputs = {
      out.constant(name + "_quantized", four_bit ? as_int4(q) : std::move(q)),
      out.constant(name + "_scale", std::move(scale))};
  if (!wq.params.scheme.symmetric)
    inputs.push_back(out.constant(name + "_zero_point", four_bit ? as_int4(zp) : std::move(zp)));
  storage.insert(inputs.begin(), inputs.end());
  return out.node("DequantizeLinear", std::move(inputs), name, {{"axis", axis}, {"block_size", v}});
}

// Writes the weight's DequantizeLinear (and the layout nodes after it for vectors) and returns
// the float weight value; the initializers holding the quantized weight are added to `storage`.
// From opset 21, 4-bit values are written as int4 and per-vector scales as blocks where they
// can be.
std::string write_weight(GraphWriter& out, const std::string& name, const Shape& shape,
                         const QuantTarget& t, const WeightQdq& wq, int64_t opset,
                         std::set<std::string>& storage) {
  const bool four_bit = opset >= 21 && wq.params.scheme.bits == 4;
  if (opset >= 21 && wq.width > 0 && !wq.vector_factor && vectors_are_blocks(shape, wq.q.dim(1)))
    return write_blocked_weight(out, name, shape, t, wq, four_bit, storage);
  const Shape param_shape = wq.axis ? Shape{wq.params.scale.numel()} : Shape{};
  std::vector<std::string> inputs = {
      out.constant(name + "_quantized", four_bit ? as_int4(wq.q) : wq.q),
      out.constant(name + "_scale", wq.params.scale.reshaped(param_shape))};
  // A symmetric grid's zero point is 0, DequantizeLinear's default: nothing to store.
  if (!wq.params.scheme.symmetric) {
    const Tensor zp = wq.params.zero_point.reshaped(param_shape);
    inputs.push_back(out.constant(name + "_zero_point", four_bit ? as_int4(zp) : zp));
  }
  storage.insert(inputs.begin(), inputs.end());
  std::map<std::string, Attribute> attrs;
  if (wq.axis) attrs["axis"] = *wq.axis;
  std::string value = out.node("DequantizeLinear", std::move(inputs), name, std::move(attrs));
  if (wq.width == 0) return value;
  if (wq.vector_factor) {
    const std::string factor = out.constant(name + "_vector_factor", *wq.vector_factor);
    storage.insert(factor);
    value = out.node("Mul", {value, out.node("Cast", {factor}, name, {{"to", int64_t{1}}})}, name);
  }

  value = out.node("Reshape", {value, out.shape_constant(name + "_rows", {wq.channels, wq.width})},
                   name);
  if (wq.width != wq.k)
    value = out.node(
        "Slice",
        {value, out.shape_constant(name + "_starts", {0}),
         out.shape_constant(name + "_ends", {wq.k}), out.shape_constant(name + "_axes", {1})},
        name);
  if (t.channel_axis == 1)
    return out.node("Transpose", {value}, name, {{"perm", std::vector<int64_t>{1, 0}}});
  if (shape.size() == 2) return value;
  // Rows in window order (rows_of) -> [M, kh, kw, C] -> [M, C, kh, kw].
  value = out.node(
      "Reshape",
      {value, out.shape_constant(name + "_window_shape", {shape[0], shape[2], shape[3], shape[1]})},
      name);
  return out.node("Transpose", {value}, name, {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
}

// Values at `bits` each (the padding of a last short vector not counted: a packed format need
// not store it), scales as float32, zero points as int8 when there are any.
// Two-level factors take their S bits each.
int64_t packed_bytes(const Tensor& w, const WeightQdq& wq) {
  const QuantScheme& s = wq.params.scheme;
  const int64_t factors = wq.vector_factor ? (wq.vector_factor->numel() * s.scale_bits + 7) / 8 : 0;
  return (w.numel() * s.bits + 7) / 8 + wq.params.scale.numel() * 4 + factors +
         (s.symmetric ? 0 : wq.params.zero_point.numel());
}

// QuantizeLinear -> DequantizeLinear on `value`; returns the dequantized value.
std::string write_activation(GraphWriter& out, const std::string& value, const QuantParams& p) {
  Tensor zero_point;
  if (p.scheme.symmetric) {
    zero_point = Tensor::scalar<int8_t>(0);
  } else {  // uint8 = int8 + 128 on the same scale: the same grid, the type int8 kernels prefer
    zero_point =
        Tensor::scalar<uint8_t>(static_cast<uint8_t>(p.zero_point.data<int8_t>()[0] + 128));
  }
  const std::string scale = out.constant(value + "_scale", p.scale.reshaped({}));
  const std::string zp = out.constant(value + "_zero_point", zero_point);
  const std::string q = out.node("QuantizeLinear", {value, scale, zp}, value);
  return out.node("DequantizeLinear", {q, scale, zp}, value);
}

void check_options(const Graph& model, const QuantScheme& weights,
                   const std::map<std::string, QuantParams>& activations, const QdqFormat& format) {
  if (format.opset != 0 && (format.opset < std::max<int64_t>(model.opset, 13) || format.opset > 21))
    throw InputError(cat("QDQ export writes opsets from the model's (", model.opset,
                         ") up to 21, not ", format.opset));
  if (weights.bits != 4 && weights.bits != 8)
    throw InputError(cat("weight bits must be 4 or 8, got ", weights.bits));
  if (weights.granularity == QuantGranularity::kVector && weights.vector_size < 1)
    throw InputError(cat("vector size must be at least 1, got ", weights.vector_size));
  if (weights.granularity == QuantGranularity::kVector && weights.scale_bits > 0 &&
      (!weights.symmetric || weights.scale_bits > 8))
    throw UnsupportedError(
        cat("QDQ export of two-level vector scales needs symmetric weights and at most 8 scale "
            "bits (a factor is stored as uint8), got ",
            weights.symmetric ? "symmetric" : "asymmetric", " weights and ", weights.scale_bits,
            " scale bits"));
  if (model.opset < 13)
    throw InputError(
        cat("QDQ export needs opset 13 or later (per-axis DequantizeLinear), the "
            "model is at opset ",
            model.opset));
  for (const auto& [value, p] : activations)
    if (p.scheme.bits != 8 || p.scale.numel() != 1)
      throw InputError(cat("activation '", value,
                           "': QDQ export needs per-tensor 8-bit params, got ", p.scheme.bits,
                           " bits and ", p.scale.numel(), " scales"));
}

}  // namespace

Tensor exported_weight(const Tensor& w, int64_t channel_axis, const QuantScheme& scheme,
                       const std::string& what) {
  return quantize_weight(w, channel_axis, scheme, what).dequantized;
}

QdqModel export_qdq(const Graph& model, const QuantScheme& weights,
                    const std::map<std::string, QuantParams>& activations,
                    const QdqFormat& format) {
  check_options(model, weights, activations, format);
  const std::vector<QuantTarget> targets = find_quant_targets(model);
  if (targets.empty())
    throw InputError(cat("the model", model.name.empty() ? "" : " '" + model.name + "'",
                         " has nothing to quantize: no Conv, Gemm or MatMul with a constant "
                         "float32 weight"));

  QdqModel result;
  result.graph = model;
  Graph& g = result.graph;
  if (format.opset > g.opset) upgrade_opset(g, format.opset);
  GraphWriter out(g);
  std::map<std::string, std::string> dequantized;  // float weight -> its QDQ replacement
  std::set<std::string> weight_storage;
  for (const QuantTarget& t : targets) {
    auto [w_it, new_weight] = dequantized.try_emplace(t.weight);
    if (new_weight) {
      const Tensor& w = model.initializers.at(t.weight);
      const WeightQdq wq = quantize_weight(w, t.channel_axis, weights, t.weight);
      w_it->second = write_weight(out, t.weight, w.shape(), t, wq, g.opset, weight_storage);
      result.weights.push_back({t.weight, w.shape(), wq.params.scale.numel(),
                                static_cast<int64_t>(w.nbytes()), packed_bytes(w, wq),
                                quantization_error(w, wq.dequantized)});
      result.float_weight_bytes += result.weights.back().float_bytes;
      result.quantized_weight_bytes += result.weights.back().packed_bytes;
    }
    g.nodes[t.node].inputs[1] = w_it->second;
  }
  // Each calibrated value (the layers' inputs, and their outputs after an activation) gets a pair
  // that every reader reads, so that an engine sees u8 tensors between quantized layers.
  for (const auto& [value, p] : activations) {
    const size_t readers_end = g.nodes.size();
    const std::string dq = write_activation(out, value, p);
    for (size_t i = 0; i < readers_end; ++i)
      for (std::string& in : g.nodes[i].inputs)
        if (in == value) in = dq;
    for (const std::string& o : g.outputs)
      if (o == value)  // the pair would have to take over the output's name
        throw InputError(cat("activation '", value, "' is a graph output; it stays float"));
    result.activations.push_back(value);
  }
  g.topological_sort();

  // A float weight that nothing else reads is gone from the file.
  const auto uses = g.use_counts();
  for (const QuantizedWeight& w : result.weights)
    if (auto u = uses.find(w.name); u == uses.end() || u->second == 0) g.initializers.erase(w.name);
  // Inner values' types are inferred again by whoever loads the model; stale ones (of the
  // replaced weights) must not be written as value_info.
  std::unordered_map<std::string, ValueType> kept;
  for (const auto* names : {&g.inputs, &g.outputs})
    for (const std::string& v : *names)
      if (auto t = g.types.find(v); t != g.types.end()) kept.emplace(v, t->second);
  g.types = std::move(kept);

  for (const auto& [name, t] : g.initializers)
    if (!weight_storage.count(name)) result.other_bytes += static_cast<int64_t>(t.nbytes());
  return result;
}

}  // namespace sinter
