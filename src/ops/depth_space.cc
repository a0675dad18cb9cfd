// DepthToSpace and SpaceToDepth: NCHW rearrangements between channels and blocksize x blocksize
// spatial tiles, done as a reshape to rank 6 plus one transpose.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

struct Rearrangement {
  Shape shape6;
  std::vector<int64_t> perm;
};

// DepthToSpace DCR: [N, b, b, C', H, W] -> [N, C', H, b, W, b]; CRD: [N, C', b, b, H, W] -> same.
// SpaceToDepth: [N, C, H', b, W', b] -> [N, b, b, C, H', W'].
Rearrangement rearrangement(bool to_space, bool crd, const Shape& s, int64_t b) {
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  if (to_space) {
    if (crd) return {{n, c / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3}};
    return {{n, b, b, c / (b * b), h, w}, {0, 3, 4, 1, 5, 2}};
  }
  return {{n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4}};
}

bool is_crd(const Node& node, bool to_space) {
  if (!to_space) return false;
  std::string mode = node.attr_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    throw ModelError(cat(node.describe(), ": unknown mode '", mode, "'"));
  return mode == "CRD";
}

OpDef make_rearrange(const char* type, bool to_space) {
  OpDef def;
  def.type = type;
  def.infer = [to_space](InferContext& ic) {
    const ValueType& x = ic.input(0);
    ic.node.required_int("blocksize");
    // In range, b * b fits int64.
    const int64_t b = ic.node.attr_int_in("blocksize", 0, 1, kMaxWindowAttribute);
    is_crd(ic.node, to_space);
    if (!x.has_shape) {
      ic.set_output(0, x.dtype, Shape(4, -1));
      return;
    }
    if (x.shape.size() != 4) ic.fail(cat("input must be 4-D, got ", shape_str(x.shape)));
    Shape out = x.shape;
    auto scale = [&](size_t d, bool grow) {
      if (out[d] < 0) return;
      if (!grow && out[d] % b != 0)
        ic.fail(cat("dim ", d, " of ", shape_str(x.shape),
                    " is not divisible by attribute 'blocksize' = ", b));
      out[d] = grow ? checked_mul(out[d], b) : out[d] / b;
    };
    if (to_space) {
      if (out[1] >= 0 && out[1] % (b * b) != 0)
        ic.fail(cat("channels ", out[1],
                    " are not divisible by the square of attribute 'blocksize' (", b,
                    "^2 = ", b * b, ")"));
      if (out[1] >= 0) out[1] /= b * b;
      scale(2, true);
      scale(3, true);
    } else {
      scale(2, false);
      scale(3, false);
      if (out[1] >= 0) out[1] = checked_mul(out[1], b * b);
    }
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back(
      {"transpose", nullptr, [to_space](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         int64_t b = ki.node.required_int("blocksize");
         bool crd = is_crd(ki.node, to_space);
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           Rearrangement r = rearrangement(to_space, crd, x.shape(), b);
           movement::transpose_bytes(x.raw(), ctx.out(0).raw(), r.shape6, r.perm,
                                     dtype_size(x.dtype()), ctx.pool);
         });
       }});
  return def;
}

OpDef make_depth_to_space() { return make_rearrange("DepthToSpace", true); }
OpDef make_space_to_depth() { return make_rearrange("SpaceToDepth", false); }

}  // namespace
SINTER_REGISTER_OP(make_depth_to_space);
SINTER_REGISTER_OP(make_space_to_depth);
}  // namespace sinter
