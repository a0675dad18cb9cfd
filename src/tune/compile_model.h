#pragma once
// The compile workflow: an ONNX model (pruned, quantized or dense) compiled for the input shapes
// it will run on, its kernels chosen from the tuning database where it knows them (optionally
// tuned first, within a time budget), and saved as a plan file (runtime/plan_file.h) that `run`,
// `bench` and `info` and the library load without compiling again.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/plan_file.h"
#include "runtime/schedule_trial.h"
#include "runtime/session.h"
#include "tune/tune_graph.h"

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
  // The tuning database to choose kernels from (tune/tuning_db.h); empty: the heuristics alone.
  std::string tuning_db;
  // Seconds to tune the model's layers first, adding to the database; 0: no tuning.
  double tune_seconds = 0;
  std::function<void(const TuneProgress&)> tune_progress;
  // Inter-operator scheduling (runtime/inter_op_schedule.h). Automatic: the IOS schedule, kept
  // only where timing the compiled plan against the sequential one, taking turns, shows it
  // faster by `min_schedule_gain`; otherwise as given (options.schedule).
  bool auto_schedule = true;
  double min_schedule_gain = kMinScheduleGain;
};

struct CompileResult {
  PlanFileInfo plan;
  std::vector<std::string> notes;  // how dynamic input dims were bound
  double load_ms = 0;              // reading the ONNX file
  double compile_ms = 0;           // passes, kernel choice, packing, memory plan, writing the plan
  std::optional<TuneReport> tuning;             // when tune_seconds > 0
  int64_t tuned_steps = 0;                      // steps whose kernel came from the database
  std::unique_ptr<Session> session;             // the compiled plan, ready to run
  std::optional<ScheduleTrial> schedule_trial;  // when the automatic schedule was timed
};

// Throws InputError for an unreadable model, an unwritable output, a malformed tuning database
// or a negative budget, ModelError/UnsupportedError for a model sinter cannot compile; nothing is
// left at `output` then.
CompileResult compile_model(const CompileRequest& request);

}  // namespace sinter
