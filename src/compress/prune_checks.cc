#include "compress/prune_checks.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace sinter {

namespace {

void require_finite_float32(const Tensor& w, const char* who) {
  if (w.dtype() != DType::kFloat32)
    throw InputError(cat(who, ": weights must be float32, got ", dtype_name(w.dtype())));
  if (const int64_t bad = find_nonfinite(w); bad >= 0)
    throw NumericError(cat(who, ": weights hold a non-finite value at flat index ", bad));
}

}  // namespace

void require_prunable_weights(const Tensor& w, const char* who, int64_t min_rank) {
  if (w.rank() < min_rank)
    throw InputError(
        cat(who, ": weights need rank >= ", min_rank, ", got shape ", shape_str(w.shape())));
  require_finite_float32(w, who);
}

void require_weights_of_rank(const Tensor& w, const char* who, int64_t rank) {
  if (w.rank() != rank)
    throw InputError(cat(who, ": weights need rank ", rank, ", got shape ", shape_str(w.shape())));
  require_finite_float32(w, who);
}

int64_t kept_count(int64_t n, double sparsity, const char* who) {
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    throw InputError(cat(who, ": sparsity must be in [0, 1), got ", short_number(sparsity)));
  if (n == 0) return 0;
  const int64_t kept = std::llround((1.0 - sparsity) * static_cast<double>(n));
  return std::clamp<int64_t>(kept, 1, n);
}

std::string short_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace sinter
