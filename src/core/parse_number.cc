#include "core/parse_number.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace sinter {

std::optional<double> parse_double(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace sinter
