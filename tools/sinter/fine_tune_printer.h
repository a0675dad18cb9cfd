#pragma once
// How `prune` and `quantize` show a fine-tuning phase: the progress bar on stderr and a line per
// epoch on stdout, as FineTuneCallbacks for the library's workflows.
#include <string>

#include "train/fine_tune.h"

namespace sinter::cli {

// The bar's plain lines start with "sinter: COMMAND: PHASE". `quiet`: no bar; `json`: no bar
// and no epoch lines.
FineTuneCallbacks fine_tune_printer(const std::string& command, bool quiet, bool json);

}  // namespace sinter::cli
