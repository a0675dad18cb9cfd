#include "compress/compression_record.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/parse_number.h"

namespace sinter {

namespace {

using Json = nlohmann::json;

constexpr const char* kPrunePrefix = "sinter.prune.";
constexpr const char* kQuantizationPrefix = "sinter.quantization";

const char* activation_name(ActivationQuantization a) {
  switch (a) {
    case ActivationQuantization::kNone:
      return "none";
    case ActivationQuantization::kUint8:
      return "uint8";
    case ActivationQuantization::kInt8:
      return "int8";
  }
  return "?";
}

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// Reads the model's metadata, each failure a ModelError naming the key.
class MetadataReader {
 public:
  explicit MetadataReader(const Graph& model) : model_(model) {}

  const std::string* find(const std::string& key) const {
    auto it = model_.metadata.find(key);
    return it == model_.metadata.end() ? nullptr : &it->second;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }

  std::string text(const std::string& key) const {
    const std::string* v = find(key);
    return v ? *v : std::string();
  }

  // The number at `key` (`fallback` when absent), which must lie in [lo, hi]; whole when `whole`.
  double number(const std::string& key, double fallback, double lo, double hi,
                bool whole = false) const {
    const std::string* v = find(key);
    if (!v) return fallback;
    const std::optional<double> d = parse_double(*v);
    if (!d || *d < lo || *d > hi || (whole && *d != std::floor(*d)))
      throw ModelError(cat("metadata ", key, " '", *v, "' is not ",
                           whole ? "a whole number" : "a number", " in [", lo, ", ", hi, "]"));
    return *d;
  }

  Json json(const std::string& key, bool array) const {
    const std::string* v = find(key);
    if (!v) return array ? Json::array() : Json::object();
    Json j = Json::parse(*v, nullptr, false);
    if (j.is_discarded() || (array ? !j.is_array() : !j.is_object()))
      throw ModelError(
          cat("metadata ", key, " '", *v, "' is not a JSON ", array ? "list" : "object"));
    return j;
  }

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw ModelError(cat("metadata ", key, " '", text(key), "' ", why));
  }

 private:
  const Graph& model_;
};

PruneRecord read_prune(const MetadataReader& m) {
  const std::string scheme_key = cat(kPrunePrefix, "scheme");
  PruneRecord p;
  try {
    p.scheme = parse_prune_scheme(m.text(scheme_key));
  } catch (const InputError& e) {
    throw ModelError(cat("metadata ", scheme_key, ": ", e.what()));
  }
  p.method = m.text(cat(kPrunePrefix, "method"));
  p.sparsity = m.number(cat(kPrunePrefix, "sparsity"), 0, 0, 1);
  const std::string weights = m.text(cat(kPrunePrefix, "weights"));
  for (size_t begin = 0; begin < weights.size();) {
    const size_t end = std::min(weights.find(',', begin), weights.size());
    p.weights.push_back(weights.substr(begin, end - begin));
    begin = end + 1;
  }
  p.bits = static_cast<int>(m.number(cat(kPrunePrefix, "bits"), 0, 2, 8, true));
  const std::string layers_key = cat(kPrunePrefix, "layer_sparsity");
  const Json layers = m.json(layers_key, false);
  for (const auto& [name, value] : layers.items()) {
    if (!value.is_number() || value.get<double>() < 0 || value.get<double>() >= 1)
      m.fail(layers_key, cat("gives '", name, "' a sparsity outside [0, 1)"));
    p.layer_sparsity[name] = value.get<double>();
  }
  if (p.scheme.kind != PruneKind::kPattern) return p;
  const std::string patterns_key = cat(kPrunePrefix, "patterns");
  if (!m.has(patterns_key))
    throw ModelError(cat("metadata ", scheme_key, " is pattern but ", patterns_key,
                         " (the pattern set) is missing"));
  const Json masks = m.json(patterns_key, true);
  for (const Json& mask : masks) {
    if (!mask.is_number_integer() || mask.get<int64_t>() < 1 || mask.get<int64_t>() > 511)
      m.fail(patterns_key, "is not a list of 9-bit pattern masks");
    p.patterns.push_back(mask.get<int>());
  }
  if (p.patterns.empty()) m.fail(patterns_key, "holds no pattern");
  p.scheme.pattern_count = static_cast<int64_t>(p.patterns.size());
  p.scheme.connectivity = m.number(cat(kPrunePrefix, "connectivity"), 1, 1, 1e9);
  return p;
}

std::string quantization_key(const char* field) { return cat(kQuantizationPrefix, ".", field); }

QuantizationRecord read_quantization(const MetadataReader& m) {
  QuantizationRecord q;
  const int bits = static_cast<int>(m.number(quantization_key("bits"), 0, 4, 8, true));
  if (bits != 4 && bits != 8) m.fail(quantization_key("bits"), "is not 4 or 8");
  q.weights.bits = bits;
  const std::string weights = m.text(quantization_key("weights"));
  if (weights != "symmetric" && weights != "asymmetric")
    m.fail(quantization_key("weights"), "is not symmetric or asymmetric");
  q.weights.symmetric = weights == "symmetric";
  try {
    parse_granularity(m.text(quantization_key("granularity")), q.weights);
  } catch (const InputError& e) {
    throw ModelError(cat("metadata ", quantization_key("granularity"), ": ", e.what()));
  }
  q.weights.scale_bits = static_cast<int>(m.number(quantization_key("scale_bits"), 0, 2, 16, true));
  const std::string activations = m.text(quantization_key("activations"));
  bool known = false;
  for (auto a : {ActivationQuantization::kNone, ActivationQuantization::kUint8,
                 ActivationQuantization::kInt8})
    if (activations == activation_name(a)) {
      q.activations = a;
      known = true;
    }
  if (!known) m.fail(quantization_key("activations"), "is not none, uint8 or int8");
  q.calibration = m.text(quantization_key("calibration"));
  q.qat_epochs = static_cast<int64_t>(m.number(quantization_key("qat_epochs"), 0, 0, 1e9, true));
  return q;
}

// The width of a QDQ file's integer weights read off their values: 4 when every weight behind a
// DequantizeLinear lies in the 4-bit range of its type (as int4 types and 4-bit values held in
// int8 do), 8 otherwise; 0 without integer weights.
int integer_weight_bits(const Graph& model) {
  int bits = 0;
  for (const Node& n : model.nodes) {
    if (n.op_type != "DequantizeLinear" || n.inputs.empty()) continue;
    auto q = model.initializers.find(n.inputs[0]);
    if (q == model.initializers.end()) continue;
    const Tensor& t = q->second;
    const DType stored = storage_dtype(t.dtype());
    if (stored != DType::kInt8 && stored != DType::kUint8) continue;
    bits = std::max(bits, 4);
    for (int64_t i = 0; i < t.numel() && bits == 4; ++i) {
      const double v = t.value_as_double(i);
      if (stored == DType::kInt8 ? (v < -8 || v > 7) : v > 15) bits = 8;
    }
  }
  return bits;
}

}  // namespace

std::string QuantizationRecord::describe() const {
  if (foreign) return cat("int", weights.bits, " (QDQ)");
  std::string s = cat("int", weights.bits, " ", weights.symmetric ? "symmetric" : "asymmetric",
                      " weights per ", granularity_name(weights),
                      weights.scale_bits ? cat(" (two-level scales: ", weights.scale_bits,
                                               "-bit factors times a float per channel)")
                                         : "",
                      "; ");
  s += activations == ActivationQuantization::kNone
           ? "float activations"
           : cat(activation_name(activations), " activations",
                 calibration.empty() ? "" : " calibrated by " + calibration);
  if (qat_epochs > 0)
    s += cat("; weights fine-tuned quantization-aware for ", qat_epochs,
             " epochs (straight-through estimator)");
  return s;
}

StorageFormat CompressionRecord::storage_format() const {
  if (!prune) return StorageFormat::kDense;
  switch (prune->scheme.kind) {
    case PruneKind::kFilter:
    case PruneKind::kChannel:
      return StorageFormat::kCompact;
    case PruneKind::kPattern:
      return StorageFormat::kPattern;
    default:
      return StorageFormat::kCsr;
  }
}

int CompressionRecord::value_bits() const { return quantization ? quantization->weights.bits : 32; }

std::string CompressionRecord::label() const {
  std::string s;
  if (prune) {
    char sparsity[32];
    std::snprintf(sparsity, sizeof sparsity, "%.1f%%", 100 * prune->sparsity);
    s = cat(scheme_name(prune->scheme), " ", sparsity,
            prune->method.empty() ? "" : " " + prune->method);
  }
  if (quantization) {
    const QuantizationRecord& q = *quantization;
    const std::string weights =
        q.foreign
            ? q.describe()
            : cat("int", q.weights.bits, " ", q.weights.symmetric ? "symmetric" : "asymmetric",
                  " per ", granularity_name(q.weights), q.qat_epochs > 0 ? ", QAT" : "");
    s += (s.empty() ? "" : " + ") + weights;
  }
  return s.empty() ? "dense" : s;
}

void write_compression_record(const CompressionRecord& record, Graph& model) {
  for (auto it = model.metadata.begin(); it != model.metadata.end();)
    it = it->first.rfind(kPrunePrefix, 0) == 0 || it->first.rfind(kQuantizationPrefix, 0) == 0
             ? model.metadata.erase(it)
             : std::next(it);
  auto set = [&](const std::string& key, const std::string& value) { model.metadata[key] = value; };
  if (const auto& p = record.prune) {
    set(cat(kPrunePrefix, "scheme"), scheme_name(p->scheme));
    set(cat(kPrunePrefix, "method"), p->method);
    set(cat(kPrunePrefix, "sparsity"), number_text(p->sparsity));
    std::string weights;
    for (const std::string& w : p->weights) weights += (weights.empty() ? "" : ",") + w;
    set(cat(kPrunePrefix, "weights"), weights);
    if (p->bits) set(cat(kPrunePrefix, "bits"), std::to_string(p->bits));
    if (!p->layer_sparsity.empty())
      set(cat(kPrunePrefix, "layer_sparsity"), Json(p->layer_sparsity).dump());
    if (p->scheme.kind == PruneKind::kPattern) {
      set(cat(kPrunePrefix, "patterns"), Json(p->patterns).dump());
      set(cat(kPrunePrefix, "connectivity"), number_text(p->scheme.connectivity));
    }
  }
  if (const auto& q = record.quantization; q && !q->foreign) {
    set(kQuantizationPrefix, q->describe());  // for people; the fields below are what is read
    set(quantization_key("bits"), std::to_string(q->weights.bits));
    set(quantization_key("weights"), q->weights.symmetric ? "symmetric" : "asymmetric");
    set(quantization_key("granularity"), granularity_name(q->weights));
    if (q->weights.scale_bits)
      set(quantization_key("scale_bits"), std::to_string(q->weights.scale_bits));
    set(quantization_key("activations"), activation_name(q->activations));
    if (!q->calibration.empty()) set(quantization_key("calibration"), q->calibration);
    if (q->qat_epochs) set(quantization_key("qat_epochs"), std::to_string(q->qat_epochs));
  }
}

CompressionRecord read_compression_record(const Graph& model) {
  const MetadataReader m(model);
  CompressionRecord r;
  if (m.has(cat(kPrunePrefix, "scheme"))) r.prune = read_prune(m);
  if (m.has(quantization_key("bits"))) {
    r.quantization = read_quantization(m);
  } else if (const int bits = integer_weight_bits(model)) {
    r.quantization = QuantizationRecord{};
    r.quantization->weights.bits = bits;
    r.quantization->foreign = true;
  }
  return r;
}

}  // namespace sinter
