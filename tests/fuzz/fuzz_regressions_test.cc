// Past findings of the fuzz targets (tests/fuzz/regressions), replayed through the whole pipeline
// in every build, so the sanitizer build checks them without clang's libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/memory_limit.h"
#include "model_case.h"

namespace sinter::fuzz {
namespace {

TEST(FuzzRegressions, ReplayThroughThePipeline) {
  const std::filesystem::path dir = SINTER_FUZZ_REGRESSIONS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  const int64_t limit = memory_limit();
  set_memory_limit(kCaseMemoryLimit);
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    run_model_case(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++replayed;
  }
  set_memory_limit(limit);
  EXPECT_GT(replayed, 0);
}

}  // namespace
}  // namespace sinter::fuzz
