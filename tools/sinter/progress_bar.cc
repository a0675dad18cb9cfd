#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sinter::cli {

namespace {

std::string clock_text(double seconds) {
  const int64_t s = static_cast<int64_t>(std::max(0.0, seconds) + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(const BatchProgress& p) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = p.batch == p.batches;
  if (!last && now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(10)))
    return;
  last_ = now;
  char line[256];
  const int width = 24;
  const int filled = static_cast<int>(width * p.batch / std::max<int64_t>(p.batches, 1));
  std::snprintf(line, sizeof line,
                "epoch %lld/%lld [%s%s] %lld/%lld  loss %.4f  acc %.1f%%  %.0f img/s  ETA %s",
                static_cast<long long>(p.epoch + 1), static_cast<long long>(p.epochs),
                std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(width - filled), '.').c_str(),
                static_cast<long long>(p.batch), static_cast<long long>(p.batches), p.mean_loss,
                100 * p.accuracy, p.images_per_s, clock_text(p.eta_s).c_str());
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K", line);
    drawn_ = true;
  } else {
    std::fprintf(stderr, "sinter: %s: %s\n", label_.c_str(), line);
  }
}

void ProgressBar::clear() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace sinter::cli
