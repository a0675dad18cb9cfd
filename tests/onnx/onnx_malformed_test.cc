// Malformed files must end in a sinter::Error that says what is wrong, never in a crash.
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx_test_util.h"

namespace sinter {
namespace {

using testing::TempDir;

TEST(OnnxMalformed, EveryTruncationIsAModelError) {
  // One opset import and no metadata: then every proper prefix lacks the graph, lacks the opset
  // import, or cuts a length-delimited field short (protobuf writes fields in number order).
  std::string bytes = testing::flatten_model().SerializeAsString();
  ASSERT_GT(bytes.size(), 50u);
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::string cut = bytes.substr(0, len);
    EXPECT_THROW(parse_onnx(cut.data(), cut.size(), "", "cut.onnx"), ModelError) << len;
  }
  TempDir dir;
  testing::write_bytes(dir.file("cut.onnx"), bytes.substr(0, bytes.size() / 2));
  try {
    load_onnx(dir.file("cut.onnx"));
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.file("cut.onnx") + ": not a valid ONNX model (protobuf parse failed)");
  }
}

TEST(OnnxMalformed, RandomAndMutatedBytesThrowSinterErrors) {
  std::mt19937 rng(1234);
  const std::string valid = testing::flatten_model().SerializeAsString();
  for (int i = 0; i < 3000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 512);
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      bytes = valid;  // flip a few bytes of a valid model to reach deeper code
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    try {
      parse_onnx(bytes.data(), bytes.size(), "", "random.onnx");
    } catch (const Error&) {
    }
  }
}

TEST(OnnxMalformed, UnreadableFilesAreInputErrors) {
  TempDir dir;
  EXPECT_THROW(load_onnx(dir.file("absent.onnx")), InputError);
  EXPECT_THROW(load_onnx(dir.str()), InputError);
  testing::write_bytes(dir.file("empty.onnx"), "");
  EXPECT_THROW(load_onnx(dir.file("empty.onnx")), ModelError);
}

TEST(OnnxMalformed, MissingInitializerNamesTheNode) {
  onnx::ModelProto m = testing::flatten_model();
  m.mutable_graph()->mutable_node(0)->set_input(0, "gone");
  TempDir dir;
  testing::write_model(m, dir.file("m.onnx"));
  try {
    load_onnx(dir.file("m.onnx"));
    FAIL();
  } catch (const ModelError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("Flatten node 'flat'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'gone'"), std::string::npos) << msg;
  }
}

TEST(OnnxMalformed, VerifierRunsOnLoad) {
  TempDir dir;
  onnx::ModelProto twice = testing::flatten_model();
  *twice.mutable_graph()->add_node() = twice.graph().node(0);
  twice.mutable_graph()->mutable_node(1)->set_name("again");
  testing::write_model(twice, dir.file("twice.onnx"));
  try {
    load_onnx(dir.file("twice.onnx"));
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("Flatten node 'again'"), std::string::npos) << e.what();
  }
  onnx::ModelProto unknown = testing::flatten_model();
  unknown.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOp");
  testing::write_model(unknown, dir.file("unknown.onnx"));
  try {
    load_onnx(dir.file("unknown.onnx"));
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("NoSuchOp"), std::string::npos) << e.what();
  }
}

TEST(OnnxMalformed, StructuralErrors) {
  auto parse = [](const onnx::ModelProto& m) {
    std::string bytes = m.SerializeAsString();
    return parse_onnx(bytes.data(), bytes.size(), "", "mem.onnx");
  };
  onnx::ModelProto no_graph = testing::flatten_model();
  no_graph.clear_graph();
  EXPECT_THROW(parse(no_graph), ModelError);
  onnx::ModelProto dup_init = testing::flatten_model();
  *dup_init.mutable_graph()->add_initializer() = dup_init.graph().initializer(0);
  EXPECT_THROW(parse(dup_init), ModelError);
  onnx::ModelProto unnamed_init = testing::flatten_model();
  unnamed_init.mutable_graph()->mutable_initializer(0)->clear_name();
  EXPECT_THROW(parse(unnamed_init), ModelError);
  onnx::ModelProto unnamed_input = testing::flatten_model();
  unnamed_input.mutable_graph()->mutable_input(0)->clear_name();
  EXPECT_THROW(parse(unnamed_input), ModelError);
  onnx::ModelProto sparse = testing::flatten_model();
  sparse.mutable_graph()->add_sparse_initializer();
  EXPECT_THROW(parse(sparse), UnsupportedError);
}

}  // namespace
}  // namespace sinter
