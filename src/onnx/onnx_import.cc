#include "onnx/onnx_import.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "ir/verifier.h"
#include "onnx/old_opset_conversion.h"
#include "onnx/onnx_tensor.h"

namespace sinter {

namespace {

using onnx_io::dtype_from_onnx;
using onnx_io::kMaxRank;
using onnx_io::kMaxTensorBytes;
using onnx_io::tensor_from_proto;

constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 21;

// Builds a Graph from a parsed model. Holds the context every error message needs.
class Importer {
 public:
  Importer(const std::string& base_dir, const std::string& what)
      : base_dir_(base_dir), what_(what) {}

  Graph run(onnx::ModelProto& model) {
    if (!model.has_graph())
      throw ModelError(cat(what_, ": not a valid ONNX model (it has no graph)"));
    Graph g;
    read_opsets(model, g);
    for (const auto& kv : model.metadata_props()) g.metadata[kv.key()] = kv.value();
    onnx::GraphProto& gp = *model.mutable_graph();
    g.name = gp.name();
    read_initializers(gp, g);
    for (const auto& vi : gp.input()) {
      const std::string& name = value_name(vi, "graph input");
      // ONNX IR < 4 lists initializers among the inputs; sinter's inputs are run-time ones only.
      if (g.is_initializer(name)) continue;
      g.inputs.push_back(name);
      read_type(vi, g);
    }
    for (const auto& vi : gp.output()) {
      g.outputs.push_back(value_name(vi, "graph output"));
      read_type(vi, g);
    }
    for (const auto& vi : gp.value_info())
      if (!vi.name().empty()) read_type(vi, g);
    read_nodes(gp, g);
    try {
      g.topological_sort();
    } catch (const ModelError& e) {
      throw ModelError(cat(what_, ": ", e.what()));
    }
    if (g.opset < kFirstNativeOpset) convert_to_opset_7(g, what_);
    return g;
  }

 private:
  void read_opsets(const onnx::ModelProto& model, Graph& g) {
    bool have_default = false;
    for (const auto& op : model.opset_import()) {
      if (op.domain().empty() || op.domain() == "ai.onnx") {
        if (have_default && op.version() != g.opset)
          throw ModelError(cat(what_, ": conflicting opset imports for the default domain"));
        have_default = true;
        g.opset = op.version();
      } else {
        g.metadata[cat(kOpsetMetadataPrefix, op.domain())] = std::to_string(op.version());
      }
    }
    // A model of other domains only (e.g. ai.onnx.preview.training) is valid; its nodes are
    // then judged by op lookup, which names the op it cannot run.
    if (!have_default) {
      for (const auto& node : model.graph().node())
        if (node.domain().empty() || node.domain() == "ai.onnx")
          throw ModelError(cat(what_, ": model has no opset import for the default ONNX domain"));
      g.opset = kMaxOpset;
    }
    if (have_default && (g.opset < kMinOpset || g.opset > kMaxOpset))
      throw UnsupportedError(cat(what_, ": ONNX opset ", g.opset,
                                 " is not supported (sinter "
                                 "supports opsets ",
                                 kMinOpset, " to ", kMaxOpset, ")"));
  }

  void read_initializers(onnx::GraphProto& gp, Graph& g) {
    if (gp.sparse_initializer_size() > 0)
      throw UnsupportedError(cat(what_, ": sparse initializers are not supported"));
    for (auto& tp : *gp.mutable_initializer()) {
      if (tp.name().empty()) throw ModelError(cat(what_, ": an initializer has no name"));
      if (g.is_initializer(tp.name()))
        throw ModelError(cat(what_, ": initializer '", tp.name(), "' is defined twice"));
      Tensor t = tensor_from_proto(tp, base_dir_, cat(what_, ": initializer '", tp.name(), "'"));
      g.types[tp.name()] = {t.dtype(), t.shape(), true};
      g.initializers.emplace(tp.name(), std::move(t));
    }
  }

  const std::string& value_name(const onnx::ValueInfoProto& vi, const char* kind) const {
    if (vi.name().empty()) throw ModelError(cat(what_, ": a ", kind, " has no name"));
    return vi.name();
  }

  void read_type(const onnx::ValueInfoProto& vi, Graph& g) const {
    // An initializer's own dims and dtype are authoritative.
    if (!vi.has_type() || g.is_initializer(vi.name())) return;
    const onnx::TypeProto& tp = vi.type();
    const std::string where = cat(what_, ": value '", vi.name(), "'");
    if (tp.value_case() == onnx::TypeProto::VALUE_NOT_SET) return;
    if (tp.value_case() != onnx::TypeProto::kTensorType)
      throw UnsupportedError(cat(where,
                                 ": only tensor types are supported (not sequences, maps, "
                                 "optionals or sparse tensors)"));
    const auto& tt = tp.tensor_type();
    if (tt.elem_type() == onnx::TensorProto::UNDEFINED) return;  // type left to inference
    ValueType vt;
    vt.dtype = dtype_from_onnx(tt.elem_type(), where);
    if (tt.has_shape()) {
      vt.has_shape = true;
      if (tt.shape().dim_size() > kMaxRank)
        throw ModelError(
            cat(where, ": rank ", tt.shape().dim_size(), " exceeds the limit of ", kMaxRank));
      // Known dims are bounded so shape arithmetic downstream cannot overflow.
      int64_t known = 1;
      for (const auto& d : tt.shape().dim()) {
        int64_t v = d.has_dim_value() ? d.dim_value() : -1;  // dim_param or nothing: unknown
        if (d.has_dim_value() && v < 0) throw ModelError(cat(where, ": negative dimension ", v));
        if (v > kMaxTensorBytes || (v > 0 && known > kMaxTensorBytes / v))
          throw ModelError(
              cat(where, ": shape describes more than ", kMaxTensorBytes, " elements"));
        if (v > 0) known *= v;
        vt.shape.push_back(v);
      }
    }
    g.types[vi.name()] = std::move(vt);
  }

  void read_nodes(onnx::GraphProto& gp, Graph& g) {
    // Unnamed nodes are named "<op>_<index in file>" (made unique), stable across loads.
    std::set<std::string> names;
    for (const auto& np : gp.node())
      if (!np.name().empty()) names.insert(np.name());
    g.nodes.reserve(gp.node_size());
    for (int i = 0; i < gp.node_size(); ++i) {
      onnx::NodeProto& np = *gp.mutable_node(i);
      Node n;
      n.name = np.name();
      if (n.name.empty()) {
        n.name = cat(np.op_type().empty() ? "node" : np.op_type(), "_", i);
        while (names.count(n.name)) n.name += "_";
        names.insert(n.name);
      }
      n.op_type = np.op_type();
      n.domain = np.domain() == "ai.onnx" ? std::string() : np.domain();
      n.inputs.assign(np.input().begin(), np.input().end());
      n.outputs.assign(np.output().begin(), np.output().end());
      for (auto& a : *np.mutable_attribute()) {
        if (a.name().empty())
          throw ModelError(cat(what_, ": ", n.describe(), " has an attribute without a name"));
        Attribute value = read_attribute(a, n);
        if (!n.attrs.emplace(a.name(), std::move(value)).second)
          throw ModelError(
              cat(what_, ": ", n.describe(), ": attribute '", a.name(), "' appears twice"));
      }
      g.nodes.push_back(std::move(n));
    }
  }

  // Old exporters leave `type` unset; the populated field then says what the attribute is.
  static int attribute_kind(const onnx::AttributeProto& a) {
    using A = onnx::AttributeProto;
    if (a.type() != A::UNDEFINED) return a.type();
    if (a.has_f()) return A::FLOAT;
    if (a.has_i()) return A::INT;
    if (a.has_s()) return A::STRING;
    if (a.has_t()) return A::TENSOR;
    if (a.has_g()) return A::GRAPH;
    if (a.floats_size()) return A::FLOATS;
    if (a.ints_size()) return A::INTS;
    if (a.strings_size()) return A::STRINGS;
    if (a.graphs_size()) return A::GRAPHS;
    return A::UNDEFINED;
  }

  Attribute read_attribute(onnx::AttributeProto& a, const Node& n) const {
    using A = onnx::AttributeProto;
    const std::string where = cat(what_, ": ", n.describe(), ": attribute '", a.name(), "'");
    if (!a.ref_attr_name().empty())
      throw UnsupportedError(cat(where, " refers to a function attribute"));
    switch (attribute_kind(a)) {
      case A::FLOAT:
        return a.f();
      case A::INT:
        return a.i();
      case A::STRING:
        return a.s();
      case A::TENSOR:
        return tensor_from_proto(*a.mutable_t(), base_dir_, where);
      case A::FLOATS:
        return std::vector<float>(a.floats().begin(), a.floats().end());
      case A::INTS:
        return std::vector<int64_t>(a.ints().begin(), a.ints().end());
      case A::STRINGS:
        return std::vector<std::string>(a.strings().begin(), a.strings().end());
      case A::GRAPH:
      case A::GRAPHS:
        throw UnsupportedError(
            cat(where, " is a subgraph; control flow (If/Loop/Scan) is not supported"));
      case A::UNDEFINED:
        throw ModelError(cat(where, " has no value"));
      default:
        throw UnsupportedError(cat(where, " has kind ",
                                   A::AttributeType_IsValid(a.type())
                                       ? A::AttributeType_Name(a.type())
                                       : std::to_string(a.type()),
                                   ", which is not supported"));
    }
  }

  const std::string& base_dir_;
  const std::string& what_;
};

// Read-only mapping of a model file; avoids one full copy of a several-hundred-MB model.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(cat(path, ": cannot open model file: ", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw InputError(cat(path, ": not a regular file"));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data_ == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        throw InputError(cat(path, ": cannot map model file: ", std::strerror(err)));
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ && data_ != MAP_FAILED) ::munmap(data_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

Graph parse_onnx(const void* data, size_t size, const std::string& base_dir_for_external_data,
                 const std::string& what_for_messages) {
  const std::string& what = what_for_messages;
  // Protobuf cannot address messages of 2 GB or more; such models must use external data.
  if (size >= static_cast<size_t>(INT_MAX))
    throw ModelError(cat(what, ": model file is over 2 GB; weights must use external data"));
  onnx::ModelProto model;
  {
    static const char kEmpty = 0;
    google::protobuf::io::ArrayInputStream raw(size ? data : &kEmpty, static_cast<int>(size));
    google::protobuf::io::CodedInputStream in(&raw);
    in.SetTotalBytesLimit(INT_MAX);
    if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      throw ModelError(cat(what, ": not a valid ONNX model (protobuf parse failed)"));
  }
  return Importer(base_dir_for_external_data, what).run(model);
}

Graph load_onnx(const std::string& path) {
  MappedFile file(path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  Graph g = parse_onnx(file.data(), file.size(), dir.empty() ? "." : dir, path);
  try {
    verify_graph(g);
  } catch (const ModelError& e) {
    throw ModelError(cat(path, ": ", e.what()));
  } catch (const UnsupportedError& e) {
    throw UnsupportedError(cat(path, ": ", e.what()));
  }
  return g;
}

}  // namespace sinter
