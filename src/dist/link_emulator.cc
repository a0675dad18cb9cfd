#include "dist/link_emulator.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace sinter {

namespace {

// The calling thread's timeline. The training thread's advances by its compute between
// operations (measured from `mark`); a background one only by its operations.
struct Timeline {
  double time = 0;
  double mark = 0;
  bool background = false;
  bool started = false;
};
thread_local Timeline timeline;

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

LinkModel parse_link(const std::string& spec) {
  if (spec == "1gbe") return {spec, 50e-6, 1e9 / 8 * 0.94};
  if (spec == "10gbe") return {spec, 10e-6, 10e9 / 8 * 0.94};
  const size_t colon = spec.find(':');
  double latency_us = -1, gbit = -1;
  try {
    size_t used = 0;
    if (colon != std::string::npos) {
      latency_us = std::stod(spec.substr(0, colon), &used);
      if (used != colon) latency_us = -1;
      gbit = std::stod(spec.substr(colon + 1), &used);
      if (used != spec.size() - colon - 1) gbit = -1;
    }
  } catch (const std::exception&) {
    latency_us = -1;
  }
  if (!(latency_us >= 0) || !(gbit > 0) || !std::isfinite(latency_us) || !std::isfinite(gbit))
    throw InputError(
        cat("--link '", spec, "' is not 1gbe, 10gbe or LATENCY_US:GBIT_PER_S (e.g. 50:1)"));
  return {spec, latency_us * 1e-6, gbit * 1e9 / 8};
}

double parse_slowdown(const std::string& spec, int rank, int ranks) {
  double mine = 1;
  if (!spec.empty() && spec.back() == ',')
    throw InputError(cat("--slow '", spec, "' ends with a comma"));
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t eq = item.find('=');
    int r = -1;
    double factor = 0;
    try {
      size_t used = 0;
      r = std::stoi(item.substr(0, eq), &used);
      if (eq == std::string::npos || used != eq) r = -1;
      factor = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) factor = 0;
    } catch (const std::exception&) {
      r = -1;
    }
    if (r < 0 || !(factor >= 1) || !std::isfinite(factor))
      throw InputError(
          cat("--slow '", spec, "': '", item, "' is not RANK=FACTOR with a factor of at least 1"));
    if (r >= ranks)
      throw InputError(cat("--slow '", spec, "': there is no rank ", r, " among ", ranks));
    if (r == rank) mine = factor;
  }
  return mine;
}

LinkEmulator::LinkEmulator(LinkModel link, double slowdown, bool cpu_time)
    : link_(std::move(link)), slowdown_(slowdown), cpu_time_(cpu_time) {
  timeline = Timeline{0, thread_seconds(), false, true};
  wall_start_ = wall_now();
}

double LinkEmulator::wall_seconds() const { return wall_now() - wall_start_; }

double LinkEmulator::thread_seconds() const {
  if (!cpu_time_) return wall_now();
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double LinkEmulator::now() const {
  if (timeline.background) return timeline.time;
  return timeline.time + (thread_seconds() - timeline.mark) * slowdown_;
}

double LinkEmulator::begin_operation() {
  const double start = now();
  timeline.time = start;
  return start;
}

void LinkEmulator::end_operation(double completion) {
  timeline.time = std::max(timeline.time, completion);
  if (!timeline.background) timeline.mark = thread_seconds();
}

double LinkEmulator::depart(double start, int64_t bytes) {
  const double leaves = std::max(start, out_free_);
  out_free_ = leaves + static_cast<double>(bytes) / link_.bytes_per_s;
  return leaves;
}

double LinkEmulator::arrive(double departed, int64_t bytes) {
  const double begins = std::max(departed + link_.latency_s, in_free_);
  in_free_ = begins + static_cast<double>(bytes) / link_.bytes_per_s;
  return in_free_;
}

double LinkEmulator::allreduce_done(double start, int64_t bytes, int ranks) const {
  if (ranks < 2) return start;
  // A ring: 2 (P - 1) steps, each a chunk of bytes / P over one link.
  const double chunk = static_cast<double>(bytes) / ranks / link_.bytes_per_s;
  return start + 2.0 * (ranks - 1) * (link_.latency_s + chunk);
}

double LinkEmulator::broadcast_done(double start, int64_t bytes, int ranks) const {
  if (ranks < 2) return start;
  const double rounds = std::ceil(std::log2(static_cast<double>(ranks)));
  return start + rounds * (link_.latency_s + static_cast<double>(bytes) / link_.bytes_per_s);
}

LinkEmulator::Background::Background(LinkEmulator& emulator, double start) : emulator_(emulator) {
  if (!timeline.started) timeline = Timeline{0, 0, true, true};
  timeline.time = std::max(timeline.time, start);
}

LinkEmulator::Background::~Background() {
  emulator_.background_end_ = std::max(emulator_.background_end_, timeline.time);
}

void LinkEmulator::wait_for_background() {
  timeline.time = std::max(now(), background_end_);
  timeline.mark = thread_seconds();
}

}  // namespace sinter
