#include "tune_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace sinter::cli {

std::function<void(const TuneProgress&)> tune_progress_printer(double budget_seconds, bool quiet) {
  if (quiet) return {};
  const bool tty = isatty(STDERR_FILENO);
  auto last = std::make_shared<double>(-1e9);
  return [=](const TuneProgress& p) {
    const bool done = p.done == p.total;
    if (!tty && !done && p.elapsed_s - *last < 5.0) return;
    if (tty && !done && p.elapsed_s - *last < 0.2) return;
    *last = p.elapsed_s;
    const double rate = p.elapsed_s > 0 ? p.done / p.elapsed_s : 0;
    const double eta = rate > 0 ? (p.total - p.done) / rate : 0;
    const double left = std::max(0.0, std::min(eta, budget_seconds - p.elapsed_s));
    std::fprintf(
        stderr, "%ssinter: tune: %lld/%lld candidates (%.0f %%), %.1f s, %.1f/s, %.0f s left%s",
        tty ? "\r\033[K" : "", static_cast<long long>(p.done), static_cast<long long>(p.total),
        p.total ? 100.0 * p.done / p.total : 100.0, p.elapsed_s, rate, left, tty ? "" : "\n");
    std::fflush(stderr);
  };
}

void end_tune_progress(bool quiet) {
  if (!quiet && isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
}

}  // namespace sinter::cli
