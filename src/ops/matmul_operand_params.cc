#include "ops/matmul_operand_params.h"

#include <optional>

#include "kernels/integer/matmul_integer_reference.h"
#include "ops/eight_bit_types.h"
#include "ops/quant_param_checks.h"

namespace sinter {

namespace {

// The operand's rows (A: batch..., M) or columns (B: batch..., N), and the parameter seen in the
// same terms, its K dim dropped; the parameter is aligned to the right end of `space`.
struct ParamSpace {
  Shape space, param;
};

// nullopt when the parameter does not fit. Unknown (-1) dims fit anything.
std::optional<ParamSpace> param_space(const Shape& param, const Shape& operand,
                                      MatMulOperand which) {
  const bool a = which == MatMulOperand::kA;
  ParamSpace p;
  // A 1-D operand is a single row (A) or column (B).
  if (operand.size() >= 2) {
    p.space.assign(operand.begin(), operand.end() - (a ? 1 : 2));
    if (!a) p.space.push_back(operand.back());
  }
  if (holds_one_value(param)) return p;
  if (param.size() == 1) {
    p.param = param;
  } else {
    const int64_t k = a ? param.back() : param[param.size() - 2];
    if (k != 1 && k >= 0) return std::nullopt;
    p.param.assign(param.begin(), param.end() - (a ? 1 : 2));
    if (!a) p.param.push_back(param.back());
  }
  if (p.param.size() > p.space.size()) return std::nullopt;
  const size_t offset = p.space.size() - p.param.size();
  for (size_t d = 0; d < p.param.size(); ++d) {
    const int64_t want = p.space[offset + d], got = p.param[d];
    if (got != 1 && got >= 0 && want >= 0 && got != want) return std::nullopt;
  }
  return p;
}

std::string mismatch_text(const char* name, const Shape& param, const Shape& operand,
                          MatMulOperand which) {
  const bool a = which == MatMulOperand::kA;
  return cat(name, " of shape ", shape_str(param), " is neither one value nor one per ",
             a ? "row of a " : "column of b ", shape_str(operand));
}

}  // namespace

void check_operand_param(const InferContext& ic, size_t i, const char* name, const Shape& operand,
                         MatMulOperand which) {
  const ValueType& p = ic.input(i);
  if (p.has_shape && !param_space(p.shape, operand, which))
    ic.fail(mismatch_text(name, p.shape, operand, which));
}

template <class T>
std::vector<T> operand_param_values(const std::string& who, const char* name, const Tensor& param,
                                    const Shape& operand, MatMulOperand which) {
  const std::optional<ParamSpace> p = param_space(param.shape(), operand, which);
  if (!p) throw ModelError(cat(who, ": ", mismatch_text(name, param.shape(), operand, which)));
  // Strides of the parameter along the space's dims, 0 where it broadcasts.
  const size_t rank = p->space.size(), offset = rank - p->param.size();
  std::vector<int64_t> stride(rank, 0);
  const std::vector<int64_t> own = shape_strides(p->param);
  for (size_t d = 0; d < p->param.size(); ++d)
    if (p->param[d] != 1) stride[offset + d] = own[d];
  const std::vector<int64_t> space_stride = shape_strides(p->space);
  std::vector<T> values(static_cast<size_t>(shape_numel(p->space)));
  for (int64_t i = 0; i < static_cast<int64_t>(values.size()); ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < rank; ++d) at += (i / space_stride[d]) % p->space[d] * stride[d];
    values[i] = static_cast<T>(param.value_as_double(at));
  }
  return values;
}

template std::vector<int32_t> operand_param_values(const std::string&, const char*, const Tensor&,
                                                   const Shape&, MatMulOperand);
template std::vector<double> operand_param_values(const std::string&, const char*, const Tensor&,
                                                  const Shape&, MatMulOperand);

void integer_matmul_sums(const Tensor& a, const Tensor& b, const std::vector<int32_t>& a_zero_point,
                         const std::vector<int32_t>& b_zero_point, const MatMulShape& s,
                         std::pair<int64_t, int64_t> offset, int64_t* sums) {
  const int64_t M = s.M, N = s.N, K = s.K, oa = offset.first, ob = offset.second;
  dispatch_8bit(a.dtype(), [&](auto ta) {
    dispatch_8bit(b.dtype(), [&](auto tb) {
      kernels::matmul_integer_reference(
          a.data<decltype(ta)>() + oa * M * K, a_zero_point.data() + oa * M,
          b.data<decltype(tb)>() + ob * K * N, b_zero_point.data() + ob * N, M, K, N, sums);
    });
  });
}

}  // namespace sinter
