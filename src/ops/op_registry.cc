#include "ops/op_registry.h"

#include "core/error.h"

namespace sinter {

const ValueType& InferContext::input(size_t i) const {
  if (i >= inputs.size() || !node.has_input(i))
    fail(cat("expects input ", i, " but it is missing"));
  return inputs[i];
}

const Tensor& InferContext::required_value(size_t i) const {
  const Tensor* v = value(i);
  if (!v)
    throw UnsupportedError(cat(node.describe(), ": input ", i, " ('", node.inputs[i],
                               "') must be known before run time to infer shapes"));
  return *v;
}

ValueType& InferContext::output(size_t i) {
  if (outputs.size() <= i) outputs.resize(i + 1);
  return outputs[i];
}

void InferContext::set_output(size_t i, DType dtype, Shape shape) {
  ValueType& t = output(i);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.has_shape = true;
}

void InferContext::set_output_value(size_t i, Tensor value) {
  if (output_values.size() <= i) output_values.resize(i + 1);
  output_values[i] = std::move(value);
}

void InferContext::fail(const std::string& what) const {
  throw ModelError(cat(node.describe(), ": ", what));
}

OpRegistry& OpRegistry::global() {
  static OpRegistry registry;
  return registry;
}

void OpRegistry::add(OpDef def) {
  SINTER_CHECK(!find(def.domain, def.type), "operator ", def.type, " registered twice");
  SINTER_CHECK(def.infer && !def.impls.empty(), "operator ", def.type,
               " needs shape inference and a kernel");
  // Names select kernels in tests and show in --profile: one name, one kernel, and "reference"
  // only for the oracle, which plans never run.
  for (size_t i = 0; i < def.impls.size(); ++i) {
    const std::string& name = def.impls[i].name;
    SINTER_CHECK(name != "reference", "operator ", def.type,
                 ": the reference kernel is the oracle, not a production implementation");
    for (size_t j = 0; j < i; ++j)
      SINTER_CHECK(def.impls[j].name != name, "operator ", def.type, " lists kernel ", name,
                   " twice");
  }
  SINTER_CHECK(!def.reference || (def.reference->name == "reference" && def.reference->create),
               "operator ", def.type, ": the oracle must be a kernel named reference");
  defs_.push_back(std::make_unique<OpDef>(std::move(def)));
}

const OpDef* OpRegistry::find(const std::string& domain, const std::string& type) const {
  const std::string& d = domain == "ai.onnx" ? std::string() : domain;
  for (const auto& def : defs_)
    if (def->type == type && def->domain == d) return def.get();
  return nullptr;
}

std::vector<const OpDef*> OpRegistry::all() const {
  std::vector<const OpDef*> out;
  for (const auto& d : defs_) out.push_back(d.get());
  return out;
}

const OpDef& op_for(const Node& node, int64_t opset) {
  const OpDef* def = OpRegistry::global().find(node.domain, node.op_type);
  std::string where =
      cat(" (opset ", opset, ") at node '",
          node.name.empty() ? (node.outputs.empty() ? "?" : node.outputs[0]) : node.name, "'");
  if (!def)
    throw UnsupportedError(cat("unsupported operator '",
                               node.domain.empty() ? "" : node.domain + "::", node.op_type, "'",
                               where));
  if (opset < def->since_opset)
    throw UnsupportedError(cat("operator '", node.op_type, "' is supported from opset ",
                               def->since_opset, ", not", where));
  return *def;
}

const KernelImpl& choose_kernel(const OpDef& def, const KernelInfo& info) {
  for (const auto& impl : def.impls)
    if (!impl.applicable || impl.applicable(info)) return impl;
  std::string types;
  for (const auto& t : info.inputs) types += cat(types.empty() ? "" : ", ", dtype_name(t.dtype));
  throw UnsupportedError(cat(info.node.describe(), ": no kernel for input types (", types, ")"));
}

bool impl_supports(const KernelImpl& impl, const KernelInfo& info) {
  const auto& test = impl.supports ? impl.supports : impl.applicable;
  return !test || test(info);
}

const KernelImpl* find_kernel(const OpDef& def, const std::string& name) {
  for (const auto& impl : def.impls)
    if (impl.name == name) return &impl;
  if (def.reference && def.reference->name == name) return &*def.reference;
  return nullptr;
}

}  // namespace sinter
