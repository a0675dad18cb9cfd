#include "core/version.h"

namespace sinter {

const char* sinter_version() { return SINTER_VERSION; }

}  // namespace sinter
