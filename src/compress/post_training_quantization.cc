#include "compress/post_training_quantization.h"

#include <vector>

#include "compress/observe_activations.h"
#include "compress/quant_targets.h"
#include "core/error.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_batchnorm.h"

namespace sinter {

QdqModel quantize_post_training(const Graph& float_model, const Tensor& images,
                                const PtqOptions& options) {
  if (const Node* q = find_quantized_node(float_model))
    throw InputError(cat("the model is already quantized (", q->describe(),
                         "); quantize its float original instead"));
  // Folded first, so the weights quantized are the ones inference multiplies by.
  Graph g = float_model;
  fold_batchnorm(g);
  eliminate_dead_nodes(g);  // the unfolded weights and BatchNorm parameters leave the file

  std::map<std::string, QuantParams> activation_params;
  if (options.activations != ActivationQuantization::kNone) {
    std::vector<std::string> values;
    for (const QuantTarget& t : find_quant_targets(g)) values.push_back(t.activation);
    // Nothing to quantize: let export_qdq say so before any calibration runs.
    if (values.empty()) return export_qdq(g, options.weights);
    CalibrationOptions c = options.calibration;
    c.bits = 8;
    c.symmetric = options.activations == ActivationQuantization::kInt8;
    for (const auto& [value, observer] :
         observe_activations(g, values, images, options.batch, options.threads))
      activation_params.emplace(value, calibrate_activation(observer, c, value));
  }
  return export_qdq(g, options.weights, activation_params);
}

}  // namespace sinter
