#pragma once
// The float requantization onto a u8 grid shared by the integer kernels: a multiplier (a ratio of
// scales), then clamp to [lo, hi] (the output range less its zero point), round half to even and
// add the zero point. Scales are finite and positive, but hostile ones are still valid: their
// ratio can overflow to infinity, and infinity times a zero difference is NaN. Both helpers keep
// the float-to-int conversion defined, the same way at every tier.
#include <cmath>
#include <cstdint>

namespace sinter::kernels {

// num / den, at most 2^32: any nonzero integer difference times 2^32 leaves the u8 range anyway,
// so the cap changes no result, and a zero difference stays 0 instead of becoming NaN.
inline float requant_ratio(float num, float den) {
  const float ratio = num / den;
  return ratio < 0x1p32f ? ratio : 0x1p32f;
}

// The vector tiers' max-then-min clamp, which maps a NaN to lo.
inline uint8_t round_to_u8(float v, float lo, float hi, int32_t zero_point) {
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(v)) + zero_point);
}

}  // namespace sinter::kernels
