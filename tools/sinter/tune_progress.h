#pragma once
// The tuner's progress on stderr for `tune` and `compile --tune`: a line redrawn in place on a
// terminal, a plain line every 5 s otherwise; candidates measured, rate and the time left (the
// sooner of the work's ETA and the budget's end).
#include <chrono>
#include <functional>

#include "tune/tune_graph.h"

namespace sinter::cli {

// A progress callback for TuneOptions; draws nothing when `quiet`.
std::function<void(const TuneProgress&)> tune_progress_printer(double budget_seconds, bool quiet);

// Ends a redrawn line so that what follows starts on a clean row.
void end_tune_progress(bool quiet);

}  // namespace sinter::cli
