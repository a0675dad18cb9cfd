#include "onnx/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx/onnx_tensor.h"

namespace sinter {

namespace {

using onnx::AttributeProto;

// Overloads picked by std::visit, one per Attribute alternative.
void set_attribute(int64_t v, AttributeProto* a) {
  a->set_type(AttributeProto::INT);
  a->set_i(v);
}
void set_attribute(float v, AttributeProto* a) {
  a->set_type(AttributeProto::FLOAT);
  a->set_f(v);
}
void set_attribute(const std::string& v, AttributeProto* a) {
  a->set_type(AttributeProto::STRING);
  a->set_s(v);
}
void set_attribute(const std::vector<int64_t>& v, AttributeProto* a) {
  a->set_type(AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void set_attribute(const std::vector<float>& v, AttributeProto* a) {
  a->set_type(AttributeProto::FLOATS);
  for (float x : v) a->add_floats(x);
}
void set_attribute(const std::vector<std::string>& v, AttributeProto* a) {
  a->set_type(AttributeProto::STRINGS);
  for (const auto& x : v) a->add_strings(x);
}
void set_attribute(const Tensor& v, AttributeProto* a) {
  a->set_type(AttributeProto::TENSOR);
  onnx_io::tensor_to_proto(v, "", a->mutable_t());
}

void set_value_info(const Graph& g, const std::string& name, onnx::ValueInfoProto* vi) {
  vi->set_name(name);
  const ValueType* t = g.type_of(name);
  if (!t) return;
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx_io::dtype_to_onnx(t->dtype));
  if (!t->has_shape) return;
  auto* shape = tt->mutable_shape();
  for (int64_t d : t->shape) {
    auto* dim = shape->add_dim();
    if (d >= 0) dim->set_dim_value(d);  // unknown dims stay empty, which ONNX reads as unknown
  }
}

// Sorted so the same graph always serializes to the same bytes.
template <class Map>
std::vector<std::string> sorted_keys(const Map& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

onnx::ModelProto to_model(const Graph& g) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("sinter");
  auto* def = model.add_opset_import();
  def->set_domain("");
  def->set_version(g.opset);
  const std::string prefix = kOpsetMetadataPrefix;
  std::set<std::string> domains;
  for (const auto& [key, value] : g.metadata) {
    if (key.rfind(prefix, 0) == 0) {
      std::string domain = key.substr(prefix.size());
      if (domain.empty() || domain == "ai.onnx") continue;  // the default domain is g.opset
      auto* op = model.add_opset_import();
      op->set_domain(domain);
      try {
        op->set_version(std::stoll(value));
      } catch (const std::exception&) {
        throw InputError(cat("metadata '", key, "' = '", value, "' is not an opset version"));
      }
      domains.insert(domain);
    } else {
      auto* kv = model.add_metadata_props();
      kv->set_key(key);
      kv->set_value(value);
    }
  }
  // Domains used by nodes (such as sinter's fused ops) need an opset import to be valid ONNX.
  for (const auto& n : g.nodes)
    if (!n.domain.empty() && domains.insert(n.domain).second) {
      auto* op = model.add_opset_import();
      op->set_domain(n.domain);
      op->set_version(1);
    }

  onnx::GraphProto& gp = *model.mutable_graph();
  gp.set_name(g.name.empty() ? "sinter" : g.name);
  for (const auto& n : g.nodes) {
    auto* np = gp.add_node();
    np->set_name(n.name);
    np->set_op_type(n.op_type);
    if (!n.domain.empty()) np->set_domain(n.domain);
    for (const auto& in : n.inputs) np->add_input(in);
    for (const auto& out : n.outputs) np->add_output(out);
    for (const auto& [key, value] : n.attrs) {
      auto* a = np->add_attribute();
      a->set_name(key);
      std::visit([a](const auto& v) { set_attribute(v, a); }, value);
    }
  }
  for (const auto& name : sorted_keys(g.initializers))
    onnx_io::tensor_to_proto(g.initializers.at(name), name, gp.add_initializer());
  std::set<std::string> listed;
  for (const auto& in : g.inputs) {
    set_value_info(g, in, gp.add_input());
    listed.insert(in);
  }
  for (const auto& out : g.outputs) {
    set_value_info(g, out, gp.add_output());
    listed.insert(out);
  }
  for (const auto& name : sorted_keys(g.types))
    if (!listed.count(name) && !g.is_initializer(name))
      set_value_info(g, name, gp.add_value_info());
  return model;
}

}  // namespace

std::string onnx_bytes(const Graph& g, const std::string& what) {
  onnx::ModelProto model = to_model(g);
  if (model.ByteSizeLong() >= static_cast<size_t>(INT_MAX))
    throw UnsupportedError(cat(what,
                               ": model is over 2 GB, which ONNX cannot hold without "
                               "external data"));
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw InputError(cat(what, ": serialization failed"));
  return bytes;
}

void save_onnx(const Graph& g, const std::string& path) {
  write_file_atomically(path, onnx_bytes(g, path));
}

}  // namespace sinter
