#pragma once
// The version of this sinter build (CMake's project version), shown by the CLI and written into
// plan files, which are refused by any other version.

namespace sinter {

const char* sinter_version();

}  // namespace sinter
