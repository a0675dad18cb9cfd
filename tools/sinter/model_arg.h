#pragma once
// The model argument of `run`, `bench` and `info`: an ONNX file, compiled when the session is
// first prepared, or a plan file written by `sinter compile`, compiled already.
#include <memory>
#include <optional>
#include <string>

#include "runtime/plan_file.h"
#include "runtime/session.h"

namespace sinter::cli {

struct OpenedModel {
  std::unique_ptr<Session> session;
  std::optional<PlanFileInfo> plan;  // set for plan files
  double load_ms = 0;                // reading (and for plans, building) it
};

// Opens `path` with `options`. For a plan, `options.threads` applies only when `threads_given`
// (else the plan's own), and flags that change compilation (--no-optimize, --dense-kernels,
// --nchw, --float-layers, --schedule: options differing from the defaults) are refused, since the
// plan fixed them.
OpenedModel open_model(const std::string& path, const SessionOptions& options, bool threads_given);

}  // namespace sinter::cli
