#pragma once
// How a model file says it was compressed: the metadata `sinter prune` writes (sinter.prune.*)
// and `sinter quantize` writes (sinter.quantization), read back for reports. A quantized model
// that was pruned first carries both, since quantizing keeps the float model's metadata.
#include <cstdint>
#include <optional>
#include <string>

#include "compress/prune_scheme.h"
#include "compress/storage_size.h"
#include "ir/graph.h"

namespace sinter {

inline constexpr const char* kPruneSchemeKey = "sinter.prune.scheme";
inline constexpr const char* kPruneMethodKey = "sinter.prune.method";
inline constexpr const char* kPruneSparsityKey = "sinter.prune.sparsity";
inline constexpr const char* kPrunePatternsKey = "sinter.prune.patterns";
inline constexpr const char* kQuantizationKey = "sinter.quantization";

struct CompressionRecord {
  std::optional<PruneScheme> prune;  // none: not pruned
  std::string prune_method;          // admm, magnitude, gradual
  double prune_sparsity = 0.0;       // of the pruned layers
  int64_t pattern_set_size = 0;      // pattern scheme: the patterns in the set
  std::string quantization;          // the description as written; empty: not quantized
  int quantized_bits = 0;            // 4 or 8; 0 when not quantized

  // The storage format that fits the pruning (kDense when not pruned).
  StorageFormat storage_format() const;
  // A short label for tables: "dense", "unstructured 90% magnitude", "pattern(8) 88% admm +
  // int4 symmetric per channel", ...
  std::string label() const;
};

// Reads the metadata. A QDQ model without sinter.quantization (written by another tool) counts as
// 8-bit when it holds integer weights, the width of its int8 type. Throws ModelError naming the
// key for metadata that does not parse (an unknown scheme, a malformed pattern list).
CompressionRecord read_compression_record(const Graph& model);

}  // namespace sinter
