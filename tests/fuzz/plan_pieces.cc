#include "plan_pieces.h"

#include <xxhash.h>

#include <cstring>

#include "runtime/plan_file.h"

namespace sinter::fuzz {

namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kPreamble = 32, kAlign = 64;

// Every section object of a header, in the order split_plan and assemble_plan agree on.
std::vector<Json*> section_refs(Json& h) {
  std::vector<Json*> refs;
  auto add = [&](Json& s) {
    if (s.is_object() && s.contains("offset") && s.contains("bytes")) refs.push_back(&s);
  };
  if (h.contains("graph")) add(h["graph"]);
  if (h.contains("initializers") && h["initializers"].is_array())
    for (Json& t : h["initializers"]) add(t);
  if (h.contains("steps") && h["steps"].is_array())
    for (Json& step : h["steps"])
      if (step.is_object() && step.contains("prepacked") && step["prepacked"].is_array())
        for (Json& b : step["prepacked"]) add(b);
  return refs;
}

size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

std::optional<PlanPieces> split_plan(const std::string& bytes) {
  if (bytes.size() < kPreamble || bytes.compare(0, 8, "SINTPLAN") != 0) return std::nullopt;
  uint64_t size = 0;
  std::memcpy(&size, bytes.data() + 16, 8);
  if (size > bytes.size() - kPreamble) return std::nullopt;
  PlanPieces pieces;
  pieces.header =
      Json::parse(bytes.begin() + kPreamble, bytes.begin() + kPreamble + size, nullptr, false);
  if (!pieces.header.is_object()) return std::nullopt;
  for (Json* s : section_refs(pieces.header)) {
    const Json &o = (*s)["offset"], &n = (*s)["bytes"];
    if (!o.is_number_unsigned() || !n.is_number_unsigned()) return std::nullopt;
    const uint64_t offset = o.get<uint64_t>(), length = n.get<uint64_t>();
    if (offset > bytes.size() || length > bytes.size() - offset) return std::nullopt;
    pieces.sections.push_back(bytes.substr(offset, length));
  }
  return pieces;
}

std::string assemble_plan(PlanPieces pieces) {
  std::vector<Json*> refs = section_refs(pieces.header);
  // The header's size depends on the offsets in it: lay out with room to spare.
  size_t room = pieces.header.dump().size() + 64 * refs.size() + 256;
  std::string body;
  const size_t start = aligned(kPreamble + room);
  for (size_t i = 0; i < refs.size() && i < pieces.sections.size(); ++i) {
    body.resize(aligned(body.size()), '\0');
    const std::string& s = pieces.sections[i];
    (*refs[i])["offset"] = start + body.size();
    (*refs[i])["bytes"] = s.size();
    (*refs[i])["xxh3"] = XXH3_64bits(s.data(), s.size());
    body += s;
  }
  std::string text = pieces.header.dump();
  if (text.size() > room) text.resize(room);  // cannot happen with the spare room; stays a case
  std::string out(start, ' ');
  std::memcpy(out.data(), "SINTPLAN", 8);
  const uint32_t format = kPlanFormatVersion, reserved = 0;
  const uint64_t size = text.size(), hash = XXH3_64bits(text.data(), text.size());
  std::memcpy(out.data() + 8, &format, 4);
  std::memcpy(out.data() + 12, &reserved, 4);
  std::memcpy(out.data() + 16, &size, 8);
  std::memcpy(out.data() + 24, &hash, 8);
  out.replace(kPreamble, text.size(), text);
  return out + body;
}

void mutate_plan(PlanPieces& pieces, std::mt19937_64& rng,
                 const std::function<void(std::string&)>& mutate_bytes) {
  if (!pieces.sections.empty() && rng() % 3 == 0) {
    mutate_bytes(pieces.sections[rng() % pieces.sections.size()]);
    return;
  }
  // Header leaves by JSON pointer; sections' own fields are rewritten on assembly, so they are
  // left to raw mutation.
  const Json flat = pieces.header.flatten();
  std::vector<std::string> paths;
  for (const auto& [path, value] : flat.items())
    if (path.find("/offset") == std::string::npos && path.find("/xxh3") == std::string::npos)
      paths.push_back(path);
  if (paths.empty()) return;
  const Json::json_pointer at(paths[rng() % paths.size()]);
  Json& value = pieces.header[at];
  const Json other = flat[paths[rng() % paths.size()]];
  switch (rng() % 6) {
    case 0:
      value = other;
      break;
    case 1:
      if (value.is_number_integer())  // wraps at the edges, as a nudge should
        value = static_cast<int64_t>(static_cast<uint64_t>(value.get<int64_t>()) + rng() % 5 - 2);
      else
        value = other;
      break;
    case 2: {
      static const int64_t edges[] = {0, -1, 1, 3, 1 << 20, INT64_MAX, INT64_MIN};
      value = edges[rng() % 7];
      break;
    }
    case 3:
      value = nullptr;
      break;
    case 4: {
      Json& parent = pieces.header[at.parent_pointer()];
      if (parent.is_object())
        parent.erase(at.back());
      else if (parent.is_array() && !parent.empty())
        parent.erase(parent.size() - 1);
      break;
    }
    default: {
      Json& parent = pieces.header[at.parent_pointer()];
      if (parent.is_array())
        parent.push_back(value);
      else
        value = "0";
      break;
    }
  }
}

}  // namespace sinter::fuzz
