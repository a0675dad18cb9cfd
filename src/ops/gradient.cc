#include "ops/gradient.h"

#include "core/error.h"

namespace sinter {

GradientContext::GradientContext(const Node& node, Graph& graph,
                                 std::vector<std::string> output_grads, std::vector<bool> wanted,
                                 int& counter)
    : node_(node),
      graph_(graph),
      output_grads_(std::move(output_grads)),
      wanted_(std::move(wanted)),
      input_grads_(node.inputs.size()),
      counter_(counter) {}

const ValueType& GradientContext::input_type(size_t i) const {
  const ValueType* t = graph_.type_of(node_.inputs.at(i));
  SINTER_CHECK(t && t->has_shape, node_.describe(), ": input ", i, " has no known type");
  return *t;
}

const ValueType& GradientContext::output_type(size_t i) const {
  const ValueType* t = graph_.type_of(node_.outputs.at(i));
  SINTER_CHECK(t && t->has_shape, node_.describe(), ": output ", i, " has no known type");
  return *t;
}

const Tensor* GradientContext::constant_input(size_t i) const {
  if (i >= node_.inputs.size()) return nullptr;
  auto it = graph_.initializers.find(node_.inputs[i]);
  return it == graph_.initializers.end() ? nullptr : &it->second;
}

const std::string& GradientContext::output_grad(size_t i) const {
  static const std::string none;
  return i < output_grads_.size() ? output_grads_[i] : none;
}

std::string GradientContext::emit(const std::string& op_type, std::vector<std::string> inputs,
                                  std::map<std::string, Attribute> attrs) {
  return emit_in_domain(op_type, "", std::move(inputs), std::move(attrs));
}

std::string GradientContext::emit_in_domain(const std::string& op_type, const std::string& domain,
                                            std::vector<std::string> inputs,
                                            std::map<std::string, Attribute> attrs) {
  Node& n = append_node(op_type, domain, std::move(inputs), std::move(attrs));
  n.outputs = {n.name};
  return n.outputs[0];
}

std::vector<std::string> GradientContext::emit_outputs(const std::string& op_type,
                                                       const std::string& domain,
                                                       std::vector<std::string> inputs,
                                                       std::map<std::string, Attribute> attrs,
                                                       const std::vector<std::string>& labels) {
  Node& n = append_node(op_type, domain, std::move(inputs), std::move(attrs));
  for (const std::string& label : labels)
    n.outputs.push_back(label.empty() ? "" : cat(n.name, "/", label));
  return n.outputs;
}

Node& GradientContext::append_node(const std::string& op_type, const std::string& domain,
                                   std::vector<std::string> inputs,
                                   std::map<std::string, Attribute> attrs) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.name = cat("grad/", node_.name.empty() ? node_.outputs[0] : node_.name, "/", op_type, "_",
               counter_++);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back();
}

std::string add_gradient_constant(Graph& g, Tensor value, int& counter) {
  std::string name = cat("grad/const_", counter++);
  g.types[name] = {value.dtype(), value.shape(), true};
  g.initializers[name] = std::move(value);
  return name;
}

std::string GradientContext::constant(Tensor value) {
  return add_gradient_constant(graph_, std::move(value), counter_);
}

std::string GradientContext::scalar(float v) { return constant(Tensor::scalar<float>(v)); }

std::string GradientContext::shape_constant(const Shape& shape) {
  return constant(Tensor::from_vector<int64_t>({static_cast<int64_t>(shape.size())}, shape));
}

std::string GradientContext::unbroadcast(const std::string& grad, const Shape& from,
                                         const Shape& to) {
  if (from == to) return grad;
  // Axes where `to` was stretched: leading ones it lacks, and its 1s facing larger dims.
  const size_t lead = from.size() - to.size();
  std::vector<int64_t> axes;
  for (size_t i = 0; i < from.size(); ++i)
    if (i < lead || (to[i - lead] == 1 && from[i] != 1)) axes.push_back(static_cast<int64_t>(i));
  std::string summed = grad;
  if (!axes.empty() && opset() < 13) {  // ReduceSum took its axes as an attribute until 13
    summed = emit("ReduceSum", {grad}, {{"axes", axes}, {"keepdims", int64_t{1}}});
  } else if (!axes.empty()) {
    summed = emit(
        "ReduceSum",
        {grad, constant(Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes))},
        {{"keepdims", int64_t{1}}});
  }
  return emit("Reshape", {summed, shape_constant(to)});
}

void GradientContext::set_input_grad(size_t i, std::string grad) {
  if (wants(i)) input_grads_.at(i) = std::move(grad);
}

void reshape_to_input_gradient(GradientContext& g) {
  g.set_input_grad(0,
                   g.emit("Reshape", {g.output_grad(0), g.shape_constant(g.input_type(0).shape)}));
}

void GradientContext::unsupported(const std::string& what) const {
  throw UnsupportedError(cat(node_.describe(), ": no gradient for ", what));
}

}  // namespace sinter
