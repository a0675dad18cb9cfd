#include "ops/infer_graph.h"

#include <unordered_set>

#include "core/error.h"
#include "ops/op_registry.h"

namespace sinter {

namespace {

// Constant evaluation is worth doing only for small tensors (shape arithmetic); big ones would
// duplicate weights at compile time for nothing.
constexpr int64_t kMaxEvaluatedElements = 1 << 16;

// Every value's element and byte counts must fit int64, so that kernels can index any tensor with
// int64 offsets without checking each one.
void check_output_sizes(const InferContext& ic) {
  for (size_t i = 0; i < ic.outputs.size(); ++i) {
    const ValueType& t = ic.outputs[i];
    if (!t.has_shape) continue;
    try {
      int64_t known = 1;
      for (int64_t d : t.shape) {
        if (d < -1) ic.fail(cat("output ", i, " has a negative dimension: ", shape_str(t.shape)));
        if (d >= 0) known = checked_mul(known, d);
      }
      checked_bytes(known, static_cast<int64_t>(dtype_size(t.dtype)));
    } catch (const SizeOverflowError&) {
      ic.fail(
          cat("output ", i, " of shape ", shape_str(t.shape), " would hold more than 2^63 bytes"));
    }
  }
}

ThreadPool& serial_pool() {
  static ThreadPool pool(1);
  return pool;
}

std::vector<Tensor> evaluate_node_unnamed(const Node& node, int64_t opset,
                                          const std::vector<const Tensor*>& inputs) {
  const OpDef& def = op_for(node, opset);
  InferContext ic{node, opset, {}, inputs, {}, {}};
  for (const Tensor* t : inputs)
    ic.inputs.push_back(t ? ValueType{t->dtype(), t->shape(), true} : ValueType{});
  ic.output_values.resize(node.outputs.size());
  def.infer(ic);
  check_output_sizes(ic);
  std::vector<Tensor> outputs;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (ic.output_values[i]) {
      outputs.push_back(*ic.output_values[i]);
      continue;
    }
    // An omitted trailing output (an empty name) the op does not make: nothing to compute.
    if (node.outputs[i].empty() && i >= ic.outputs.size()) {
      outputs.emplace_back();
      continue;
    }
    if (i >= ic.outputs.size())
      throw ModelError(cat(node.describe(), ": names output ", i, " but the op makes ",
                           ic.outputs.size()));
    const ValueType& t = ic.outputs[i];
    if (!t.has_shape || !shape_is_static(t.shape))
      throw ModelError(cat(node.describe(), ": output ", i, " has no static shape"));
    outputs.emplace_back(t.dtype, t.shape);
  }
  // Nothing to compute when every output is given or empty (as Plan skips such steps).
  bool all_given = true;
  for (size_t i = 0; i < node.outputs.size(); ++i)
    all_given = all_given && (ic.output_values[i] || outputs[i].numel() == 0);
  if (all_given) return outputs;

  KernelInfo ki{node, opset, ic.inputs, ic.outputs, inputs, 1};
  const KernelImpl& impl = choose_kernel(def, ki);
  auto kernel = impl.create(ki);
  KernelContext kc;
  kc.inputs = inputs;
  for (auto& o : outputs) kc.outputs.push_back(&o);
  kc.pool = &serial_pool();
  if (def.output_is_view_of_input0) {
    outputs[0] = inputs[0]->reshaped(outputs[0].shape());
  } else {
    kernel->run(kc);
  }
  return outputs;
}

}  // namespace

std::vector<Tensor> evaluate_node(const Node& node, int64_t opset,
                                  const std::vector<const Tensor*>& inputs) {
  return for_node(node, [&] { return evaluate_node_unnamed(node, opset, inputs); });
}

ConstantValues infer_graph(Graph& g, const ConstantValues& input_values) {
  ConstantValues computed;
  std::unordered_set<std::string> from_runtime;  // computed from input_values: not foldable
  auto known = [&](const std::string& v) -> const Tensor* {
    if (auto it = g.initializers.find(v); it != g.initializers.end()) return &it->second;
    if (auto it = computed.find(v); it != computed.end()) return &it->second;
    if (auto it = input_values.find(v); it != input_values.end()) return &it->second;
    return nullptr;
  };
  for (const auto& [name, t] : g.initializers) g.types[name] = {t.dtype(), t.shape(), true};

  for (const Node& node : g.nodes) {
    const OpDef& def = op_for(node, g.opset);
    InferContext ic{node, g.opset, {}, {}, {}, {}};
    bool all_known = true, runtime_derived = false;
    for (const auto& in : node.inputs) {
      if (in.empty()) {
        ic.inputs.push_back({});
        ic.values.push_back(nullptr);
        continue;
      }
      const ValueType* t = g.type_of(in);
      if (!t) throw ModelError(cat(node.describe(), ": type of input '", in, "' is unknown"));
      ic.inputs.push_back(*t);
      const Tensor* v = known(in);
      ic.values.push_back(v);
      runtime_derived = runtime_derived || input_values.count(in) || from_runtime.count(in);
      all_known = all_known && v;
    }
    ic.output_values.resize(node.outputs.size());
    for_node(node, [&] {
      def.infer(ic);
      if (ic.outputs.size() < node.outputs.size()) ic.outputs.resize(node.outputs.size());
      check_output_sizes(ic);
    });

    bool small = true;
    for (const auto& t : ic.outputs)
      small = small && t.has_shape && shape_is_static(t.shape) &&
              shape_numel(t.shape) <= kMaxEvaluatedElements;
    std::vector<Tensor> values;
    if (all_known && small) values = evaluate_node(node, g.opset, ic.values);
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      g.types[node.outputs[i]] = ic.outputs[i];
      if (!values.empty()) {
        computed[node.outputs[i]] = values[i];
      } else if (ic.output_values[i]) {
        computed[node.outputs[i]] = *ic.output_values[i];
      }
      if (runtime_derived) from_runtime.insert(node.outputs[i]);
    }
  }
  for (const auto& name : from_runtime) computed.erase(name);
  return computed;
}

}  // namespace sinter
