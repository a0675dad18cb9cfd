#pragma once
// The GEMM B operand of the convolution weight gradient, im2col(X)^T of one image's channel
// block: row k is output pixel k, column j is kernel tap j in (kh, kw, c) order. It is read
// from a channels-last copy of the image with its padding stored as zeros, so tap j of pixel k
// sits at pixel_offset(k) + tap_offset[j], and the taps of consecutive channels (a whole
// 16-wide sliver once there are 16 channels) are consecutive floats.
#include <cstdint>
#include <vector>

#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_training_kernels.h"
#include "kernels/gemm/sgemm_driver.h"

namespace sinter {

// The zero-padded channels-last copy of one image's channel block: [HP][WP][C/group].
struct ChannelsLastPlane {
  int64_t hp = 0, wp = 0, channels = 0;
  int64_t floats() const { return hp * wp * channels; }
};
ChannelsLastPlane channels_last_plane(const Conv2dShape& s);

// Per tap in (kh, kw, c) order: its float offset from the pixel's window origin in the copy.
std::vector<int32_t> channels_last_tap_offsets(const Conv2dShape& s);

// Copies x (one image's C/group channels, NCHW) into the interior of `plane`; the padding
// border is left as it is (zero it once per buffer).
void copy_to_channels_last(const Conv2dShape& s, const float* x, float* plane,
                           const ConvTrainingKernels& k);

class ChannelsLastIm2colPacker final : public gemm::BPacker {
 public:
  // The packing loops are k's (conv2d_training_kernels.h).
  ChannelsLastIm2colPacker(const Conv2dShape& s, const int32_t* tap_offset, int64_t taps,
                           const float* plane, const ConvTrainingKernels& k);
  void pack(int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) const override;

 private:
  const Conv2dShape& s_;
  const int32_t* tap_offset_;
  int64_t taps_;
  const float* plane_;
  const ConvTrainingKernels& k_;
};

}  // namespace sinter
