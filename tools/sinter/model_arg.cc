#include "model_arg.h"

#include <chrono>

#include "core/error.h"
#include "onnx/onnx_import.h"

namespace sinter::cli {

namespace {
// The flags of `options` that only compiling uses, as the user typed them.
std::string compile_flags(const SessionOptions& options) {
  const SessionOptions defaults;
  std::string flags;
  auto add = [&](bool differs, const char* flag) {
    if (differs) flags += (flags.empty() ? "" : ", ") + std::string(flag);
  };
  add(options.optimize != defaults.optimize, "--no-optimize");
  add(options.sparse_kernels != defaults.sparse_kernels, "--dense-kernels");
  add(options.blocked_layout != defaults.blocked_layout, "--nchw");
  add(options.integer_layers != defaults.integer_layers, "--float-layers");
  add(options.schedule != defaults.schedule, "--schedule");
  return flags;
}
}  // namespace

OpenedModel open_model(const std::string& path, const SessionOptions& options, bool threads_given) {
  const auto t0 = std::chrono::steady_clock::now();
  OpenedModel opened;
  if (is_plan_file(path)) {
    if (const std::string flags = compile_flags(options); !flags.empty())
      throw InputError(cat(path, " is a compiled plan: ", flags,
                           " apply when compiling (give them to `sinter compile`)"));
    PlanRunOptions run{threads_given ? options.threads : 0, options.profile, options.check_finite};
    PlanFileInfo info;
    opened.session = load_plan_file(path, run, &info);
    opened.plan = info;
  } else {
    opened.session = std::make_unique<Session>(load_onnx(path), options);
  }
  opened.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return opened;
}

}  // namespace sinter::cli
