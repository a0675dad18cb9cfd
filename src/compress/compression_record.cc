#include "compress/compression_record.h"

#include <cstdio>

#include "core/error.h"
#include "core/parse_number.h"

namespace sinter {

namespace {

const std::string* find(const Graph& model, const char* key) {
  auto it = model.metadata.find(key);
  return it == model.metadata.end() ? nullptr : &it->second;
}

double parse_fraction(const std::string& text, const char* key) {
  const std::optional<double> v = parse_double(text);
  if (!v || !(*v >= 0 && *v <= 1))
    throw ModelError(cat("metadata ", key, " '", text, "' is not a fraction in [0, 1]"));
  return *v;
}

// The numbers of a JSON list of integers, as sinter prune writes the pattern set: "[27,54]".
int64_t count_list_items(const std::string& text, const char* key) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']' ||
      text.find_first_not_of("0123456789, ", 1) != text.size() - 1)
    throw ModelError(cat("metadata ", key, " '", text, "' is not a list of pattern masks"));
  int64_t items = 0;
  bool in_number = false;
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    items += digit && !in_number;
    in_number = digit;
  }
  return items;
}

// "int4 symmetric weights per channel; ..." -> 4; 0 when the text does not start with intN.
int bits_of(const std::string& quantization) {
  int bits = 0;
  return std::sscanf(quantization.c_str(), "int%d", &bits) == 1 ? bits : 0;
}

bool has_integer_weights(const Graph& model) {
  for (const Node& n : model.nodes) {
    if (n.op_type != "DequantizeLinear" || n.inputs.empty()) continue;
    auto q = model.initializers.find(n.inputs[0]);
    if (q != model.initializers.end() && (storage_dtype(q->second.dtype()) == DType::kInt8 ||
                                          storage_dtype(q->second.dtype()) == DType::kUint8))
      return true;
  }
  return false;
}

}  // namespace

StorageFormat CompressionRecord::storage_format() const {
  if (!prune) return StorageFormat::kDense;
  switch (prune->kind) {
    case PruneKind::kFilter:
    case PruneKind::kChannel:
      return StorageFormat::kCompact;
    case PruneKind::kPattern:
      return StorageFormat::kPattern;
    default:
      return StorageFormat::kCsr;
  }
}

std::string CompressionRecord::label() const {
  std::string s;
  if (prune) {
    char sparsity[32];
    std::snprintf(sparsity, sizeof sparsity, "%.1f%%", 100 * prune_sparsity);
    s = cat(scheme_name(*prune), " ", sparsity, prune_method.empty() ? "" : " " + prune_method);
  }
  if (!quantization.empty()) {
    // The weights' clause only: "int4 symmetric weights per channel" -> "int4 symmetric per
    // channel"; the activations' calibration is too long for a table.
    std::string q = quantization.substr(0, quantization.find(';'));
    if (const size_t w = q.find(" weights"); w != std::string::npos) q.erase(w, 8);
    if (quantization.find("quantization-aware") != std::string::npos) q += ", QAT";
    s += (s.empty() ? "" : " + ") + q;
  }
  return s.empty() ? "dense" : s;
}

CompressionRecord read_compression_record(const Graph& model) {
  CompressionRecord r;
  if (const std::string* scheme = find(model, kPruneSchemeKey)) {
    try {
      r.prune = parse_prune_scheme(*scheme);
    } catch (const InputError& e) {
      throw ModelError(cat("metadata ", kPruneSchemeKey, ": ", e.what()));
    }
    if (const std::string* method = find(model, kPruneMethodKey)) r.prune_method = *method;
    if (const std::string* sparsity = find(model, kPruneSparsityKey))
      r.prune_sparsity = parse_fraction(*sparsity, kPruneSparsityKey);
    if (r.prune->kind == PruneKind::kPattern) {
      const std::string* patterns = find(model, kPrunePatternsKey);
      if (!patterns)
        throw ModelError(cat("metadata ", kPruneSchemeKey, " is pattern but ", kPrunePatternsKey,
                             " (the pattern set) is missing"));
      r.pattern_set_size = count_list_items(*patterns, kPrunePatternsKey);
      if (r.pattern_set_size < 1)
        throw ModelError(cat("metadata ", kPrunePatternsKey, " holds no pattern"));
    }
  }
  if (const std::string* quantization = find(model, kQuantizationKey)) {
    r.quantization = *quantization;
    r.quantized_bits = bits_of(*quantization);
    if (r.quantized_bits != 4 && r.quantized_bits != 8)
      throw ModelError(cat("metadata ", kQuantizationKey, " '", *quantization,
                           "' does not start with int4 or int8"));
  } else if (has_integer_weights(model)) {
    r.quantization = "int8 (QDQ)";
    r.quantized_bits = 8;
  }
  return r;
}

}  // namespace sinter
