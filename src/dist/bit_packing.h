#pragma once
// Fields of a few bits packed into bytes, least significant bit first: the wire format of the
// quantizing compressors (QSGD's sign and level, sign's one bit a value).
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace sinter {

class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
  // A whole float, starting on a fresh byte.
  void put_float(float v) {
    align();
    uint8_t bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    out_.insert(out_.end(), bytes, bytes + sizeof v);
  }
  // The low `bits` bits of `value` (at most 24).
  void put(uint32_t value, int bits) {
    pending_ |= static_cast<uint64_t>(value & ((1u << bits) - 1)) << filled_;
    for (filled_ += bits; filled_ >= 8; filled_ -= 8, pending_ >>= 8)
      out_.push_back(static_cast<uint8_t>(pending_));
  }
  // Writes out a partly filled byte, so the next field starts on a fresh one (each tensor's
  // payload does); call it after the last field.
  void align() {
    if (filled_ > 0) out_.push_back(static_cast<uint8_t>(pending_));
    pending_ = 0;
    filled_ = 0;
  }

 private:
  std::vector<uint8_t>& out_;
  uint64_t pending_ = 0;
  int filled_ = 0;
};

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  float get_float() {
    align();
    SINTER_CHECK(at_ + sizeof(float) <= size_, "a packed payload ends early");
    float v = 0;
    std::memcpy(&v, data_ + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  uint32_t get(int bits) {
    for (; filled_ < bits; filled_ += 8) {
      SINTER_CHECK(at_ < size_, "a packed payload ends early");
      pending_ |= static_cast<uint64_t>(data_[at_++]) << filled_;
    }
    const auto value = static_cast<uint32_t>(pending_ & ((uint64_t{1} << bits) - 1));
    pending_ >>= bits;
    filled_ -= bits;
    return value;
  }
  // Skips the rest of a partly read byte.
  void align() {
    pending_ = 0;
    filled_ = 0;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
  uint64_t pending_ = 0;
  int filled_ = 0;
};

}  // namespace sinter
