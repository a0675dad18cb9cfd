// External data: weights in a side file, resolved inside the model's directory only.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx_test_util.h"

namespace sinter {
namespace {

using onnx::TensorProto;
using testing::TempDir;

const std::vector<float> kWeights = {0.5f, -1.f, 2.f, 4.f, 8.f, -16.f};

// Flatten model whose initializer "w" (float [2,3]) lives in an external file.
onnx::ModelProto external_model(const std::string& location, int64_t offset, int64_t length) {
  onnx::ModelProto m = testing::flatten_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_raw_data();
  w->clear_dims();
  w->add_dims(2);
  w->add_dims(3);
  w->set_data_location(TensorProto::EXTERNAL);
  auto add = [w](const std::string& k, const std::string& v) {
    auto* kv = w->add_external_data();
    kv->set_key(k);
    kv->set_value(v);
  };
  add("location", location);
  if (offset >= 0) add("offset", std::to_string(offset));
  if (length >= 0) add("length", std::to_string(length));
  return m;
}

std::string weight_bytes(size_t padding) {
  std::string s(padding, 'x');
  s.append(reinterpret_cast<const char*>(kWeights.data()), kWeights.size() * sizeof(float));
  return s;
}

void expect_weights(const Graph& g) {
  const Tensor& w = g.initializers.at("w");
  EXPECT_EQ(w.shape(), (Shape{2, 3}));
  EXPECT_EQ(0, std::memcmp(w.raw(), kWeights.data(), w.nbytes()));
}

TEST(OnnxExternalData, LoadsWithAndWithoutOffsetAndLength) {
  TempDir dir;
  testing::write_bytes(dir.file("w.bin"), weight_bytes(0));
  testing::write_model(external_model("w.bin", -1, -1), dir.file("a.onnx"));
  expect_weights(load_onnx(dir.file("a.onnx")));

  std::filesystem::create_directories(dir.str() + "/data");
  testing::write_bytes(dir.file("data/packed.bin"), weight_bytes(100) + "trailing");
  testing::write_model(external_model("data/packed.bin", 100, 24), dir.file("b.onnx"));
  expect_weights(load_onnx(dir.file("b.onnx")));
  // A "./" or "x/../" detour that stays inside the directory is fine.
  testing::write_model(external_model("./data/../data/packed.bin", 100, -1), dir.file("c.onnx"));
  expect_weights(load_onnx(dir.file("c.onnx")));
}

void expect_rejected(const TempDir& dir, const onnx::ModelProto& m, const std::string& fragment) {
  testing::write_model(m, dir.file("bad.onnx"));
  try {
    load_onnx(dir.file("bad.onnx"));
    FAIL() << "expected ModelError containing '" << fragment << "'";
  } catch (const ModelError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("initializer 'w'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

TEST(OnnxExternalData, RejectsPathsOutsideTheModelDirectory) {
  TempDir dir;
  std::filesystem::create_directories(dir.str() + "/model");
  testing::write_bytes(dir.file("w.bin"), weight_bytes(0));  // exists, but outside model/
  testing::write_model(external_model("../w.bin", -1, -1), dir.file("model/m.onnx"));
  EXPECT_THROW(load_onnx(dir.file("model/m.onnx")), ModelError);
  expect_rejected(dir, external_model("../w.bin", -1, -1), "escapes");
  expect_rejected(dir, external_model("a/../../w.bin", -1, -1), "escapes");
  expect_rejected(dir, external_model(dir.file("w.bin"), -1, -1), "absolute");
  expect_rejected(dir, external_model("/etc/passwd", -1, -1), "absolute");
  expect_rejected(dir, external_model("", -1, -1), "no location");
}

TEST(OnnxExternalData, RejectsMissingShortAndInconsistentData) {
  TempDir dir;
  testing::write_bytes(dir.file("w.bin"), weight_bytes(0));
  testing::write_bytes(dir.file("short.bin"), weight_bytes(0).substr(0, 20));
  expect_rejected(dir, external_model("missing.bin", -1, -1), "does not exist");
  expect_rejected(dir, external_model("short.bin", -1, -1), "too short");
  expect_rejected(dir, external_model("w.bin", 8, -1), "too short");
  expect_rejected(dir, external_model("w.bin", 1000, -1), "too short");
  expect_rejected(dir, external_model("w.bin", 0, 20), "length 20");
  auto bad_offset = external_model("w.bin", -1, -1);
  auto* kv = bad_offset.mutable_graph()->mutable_initializer(0)->add_external_data();
  kv->set_key("offset");
  kv->set_value("-4");
  expect_rejected(dir, bad_offset, "not a byte count");
  std::filesystem::create_directories(dir.str() + "/subdir");
  expect_rejected(dir, external_model("subdir", -1, -1), "does not exist");
}

TEST(OnnxExternalData, RefusedWhenParsingFromMemory) {
  std::string bytes = external_model("w.bin", -1, -1).SerializeAsString();
  EXPECT_THROW(parse_onnx(bytes.data(), bytes.size(), "", "mem"), ModelError);
}

}  // namespace
}  // namespace sinter
