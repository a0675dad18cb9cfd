#pragma once
// The tuner: for every node of a compiled graph that more than one kernel (or kernel variant) can
// run, each candidate is built and timed on the node's shapes, within a time budget; the fastest
// goes into the tuning database (the heuristics' choice unless another beat it by 3 %). Nodes left
// when the budget runs out keep the heuristics.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "tune/tuning_db.h"

namespace sinter {

struct TuneProgress {
  int64_t done = 0, total = 0;  // candidates measured, and all of them
  double elapsed_s = 0;
  std::string node;
};

struct TuneOptions {
  double budget_seconds = 60;  // > 0
  int threads = 1;
  bool sparse_kernels = true;
  std::function<void(const TuneProgress&)> progress;
};

struct TunedLayer {
  std::string node, op;
  std::string default_kernel, chosen_kernel;  // impl[/variant]
  double default_ms = 0, chosen_ms = 0;
  int candidates = 0;
};

struct TuneReport {
  std::vector<TunedLayer> layers;  // the nodes measured, in graph order
  int64_t candidates_measured = 0, candidates_total = 0;
  bool budget_exhausted = false;
  double seconds = 0;
};

// `compiled` must have every value's type inferred (Session::compiled_graph()). Throws InputError
// for a budget that is not positive.
TuneReport tune_graph(const Graph& compiled, TuningDb& db, const TuneOptions& options);

}  // namespace sinter
