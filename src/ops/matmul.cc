// MatMul with numpy semantics: 1-D operands are promoted to a row (A) or a column (B) and the
// promoted dim dropped again; leading dims broadcast as a batch. Runs on kernels/gemm: a
// constant B is packed once per batch matrix at plan time, and when B has no batch the batch of
// A folds into M so that the whole product is a single GEMM.
#include "kernels/gemm/sgemm.h"
#include "ops/gradient.h"
#include "ops/matmul_shape.h"
#include "ops/op_registry.h"

namespace sinter {
namespace {

class MatMulKernel : public Kernel {
 public:
  enum class Path { kPackedB, kSgemm, kReference };

  MatMulKernel(const KernelInfo& ki, Path path)
      : path_(path), s_(matmul_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape)) {
    offsets_ = batch_offsets(s_);
    // With one B matrix and a contiguous A batch, the batch is just more rows of one GEMM.
    fold_batch_ = shape_numel(s_.batch_b) == 1 && shape_numel(s_.batch_a) == shape_numel(s_.batch);
    if (path_ == Path::kPackedB) {
      const float* b = ki.constant(1)->data<float>();
      for (int64_t i = 0; i < shape_numel(s_.batch_b); ++i)
        packed_.emplace_back(false, s_.K, s_.N, b + i * s_.K * s_.N, s_.N);
    }
  }

  void run(KernelContext& ctx) override {
    const float* a = ctx.in(0).data<float>();
    const float* b = ctx.in(1).data<float>();
    float* y = ctx.out(0).data<float>();
    const int64_t M = s_.M, N = s_.N, K = s_.K;
    const GemmEpilogue none;
    if (fold_batch_ && path_ != Path::kReference) {
      const int64_t rows = M * shape_numel(s_.batch);
      if (path_ == Path::kPackedB) {
        sgemm_packed_b(false, rows, a, K, packed_[0], y, N, none, ctx.pool);
      } else {
        sgemm(false, false, rows, N, K, 1.0f, a, K, b, N, 0.0f, y, N, none, ctx.pool);
      }
      return;
    }
    for (size_t i = 0; i < offsets_.size(); ++i) {
      const auto [oa, ob] = offsets_[i];
      const float* ai = a + oa * M * K;
      float* yi = y + static_cast<int64_t>(i) * M * N;
      switch (path_) {
        case Path::kPackedB:
          sgemm_packed_b(false, M, ai, K, packed_[ob], yi, N, none, ctx.pool);
          break;
        case Path::kSgemm:
          sgemm(false, false, M, N, K, 1.0f, ai, K, b + ob * K * N, N, 0.0f, yi, N, none, ctx.pool);
          break;
        case Path::kReference:
          sgemm_reference(false, false, M, N, K, 1.0f, ai, K, b + ob * K * N, N, 0.0f, yi, N, none,
                          nullptr);
          break;
      }
    }
  }

 private:
  Path path_;
  MatMulShape s_;
  std::vector<std::pair<int64_t, int64_t>> offsets_;
  bool fold_batch_ = false;
  std::vector<PackedMatrixB> packed_;
};

// 2-D only for now: dA = dY B^T, dB = A^T dY.
void matmul_gradient(GradientContext& g) {
  if (g.input_type(0).shape.size() != 2 || g.input_type(1).shape.size() != 2)
    g.unsupported("MatMul of rank other than 2");
  const std::string& dy = g.output_grad(0);
  auto gemm = [&](const std::string& a, const std::string& b, int64_t ta, int64_t tb) {
    return g.emit("Gemm", {a, b}, {{"transA", ta}, {"transB", tb}});
  };
  if (g.wants(0)) g.set_input_grad(0, gemm(dy, g.input(1), 0, 1));
  if (g.wants(1)) g.set_input_grad(1, gemm(g.input(0), dy, 1, 0));
}

OpDef make_matmul() {
  OpDef def;
  def.type = "MatMul";
  def.infer = [](InferContext& ic) {
    const ValueType& a = ic.input(0);
    const ValueType& b = ic.input(1);
    if (a.dtype != DType::kFloat32 || b.dtype != DType::kFloat32)
      ic.fail(
          cat("inputs must be float32, got ", dtype_name(a.dtype), " and ", dtype_name(b.dtype)));
    if (!a.has_shape || !b.has_shape) {
      ic.output(0).dtype = DType::kFloat32;
      return;
    }
    ic.set_output(0, DType::kFloat32, matmul_shape(ic.node, a.shape, b.shape).out);
  };
  def.flops = [](const KernelInfo& ki) {
    return matmul_shape(ki.node, ki.inputs[0].shape, ki.inputs[1].shape).flops();
  };
  using Path = MatMulKernel::Path;
  def.impls.push_back({"sgemm_packed_b",
                       [](const KernelInfo& ki) { return ki.constant(1) != nullptr; },
                       [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<MatMulKernel>(ki, Path::kPackedB);
                       }});
  def.impls.push_back({"sgemm", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<MatMulKernel>(ki, Path::kSgemm);
                       }});
  def.reference =
      KernelImpl{"reference", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                   return std::make_unique<MatMulKernel>(ki, Path::kReference);
                 }};
  def.gradient = matmul_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_matmul);
}  // namespace sinter
