#pragma once
// Plan files (.splan): a model compiled once and kept. The file holds the optimized graph (as
// ONNX bytes), the kernel chosen for every node, the weights those kernels transformed and packed
// (Winograd transforms, GEMM panels; kernels/prepacked_weights.h), the memory plan and the step
// order and the inter-operator schedule (runtime/schedule.h), so that loading runs no graph pass,
// measures nothing, chooses no kernel and packs nothing again. A header
// names the sinter version and ISA tier it was made by and for; every section carries an XXH3
// checksum, so a truncated or altered file is refused before anything runs. Plans are for one set
// of input shapes, like the plans a Session compiles.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "runtime/session.h"

namespace sinter {

// Bumped whenever what a plan file stores changes meaning (layouts of packed weights included).
inline constexpr int kPlanFormatVersion = 3;

// What a plan file's header says about it.
struct PlanFileInfo {
  int format_version = kPlanFormatVersion;
  std::string sinter_version;
  std::string isa;     // the tier its kernels were chosen and packed for
  std::string cpu;     // the CPU it was compiled on (for information)
  int threads = 1;     // the threads it was compiled for
  std::string source;  // the model file it was compiled from
  SessionOptions options;
  int64_t nodes = 0;
  int64_t file_bytes = 0;
  int64_t graph_bytes = 0;      // the optimized graph, weights included
  int64_t prepacked_bytes = 0;  // the kernels' packed weights
  int64_t arena_bytes = 0;
  ScheduleReport schedule;  // what inter-operator scheduling found when it was compiled
  // "ios, 24 stages, 9 of them concurrent (up to 2 groups)", or why the plan runs in order.
  std::string schedule_summary;
};

// Whether the file at `path` begins like a plan file (what `run`, `bench` and `info` check to tell
// plans from ONNX models).
bool is_plan_file(const std::string& path);

// Compiles `model` for `inputs` (their shapes, and the values of small integer inputs, as
// Session::prepare does) and writes the plan to `path` atomically; returns the session, ready to
// run. `source` names the model in the header.
std::unique_ptr<Session> compile_plan_file(Graph model,
                                           const std::unordered_map<std::string, Tensor>& inputs,
                                           const SessionOptions& options, const std::string& source,
                                           const std::string& path, PlanFileInfo* info = nullptr);

// The same for a session already prepared for `inputs`: its graph and schedule are kept, and its
// plan is made again to record the packed weights.
std::unique_ptr<Session> compile_plan_file(std::unique_ptr<Session> session,
                                           const std::unordered_map<std::string, Tensor>& inputs,
                                           const SessionOptions& options, const std::string& source,
                                           const std::string& path, PlanFileInfo* info = nullptr);

// How a loaded plan runs; what it was compiled with comes from the file.
struct PlanRunOptions {
  // 0: the threads it was compiled for. Other threads run the steps in order: a schedule's thread
  // groups were measured for the threads it was compiled for.
  int threads = 0;
  bool profile = false;
  bool check_finite = false;
};

// Loads a plan file into a session that runs it as `run` says. Refuses with a ModelError naming the
// file a file that is not a plan, is truncated, fails a checksum, or was made by another format or
// sinter version or for another ISA tier than the one active here (the error says how to proceed).
std::unique_ptr<Session> load_plan_file(const std::string& path, const PlanRunOptions& run = {},
                                        PlanFileInfo* info = nullptr);

// The same for a plan held in memory; `what` prefixes every error (for fuzzing and tests).
std::unique_ptr<Session> load_plan_bytes(const void* data, size_t size, const std::string& what,
                                         const PlanRunOptions& run = {},
                                         PlanFileInfo* info = nullptr);

}  // namespace sinter
