// libFuzzer target for plan files: load (header, checksums, graph, initializers, kernels' packed
// weights, memory plan) and run on small inputs. The mutator takes a plan apart, changes a header
// field or a section's bytes and puts it together with fresh checksums (plan_pieces.h), so cases
// get past the checksums to the code that must not trust what they guard; one case in ten is
// mutated as raw bytes.
// Every rejection must be a sinter::Error; anything else — another exception, a crash, a sanitizer
// report, a hang — is a finding.
#include <cstring>
#include <random>
#include <string>

#include "core/error.h"
#include "core/memory_limit.h"
#include "model_case.h"
#include "plan_pieces.h"
#include "runtime/plan_file.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

void run_plan(const uint8_t* data, size_t size) {
  auto session = sinter::load_plan_bytes(data, size, "fuzz.splan");
  if (session->plan().total_flops() > sinter::fuzz::kMaxFlops) return;
  std::mt19937 rng(1);
  std::unordered_map<std::string, sinter::Tensor> inputs;
  for (const std::string& name : session->model().inputs) {
    const sinter::ValueType* type = session->model().type_of(name);
    if (!type || !sinter::fuzz::small_enough(*type)) return;
    inputs.emplace(name, sinter::fuzz::made_input(*type, rng));
  }
  session->run(inputs);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sinter::set_memory_limit(sinter::fuzz::kCaseMemoryLimit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    run_plan(data, size);
  } catch (const sinter::Error&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  std::mt19937_64 rng(seed);
  auto pieces = rng() % 10
                    ? sinter::fuzz::split_plan(std::string(reinterpret_cast<char*>(data), size))
                    : std::nullopt;
  if (!pieces) return LLVMFuzzerMutate(data, size, max_size);
  sinter::fuzz::mutate_plan(*pieces, rng, [&](std::string& bytes) {
    const size_t room = bytes.size() + 64;
    bytes.resize(room);
    bytes.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(bytes.data()), room - 64, room));
  });
  const std::string bytes = sinter::fuzz::assemble_plan(std::move(*pieces));
  if (bytes.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}
