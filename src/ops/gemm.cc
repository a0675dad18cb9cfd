// Gemm: Y = alpha * op(A) * op(B) + beta * C, and sinter::FusedGemm, the same with an activation
// folded in by a graph pass. Both run on kernels/gemm: a constant B (the usual fully-connected
// weight) is packed once at plan time with alpha folded in; C becomes the GEMM epilogue's
// per-column or per-row bias when it broadcasts that way, else it is read as beta * C. A
// constant B with enough zeros (a pruned fully-connected layer) runs on the CSR GEMM instead.
#include "kernels/gemm/sgemm.h"
#include "kernels/sparse/bsr_gemm.h"
#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/sparse_kernel_choice.h"
#include "ops/fused_activation.h"
#include "ops/gradient.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

struct GemmDims {
  int64_t M, N, K;
};

GemmDims gemm_dims(const Node& node, const Shape& a, const Shape& b) {
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  return {ta ? a[1] : a[0], tb ? b[0] : b[1], ta ? a[0] : a[1]};
}

// How C enters the GEMM: as a bias vector along columns or rows, as a full M x N matrix, or not.
enum class CKind { kNone, kPerCol, kPerRow, kFull };

CKind c_kind(const Shape& c, float beta) {
  if (beta == 0.0f) return CKind::kNone;
  const bool rows_vary = c.size() == 2 && c[0] != 1;
  const bool cols_vary = !c.empty() && c.back() != 1;
  if (rows_vary && cols_vary) return CKind::kFull;
  return rows_vary ? CKind::kPerRow : CKind::kPerCol;  // a scalar C is a constant column bias
}

void infer_gemm(InferContext& ic) {
  for (size_t i = 0; i < ic.num_inputs(); ++i)
    if (ic.has_input(i) && ic.input(i).dtype != DType::kFloat32)
      throw UnsupportedError(cat(ic.node.describe(), ": ", "input ", i, " must be float32, got ",
                                 dtype_name(ic.input(i).dtype)));
  if (ic.num_inputs() < 2) ic.fail("expects inputs A and B");
  const ValueType& a = ic.input(0);
  const ValueType& b = ic.input(1);
  if (!a.has_shape || !b.has_shape) {
    ic.output(0).dtype = DType::kFloat32;
    return;
  }
  if (a.shape.size() != 2 || b.shape.size() != 2)
    ic.fail(cat("A and B must be matrices, got ", shape_str(a.shape), " and ", shape_str(b.shape)));
  GemmDims d = gemm_dims(ic.node, a.shape, b.shape);
  const bool tb = ic.node.attr_int("transB", 0) != 0;
  const int64_t kb = tb ? b.shape[1] : b.shape[0];
  if (d.K >= 0 && kb >= 0 && d.K != kb)
    ic.fail(cat("inner dimensions differ: A ", shape_str(a.shape), ", B ", shape_str(b.shape),
                " (transA=", ic.node.attr_int("transA", 0), ", transB=", tb ? 1 : 0, ")"));
  if (ic.has_input(2) && ic.input(2).has_shape) {
    const Shape& c = ic.input(2).shape;
    bool ok = c.size() <= 2;
    const Shape mn = {d.M, d.N};
    for (size_t i = 0; ok && i < c.size(); ++i) {
      int64_t t = mn[2 - c.size() + i];
      ok = c[i] == 1 || c[i] == t || c[i] < 0 || t < 0;
    }
    if (!ok) ic.fail(cat("C ", shape_str(c), " does not broadcast to [", d.M, ",", d.N, "]"));
  }
  if (ic.node.domain == "sinter") fused_activation(ic.node);  // rejects unknown activations
  ic.set_output(0, DType::kFloat32, {d.M, d.N});
}

class GemmKernel : public Kernel {
 public:
  enum class Path { kBsr, kCsr, kPackedB, kSgemm, kReference };

  GemmKernel(const KernelInfo& ki, Path path) : path_(path) {
    const Node& node = ki.node;
    trans_a_ = node.attr_int("transA", 0) != 0;
    trans_b_ = node.attr_int("transB", 0) != 0;
    alpha_ = node.attr_float("alpha", 1.0f);
    beta_ = node.attr_float("beta", 1.0f);
    if (node.domain == "sinter") epi_.activation = fused_activation(node);
    const GemmDims d = gemm_dims(node, ki.inputs[0].shape, ki.inputs[1].shape);
    M_ = d.M, N_ = d.N, K_ = d.K;
    has_c_ = node.has_input(2);
    if (has_c_) {
      c_shape_ = ki.inputs[2].shape;
      c_kind_ = c_kind(c_shape_, beta_);
      if (const Tensor* c = ki.constant(2);
          c && (c_kind_ == CKind::kPerCol || c_kind_ == CKind::kPerRow))
        bias_ = scaled_bias(*c);
    }
    if (path_ == Path::kPackedB) {
      const Tensor& b = *ki.constant(1);
      packed_b_ = std::make_shared<PackedMatrixB>(trans_b_, K_, N_, b.data<float>(),
                                                  trans_b_ ? K_ : N_, alpha_);
    }
    if (path_ == Path::kCsr)
      csr_b_ = std::make_shared<CsrGemm>(trans_b_, K_, N_, ki.constant(1)->data<float>(), alpha_);
    if (path_ == Path::kBsr)
      bsr_b_ = std::make_shared<BsrGemm>(trans_b_, K_, N_, ki.constant(1)->data<float>(), alpha_);
  }

  void run(KernelContext& ctx) override {
    const float* a = ctx.in(0).data<float>();
    float* y = ctx.out(0).data<float>();
    GemmEpilogue epi = epi_;
    float beta = 0.0f;
    std::vector<float> bias;
    if (has_c_ && c_kind_ != CKind::kNone) {
      const Tensor& c = ctx.in(2);
      if (c_kind_ == CKind::kFull) {
        if (beta_ == 1.0f) {
          epi.residual = c.data<float>();
          epi.ld_residual = N_;
        } else {
          broadcast_c(c, y);
          beta = beta_;
        }
      } else {
        if (bias_.empty()) bias = scaled_bias(c);
        const float* v = bias_.empty() ? bias.data() : bias_.data();
        (c_kind_ == CKind::kPerCol ? epi.bias_per_col : epi.bias_per_row) = v;
      }
    }
    const int64_t lda = trans_a_ ? M_ : K_, ldb = trans_b_ ? K_ : N_;
    switch (path_) {
      case Path::kBsr:
        bsr_b_->run(M_, a, lda, y, N_, epi, beta, ctx.pool);
        break;
      case Path::kCsr:
        csr_b_->run(M_, a, lda, y, N_, epi, beta, ctx.pool);
        break;
      case Path::kPackedB:
        sgemm_packed_b(trans_a_, M_, a, lda, *packed_b_, y, N_, epi, ctx.pool, beta);
        break;
      case Path::kSgemm:
        sgemm(trans_a_, trans_b_, M_, N_, K_, alpha_, a, lda, ctx.in(1).data<float>(), ldb, beta, y,
              N_, epi, ctx.pool);
        break;
      case Path::kReference:
        sgemm_reference(trans_a_, trans_b_, M_, N_, K_, alpha_, a, lda, ctx.in(1).data<float>(),
                        ldb, beta, y, N_, epi, nullptr);
        break;
    }
  }

 private:
  // beta * C expanded to N (per column) or M (per row) values.
  std::vector<float> scaled_bias(const Tensor& c) const {
    const int64_t n = c_kind_ == CKind::kPerCol ? N_ : M_;
    std::vector<float> v(n);
    const float* p = c.data<float>();
    for (int64_t i = 0; i < n; ++i) v[i] = beta_ * p[c.numel() == 1 ? 0 : i];
    return v;
  }

  // y = C broadcast to M x N; the GEMM then scales it by beta.
  void broadcast_c(const Tensor& c, float* y) const {
    const Shape& s = c.shape();
    const int64_t rows = s.size() == 2 ? s[0] : 1, cols = s.empty() ? 1 : s.back();
    const float* p = c.data<float>();
    for (int64_t i = 0; i < M_; ++i)
      for (int64_t j = 0; j < N_; ++j)
        y[i * N_ + j] = p[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
  }

  Path path_;
  bool trans_a_ = false, trans_b_ = false;
  float alpha_ = 1.0f, beta_ = 1.0f;
  int64_t M_ = 0, N_ = 0, K_ = 0;
  bool has_c_ = false;
  Shape c_shape_;
  CKind c_kind_ = CKind::kNone;
  std::vector<float> bias_;  // beta * C, precomputed when C is constant
  GemmEpilogue epi_;
  std::shared_ptr<PackedMatrixB> packed_b_;
  std::shared_ptr<CsrGemm> csr_b_;
  std::shared_ptr<BsrGemm> bsr_b_;
};

OpDef make_gemm_def(const char* type, const char* domain) {
  OpDef def;
  def.type = type;
  def.domain = domain;
  def.since_opset = std::string(domain).empty() ? 7 : 1;
  def.infer = infer_gemm;
  def.flops = [](const KernelInfo& ki) {
    GemmDims d = gemm_dims(ki.node, ki.inputs[0].shape, ki.inputs[1].shape);
    return 2.0 * d.M * d.N * d.K;
  };
  using Path = GemmKernel::Path;
  def.impls.push_back({"sgemm_bsr",
                       [](const KernelInfo& ki) {
                         const Tensor* b = ki.constant(1);
                         if (!ki.sparse_kernels || !b || ki.node.attr_int("transA", 0) != 0)
                           return false;
                         const GemmDims d = gemm_dims(ki.node, ki.inputs[0].shape, b->shape());
                         return bsr_gemm_pays(ki.inputs[0].shape[0],
                                              ki.node.attr_int("transB", 0) != 0, d.K, d.N,
                                              b->data<float>());
                       },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<GemmKernel>(ki, Path::kBsr);
                       }});
  def.impls.push_back({"sgemm_csr",
                       [](const KernelInfo& ki) {
                         const Tensor* b = ki.constant(1);
                         if (!ki.sparse_kernels || !b || ki.node.attr_int("transA", 0) != 0)
                           return false;
                         const int64_t rows = ki.inputs[0].shape[0];
                         return csr_gemm_pays(rows, b->data<float>(), b->numel());
                       },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<GemmKernel>(ki, Path::kCsr);
                       }});
  def.impls.push_back({"sgemm_packed_b",
                       [](const KernelInfo& ki) { return ki.constant(1) != nullptr; },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<GemmKernel>(ki, Path::kPackedB);
                       }});
  def.impls.push_back({"sgemm", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<GemmKernel>(ki, Path::kSgemm);
                       }});
  def.reference =
      KernelImpl{"reference", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                   return std::make_unique<GemmKernel>(ki, Path::kReference);
                 }};
  return def;
}

// Y = alpha op(A) op(B) + beta C, op = optional transpose. Each gradient is one more Gemm.
void gemm_gradient(GradientContext& g) {
  const Node& n = g.node();
  const int64_t ta = n.attr_int("transA", 0), tb = n.attr_int("transB", 0);
  const float alpha = n.attr_float("alpha", 1.0f), beta = n.attr_float("beta", 1.0f);
  const std::string& dy = g.output_grad(0);
  auto gemm = [&](const std::string& a, const std::string& b, int64_t trans_a, int64_t trans_b) {
    return g.emit("Gemm", {a, b}, {{"alpha", alpha}, {"transA", trans_a}, {"transB", trans_b}});
  };
  // dA = dY op(B)^T, transposed back when A was.
  if (g.wants(0))
    g.set_input_grad(0, ta ? gemm(g.input(1), dy, tb, 1) : gemm(dy, g.input(1), 0, 1 - tb));
  // dB = op(A)^T dY, transposed back when B was.
  if (g.wants(1))
    g.set_input_grad(1, tb ? gemm(dy, g.input(0), 1, ta) : gemm(g.input(0), dy, 1 - ta, 0));
  if (g.node().inputs.size() > 2 && g.wants(2)) {
    std::string dc = g.unbroadcast(dy, g.output_type(0).shape, g.input_type(2).shape);
    g.set_input_grad(2, beta == 1.0f ? dc : g.emit("Mul", {dc, g.scalar(beta)}));
  }
}

OpDef make_gemm() { return with_gradient(make_gemm_def("Gemm", ""), gemm_gradient); }
OpDef make_fused_gemm() { return make_gemm_def("FusedGemm", "sinter"); }

}  // namespace
SINTER_REGISTER_OP(make_gemm);
SINTER_REGISTER_OP(make_fused_gemm);
}  // namespace sinter
