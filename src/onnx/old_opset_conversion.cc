#include "onnx/old_opset_conversion.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <exception>
#include <map>
#include <vector>

#include "core/error.h"

namespace sinter {

namespace {

// The rank of every value whose shape the model states (inputs, outputs, value_info,
// initializers).
std::map<std::string, int> stated_ranks(const onnx::GraphProto& g) {
  std::map<std::string, int> ranks;
  auto take = [&](const onnx::ValueInfoProto& vi) {
    if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
      ranks[vi.name()] = vi.type().tensor_type().shape().dim_size();
  };
  for (const auto& vi : g.input()) take(vi);
  for (const auto& vi : g.output()) take(vi);
  for (const auto& vi : g.value_info()) take(vi);
  for (const auto& t : g.initializer()) ranks.emplace(t.name(), t.dims_size());
  return ranks;
}

// Before opset 7 a 1-D PRelu slope of C values applied per channel (axis 1); from 7 it
// broadcasts from the last axis, and the converter leaves it alone. A slope given as an
// initializer gets the trailing unit axes that make it per channel again.
void make_prelu_slopes_per_channel(onnx::GraphProto& g) {
  const std::map<std::string, int> ranks = stated_ranks(g);
  std::map<std::string, onnx::TensorProto*> initializers;
  for (auto& t : *g.mutable_initializer()) initializers[t.name()] = &t;
  for (auto& node : *g.mutable_node()) {
    if (node.op_type() != "PRelu" || node.input_size() != 2) continue;
    const auto rank = ranks.find(node.input(0));
    const auto slope = initializers.find(node.input(1));
    if (rank == ranks.end() || rank->second < 3 || slope == initializers.end() ||
        slope->second->dims_size() != 1 || slope->second->dims(0) <= 1)
      continue;
    onnx::TensorProto* widened = g.add_initializer();
    *widened = *slope->second;
    widened->set_name(node.input(1) + "_per_channel");
    for (int axis = 2; axis < rank->second; ++axis) widened->add_dims(1);
    node.set_input(1, widened->name());
  }
}

// Before opset 7, B of an element-wise op with broadcast=1 lines up with A from `axis` on; from 7
// it lines up with A's last axes. The converter appends A's rank minus B's unit axes to B whatever
// the axis (ONNX 1.12), which is right only at axis 0, so the unit axes that line B up from
// `axis` are added here (an opset-1 Unsqueeze) and the axis dropped, leaving the converter only
// the broadcast attribute to remove.
void line_up_legacy_broadcasts(onnx::GraphProto& g) {
  const std::map<std::string, int> ranks = stated_ranks(g);
  std::vector<onnx::NodeProto> nodes(g.node().begin(), g.node().end());
  g.clear_node();
  int unsqueezed = 0;
  for (onnx::NodeProto& node : nodes) {
    const onnx::AttributeProto* broadcast = nullptr;
    int axis_at = -1;
    for (int i = 0; i < node.attribute_size(); ++i) {
      if (node.attribute(i).name() == "broadcast") broadcast = &node.attribute(i);
      if (node.attribute(i).name() == "axis") axis_at = i;
    }
    if (broadcast && broadcast->i() == 1 && axis_at >= 0 && node.input_size() == 2) {
      const auto a = ranks.find(node.input(0)), b = ranks.find(node.input(1));
      if (a != ranks.end() && b != ranks.end()) {
        int64_t axis = node.attribute(axis_at).i();
        if (axis < 0) axis += a->second;
        const int64_t trailing = a->second - axis - b->second;
        if (trailing > 0) {
          onnx::NodeProto* unsqueeze = g.add_node();
          unsqueeze->set_op_type("Unsqueeze");
          unsqueeze->add_input(node.input(1));
          const std::string lined_up = node.input(1) + "_from_axis_" + std::to_string(axis) + "_" +
                                       std::to_string(unsqueezed++);
          unsqueeze->add_output(lined_up);
          auto* axes = unsqueeze->add_attribute();
          axes->set_name("axes");
          axes->set_type(onnx::AttributeProto::INTS);
          for (int64_t k = 0; k < trailing; ++k) axes->add_ints(b->second + k);
          node.set_input(1, lined_up);
        }
        if (trailing >= 0) node.mutable_attribute()->DeleteSubrange(axis_at, 1);
      }
    }
    *g.add_node() = std::move(node);
  }
}

// ONNX's shape inference where it succeeds; a model it fails on is left to the converter, which
// names the shape it lacks.
void infer_shapes(onnx::ModelProto& model) {
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception&) {
  }
}

// ONNX's messages span lines; the first says what failed.
std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

}  // namespace

int64_t default_domain_opset(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  return 0;
}

onnx::ModelProto convert_to_opset_7(const onnx::ModelProto& model, const std::string& what) {
  const int64_t from = default_domain_opset(model);
  try {
    // The converter trusts its input (a node reading a value nothing defines crashes it), so
    // the model must pass ONNX's checker first.
    try {
      onnx::checker::check_model(model);
    } catch (const onnx::checker::ValidationError& e) {
      throw ModelError(cat(what, ": not a valid opset ", from, " model: ", first_line(e.what())));
    }
    // The broadcast adapters need the shapes of their inputs.
    onnx::ModelProto with_shapes = model;
    infer_shapes(with_shapes);
    line_up_legacy_broadcasts(*with_shapes.mutable_graph());
    infer_shapes(with_shapes);  // of the values lined up
    onnx::ModelProto converted = onnx::version_conversion::ConvertVersion(with_shapes, 7);
    make_prelu_slopes_per_channel(*converted.mutable_graph());
    return converted;
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw UnsupportedError(cat(what, ": cannot convert this opset ", from, " model to opset ",
                               kFirstNativeOpset, ": ", first_line(e.what())));
  }
}

}  // namespace sinter
