#include "train/training_graph.h"

#include <algorithm>
#include <unordered_set>

#include "core/error.h"
#include "ops/infer_graph.h"
#include "train/autodiff.h"

namespace sinter {

namespace {

// Appends nodes and constants with names unique to one rewritten node.
class Emitter {
 public:
  Emitter(Graph& g, std::vector<Node>& out, std::string prefix)
      : g_(g), out_(out), prefix_(std::move(prefix)) {}

  std::string node(const std::string& op, std::vector<std::string> inputs,
                   std::map<std::string, Attribute> attrs = {}, std::string name = "") {
    Node n;
    n.op_type = op;
    n.name = cat(prefix_, "/", op, "_", counter_++);
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    n.outputs = {name.empty() ? n.name : name};
    out_.push_back(std::move(n));
    return out_.back().outputs[0];
  }
  std::string constant(Tensor t) {
    std::string name = cat(prefix_, "/const_", counter_++);
    g_.types[name] = {t.dtype(), t.shape(), true};
    g_.initializers[name] = std::move(t);
    return name;
  }

 private:
  Graph& g_;
  std::vector<Node>& out_;
  std::string prefix_;
  int counter_ = 0;
};

// BatchNormTraining (ops/batch_norm_training.cc) normalizes with the batch's statistics and
// moves the running statistics toward them as PyTorch does; its gradient is one fused op too.
void batch_norm_for_training(const Node& bn, Graph& g, std::vector<Node>& out, TrainingGraph& tg) {
  if (bn.inputs.size() != 5 || bn.outputs.size() > 1)
    throw UnsupportedError(cat(bn.describe(), ": training needs the 5-input, 1-output form"));
  if (g.type_of(bn.inputs[0])->shape.size() < 2)
    throw UnsupportedError(cat(bn.describe(), ": input rank must be >= 2"));
  const std::string prefix = bn.name.empty() ? bn.outputs[0] : bn.name;
  const std::string& running_mean = bn.inputs[3];
  const std::string& running_var = bn.inputs[4];
  Node n;
  n.op_type = "BatchNormTraining";
  n.domain = "sinter";
  n.name = prefix;
  n.inputs = bn.inputs;
  n.attrs = {{"epsilon", bn.attr_float("epsilon", 1e-5f)},
             {"momentum", bn.attr_float("momentum", 0.9f)}};
  n.outputs = {bn.outputs[0], running_mean + ".updated", running_var + ".updated",
               prefix + "/saved_mean", prefix + "/saved_inv_std"};
  tg.running_stats.emplace_back(running_mean, n.outputs[1]);
  tg.running_stats.emplace_back(running_var, n.outputs[2]);
  out.push_back(std::move(n));
}

void dropout_for_training(const Node& d, Graph& g, std::vector<Node>& out, TrainingGraph& tg) {
  if (d.inputs.size() > 1 && !d.inputs[1].empty() && !g.initializers.count(d.inputs[1]))
    throw UnsupportedError(cat(d.describe(), ": the dropout ratio must be a constant"));
  float ratio = d.attr_float("ratio", 0.5f);
  if (d.inputs.size() > 1 && !d.inputs[1].empty())
    ratio = g.initializers.at(d.inputs[1]).data<float>()[0];
  const std::string mask = (d.name.empty() ? d.outputs[0] : d.name) + ".mask";
  g.inputs.push_back(mask);
  g.types[mask] = {DType::kFloat32, g.type_of(d.inputs[0])->shape, true};
  Emitter e(g, out, mask);
  e.node("Mul", {d.inputs[0], mask}, {}, d.outputs[0]);
  tg.dropout_masks.emplace_back(mask, ratio);
}

}  // namespace

TrainingGraph make_training_graph(const Graph& model, int64_t batch, Loss loss,
                                  bool input_gradient) {
  if (model.inputs.size() != 1 || model.outputs.size() != 1)
    throw InputError(cat("training needs a model with one input and one output, this one has ",
                         model.inputs.size(), " and ", model.outputs.size()));
  if (batch < 1) throw InputError(cat("batch size must be positive, got ", batch));
  TrainingGraph tg;
  Graph& g = tg.graph;
  g = model;
  tg.image = g.inputs[0];
  ValueType& in = g.types[tg.image];
  if (!in.has_shape || in.shape.empty()) throw InputError("the model input's shape is unknown");
  in.shape[0] = batch;
  infer_graph(g);

  std::unordered_set<std::string> running;
  for (const Node& n : g.nodes)
    if (n.op_type == "BatchNormalization")
      for (size_t i = 3; i < n.inputs.size() && i < 5; ++i) running.insert(n.inputs[i]);
  for (const auto& [name, t] : g.initializers)
    if (t.dtype() == DType::kFloat32 && !running.count(name)) tg.parameters.push_back(name);
  std::sort(tg.parameters.begin(), tg.parameters.end());

  std::vector<Node> nodes;
  for (const Node& n : g.nodes) {
    if (n.op_type == "BatchNormalization" && n.domain.empty()) {
      batch_norm_for_training(n, g, nodes, tg);
    } else if (n.op_type == "Dropout" && n.domain.empty()) {
      dropout_for_training(n, g, nodes, tg);
    } else {
      nodes.push_back(n);
    }
  }
  g.nodes = std::move(nodes);
  // Running statistics become inputs too: the trainer feeds them and keeps the updated ones.
  for (const auto& [stat, updated] : tg.running_stats) {
    g.initializers.erase(stat);
    g.inputs.push_back(stat);
  }

  const std::string logits = g.outputs[0];
  infer_graph(g);
  const ValueType* lt = g.type_of(logits);
  if (!lt || lt->shape.size() != 2 || lt->shape[0] != batch)
    throw InputError(cat("the model output must be logits [batch, classes], got ",
                         lt ? shape_str(lt->shape) : std::string("an unknown shape")));
  tg.labels = "labels";
  g.inputs.push_back(tg.labels);
  g.types[tg.labels] = {DType::kFloat32, lt->shape, true};
  std::vector<Node> loss_nodes;
  Emitter e(g, loss_nodes, "loss");
  if (loss == Loss::kOutputGradient) {
    e.node("ReduceSum", {e.node("Mul", {logits, tg.labels})}, {{"keepdims", int64_t{0}}}, tg.loss);
  } else if (loss == Loss::kCrossEntropy) {
    const std::string log_p = e.node("LogSoftmax", {logits}, {{"axis", int64_t{1}}});
    const std::string per_sample = e.node(
        "ReduceSum",
        {e.node("Mul", {log_p, tg.labels}), e.constant(Tensor::from_vector<int64_t>({1}, {1}))},
        {{"keepdims", int64_t{0}}});
    e.node("Neg", {e.node("ReduceMean", {per_sample}, {{"keepdims", int64_t{0}}})}, {}, tg.loss);
  } else {
    const std::string error = e.node("Sub", {logits, tg.labels});
    e.node("ReduceMean", {e.node("Mul", {error, error})}, {{"keepdims", int64_t{0}}}, tg.loss);
  }
  for (Node& n : loss_nodes) g.nodes.push_back(std::move(n));
  tg.logits = logits;
  g.outputs = {tg.loss, tg.logits};

  for (const std::string& p : tg.parameters) {
    g.initializers.erase(p);
    g.inputs.push_back(p);
  }
  std::vector<std::string> wrt = tg.parameters;
  if (input_gradient) wrt.push_back(tg.image);
  tg.gradients = append_gradients(g, tg.loss, wrt);
  if (input_gradient) {
    tg.input_gradient = tg.gradients.back();
    tg.gradients.pop_back();
  }
  for (const auto& [stat, updated] : tg.running_stats) g.outputs.push_back(updated);
  return tg;
}

}  // namespace sinter
