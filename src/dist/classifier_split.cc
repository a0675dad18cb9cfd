#include "dist/classifier_split.h"

#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "ops/infer_graph.h"

namespace sinter {

namespace {

// A graph of `nodes` from `model`, with the initializers and known types they use.
Graph part_of(const Graph& model, std::vector<Node> nodes, std::vector<std::string> inputs,
              std::vector<std::string> outputs, const std::string& name) {
  Graph g;
  g.name = name;
  g.opset = model.opset;
  g.metadata = model.metadata;
  g.nodes = std::move(nodes);
  g.inputs = std::move(inputs);
  g.outputs = std::move(outputs);
  for (const std::string& v : g.inputs) g.types[v] = model.types.at(v);
  for (const Node& n : g.nodes)
    for (const std::string& v : n.inputs)
      if (auto it = model.initializers.find(v); it != model.initializers.end()) {
        g.initializers[v] = it->second;
        g.types[v] = model.types.at(v);
      }
  return g;
}

}  // namespace

ClassifierSplit split_at_classifier(const Graph& model) {
  if (model.inputs.size() != 1 || model.outputs.size() != 1)
    throw InputError(cat("Stanza splits a model with one input and one output; ", model.name,
                         " has ", model.inputs.size(), " and ", model.outputs.size()));
  Graph typed = model;
  infer_graph(typed);
  size_t first_fc = typed.nodes.size();
  for (size_t i = 0; i < typed.nodes.size() && first_fc == typed.nodes.size(); ++i)
    if (typed.nodes[i].domain.empty() &&
        (typed.nodes[i].op_type == "Gemm" || typed.nodes[i].op_type == "MatMul"))
      first_fc = i;
  if (first_fc == typed.nodes.size())
    throw InputError(
        cat("Stanza needs fully connected layers (Gemm or MatMul) to put on their own "
            "ranks; model '",
            model.name, "' has none"));
  ClassifierSplit split;
  split.cut = typed.nodes[first_fc].inputs[0];
  const ValueType* cut_type = typed.type_of(split.cut);
  if (!cut_type || !cut_type->has_shape || cut_type->shape.size() != 2 || cut_type->shape[1] < 1 ||
      typed.is_initializer(split.cut) || split.cut == typed.inputs[0])
    throw InputError(
        cat("Stanza cuts a model where 2-D features [batch, features] enter its first "
            "fully connected layer; '",
            split.cut, "' entering ", typed.nodes[first_fc].describe(), " is not"));

  // The feature extractor: what the cut depends on.
  const auto producers = typed.producers();
  std::vector<bool> in_front(typed.nodes.size(), false);
  std::vector<std::string> pending = {split.cut};
  while (!pending.empty()) {
    const std::string v = pending.back();
    pending.pop_back();
    auto it = producers.find(v);
    if (it == producers.end() || in_front[it->second]) continue;
    in_front[it->second] = true;
    for (const std::string& input : typed.nodes[it->second].inputs)
      if (!input.empty()) pending.push_back(input);
  }
  std::vector<Node> front, back;
  std::unordered_set<std::string> front_values;
  for (size_t i = 0; i < typed.nodes.size(); ++i) {
    (in_front[i] ? front : back).push_back(typed.nodes[i]);
    if (in_front[i])
      for (const std::string& v : typed.nodes[i].outputs) front_values.insert(v);
  }
  std::unordered_set<std::string> front_initializers;
  for (const Node& n : front)
    for (const std::string& v : n.inputs)
      if (typed.is_initializer(v)) front_initializers.insert(v);
  for (const Node& n : back)
    for (const std::string& v : n.inputs) {
      if (v != split.cut && front_values.count(v))
        throw InputError(cat("Stanza cannot cut model '", model.name, "' at '", split.cut,
                             "': ", n.describe(), " in the classifier also reads '", v,
                             "' of the feature extractor"));
      if (v == typed.inputs[0])
        throw InputError(cat("Stanza cannot cut model '", model.name, "': ", n.describe(),
                             " in the classifier reads the model's input"));
      if (front_initializers.count(v))
        throw InputError(cat("Stanza cannot cut model '", model.name, "': initializer '", v,
                             "' is read on both sides of '", split.cut, "'"));
    }
  split.features =
      part_of(typed, std::move(front), typed.inputs, {split.cut}, model.name + ".features");
  split.classifier =
      part_of(typed, std::move(back), {split.cut}, typed.outputs, model.name + ".classifier");
  split.classifier.types[split.cut].shape[0] = -1;  // any batch
  return split;
}

Graph join_parts(const Graph& model, const Graph& features, const Graph& classifier) {
  Graph g = model;
  for (const Graph* part : {&features, &classifier})
    for (const auto& [name, value] : part->initializers) g.initializers[name] = value;
  return g;
}

}  // namespace sinter
