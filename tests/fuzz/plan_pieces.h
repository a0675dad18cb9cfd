#pragma once
// A plan file taken apart into its header and sections, and put together again with fresh
// offsets and checksums (the layout of runtime/plan_file.cc), so the plan fuzzer can change a
// header field or a section's bytes and still reach the code behind the checksums.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace sinter::fuzz {

struct PlanPieces {
  nlohmann::ordered_json header;
  // Every section the header points at, in header order: the graph, the initializers, then each
  // step's packed weights. The header's offsets, sizes and checksums are rewritten on assembly.
  std::vector<std::string> sections;
};

// nullopt when `bytes` do not begin with a readable plan header.
std::optional<PlanPieces> split_plan(const std::string& bytes);

std::string assemble_plan(PlanPieces pieces);

// Changes one thing: a header value (a number nudged, set to an edge or another field's value, a
// string swapped, a key dropped, an array entry removed or repeated) or some bytes of one section
// (via `mutate_bytes`, which may resize it).
void mutate_plan(PlanPieces& pieces, std::mt19937_64& rng,
                 const std::function<void(std::string&)>& mutate_bytes);

}  // namespace sinter::fuzz
