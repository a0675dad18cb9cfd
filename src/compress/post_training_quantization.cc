#include "compress/post_training_quantization.h"

#include <algorithm>
#include <set>
#include <vector>

#include "compress/observe_activations.h"
#include "compress/quant_targets.h"
#include "core/error.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_batchnorm.h"

namespace sinter {

namespace {

// `v` after the ReLU or Clip that is its only reader, if any: what an integer layer writes.
std::string after_activation(const Graph& g, const std::string& v) {
  const Node* only = nullptr;
  int readers = 0;
  for (const Node& n : g.nodes)
    for (const std::string& in : n.inputs)
      if (in == v) {
        ++readers;
        only = &n;
      }
  if (readers == 1 && only->domain.empty() &&
      (only->op_type == "Relu" || only->op_type == "Clip") && only->inputs[0] == v)
    return only->outputs[0];
  return v;
}

// The values besides the layers' inputs that stay 8-bit between integer layers (as ONNX
// Runtime's quantizer marks them): each quantized layer's output after its activation, and the
// outputs of Adds, max pools, global average pools and Flattens over quantized values. Graph
// outputs stay float.
std::vector<std::string> layer_boundaries(const Graph& g, const std::vector<QuantTarget>& targets) {
  std::set<std::string> quantized;
  std::set<size_t> layers;
  for (const QuantTarget& t : targets) {
    quantized.insert(t.activation);
    layers.insert(t.node);
  }
  const std::set<std::string> outputs(g.outputs.begin(), g.outputs.end());
  std::vector<std::string> found;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.domain.empty() || n.outputs.empty()) continue;
    const bool passes =
        (n.op_type == "MaxPool" || n.op_type == "GlobalAveragePool" || n.op_type == "Flatten") &&
        quantized.count(n.inputs[0]);
    const bool adds = n.op_type == "Add" && n.inputs.size() == 2 && quantized.count(n.inputs[0]) &&
                      quantized.count(n.inputs[1]);
    if (!layers.count(i) && !passes && !adds) continue;
    const std::string v = passes ? n.outputs[0] : after_activation(g, n.outputs[0]);
    if (outputs.count(v) || !quantized.insert(v).second) continue;
    found.push_back(v);
  }
  return found;
}

}  // namespace

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
    const std::vector<QuantTarget> targets = find_quant_targets(g);
    for (const QuantTarget& t : targets) values.push_back(t.activation);
    // Nothing to quantize: let export_qdq say so before any calibration runs.
    if (values.empty()) return export_qdq(g, options.weights, {}, options.format);
    for (const std::string& v : layer_boundaries(g, targets))
      if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
    CalibrationOptions c = options.calibration;
    c.bits = 8;
    c.symmetric = options.activations == ActivationQuantization::kInt8;
    for (const auto& [value, observer] :
         observe_activations(g, values, images, options.batch, options.threads))
      activation_params.emplace(value, calibrate_activation(observer, c, value));
    // A max pool moves values without changing them: its output keeps its input's grid, so that
    // it runs on the 8-bit values as they are.
    for (const Node& n : g.nodes)
      if (n.op_type == "MaxPool" && n.domain.empty() && activation_params.count(n.inputs[0]) &&
          activation_params.count(n.outputs[0]))
        activation_params.at(n.outputs[0]) = activation_params.at(n.inputs[0]);
  }
  return export_qdq(g, options.weights, activation_params, options.format);
}

}  // namespace sinter
