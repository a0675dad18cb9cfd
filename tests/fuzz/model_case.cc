#include "model_case.h"

#include <onnx/onnx_pb.h>

#include <random>
#include <set>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "ir/verifier.h"
#include "onnx/onnx_import.h"
#include "runtime/session.h"

namespace sinter::fuzz {

namespace {

// Inputs made from types are small: the point is reaching every kernel, not big work.
constexpr int64_t kMaxMadeElements = 1 << 14;

// Names of graph inputs that an initializer of the same name gives a value.
std::set<std::string> fed_inputs(const uint8_t* data, size_t size) {
  std::set<std::string> fed;
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return fed;
  std::set<std::string> initializers;
  for (const auto& t : proto.graph().initializer()) initializers.insert(t.name());
  for (const auto& in : proto.graph().input())
    if (initializers.count(in.name())) fed.insert(in.name());
  return fed;
}

}  // namespace

Tensor made_input(const ValueType& type, std::mt19937& rng) {
  Shape shape = type.has_shape ? type.shape : Shape{2};
  for (int64_t& d : shape)
    if (d < 0) d = 2;
  Tensor t(type.dtype, shape);
  auto* bytes = static_cast<uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const uint32_t r = rng();
    switch (type.dtype) {
      case DType::kFloat32:
        t.data<float>()[i] = static_cast<float>(r >> 8) * 0x1p-22f - 2;
        break;
      case DType::kFloat64:
        t.data<double>()[i] = static_cast<double>(r >> 8) * 0x1p-22 - 2;
        break;
      case DType::kInt64:
        t.data<int64_t>()[i] = r % 4;
        break;
      case DType::kInt32:
        t.data<int32_t>()[i] = static_cast<int32_t>(r % 4);
        break;
      case DType::kBool:
        bytes[i] = r & 1;
        break;
      default:
        for (size_t b = 0; b < dtype_size(type.dtype); ++b)
          bytes[i * dtype_size(type.dtype) + b] = static_cast<uint8_t>(r >> (8 * (b % 4)));
        break;
    }
  }
  return t;
}

bool small_enough(const ValueType& type) {
  if (!type.has_shape) return true;
  int64_t n = 1;
  for (int64_t d : type.shape) {
    n *= d < 0 ? 2 : d;
    if (d > kMaxMadeElements || n > kMaxMadeElements) return false;
  }
  return true;
}

namespace {

void run_checked(const uint8_t* data, size_t size) {
  Graph g = parse_onnx(data, size, "", "fuzz.onnx");
  verify_graph(g);
  std::unordered_map<std::string, Tensor> inputs;
  for (const std::string& name : fed_inputs(data, size)) {
    auto it = g.initializers.find(name);
    if (it == g.initializers.end()) continue;
    g.types[name] = {it->second.dtype(), it->second.shape(), true};
    inputs.emplace(name, std::move(it->second));
    g.initializers.erase(it);
    g.inputs.push_back(name);
  }
  std::mt19937 rng(1);
  for (const std::string& name : g.inputs) {
    if (inputs.count(name)) continue;
    const ValueType* type = g.type_of(name);
    if (type && !small_enough(*type)) return;
    inputs.emplace(name, made_input(type ? *type : ValueType{}, rng));
  }
  // Thread count and graph optimization vary with the case, deterministically.
  SessionOptions options;
  options.threads = 1 + static_cast<int>(size % 2);
  options.optimize = (size / 2) % 4 != 0;
  Session session(std::move(g), options);
  session.prepare(inputs);
  if (session.plan().total_flops() > kMaxFlops) return;
  session.run(inputs);
}

}  // namespace

void run_model_case(const uint8_t* data, size_t size) {
  try {
    run_checked(data, size);
  } catch (const Error&) {
  }
}

}  // namespace sinter::fuzz
