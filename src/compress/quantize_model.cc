#include "compress/quantize_model.h"

#include <set>
#include <vector>

#include "compress/quant_aware_training.h"
#include "compress/quant_targets.h"
#include "core/error.h"
#include "data/dataset_spec.h"
#include "passes/fold_batchnorm.h"

namespace sinter {

namespace {

// Quantization-aware fine-tuning of `model` with BatchNorm folded first (the weights trained
// through the quantizer must be the ones the QDQ model stores): returns the tuned float model,
// whose weights lie on their grids. Activations train in float; they are calibrated after.
Graph quant_aware_tune(const Graph& model, const QuantizeRequest& r, const Dataset& test,
                       const FineTuneCallbacks& callbacks) {
  Graph folded = model;
  fold_batchnorm(folded);
  Dataset train = load_dataset(r.calibration_data, true);
  limit_dataset(train, r.train_limit);
  DataLoader loader(train, fine_tune_loader(r.qat));
  Trainer trainer(folded, fine_tune_trainer(r.qat, r.qat_epochs, loader.batches_per_epoch()));
  std::vector<QuantAwareWeight> weights;
  std::set<std::string> seen;
  for (const QuantTarget& t : find_quant_targets(folded))
    if (seen.insert(t.weight).second) weights.push_back({t.weight, t.channel_axis});
  QuantAwareTraining qat(trainer, weights, r.options.weights);
  fine_tune_phase(trainer, loader, test, r.qat_epochs, "qat", callbacks);
  return trainer.model();
}

QuantizationRecord quantization_record(const QuantizeRequest& r, int64_t calibration_images) {
  QuantizationRecord q;
  q.weights = r.options.weights;
  q.activations = r.options.activations;
  if (r.options.activations != ActivationQuantization::kNone)
    q.calibration = cat(calibration_method_name(r.options.calibration), " on ", calibration_images,
                        " images of ", r.calibration_data);
  q.qat_epochs = r.qat_epochs;
  return q;
}

int64_t initializer_bytes(const Graph& model) {
  int64_t bytes = 0;
  for (const auto& [name, t] : model.initializers) bytes += t.nbytes();
  return bytes;
}

}  // namespace

void validate_quantize_request(const QuantizeRequest& request) {
  const QuantScheme& s = request.options.weights;
  if (s.bits != 4 && s.bits != 8) throw InputError(cat("--bits must be 4 or 8, got ", s.bits));
  if (s.scale_bits != 0) {
    if (s.granularity != QuantGranularity::kVector)
      throw InputError("--scale-bits applies to --granularity vector:V (two-level vector scales)");
    if (s.scale_bits < 2 || s.scale_bits > 8)
      throw InputError(cat("--scale-bits must be 2 to 8, got ", s.scale_bits));
    if (!s.symmetric)
      throw InputError(
          "--scale-bits needs --weights symmetric (two-level scales have no zero point)");
  }
  const CalibrationOptions& c = request.options.calibration;
  if (c.method == CalibrationMethod::kPercentile && !(c.percentile > 50 && c.percentile <= 100))
    throw InputError(
        cat("--method '", calibration_method_name(c), "': P must be above 50 and at most 100"));
}

QuantizeResult quantize_model(const Graph& model, const QuantizeRequest& request,
                              const QuantizeCallbacks& callbacks) {
  validate_quantize_request(request);
  if (const Node* q = find_quantized_node(model))
    throw InputError(cat("the model is already quantized (", q->describe(),
                         "); quantize its float original instead"));
  const PtqOptions& options = request.options;
  Tensor calibration_images;
  if (options.activations != ActivationQuantization::kNone) {
    Dataset calibration = load_dataset(request.calibration_data, true);
    limit_dataset(calibration, request.calibration_images);
    calibration_images = calibration.images;
  }
  Dataset test =
      load_dataset(request.test_data.empty() ? request.calibration_data : request.test_data, false);
  limit_dataset(test, request.test_limit);

  QuantizeResult result;
  // Without fine-tuning too, so a QAT run shows what it gained over post-training quantization.
  result.model = quantize_post_training(model, calibration_images, options);
  if (request.qat_epochs > 0) {
    result.post_training = evaluate(result.model.graph, test, options.batch, options.threads);
    if (callbacks.on_post_training) callbacks.on_post_training(*result.post_training);
    const Graph tuned = quant_aware_tune(model, request, test, callbacks.fine_tune);
    result.model = quantize_post_training(tuned, calibration_images, options);
  }
  // The float model's record (its pruning) carries over, with the quantization added.
  result.record = read_compression_record(model);
  result.record.quantization =
      quantization_record(request, calibration_images.rank() ? calibration_images.dim(0) : 0);
  write_compression_record(result.record, result.model.graph);
  result.before = evaluate(model, test, options.batch, options.threads);
  result.after = evaluate(result.model.graph, test, options.batch, options.threads);
  result.test_data = test.name;
  result.float_model_bytes = initializer_bytes(model);
  result.quantized_model_bytes = result.model.quantized_weight_bytes + result.model.other_bytes;
  return result;
}

}  // namespace sinter
