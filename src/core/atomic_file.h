#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sinter {

// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename,
// so readers never see a half-written file and a failed write (full disk, missing directory)
// leaves nothing behind. Throws InputError naming the path.
void write_file_atomically(const std::string& path, const std::string& bytes);
// The same for a file made of `pieces` in order (large files written without one copy of them).
void write_file_atomically(const std::string& path, const std::vector<std::string_view>& pieces);

}  // namespace sinter
