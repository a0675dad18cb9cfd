#include "compare_outputs.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace sinter::conformance {

namespace {

// IEEE half -> float; Tensor does not read float16 values itself.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalize into a float exponent.
    exp = 113;
    while (!(mant & 0x400)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16;
}

double value_at(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kFloat16) return half_to_float(static_cast<const uint16_t*>(t.raw())[i]);
  return t.value_as_double(i);
}

std::string index_str(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return shape_str(idx);
}

std::string num(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kInt64) return std::to_string(static_cast<const int64_t*>(t.raw())[i]);
  std::ostringstream os;
  os.precision(9);
  os << value_at(t, i);
  return os.str();
}

}  // namespace

std::string compare_tensors(const Tensor& got, const Tensor& want, const Tolerance& tol) {
  if (got.dtype() != want.dtype())
    return cat("dtype ", dtype_name(got.dtype()), ", expected ", dtype_name(want.dtype()));
  if (got.shape() != want.shape())
    return cat("shape ", shape_str(got.shape()), ", expected ", shape_str(want.shape()));
  const int64_t n = want.numel();
  int64_t bad = 0, first = -1;
  double max_abs = 0;
  if (is_float(want.dtype())) {
    for (int64_t i = 0; i < n; ++i) {
      const double g = value_at(got, i), w = value_at(want, i);
      bool ok;
      if (std::isnan(w) || std::isnan(g)) {
        ok = std::isnan(w) && std::isnan(g);
      } else if (std::isinf(w) || std::isinf(g)) {
        ok = g == w;
      } else {
        const double err = std::fabs(g - w);
        ok = err <= tol.atol + tol.rtol * std::fabs(w);
        if (!ok && err > max_abs) max_abs = err;
      }
      if (!ok && bad++ == 0) first = i;
    }
  } else {
    // Integers and bools must match bit for bit (bools are stored as 0/1 bytes).
    const size_t es = dtype_size(want.dtype());
    const auto* g = static_cast<const char*>(got.raw());
    const auto* w = static_cast<const char*>(want.raw());
    for (int64_t i = 0; i < n; ++i)
      if (std::memcmp(g + i * es, w + i * es, es) != 0 && bad++ == 0) first = i;
  }
  if (bad == 0) return {};
  std::string s = cat(bad, " of ", n, " values differ; first at ", index_str(want.shape(), first),
                      ": got ", num(got, first), ", expected ", num(want, first));
  if (max_abs > 0) {
    std::ostringstream os;
    os.precision(3);
    os << max_abs;
    s += cat("; max abs error ", os.str());
  }
  return s;
}

}  // namespace sinter::conformance
