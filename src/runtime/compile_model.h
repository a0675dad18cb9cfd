#pragma once
// The compile workflow: an ONNX model (pruned, quantized or dense) compiled for the input shapes
// it will run on and saved as a plan file (runtime/plan_file.h) that `run`, `bench` and `info`
// and the library load without compiling again.
#include <memory>
#include <string>
#include <vector>

#include "runtime/plan_file.h"
#include "runtime/session.h"

namespace sinter {

struct CompileRequest {
  std::string model;   // the ONNX file
  std::string output;  // the plan file to write
  // A dynamic first input dim becomes `batch` (other dynamic dims 1; runtime/bound_inputs.h).
  int64_t batch = 1;
  bool batch_given = false;  // whether to note that a fixed first dim ignores `batch`
  // Threads the plan is compiled for and the compile choices (sparse kernels, blocked layout,
  // integer layers, optimization); profile and check_finite only affect the returned session.
  SessionOptions options;
};

struct CompileResult {
  PlanFileInfo plan;
  std::vector<std::string> notes;  // how dynamic input dims were bound
  double load_ms = 0;              // reading the ONNX file
  double compile_ms = 0;           // passes, kernel choice, packing, memory plan, writing the plan
  std::unique_ptr<Session> session;  // the compiled plan, ready to run
};

// Throws InputError for an unreadable model or an unwritable output, ModelError/UnsupportedError
// for a model sinter cannot compile; nothing is left at `output` then.
CompileResult compile_model(const CompileRequest& request);

}  // namespace sinter
