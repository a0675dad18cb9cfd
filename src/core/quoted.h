#pragma once
// Text that came from a file, for an error message: in single quotes with quotes, backslashes
// and control characters escaped, so a hostile name cannot break the message's one line or send
// a terminal escape.
#include <cstdio>
#include <string>
#include <string_view>

namespace sinter {

inline std::string quoted_text(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

}  // namespace sinter
