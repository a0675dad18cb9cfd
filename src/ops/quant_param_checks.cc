#include "ops/quant_param_checks.h"

#include <cmath>
#include <sstream>

namespace sinter {

namespace {

// A float with the digits that tell it apart from its neighbours ("1e-10", "nan", "-inf").
std::string float_text(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

// Whether a 1-D parameter of `length` values fits `count` channels (-1: either is unknown).
bool fits_count(int64_t length, int64_t count) {
  return length < 0 || count < 0 || length == count;
}

}  // namespace

bool holds_one_value(const Shape& s) { return s.empty() || (s.size() == 1 && s[0] == 1); }

void require_scale_type(const InferContext& ic, size_t i, const char* name) {
  const DType t = ic.input(i).dtype;
  if (t != DType::kFloat32) ic.fail(cat(name, " must be float32, got ", dtype_name(t)));
}

void require_zero_point_type(const InferContext& ic, size_t i, const char* name, DType want,
                             const char* of) {
  const DType t = ic.input(i).dtype;
  if (t != want)
    ic.fail(cat(name, " must be ", dtype_name(want), " like ", of, ", got ", dtype_name(t)));
}

void check_scale_values(const std::string& who, const char* name, const Tensor& scale) {
  const float* v = scale.data<float>();
  for (int64_t i = 0; i < scale.numel(); ++i) {
    if (std::isfinite(v[i]) && v[i] > 0) continue;
    const std::string at = scale.rank() == 0 ? std::string() : cat("[", i, "]");
    throw ModelError(
        cat(who, ": ", name, at, " = ", float_text(v[i]), "; a scale must be positive and finite"));
  }
}

float scale_attribute(const Node& node, const char* name) {
  const float v = node.attr_float(name, 1);
  check_scale_values(node.describe(), name, Tensor::scalar(v));
  return v;
}

void check_known_scale(const InferContext& ic, size_t i, const char* name) {
  if (const Tensor* v = ic.value(i); v && v->dtype() == DType::kFloat32)
    check_scale_values(ic.node.describe(), name, *v);
}

void check_one_or_per_channel(const InferContext& ic, size_t i, const char* name, int64_t count,
                              const char* unit) {
  const ValueType& p = ic.input(i);
  if (!p.has_shape || holds_one_value(p.shape)) return;
  if (p.shape.size() != 1 || !fits_count(p.shape[0], count))
    ic.fail(cat(name, " must hold one value or ", count, " (one per ", unit, "), got shape ",
                shape_str(p.shape)));
}

void check_one_value(const InferContext& ic, size_t i, const char* name) {
  const ValueType& p = ic.input(i);
  if (p.has_shape && !holds_one_value(p.shape) && shape_is_static(p.shape))
    ic.fail(cat(name, " must hold one value (per-tensor), got shape ", shape_str(p.shape)));
}

namespace {

// The values of a parameter widened to T, repeated to `count` when it holds one.
template <class T>
std::vector<T> widened(const std::string& who, const char* name, const Tensor& p, int64_t count) {
  const bool one = p.numel() == 1 && p.rank() <= 1;
  if (!one && (p.rank() != 1 || p.numel() != count))
    throw ModelError(cat(who, ": ", name, " must hold one value or ", count, ", got shape ",
                         shape_str(p.shape())));
  std::vector<T> v(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) v[i] = static_cast<T>(p.value_as_double(one ? 0 : i));
  return v;
}

}  // namespace

std::vector<double> per_channel_scales(const std::string& who, const char* name,
                                       const Tensor& scale, int64_t count) {
  check_scale_values(who, name, scale);
  return widened<double>(who, name, scale, count);
}

std::vector<int32_t> per_channel_zero_points(const std::string& who, const char* name,
                                             const Tensor& zero_point, int64_t count) {
  return widened<int32_t>(who, name, zero_point, count);
}

int32_t single_zero_point(const std::string& who, const char* name, const Tensor& zero_point) {
  if (!holds_one_value(zero_point.shape()))
    throw ModelError(cat(who, ": ", name, " must hold one value (per-tensor), got shape ",
                         shape_str(zero_point.shape())));
  return static_cast<int32_t>(zero_point.value_as_double(0));
}

double single_scale(const std::string& who, const char* name, const Tensor& scale) {
  if (!holds_one_value(scale.shape()))
    throw ModelError(cat(who, ": ", name, " must hold one value (per-tensor), got shape ",
                         shape_str(scale.shape())));
  check_scale_values(who, name, scale);
  return scale.data<float>()[0];
}

}  // namespace sinter
