#pragma once
// IDX files, the format MNIST and Fashion-MNIST ship in: a 4-byte big-endian magic 00 00 TT NN
// (TT the element type, NN the number of dims), NN big-endian uint32 dims, then the elements in
// row-major order. Files may be gzipped or plain; zlib tells them apart by content, not by name.
#include <cstdint>
#include <string>
#include <vector>

#include "core/shape.h"

namespace sinter {

// The largest element count read_idx accepts. A hostile header could otherwise ask for an
// allocation of up to 2^32^255 bytes; real datasets are far below this.
inline constexpr int64_t kIdxMaxElements = int64_t{1} << 31;

struct IdxFile {
  Shape dims;
  std::vector<uint8_t> bytes;  // the elements, row-major
};

// Reads an unsigned-byte (type 0x08) IDX file, gzipped or plain. Throws InputError with one line
// naming `path` when the file is missing or unreadable, is not IDX (bad magic), holds another
// element type, declares more than kIdxMaxElements elements, is truncated (saying how many data
// bytes were expected and how many were found), has bytes after the data, or its gzip stream is
// corrupt.
IdxFile read_idx(const std::string& path);

}  // namespace sinter
