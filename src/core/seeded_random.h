#pragma once
// Reproducible randomness from one seed: independent streams derived by mixing, and draws whose
// results the C++ standard fixes. std::uniform_int_distribution and std::shuffle differ between
// standard libraries; std::mt19937_64's raw output and these helpers do not.
#include <cstdint>
#include <random>

namespace sinter {

// SplitMix64's finalizer: nearby inputs (epoch 3 and 4) give unrelated outputs.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A seed for the sub-stream `b` of stream `a`.
inline uint64_t mix_seed(uint64_t a, uint64_t b) { return splitmix64(a ^ splitmix64(b)); }

// Uniform in [0, n) by rejection, so no value is favoured.
inline uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: the biased low values
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

}  // namespace sinter
