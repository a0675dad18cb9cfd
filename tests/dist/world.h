#pragma once
// The MPI test binary's world: every rank's Communicator, made in main() (dist_test.cc).
#include "dist/communicator.h"

namespace sinter {

Communicator& test_world();

}  // namespace sinter
