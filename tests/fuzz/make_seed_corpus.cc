// Writes the seed corpus of the model fuzz target: every test model of libonnx-testdata with its
// first test's inputs attached as initializers (model_case.h). The first input stays a graph
// input, fed at run time; the others become constants, as weights, shapes and axes are in real
// models (the mutator moves them back and forth). Plus patterns the test data lacks that the
// optimizer rewrites: an image stem (3-channel conv, Relu, max pool), fused into one node, and a
// region of convolutions the channel-blocked layout takes; and a chain of the integer ops
// (DynamicQuantizeLinear, QLinearConv, QLinearMatMul) whose node tests hold single ops only; QDQ
// layers the integer-layers pass rewrites, per-vector and two-level weights among them.
// usage: make_seed_corpus OUT_DIR TESTDATA_DIR...
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>

namespace fs = std::filesystem;

namespace {

// Seeds above this size would slow every mutation; no node test comes close.
constexpr size_t kMaxSeedBytes = 200 * 1024;

bool read_proto(const fs::path& path, google::protobuf::MessageLite& proto) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return in.good() || in.eof() ? proto.ParseFromString(bytes) : false;
}

// The seed for one test directory, or "" when it has no usable model or inputs.
std::string seed_for(const fs::path& dir) {
  onnx::ModelProto model;
  if (!read_proto(dir / "model.onnx", model)) return "";
  onnx::GraphProto& g = *model.mutable_graph();
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  int fed = 0;
  for (int i = 0; i < g.input_size();) {
    const std::string name = g.input(i).name();
    if (initializers.count(name)) {
      ++i;
      continue;
    }
    onnx::TensorProto value;
    if (!read_proto(dir / "test_data_set_0" / ("input_" + std::to_string(fed) + ".pb"), value))
      return "";
    value.set_name(name);
    *g.add_initializer() = value;
    if (fed++ == 0) {
      ++i;
    } else {
      g.mutable_input()->DeleteSubrange(i, 1);
    }
  }
  std::string bytes;
  return model.SerializeToString(&bytes) && bytes.size() <= kMaxSeedBytes ? bytes : "";
}

// A small model written node by node, for patterns the test data lacks.
class SeedBuilder {
 public:
  SeedBuilder(const char* name, std::initializer_list<int> input_dims) {
    model_.set_ir_version(7);
    model_.add_opset_import()->set_version(13);
    g_.set_name(name);
    onnx::ValueInfoProto* x = g_.add_input();
    x->set_name("x");
    auto* t = x->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int d : input_dims) t->mutable_shape()->add_dim()->set_dim_value(d);
    onnx::ValueInfoProto* y = g_.add_output();
    y->set_name("y");
    y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }

  // A float initializer with small values in [-1, 1].
  void constant(const char* name, std::initializer_list<int> dims) {
    onnx::TensorProto& t = *g_.add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    int n = 1;
    for (int d : dims) {
      t.add_dims(d);
      n *= d;
    }
    for (int i = 0; i < n; ++i) t.add_float_data(static_cast<float>((i * 37) % 19 - 9) / 9.0f);
  }

  // An initializer of `type` cycling through `values`: FLOAT in float_data, INT64 in int64_data,
  // INT8, UINT8 and INT32 in int32_data, as ONNX stores them.
  void filled(const char* name, onnx::TensorProto::DataType type, std::initializer_list<int> dims,
              std::initializer_list<float> values) {
    int n = 0;
    onnx::TensorProto& t = initializer(name, type, dims, n);
    for (int i = 0; i < n; ++i) {
      const float v = values.begin()[i % values.size()];
      if (type == onnx::TensorProto::FLOAT) {
        t.add_float_data(v);
      } else if (type == onnx::TensorProto::INT64) {
        t.add_int64_data(static_cast<int64_t>(v));
      } else {
        t.add_int32_data(static_cast<int>(v));
      }
    }
  }

  onnx::NodeProto* node(const char* op, std::initializer_list<const char*> in, const char* out) {
    onnx::NodeProto& n = *g_.add_node();
    n.set_op_type(op);
    n.set_name(out);
    for (const char* i : in) n.add_input(i);
    n.add_output(out);
    return &n;
  }

  static void ints(onnx::NodeProto* n, const char* name, std::initializer_list<int> values) {
    onnx::AttributeProto& a = *n->add_attribute();
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INTS);
    for (int v : values) a.add_ints(v);
  }

  static void integer(onnx::NodeProto* n, const char* name, int value) {
    onnx::AttributeProto& a = *n->add_attribute();
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(value);
  }

  void set_opset(int version) { model_.mutable_opset_import(0)->set_version(version); }

  // A 4-bit initializer (ONNX type 21 uint4 or 22 int4) packed two a byte into raw_data,
  // cycling through `values`.
  void packed_4bit(const char* name, int type, std::initializer_list<int> dims,
                   std::initializer_list<int> values) {
    int n = 0;
    onnx::TensorProto& t = initializer(name, type, dims, n);
    std::string raw((n + 1) / 2, '\0');
    for (int i = 0; i < n; ++i)
      raw[i / 2] = static_cast<char>(raw[i / 2] | (values.begin()[i % values.size()] & 0xf)
                                                      << (4 * (i % 2)));
    t.set_raw_data(raw);
  }

  std::string bytes() {
    *model_.mutable_graph() = g_;
    std::string out;
    return model_.SerializeToString(&out) ? out : "";
  }

 private:
  // A new initializer's name, type and dims; `n` gets its element count.
  onnx::TensorProto& initializer(const char* name, int type, std::initializer_list<int> dims,
                                 int& n) {
    onnx::TensorProto& t = *g_.add_initializer();
    t.set_name(name);
    t.set_data_type(type);
    n = 1;
    for (int d : dims) {
      t.add_dims(d);
      n *= d;
    }
    return t;
  }

  onnx::ModelProto model_;
  onnx::GraphProto g_;
};

// x [1, 3, 20, 23] -> Conv 3x3/2 pad 1 (8 filters, bias) -> Relu -> MaxPool 3x3/2 ceil_mode.
std::string stem_seed() {
  SeedBuilder b("stem", {1, 3, 20, 23});
  b.constant("w", {8, 3, 3, 3});
  b.constant("b", {8});
  onnx::NodeProto* conv = b.node("Conv", {"x", "w", "b"}, "c");
  SeedBuilder::ints(conv, "strides", {2, 2});
  SeedBuilder::ints(conv, "pads", {1, 1, 1, 1});
  b.node("Relu", {"c"}, "r");
  onnx::NodeProto* pool = b.node("MaxPool", {"r"}, "y");
  SeedBuilder::ints(pool, "kernel_shape", {3, 3});
  SeedBuilder::ints(pool, "strides", {2, 2});
  SeedBuilder::integer(pool, "ceil_mode", 1);
  return b.bytes();
}

// A region the channel-blocked layout takes whole: x [1, 3, 18, 18] -> Conv 3x3/2 (24 filters)
// -> Relu -> depthwise 3x3 -> Conv 1x1 (40) -> GlobalAveragePool.
std::string blocked_region_seed() {
  SeedBuilder b("blocked_region", {1, 3, 18, 18});
  b.constant("w0", {24, 3, 3, 3});
  b.constant("b0", {24});
  b.constant("w1", {24, 1, 3, 3});
  b.constant("w2", {40, 24, 1, 1});
  onnx::NodeProto* stem = b.node("Conv", {"x", "w0", "b0"}, "c0");
  SeedBuilder::ints(stem, "strides", {2, 2});
  SeedBuilder::ints(stem, "pads", {1, 1, 1, 1});
  b.node("Relu", {"c0"}, "r0");
  onnx::NodeProto* depthwise = b.node("Conv", {"r0", "w1"}, "c1");
  SeedBuilder::ints(depthwise, "pads", {1, 1, 1, 1});
  SeedBuilder::integer(depthwise, "group", 24);
  b.node("Conv", {"c1", "w2"}, "c2");
  b.node("GlobalAveragePool", {"c2"}, "y");
  return b.bytes();
}

// The integer ops that quantized models from other tools use, chained as they run them:
// x [1, 2, 6, 6] -> DynamicQuantizeLinear -> QLinearConv 3x3/2 pad 1 (int8 weights with a scale
// and zero point per output channel, int32 bias) -> QLinearMatMul by int8 [3, 5] (a scale per
// column) -> DequantizeLinear.
std::string integer_ops_seed() {
  using onnx::TensorProto;
  SeedBuilder b("integer_ops", {1, 2, 6, 6});
  b.filled("w", TensorProto::INT8, {4, 2, 3, 3}, {-128, -57, -3, 0, 12, 64, 127});
  b.filled("w_scale", TensorProto::FLOAT, {4}, {0.02f, 0.005f, 0.1f, 0.03f});
  b.filled("w_zero_point", TensorProto::INT8, {4}, {0, 3, -2, 0});
  b.filled("bias", TensorProto::INT32, {4}, {-500, 0, 1200, 37});
  b.filled("c_scale", TensorProto::FLOAT, {}, {0.04f});
  b.filled("c_zero_point", TensorProto::UINT8, {}, {120});
  b.filled("m", TensorProto::INT8, {3, 5}, {5, -9, 100, -128, 7, 0, 33});
  b.filled("m_scale", TensorProto::FLOAT, {5}, {0.01f, 0.02f, 0.05f, 0.001f, 0.3f});
  b.filled("m_zero_point", TensorProto::INT8, {5}, {0, 0, 1, -1, 0});
  b.filled("y_scale", TensorProto::FLOAT, {}, {0.25f});
  b.filled("y_zero_point", TensorProto::UINT8, {}, {128});
  onnx::NodeProto* dynamic = b.node("DynamicQuantizeLinear", {"x"}, "xq");
  dynamic->add_output("x_scale");
  dynamic->add_output("x_zero_point");
  onnx::NodeProto* conv = b.node("QLinearConv",
                                 {"xq", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point",
                                  "c_scale", "c_zero_point", "bias"},
                                 "c");
  SeedBuilder::ints(conv, "strides", {2, 2});
  SeedBuilder::ints(conv, "pads", {1, 1, 1, 1});
  b.node(
      "QLinearMatMul",
      {"c", "c_scale", "c_zero_point", "m", "m_scale", "m_zero_point", "y_scale", "y_zero_point"},
      "yq");
  b.node("DequantizeLinear", {"yq", "y_scale", "y_zero_point"}, "y");
  return b.bytes();
}

// A QDQ model that the integer-layers pass runs on integers: x -> Q/DQ -> Conv 3x3 (s8 per-channel
// weights) -> Relu -> Q/DQ -> depthwise Conv -> Q/DQ -> Add (with the first conv's output) ->
// Q/DQ -> MaxPool -> Q/DQ -> Concat (with itself) -> Q/DQ -> GlobalAveragePool -> Q/DQ ->
// Flatten -> Q/DQ -> Gemm (s8 weights) -> Q -> DQ -> y.
std::string qdq_layers_seed() {
  using onnx::TensorProto;
  SeedBuilder b("qdq_layers", {1, 3, 10, 10});
  b.filled("s", TensorProto::FLOAT, {}, {0.05f});
  b.filled("zp", TensorProto::UINT8, {}, {128});
  b.filled("s_relu", TensorProto::FLOAT, {}, {0.03f});
  b.filled("zp_relu", TensorProto::UINT8, {}, {0});
  b.filled("w1", TensorProto::INT8, {8, 3, 3, 3}, {-128, -57, -3, 0, 12, 64, 127});
  b.filled("w1_scale", TensorProto::FLOAT, {8}, {0.02f, 0.005f, 0.1f, 0.03f});
  b.filled("w1_zero_point", TensorProto::INT8, {8}, {0});
  b.filled("b1", TensorProto::FLOAT, {8}, {0.1f, -0.2f, 0.0f, 0.3f});
  b.filled("w2", TensorProto::INT8, {8, 1, 3, 3}, {5, -9, 100, -128, 7, 0, 33});
  b.filled("w2_scale", TensorProto::FLOAT, {8}, {0.01f, 0.02f});
  b.filled("w3", TensorProto::INT8, {4, 16}, {3, -7, 11, 90, -100});
  b.filled("w3_scale", TensorProto::FLOAT, {4}, {0.01f});
  auto qdq = [&](const std::string& v, const char* s, const char* zp) {
    b.node("QuantizeLinear", {v.c_str(), s, zp}, (v + "_q").c_str());
    b.node("DequantizeLinear", {(v + "_q").c_str(), s, zp}, (v + "_dq").c_str());
    return v + "_dq";
  };
  auto weight = [&](const char* w, const char* scale, bool per_channel) {
    onnx::NodeProto* dq = b.node("DequantizeLinear", {w, scale}, (std::string(w) + "_f").c_str());
    if (per_channel) SeedBuilder::integer(dq, "axis", 0);
  };
  weight("w1", "w1_scale", true);
  weight("w2", "w2_scale", true);
  weight("w3", "w3_scale", true);
  const std::string x = qdq("x", "s", "zp");
  onnx::NodeProto* conv = b.node("Conv", {x.c_str(), "w1_f", "b1"}, "c1");
  SeedBuilder::ints(conv, "pads", {1, 1, 1, 1});
  b.node("Relu", {"c1"}, "r1");
  const std::string r1 = qdq("r1", "s_relu", "zp_relu");
  onnx::NodeProto* dw = b.node("Conv", {r1.c_str(), "w2_f"}, "c2");
  SeedBuilder::ints(dw, "pads", {1, 1, 1, 1});
  SeedBuilder::integer(dw, "group", 8);
  const std::string c2 = qdq("c2", "s", "zp");
  b.node("Add", {c2.c_str(), r1.c_str()}, "sum");
  const std::string sum = qdq("sum", "s", "zp");
  onnx::NodeProto* pool = b.node("MaxPool", {sum.c_str()}, "pooled");
  SeedBuilder::ints(pool, "kernel_shape", {2, 2});
  SeedBuilder::ints(pool, "strides", {2, 2});
  const std::string pooled = qdq("pooled", "s", "zp");
  onnx::NodeProto* cat = b.node("Concat", {pooled.c_str(), pooled.c_str()}, "cat");
  SeedBuilder::integer(cat, "axis", 1);
  const std::string joined = qdq("cat", "s_relu", "zp_relu");
  b.node("GlobalAveragePool", {joined.c_str()}, "gap");
  const std::string gap = qdq("gap", "s", "zp");
  b.node("Flatten", {gap.c_str()}, "flat");
  const std::string flat = qdq("flat", "s", "zp");
  onnx::NodeProto* gemm = b.node("Gemm", {flat.c_str(), "w3_f"}, "logits");
  SeedBuilder::integer(gemm, "transB", 1);
  b.node("QuantizeLinear", {"logits", "s", "zp"}, "logits_q");
  b.node("DequantizeLinear", {"logits_q", "s", "zp"}, "y");
  return b.bytes();
}

// Per-vector weights as sinter quantize writes them, which the integer-layers pass reads back:
// x [1, 6, 6, 6] -> Q/DQ -> Conv 3x3 pad 1 whose 4-bit weights have a scale per vector of 16 (each
// vector a row: DequantizeLinear [16, 16] per axis 0 -> Reshape [4, 64] -> Slice to K = 54 ->
// Reshape [4, 3, 3, 6] -> Transpose to [4, 6, 3, 3]) -> Relu -> Q/DQ -> Flatten -> Q/DQ -> Gemm
// whose weights have two-level scales (DequantizeLinear [3, 9, 16] per channel, times a Cast of
// uint8 factors [3, 9, 1], Reshape [3, 144]) -> Q -> DQ -> y.
std::string vector_weights_seed() {
  using onnx::TensorProto;
  SeedBuilder b("vector_weights", {1, 6, 6, 6});
  b.filled("s", TensorProto::FLOAT, {}, {0.05f});
  b.filled("zp", TensorProto::UINT8, {}, {128});
  b.filled("s_relu", TensorProto::FLOAT, {}, {0.03f});
  b.filled("zp_relu", TensorProto::UINT8, {}, {0});
  b.filled("w1", TensorProto::INT8, {16, 16}, {-8, 7, 3, 0, -5, 1, 6});
  b.filled("w1_scale", TensorProto::FLOAT, {16}, {0.02f, 0.005f, 0.1f, 0.03f, 0.07f});
  b.filled("w1_rows", TensorProto::INT64, {2}, {4, 64});
  b.filled("w1_starts", TensorProto::INT64, {1}, {0});
  b.filled("w1_ends", TensorProto::INT64, {1}, {54});
  b.filled("w1_axes", TensorProto::INT64, {1}, {1});
  b.filled("w1_window", TensorProto::INT64, {4}, {4, 3, 3, 6});
  b.filled("w2", TensorProto::INT8, {3, 9, 16}, {-128, 90, -7, 0, 12, 127, -33});
  b.filled("w2_scale", TensorProto::FLOAT, {3}, {0.001f, 0.002f, 0.0005f});
  b.filled("w2_factor", TensorProto::UINT8, {3, 9, 1}, {1, 15, 7, 3, 255});
  b.filled("w2_rows", TensorProto::INT64, {2}, {3, 144});
  auto qdq = [&](const std::string& v, const char* s, const char* zp) {
    b.node("QuantizeLinear", {v.c_str(), s, zp}, (v + "_q").c_str());
    b.node("DequantizeLinear", {(v + "_q").c_str(), s, zp}, (v + "_dq").c_str());
    return v + "_dq";
  };
  SeedBuilder::integer(b.node("DequantizeLinear", {"w1", "w1_scale"}, "w1_vectors"), "axis", 0);
  b.node("Reshape", {"w1_vectors", "w1_rows"}, "w1_padded");
  b.node("Slice", {"w1_padded", "w1_starts", "w1_ends", "w1_axes"}, "w1_sliced");
  b.node("Reshape", {"w1_sliced", "w1_window"}, "w1_window_order");
  SeedBuilder::ints(b.node("Transpose", {"w1_window_order"}, "w1_f"), "perm", {0, 3, 1, 2});
  SeedBuilder::integer(b.node("DequantizeLinear", {"w2", "w2_scale"}, "w2_channels"), "axis", 0);
  SeedBuilder::integer(b.node("Cast", {"w2_factor"}, "w2_factor_f"), "to", TensorProto::FLOAT);
  b.node("Mul", {"w2_channels", "w2_factor_f"}, "w2_scaled");
  b.node("Reshape", {"w2_scaled", "w2_rows"}, "w2_f");
  const std::string x = qdq("x", "s", "zp");
  SeedBuilder::ints(b.node("Conv", {x.c_str(), "w1_f"}, "c1"), "pads", {1, 1, 1, 1});
  b.node("Relu", {"c1"}, "r1");
  const std::string r1 = qdq("r1", "s_relu", "zp_relu");
  b.node("Flatten", {r1.c_str()}, "flat");
  const std::string flat = qdq("flat", "s_relu", "zp_relu");
  SeedBuilder::integer(b.node("Gemm", {flat.c_str(), "w2_f"}, "logits"), "transB", 1);
  b.node("QuantizeLinear", {"logits", "s", "zp"}, "logits_q");
  b.node("DequantizeLinear", {"logits_q", "s", "zp"}, "y");
  return b.bytes();
}

// Opset 21's per-vector form, and opset 18's Pad axes: x [1, 32, 4, 4] -> Pad (axes [3], one
// column after) -> Q/DQ -> Conv 1x1 whose int4 weights [8, 32, 1, 1] have a scale per block of 16
// input channels (DequantizeLinear block_size 16, axis 1) -> Q/DQ u8 (an integer layer) -> Q to
// int4 -> DQ -> y.
std::string blocked_weights_seed() {
  using onnx::TensorProto;
  SeedBuilder b("blocked_weights", {1, 32, 4, 4});
  b.set_opset(21);
  b.filled("pads", TensorProto::INT64, {2}, {0, 1});
  b.filled("axes", TensorProto::INT64, {1}, {3});
  b.filled("s", TensorProto::FLOAT, {}, {0.05f});
  b.filled("zp", TensorProto::UINT8, {}, {128});
  b.filled("s_out", TensorProto::FLOAT, {}, {0.5f});
  b.packed_4bit("zp_out", 22, {}, {0});
  b.packed_4bit("w", 22, {8, 32, 1, 1}, {-8, 7, 3, 0, -5, 1, 6});
  b.filled("w_scale", TensorProto::FLOAT, {8, 2, 1, 1}, {0.02f, 0.005f, 0.1f, 0.03f, 0.07f});
  onnx::NodeProto* dq = b.node("DequantizeLinear", {"w", "w_scale"}, "w_f");
  SeedBuilder::integer(dq, "axis", 1);
  SeedBuilder::integer(dq, "block_size", 16);
  b.node("Pad", {"x", "pads", "", "axes"}, "padded");
  b.node("QuantizeLinear", {"padded", "s", "zp"}, "x_q");
  b.node("DequantizeLinear", {"x_q", "s", "zp"}, "x_dq");
  b.node("Conv", {"x_dq", "w_f"}, "c");
  b.node("QuantizeLinear", {"c", "s", "zp"}, "c_q");
  b.node("DequantizeLinear", {"c_q", "s", "zp"}, "c_dq");
  b.node("QuantizeLinear", {"c_dq", "s_out", "zp_out"}, "c_q4");
  b.node("DequantizeLinear", {"c_q4", "s_out", "zp_out"}, "y");
  return b.bytes();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_seed_corpus OUT_DIR TESTDATA_DIR...\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  int written = 0, skipped = 0;
  for (int a = 2; a < argc; ++a) {
    if (!fs::is_directory(argv[a])) continue;
    for (const auto& entry : fs::directory_iterator(argv[a])) {
      const std::string seed = seed_for(entry.path());
      if (seed.empty()) {
        ++skipped;
        continue;
      }
      std::ofstream(out / (entry.path().filename().string() + ".onnx"), std::ios::binary) << seed;
      ++written;
    }
  }
  for (const auto& [name, seed] : {std::pair{"image_stem.onnx", stem_seed()},
                                   std::pair{"blocked_region.onnx", blocked_region_seed()},
                                   std::pair{"integer_ops.onnx", integer_ops_seed()},
                                   std::pair{"qdq_layers.onnx", qdq_layers_seed()},
                                   std::pair{"vector_weights.onnx", vector_weights_seed()},
                                   std::pair{"blocked_weights.onnx", blocked_weights_seed()}})
    if (!seed.empty()) {
      std::ofstream(out / name, std::ios::binary) << seed;
      ++written;
    }
  std::printf("make_seed_corpus: %d seeds in %s (%d test dirs skipped)\n", written, out.c_str(),
              skipped);
  return written > 0 ? 0 : 1;
}
