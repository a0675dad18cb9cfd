#include "compress/quant_scheme.h"

#include "core/error.h"

namespace sinter {

std::string granularity_name(const QuantScheme& scheme) {
  switch (scheme.granularity) {
    case QuantGranularity::kTensor:
      return "tensor";
    case QuantGranularity::kChannel:
      return "channel";
    case QuantGranularity::kVector:
      return cat("vector:", scheme.vector_size);
  }
  return "?";
}

void parse_granularity(const std::string& text, QuantScheme& scheme) {
  if (text == "tensor") {
    scheme.granularity = QuantGranularity::kTensor;
  } else if (text == "channel") {
    scheme.granularity = QuantGranularity::kChannel;
  } else if (text == "vector" || text.rfind("vector:", 0) == 0) {
    const std::string v = text == "vector" ? "16" : text.substr(7);
    if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(v) < 1)
      throw InputError(cat("granularity '", text, "': the vector size must be a positive integer"));
    scheme.granularity = QuantGranularity::kVector;
    scheme.vector_size = std::stoll(v);
  } else {
    throw InputError(cat("granularity must be tensor, channel or vector:V, got '", text, "'"));
  }
}

kernels::IntRange int_range(int bits, bool symmetric) {
  const int32_t half = 1 << (bits - 1);
  return symmetric ? kernels::IntRange{-(half - 1), half - 1} : kernels::IntRange{-half, half - 1};
}

namespace {
int64_t checked_axis(int64_t axis, const char* field, const Shape& shape, const std::string& what) {
  const auto rank = static_cast<int64_t>(shape.size());
  if (axis < -rank || axis >= rank)
    throw InputError(
        cat(what, ": ", field, " ", axis, " is out of range for shape ", shape_str(shape)));
  return axis < 0 ? axis + rank : axis;
}
}  // namespace

QuantScheme checked_scheme(const QuantScheme& scheme, const Shape& shape, const std::string& what) {
  QuantScheme s = scheme;
  if (s.bits != 4 && s.bits != 8)
    throw InputError(cat(what, ": bits must be 4 or 8, got ", s.bits));
  if (s.granularity == QuantGranularity::kChannel)
    s.channel_axis = checked_axis(s.channel_axis, "channel axis", shape, what);
  if (s.granularity != QuantGranularity::kVector) return s;
  s.vector_axis = checked_axis(s.vector_axis, "vector axis", shape, what);
  if (s.vector_size < 1)
    throw InputError(cat(what, ": vector size must be at least 1, got ", s.vector_size));
  if (shape[s.vector_axis] % s.vector_size != 0)
    throw InputError(cat(what, ": vector size ", s.vector_size, " does not divide the ",
                         shape[s.vector_axis], " elements along vector axis ", s.vector_axis,
                         " of shape ", shape_str(shape)));
  if (s.scale_bits == 0) return s;
  if (s.scale_bits < 2 || s.scale_bits > 16)
    throw InputError(
        cat(what, ": scale bits must be 0 (one float per vector) or 2 to 16, got ", s.scale_bits));
  s.channel_axis = checked_axis(s.channel_axis, "channel axis", shape, what);
  if (s.channel_axis == s.vector_axis)
    throw InputError(cat(what, ": two-level scales need a channel axis other than the vector axis ",
                         s.vector_axis));
  return s;
}

}  // namespace sinter
