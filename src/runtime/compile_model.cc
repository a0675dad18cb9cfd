#include "runtime/compile_model.h"

#include <chrono>
#include <filesystem>

#include "onnx/onnx_import.h"
#include "runtime/bound_inputs.h"

namespace sinter {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

CompileResult compile_model(const CompileRequest& request) {
  CompileResult result;
  auto t0 = std::chrono::steady_clock::now();
  Graph model = load_onnx(request.model);
  result.load_ms = ms_since(t0);
  const auto bound = bind_input_shapes(model, request.batch, request.batch_given, result.notes);
  t0 = std::chrono::steady_clock::now();
  result.session = compile_plan_file(std::move(model), make_inputs(bound, false), request.options,
                                     std::filesystem::path(request.model).filename().string(),
                                     request.output, &result.plan);
  result.compile_ms = ms_since(t0);
  return result;
}

}  // namespace sinter
