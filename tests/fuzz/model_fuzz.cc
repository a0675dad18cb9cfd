// libFuzzer target for the whole pipeline: parse -> verify -> plan -> run (model_case.h), with
// the structure-aware mutator of model_mutator.h; one case in ten is mutated as raw bytes so the
// parser's edges are reached too.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <random>
#include <string>

#include "core/memory_limit.h"
#include "model_case.h"
#include "model_mutator.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sinter::set_memory_limit(sinter::fuzz::kCaseMemoryLimit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sinter::fuzz::run_model_case(data, size);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::mt19937_64 rng(seed);
  onnx::ModelProto model;
  if (rng() % 10 == 0 || !model.ParseFromArray(data, static_cast<int>(size)))
    return LLVMFuzzerMutate(data, size, max_size);
  sinter::fuzz::mutate_model(model, rng);
  std::string bytes;
  if (!model.SerializeToString(&bytes) || bytes.size() > max_size)
    return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}
