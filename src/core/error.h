#pragma once
// The sinter error family: exceptions that carry enough context (file, node, op, shape) for the
// CLI to print one clear line.
#include <stdexcept>
#include <string>

namespace sinter {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The model file or graph is malformed (truncated, inconsistent, fails verification).
class ModelError : public Error {
 public:
  using Error::Error;
};

// The model uses an operator, attribute or dtype sinter cannot run.
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// Caller-supplied data is wrong: shape, dtype, missing input, unreadable file.
class InputError : public Error {
 public:
  using Error::Error;
};

// Values went non-finite (NaN or infinity) where finite ones were needed.
class NumericError : public Error {
 public:
  using Error::Error;
};

namespace detail {
inline void append_all(std::string&) {}
template <class T, class... Rest>
void append_all(std::string& s, const T& v, const Rest&... rest) {
  if constexpr (std::is_arithmetic_v<T>) {
    s += std::to_string(v);
  } else {
    s += v;
  }
  append_all(s, rest...);
}
}  // namespace detail

// Builds a message from pieces: cat("node ", name, ": rank ", 3).
template <class... Args>
std::string cat(const Args&... args) {
  std::string s;
  detail::append_all(s, args...);
  return s;
}

}  // namespace sinter

// Internal invariant check that stays on in release builds: a broken invariant is a bug, and a
// clear message beats undefined behaviour.
#define SINTER_CHECK(cond, ...)                                                                    \
  do {                                                                                             \
    if (!(cond)) throw ::sinter::Error(::sinter::cat(__FILE__, ":", __LINE__, ": ", __VA_ARGS__)); \
  } while (0)
