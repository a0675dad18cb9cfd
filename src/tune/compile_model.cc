#include "tune/compile_model.h"

#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "onnx/onnx_import.h"
#include "runtime/bound_inputs.h"

namespace sinter {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
SessionOptions with_schedule(SessionOptions options, InterOpScheduling how) {
  options.schedule = how;
  return options;
}

}  // namespace

CompileResult compile_model(const CompileRequest& request) {
  if (request.tune_seconds < 0)
    throw InputError(
        cat("the tuning budget must not be negative (got ", request.tune_seconds, " s)"));
  CompileResult result;
  auto t0 = std::chrono::steady_clock::now();
  Graph model = load_onnx(request.model);
  result.load_ms = ms_since(t0);
  const auto bound = bind_input_shapes(model, request.batch, request.batch_given, result.notes);
  const auto inputs = make_inputs(bound, false);
  auto db = std::make_shared<TuningDb>(
      request.tuning_db.empty() ? TuningDb{} : TuningDb::load(request.tuning_db));
  if (request.tune_seconds > 0) {
    // The graph as the plan will have it: the same passes, then every layer's candidates timed.
    Session probe(model, request.options);
    probe.prepare(inputs);
    result.tuning = tune_graph(probe.compiled_graph(), *db,
                               {request.tune_seconds, request.options.threads,
                                request.options.sparse_kernels, request.tune_progress});
    if (!request.tuning_db.empty()) db->save(request.tuning_db);
  }
  SessionOptions options = request.options;
  auto tuned = std::make_shared<int64_t>(0);
  if (db->size() > 0) {
    const KernelChooser choose = kernel_chooser(db, request.tuning_db);
    options.kernel_choice = [choose, tuned](const KernelInfo& info) {
      auto choice = choose(info);
      if (choice) ++*tuned;
      return choice;
    };
  }
  t0 = std::chrono::steady_clock::now();
  const std::string source = std::filesystem::path(request.model).filename().string();
  // Compiles into the file and counts the kernels the database chose for that plan.
  auto compile = [&](std::unique_ptr<Session> session) {
    *tuned = 0;
    result.session = compile_plan_file(std::move(session), inputs, options, source, request.output,
                                       &result.plan);
    result.tuned_steps = *tuned;
  };
  if (!request.auto_schedule) {
    compile(std::make_unique<Session>(std::move(model), options));
  } else {
    compile(std::make_unique<Session>(model, with_schedule(options, InterOpScheduling::kIos)));
    if (!result.session->plan().schedule().empty()) {
      auto sequential = std::make_unique<Session>(
          std::move(model), with_schedule(options, InterOpScheduling::kSequential));
      const ScheduleTrial trial =
          time_schedule([&] { sequential->run(inputs); }, [&] { result.session->run(inputs); },
                        request.min_schedule_gain);
      if (!trial.kept) compile(std::move(sequential));
      result.schedule_trial = trial;
    }
  }
  result.compile_ms = ms_since(t0);
  return result;
}

}  // namespace sinter
