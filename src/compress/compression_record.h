#pragma once
// How a model file says it was compressed, written and read in one place: pruning records
// sinter.prune.* and quantization sinter.quantization.* in the model's metadata, each field under
// its own key, and reports read them back. A quantized model that was pruned first carries both,
// since quantizing keeps the float model's metadata.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compress/post_training_quantization.h"
#include "compress/prune_scheme.h"
#include "compress/quant_scheme.h"
#include "compress/storage_size.h"
#include "ir/graph.h"

namespace sinter {

struct PruneRecord {
  PruneScheme scheme;                            // with the pattern count and connectivity
  std::string method;                            // admm, magnitude, gradual
  double sparsity = 0.0;                         // of the pruned layers
  std::vector<std::string> weights;              // the pruned weights
  int bits = 0;                                  // survivors on 2^bits-level grids; 0: float
  std::map<std::string, double> layer_sparsity;  // per-weight sparsities that replaced the scheme's
  std::vector<int> patterns;  // kPattern: the set, 9-bit masks (bit 3 * row + col)
};

struct QuantizationRecord {
  QuantScheme weights;  // bits, symmetry, granularity, vector size, scale bits
  ActivationQuantization activations = ActivationQuantization::kUint8;
  std::string calibration;  // how activation ranges were chosen, for people
  int64_t qat_epochs = 0;   // quantization-aware fine-tuning before export
  // A QDQ model without sinter's record: only its integer width (weights.bits) is known.
  bool foreign = false;

  // "int4 symmetric weights per vector:16; uint8 activations calibrated by minmax on 500 images
  // of fashion-mnist; weights fine-tuned quantization-aware for 2 epochs".
  std::string describe() const;
};

struct CompressionRecord {
  std::optional<PruneRecord> prune;                // none: not pruned
  std::optional<QuantizationRecord> quantization;  // none: float weights

  // The storage format that fits the pruning (kDense when not pruned).
  StorageFormat storage_format() const;
  // Bits a stored weight value takes: the quantized width, else 32.
  int value_bits() const;
  // A short label for tables: "dense", "unstructured 90.0% magnitude", "pattern 88.0% admm +
  // int4 symmetric per channel", ...
  std::string label() const;
};

// Writes `record` into the model's metadata, replacing every sinter.prune.* and
// sinter.quantization* key it held.
void write_compression_record(const CompressionRecord& record, Graph& model);

// Reads the metadata back. A QDQ model without sinter.quantization.* keys (written by another
// tool, or by a sinter before these keys) is `foreign`, its width read off its integer weights: 4
// when all lie in the 4-bit range, else 8. Throws ModelError naming the key for a value that does
// not parse.
CompressionRecord read_compression_record(const Graph& model);

}  // namespace sinter
