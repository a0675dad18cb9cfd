#pragma once
// NumPy .npy files (format versions 1, 2 and 3): little-endian, C-order arrays of the dtypes
// sinter stores. Everything read from a file is validated; errors are InputErrors naming the file.
#include <string>

#include "core/tensor.h"

namespace sinter {

// Reads a .npy file. Throws InputError naming `path` when it cannot be read, the header is
// malformed, the array is Fortran-ordered or big-endian, the dtype is unsupported, or the data
// is shorter or longer than the shape says.
Tensor read_npy(const std::string& path);

// Parses .npy bytes held in memory; `what_for_messages` (usually the path) prefixes errors.
Tensor parse_npy(const void* data, size_t size, const std::string& what_for_messages);

// The .npy encoding of `t` (version 1 header unless the header needs more than 64 KiB).
std::string encode_npy(const Tensor& t);

// Writes `t` to `path` atomically: a temporary file in the same directory, then a rename, so
// readers never see a half-written file and a failed write leaves nothing behind.
void write_npy(const std::string& path, const Tensor& t);

}  // namespace sinter
