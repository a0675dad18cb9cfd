#include "ops/resize_geometry.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace sinter {

using kernels::AxisGeometry;
using kernels::CoordinateMode;
using kernels::NearestMode;
using kernels::ResizeMode;
using kernels::ResizeOptions;

namespace {

bool legacy(const ResizeSignature& sig) { return sig.upsample || sig.opset < 11; }

[[noreturn]] void bad_attribute(const Node& node, const std::string& why) {
  throw ModelError(cat(node.describe(), ": ", why));
}

// An attribute that only a later opset defines.
void require_opset(const Node& node, const ResizeSignature& sig, const char* attribute,
                   int64_t since) {
  if (node.has_attr(attribute) && (sig.upsample || sig.opset < since))
    bad_attribute(node, cat("attribute '", attribute, "' needs Resize from opset ", since, ", not ",
                            node.op_type, " at opset ", sig.opset));
}

CoordinateMode coordinate_mode(const Node& node, const ResizeSignature& sig) {
  const std::string m = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (m == "half_pixel") return CoordinateMode::kHalfPixel;
  if (m == "pytorch_half_pixel") return CoordinateMode::kPytorchHalfPixel;
  if (m == "align_corners") return CoordinateMode::kAlignCorners;
  if (m == "asymmetric") return CoordinateMode::kAsymmetric;
  if (m == "tf_half_pixel_for_nn") return CoordinateMode::kTfHalfPixelForNn;
  if (m == "tf_crop_and_resize") return CoordinateMode::kTfCropAndResize;
  if (m == "half_pixel_symmetric") {
    if (sig.opset < 19)
      bad_attribute(node, cat("coordinate_transformation_mode 'half_pixel_symmetric' needs opset "
                              "19, not ",
                              sig.opset));
    return CoordinateMode::kHalfPixelSymmetric;
  }
  bad_attribute(node, cat("unknown coordinate_transformation_mode '", m, "'"));
}

NearestMode nearest_mode(const Node& node) {
  const std::string m = node.attr_string("nearest_mode", "round_prefer_floor");
  if (m == "round_prefer_floor") return NearestMode::kRoundPreferFloor;
  if (m == "round_prefer_ceil") return NearestMode::kRoundPreferCeil;
  if (m == "floor") return NearestMode::kFloor;
  if (m == "ceil") return NearestMode::kCeil;
  bad_attribute(node, cat("unknown nearest_mode '", m, "'"));
}

// The axes the scales, sizes and roi are for: opset 18's attribute, else every axis.
std::vector<int64_t> resized_axes(const Node& node, int64_t rank) {
  std::vector<int64_t> axes = node.attr_ints("axes");
  if (!node.has_attr("axes")) {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    return axes;
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank)
      bad_attribute(node, cat("attribute 'axes' holds ", a, ", out of range for rank ", rank));
    if (a < 0) a += rank;
    if (seen[a]) bad_attribute(node, cat("attribute 'axes' names axis ", a, " twice"));
    seen[a] = true;
  }
  return axes;
}

// The sampled input's extent is at most this many elements an axis: far beyond any tensor that
// fits in memory, and small enough that its floor converts to int64 exactly.
constexpr double kMaxResizedLength = 4e18;

}  // namespace

ResizeOptions resize_options(const Node& node, const ResizeSignature& sig) {
  ResizeOptions opt;
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode == "nearest") {
    opt.mode = ResizeMode::kNearest;
  } else if (mode == "linear") {
    opt.mode = ResizeMode::kLinear;
  } else if (mode == "cubic" && !legacy(sig)) {
    opt.mode = ResizeMode::kCubic;
  } else {
    bad_attribute(node, cat("attribute 'mode' = '", mode, "' is not ",
                            legacy(sig) ? "nearest or linear" : "nearest, linear or cubic"));
  }
  require_opset(node, sig, "coordinate_transformation_mode", 11);
  require_opset(node, sig, "nearest_mode", 11);
  require_opset(node, sig, "cubic_coeff_a", 11);
  require_opset(node, sig, "exclude_outside", 11);
  require_opset(node, sig, "extrapolation_value", 11);
  require_opset(node, sig, "antialias", 18);
  require_opset(node, sig, "axes", 18);
  require_opset(node, sig, "keep_aspect_ratio_policy", 18);
  if (legacy(sig)) {
    // Before coordinate modes existed, outputs sampled at o / scale, nearest rounding down
    // (what PyTorch's exporter meant by these nodes).
    opt.coordinates = CoordinateMode::kAsymmetric;
    opt.nearest = NearestMode::kFloor;
    return opt;
  }
  opt.coordinates = coordinate_mode(node, sig);
  opt.nearest = nearest_mode(node);
  opt.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  opt.exclude_outside = node.attr_int_in("exclude_outside", 0, 0, 1) != 0;
  opt.extrapolation_value = node.attr_float("extrapolation_value", 0.f);
  opt.antialias = node.attr_int_in("antialias", 0, 0, 1) != 0;
  return opt;
}

ResizeInputSlots resize_input_slots(const ResizeSignature& sig) {
  if (sig.upsample) return {-1, sig.opset >= 9 ? 1 : -1, -1};
  if (sig.opset < 11) return {-1, 1, -1};
  return {1, 2, 3};
}

std::vector<AxisGeometry> resize_geometry(const Node& node, const ResizeSignature& sig,
                                          const Shape& in, const std::vector<const Tensor*>& values,
                                          const std::function<void(const std::string&)>& fail) {
  const ResizeOptions opt = resize_options(node, sig);
  const ResizeInputSlots slots = resize_input_slots(sig);
  const auto rank = static_cast<int64_t>(in.size());
  const std::vector<int64_t> axes = resized_axes(node, rank);
  const auto n = static_cast<int64_t>(axes.size());
  auto value = [&](int slot) -> const Tensor* {
    const Tensor* t = slot >= 0 && slot < static_cast<int>(values.size()) ? values[slot] : nullptr;
    return t && t->numel() > 0 ? t : nullptr;  // empty stands for omitted
  };
  std::vector<double> scales;
  const bool scale_attribute = sig.upsample && sig.opset < 9;
  const std::string scales_name = scale_attribute ? "attribute 'scales'" : "input 'scales'";
  if (scale_attribute) {
    if (!node.has_attr("scales")) bad_attribute(node, "needs attribute 'scales'");
    for (float s : node.attr_floats("scales")) scales.push_back(s);
  } else if (const Tensor* t = value(slots.scales)) {
    if (t->dtype() != DType::kFloat32 && t->dtype() != DType::kFloat64)
      fail(cat("input 'scales' must be float32, not ", dtype_name(t->dtype())));
    for (int64_t i = 0; i < t->numel(); ++i) scales.push_back(t->value_as_double(i));
  }
  std::vector<int64_t> sizes;
  if (const Tensor* t = value(slots.sizes)) {
    if (t->dtype() != DType::kInt64)
      fail(cat("input 'sizes' must be int64, not ", dtype_name(t->dtype())));
    sizes = t->to_int64_vector();
  }
  if (!scales.empty() && !sizes.empty())
    fail("input 'scales' and input 'sizes' are both given; give one");
  if (scales.empty() && sizes.empty())
    fail(slots.sizes < 0 ? cat("needs ", scales_name) : "needs input 'scales' or input 'sizes'");
  auto check_count = [&](const std::string& what, size_t count, int64_t per_axis) {
    if (static_cast<int64_t>(count) != per_axis * n)
      fail(cat(what, " has ", count, " entries for ", n, node.has_attr("axes") ? " axes" : " dims",
               " of a rank-", rank, " input (needs ", per_axis * n, ")"));
  };

  std::vector<AxisGeometry> g(static_cast<size_t>(rank));
  for (int64_t d = 0; d < rank; ++d) g[d].in = g[d].out = in[d];
  if (opt.coordinates == CoordinateMode::kTfCropAndResize) {
    if (const Tensor* roi = value(slots.roi)) {
      check_count("input 'roi'", static_cast<size_t>(roi->numel()), 2);
      for (int64_t i = 0; i < 2 * n; ++i)
        if (!std::isfinite(roi->value_as_double(i)))
          fail(cat("input 'roi'[", i, "] = ", roi->value_as_double(i), " is not finite"));
      for (int64_t i = 0; i < n; ++i) {
        g[axes[i]].roi_start = roi->value_as_double(i);
        g[axes[i]].roi_end = roi->value_as_double(i + n);
      }
    }
  }
  if (!scales.empty()) {
    check_count(scales_name, scales.size(), 1);
    for (int64_t i = 0; i < n; ++i) {
      AxisGeometry& a = g[axes[i]];
      if (!(scales[i] > 0) || !std::isfinite(scales[i]))
        fail(cat(scales_name, "[", i, "] = ", scales[i], " must be positive"));
      // tf_crop_and_resize scales the cropped region, not the whole axis.
      const double length = static_cast<double>(a.in) * scales[i] * (a.roi_end - a.roi_start);
      if (!(length < kMaxResizedLength) || !(length >= 0))
        fail(cat(scales_name, "[", i, "] = ", scales[i], " resizes axis ", axes[i], " of size ",
                 a.in, " beyond any tensor"));
      a.scale = scales[i];
      a.out = static_cast<int64_t>(std::floor(length));
    }
    return g;
  }
  check_count("input 'sizes'", sizes.size(), 1);
  for (int64_t i = 0; i < n; ++i) {
    if (sizes[i] <= 0) fail(cat("input 'sizes'[", i, "] = ", sizes[i], " must be positive"));
    if (g[axes[i]].in == 0)
      fail(cat("input 'sizes'[", i, "] = ", sizes[i], " asks for values from axis ", axes[i],
               ", which is empty"));
  }
  const std::string policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch") {
    for (int64_t i = 0; i < n; ++i) {
      AxisGeometry& a = g[axes[i]];
      a.out = sizes[i];
      a.scale = static_cast<double>(sizes[i]) / static_cast<double>(a.in);
    }
    return g;
  }
  if (policy != "not_larger" && policy != "not_smaller")
    bad_attribute(node, cat("unknown keep_aspect_ratio_policy '", policy, "'"));
  // One scale for every axis: the largest that fits within the sizes, or the smallest that
  // covers them.
  double scale = policy == "not_larger" ? HUGE_VAL : 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double s = static_cast<double>(sizes[i]) / static_cast<double>(g[axes[i]].in);
    scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
  }
  for (int64_t i = 0; i < n; ++i) {
    AxisGeometry& a = g[axes[i]];
    const double length = std::floor(scale * static_cast<double>(a.in) + 0.5);
    if (!(length < kMaxResizedLength))
      fail(cat("keep_aspect_ratio_policy '", policy, "' scales axis ", axes[i], " of size ", a.in,
               " by ", scale, ", beyond any tensor"));
    a.scale = scale;
    a.out = static_cast<int64_t>(length);
  }
  return g;
}

}  // namespace sinter
