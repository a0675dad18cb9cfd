#include "core/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"

namespace sinter {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// numpy pads the header so the data starts on this boundary.
constexpr size_t kAlign = 64;

struct DescrEntry {
  const char* code;  // without the byte-order character
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"f4", DType::kFloat32},
    {"f8", DType::kFloat64},
    {"f2", DType::kFloat16},
    {"i1", DType::kInt8},
    {"u1", DType::kUint8},
    {"i2", DType::kInt16},
    {"i4", DType::kInt32},
    {"i8", DType::kInt64},
    {"b1", DType::kBool},
    // numpy has no 4-bit types: 4-bit tensors are written as the bytes they are held in. Reading
    // finds the 8-bit entries above first.
    {"i1", DType::kInt4},
    {"u1", DType::kUint4},
};

DType dtype_from_descr(const std::string& descr, const std::string& what) {
  if (descr.size() < 2) throw InputError(cat(what, ": unsupported .npy dtype '", descr, "'"));
  char order = descr[0];
  std::string code = descr.substr(1);
  if (order == '>') {
    // A one-byte type has no byte order, whatever the character says.
    if (code.size() < 2 || code[1] != '1')
      throw InputError(cat(what, ": big-endian .npy data ('", descr,
                           "') is not supported; save it little-endian (e.g. a.astype('<", code,
                           "'))"));
  } else if (order != '<' && order != '|' && order != '=') {
    throw InputError(cat(what, ": unsupported .npy dtype '", descr, "'"));
  }
  for (const auto& e : kDescrs)
    if (code == e.code) return e.dtype;
  throw InputError(cat(what, ": unsupported .npy dtype '", descr,
                       "' (sinter reads float16/32/64, int8/16/32/64, uint8 and bool)"));
}

std::string descr_of(DType t) {
  for (const auto& e : kDescrs)
    if (e.dtype == t) return std::string(dtype_size(t) == 1 ? "|" : "<").append(e.code);
  throw InputError(cat("cannot write dtype ", dtype_name(t), " to .npy"));
}

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }. This parser accepts exactly the literal forms numpy writes.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

  void parse(std::string& descr, bool& fortran, Shape& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr" && !have_descr) {
        descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order" && !have_fortran) {
        fortran = parse_bool();
        have_fortran = true;
      } else if (key == "shape" && !have_shape) {
        shape = parse_shape();
        have_shape = true;
      } else {
        fail(cat("unexpected or repeated key '", key, "'"));
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    skip_ws();
    if (pos_ != s_.size()) fail("trailing characters after the header dictionary");
    if (!have_descr || !have_fortran || !have_shape)
      fail("the header must have 'descr', 'fortran_order' and 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(cat(what_, ": malformed .npy header: ", why));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(cat("expected '", std::string(1, c), "'"));
    ++pos_;
  }
  std::string parse_string() {
    char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string v = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return v;
  }
  bool parse_bool() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("'fortran_order' must be True or False");
  }
  Shape parse_shape() {
    expect('(');
    Shape shape;
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      shape.push_back(parse_dim());
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
    ++pos_;
    return shape;
  }
  int64_t parse_dim() {
    constexpr int64_t kMaxDim = int64_t{1} << 48;  // far beyond any real array
    if (peek() < '0' || peek() > '9') fail("a shape dimension must be a non-negative integer");
    int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + (s_[pos_++] - '0');
      if (v > kMaxDim) fail("a shape dimension is too large");
    }
    if (peek() == 'L') ++pos_;  // Python 2 long literal, written by old numpy
    return v;
  }

  const std::string& s_;
  const std::string& what_;
  size_t pos_ = 0;
};

uint32_t read_le(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Tensor parse_npy(const void* data, size_t size, const std::string& what) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < kMagicSize + 2 || std::memcmp(p, kMagic, kMagicSize) != 0)
    throw InputError(cat(what, ": not a .npy file (bad magic)"));
  int major = p[6];
  if (major < 1 || major > 3)
    throw InputError(cat(what, ": unsupported .npy format version ", major, ".", int{p[7]}));
  size_t len_bytes = major == 1 ? 2 : 4;
  size_t prefix = kMagicSize + 2 + len_bytes;
  if (size < prefix) throw InputError(cat(what, ": truncated .npy header"));
  size_t header_len = read_le(p + kMagicSize + 2, static_cast<int>(len_bytes));
  if (header_len > size - prefix)
    throw InputError(cat(what, ": truncated .npy header (", header_len, " bytes declared, ",
                         size - prefix, " present)"));
  std::string header(reinterpret_cast<const char*>(p + prefix), header_len);

  std::string descr;
  bool fortran = false;
  Shape shape;
  HeaderParser(header, what).parse(descr, fortran, shape);
  DType dtype = dtype_from_descr(descr, what);
  if (fortran) {
    throw InputError(cat(what, ": Fortran-ordered .npy arrays are not supported; save a C-ordered",
                         " copy (numpy.ascontiguousarray)"));
  }
  // Overflow-safe element count: every dim is bounded, so check before each multiply.
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / static_cast<uint64_t>(d))
      throw InputError(cat(what, ": .npy shape ", shape_str(shape), " is too large"));
    numel *= static_cast<uint64_t>(d);
  }
  uint64_t want = numel * dtype_size(dtype);
  size_t have = size - prefix - header_len;
  if (have != want) {
    throw InputError(cat(what, ": .npy data is ", have, " bytes but shape ", shape_str(shape),
                         " of ", dtype_name(dtype), " needs ", want,
                         have < want ? " (truncated file)" : " (trailing bytes)"));
  }
  Tensor t(dtype, shape);
  if (want) std::memcpy(t.raw(), p + prefix + header_len, want);
  if (dtype == DType::kBool) {
    // Kernels assume bools are exactly 0 or 1.
    auto* b = static_cast<unsigned char*>(t.raw());
    for (uint64_t i = 0; i < numel; ++i) b[i] = b[i] != 0;
  }
  return t;
}

Tensor read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(cat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw InputError(cat(path, ": read error"));
  std::string bytes = std::move(ss).str();
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::string encode_npy(const Tensor& t) {
  std::string dict = "{'descr': '" + descr_of(t.dtype()) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape().size(); ++i) {
    dict += std::to_string(t.shape()[i]);
    if (i + 1 < t.shape().size() || t.shape().size() == 1) dict += ",";
    if (i + 1 < t.shape().size()) dict += " ";
  }
  dict += "), }";
  int major = 1;
  size_t prefix = kMagicSize + 2 + 2;
  if (dict.size() + 1 + prefix + kAlign > 0xffff) {
    major = 2;
    prefix = kMagicSize + 2 + 4;
  }
  // Pad with spaces and end with '\n' so the data starts on a kAlign boundary.
  size_t total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(major);
  out += '\0';
  uint32_t len = static_cast<uint32_t>(dict.size());
  for (size_t i = 0; i < prefix - kMagicSize - 2; ++i)
    out += static_cast<char>((len >> (8 * i)) & 0xff);
  out += dict;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

void write_npy(const std::string& path, const Tensor& t) {
  write_file_atomically(path, encode_npy(t));
}

}  // namespace sinter
