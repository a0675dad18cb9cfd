#pragma once
// Pruning a trained classifier in one call, the workflow behind `sinter prune`: reach a sparsity
// scheme by ADMM, one-shot magnitude or gradual magnitude pruning, retrain with the pruned
// weights held at zero (quantization-aware when the survivors go onto b-bit grids too), and
// return the model with its compression record in its metadata, the accuracies along the way
// and its storage in each format that fits.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compress/compression_record.h"
#include "compress/model_storage.h"
#include "compress/prune_plan.h"
#include "compress/prune_scheme.h"
#include "ir/graph.h"
#include "train/evaluate.h"
#include "train/fine_tune.h"

namespace sinter {

enum class PruneMethod {
  kAdmm,       // ADMM training towards the constraint set, then hard pruning
  kMagnitude,  // one-shot projection
  kGradual,    // sparsity ramped on Zhu & Gupta's cubic curve
};

// "admm", "magnitude" or "gradual"; throws InputError naming the text otherwise.
PruneMethod parse_prune_method(const std::string& text);
std::string prune_method_name(PruneMethod method);

// What to prune and how. A number that the scheme or the method does not use is refused rather
// than ignored, so those numbers are optional. Error messages name the fields as the CLI's
// options spell them (--sparsity, --rho, ...).
struct PruneRequest {
  std::string scheme = "unstructured";  // as parse_prune_scheme spells it
  std::optional<double> sparsity;       // schemes with a free sparsity need it; N:M refuses it
  std::optional<int64_t> patterns;      // pattern scheme: the size of the pattern set (8)
  std::optional<double> connectivity;   // pattern scheme: keep 1/R of the 3x3 kernels (1)
  PruneMethod method = PruneMethod::kAdmm;
  std::optional<int64_t> admm_epochs;  // admm and gradual: epochs before hard pruning (3)
  int64_t retrain_epochs = 3;          // masked retraining after pruning; 0: none
  // Steps between ADMM's Z/U updates or gradual pruning's cuts; 0: a quarter of an epoch for
  // admm, a tenth for gradual.
  int64_t interval = 0;
  std::optional<float> rho, rho_factor, rho_max;  // admm only; AdmmOptions' defaults
  int bits = 0;      // 4 or 8: the survivors on symmetric per-channel grids too; 0: float
  PruneRules rules;  // stem and classifier, per-layer sparsities
  FineTuneSettings training;
  std::string data = "fashion-mnist";  // data/dataset_spec.h
  int64_t train_limit = 0;             // the first N training images; 0: all
  int64_t test_limit = 0;              // the first N test images; 0: all
};

// The plan and the data, known before the first evaluation.
struct PruneStart {
  PruneScheme scheme;
  int64_t prunable_weights = 0;         // elements of the weights to prune
  size_t pruned_tensors = 0;            // how many weights are pruned
  std::vector<std::string> left_dense;  // PrunePlan::left_dense
  int64_t train_images = 0, test_images = 0;
};

// What prune_model reports as it runs; every member may be left empty.
struct PruneCallbacks {
  std::function<void(const PruneStart&)> on_start;
  std::function<void(const Evaluation& dense)> on_dense;  // the model as given, on the test split
  // After hard pruning, before retraining: the test evaluation and the pruned layers' sparsity.
  std::function<void(const Evaluation& pruned, double sparsity)> on_pruned;
  FineTuneCallbacks fine_tune;  // the admm, gradual and retrain phases
};

struct PruneResult {
  Graph model;               // the pruned model, `record` in its metadata
  CompressionRecord record;  // its prune part filled
  Evaluation dense;          // the test split before pruning,
  Evaluation pruned;         // after hard pruning,
  Evaluation retrained;      // and at the end (the pruned one without retraining)
  ModelStorage storage;      // of the pruned model under the plan
};

// Throws InputError for a combination prune_model refuses: numbers the scheme or the method does
// not use, a missing sparsity, gradual pruning of a scheme that fixes its sparsity, bits other
// than 0, 4 and 8, or an invalid scheme. prune_model checks it too; a caller may check before
// it loads the model.
void validate_prune_request(const PruneRequest& request);

// Prunes `model` (one float input, logits out) as `request` says, on the request's data. Throws
// InputError for a bad request or data, what PrunePlan throws (nothing prunable, ...), and what
// training throws (a NumericError for a non-finite loss).
PruneResult prune_model(Graph model, const PruneRequest& request,
                        const PruneCallbacks& callbacks = {});

}  // namespace sinter
