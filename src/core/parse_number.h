#pragma once
// Numbers from command lines, metadata and specs: the whole text must be one finite number.
#include <optional>
#include <string>

namespace sinter {

// The value of `text` when all of it is one finite decimal number ("0.5", "1e-3"); nothing for
// an empty text, trailing characters, infinities, NaN or a value out of double's range.
std::optional<double> parse_double(const std::string& text);

}  // namespace sinter
