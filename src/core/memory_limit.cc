#include "core/memory_limit.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include "core/parse_number.h"

namespace sinter {

namespace {

int64_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : INT64_MAX;
}

std::atomic<int64_t>& limit_bytes() {
  static std::atomic<int64_t> limit{physical_memory()};
  return limit;
}

std::atomic<int64_t> in_use{0};

[[noreturn]] void refuse(int64_t bytes, const std::string& what) {
  const int64_t used = memory_in_use();
  throw MemoryLimitError(cat(what, " needs ", describe_bytes(bytes), "; the memory limit is ",
                             describe_bytes(memory_limit()),
                             used > 0 ? cat(", ", describe_bytes(used), " of it in use") : "",
                             " (--max-memory)"));
}

}  // namespace

int64_t memory_limit() { return limit_bytes().load(); }

void set_memory_limit(int64_t bytes) { limit_bytes().store(bytes); }

int64_t memory_in_use() { return in_use.load(); }

void check_memory_available(int64_t bytes, const std::string& what) {
  if (bytes < 0 || bytes > memory_limit() - memory_in_use()) refuse(bytes, what);
}

void count_allocation(int64_t bytes, const std::string& what) {
  const int64_t before = in_use.fetch_add(bytes);
  if (bytes < 0 || before > memory_limit() - bytes) {
    in_use.fetch_sub(bytes);
    refuse(bytes, what);
  }
}

void count_release(int64_t bytes) { in_use.fetch_sub(bytes); }

int64_t parse_byte_size(const std::string& text) {
  std::string number = text;
  double unit = 1;
  if (!number.empty()) {
    const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(number.back())));
    const char* units = "KMGT";
    for (int i = 0; units[i]; ++i)
      if (suffix == units[i]) {
        unit = std::ldexp(1.0, 10 * (i + 1));
        number.pop_back();
      }
  }
  std::optional<double> v = parse_double(number);
  if (!v || *v <= 0 || *v * unit >= 0x1p63)
    throw InputError(cat("'", text, "' is not a positive byte count (e.g. 512M, 8G, 1048576)"));
  return static_cast<int64_t>(*v * unit);
}

std::string describe_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[96];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.2f %s (%lld bytes)", v, units[u],
                  static_cast<long long>(bytes));
  return buf;
}

}  // namespace sinter
