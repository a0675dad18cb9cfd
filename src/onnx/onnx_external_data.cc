#include "onnx/onnx_external_data.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace sinter::onnx_io {

namespace {

namespace fs = std::filesystem;

uint64_t parse_count(const std::string& key, const std::string& text, const std::string& what) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end)
    throw ModelError(cat(what, ": external data ", key, " '", text, "' is not a byte count"));
  return v;
}

// Lexical containment check: an absolute path or one that climbs with ".." could read any file
// on the machine, which a model must never be able to do.
fs::path contained_path(const std::string& base_dir, const std::string& location,
                        const std::string& what) {
  if (location.empty()) throw ModelError(cat(what, ": external data has no location"));
  if (location.find('\0') != std::string::npos)
    throw ModelError(cat(what, ": external data location contains a NUL byte"));
  fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    throw ModelError(cat(what, ": external data location '", location,
                         "' is absolute; it must be relative to the model's directory"));
  rel = rel.lexically_normal();
  for (const auto& part : rel)
    if (part == "..")
      throw ModelError(
          cat(what, ": external data location '", location, "' escapes the model's directory"));
  return fs::path(base_dir) / rel;
}

}  // namespace

ExternalData locate_external_data(const onnx::TensorProto& proto, const std::string& base_dir,
                                  const std::string& what, size_t nbytes) {
  if (base_dir.empty())
    throw ModelError(cat(what, ": uses external data, which needs the model's directory"));
  std::string location;
  uint64_t offset = 0;
  bool has_length = false;
  uint64_t length = 0;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      offset = parse_count("offset", kv.value(), what);
    } else if (kv.key() == "length") {
      length = parse_count("length", kv.value(), what);
      has_length = true;
    }
    // "checksum" and unknown keys carry nothing we need.
  }
  if (has_length && length != nbytes)
    throw ModelError(cat(what, ": external data length ", length, " does not match the ", nbytes,
                         " bytes its dims and dtype need"));
  fs::path file = contained_path(base_dir, location, what);
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw ModelError(cat(what, ": external data file '", file.string(), "' does not exist"));
  uint64_t size = fs::file_size(file, ec);
  if (ec) throw ModelError(cat(what, ": cannot stat external data file '", file.string(), "'"));
  if (offset > size || size - offset < nbytes)
    throw ModelError(cat(what, ": external data file '", file.string(), "' holds ", size,
                         " bytes, too short for ", nbytes, " bytes at offset ", offset));
  return {file.string(), offset, nbytes};
}

void read_external_data(const ExternalData& ref, const std::string& what, void* dst) {
  std::ifstream in(ref.file, std::ios::binary);
  if (!in) {
    throw ModelError(
        cat(what, ": cannot open external data file '", ref.file, "': ", std::strerror(errno)));
  }
  in.seekg(static_cast<std::streamoff>(ref.offset));
  in.read(static_cast<char*>(dst), static_cast<std::streamsize>(ref.nbytes));
  if (!in || static_cast<size_t>(in.gcount()) != ref.nbytes)
    throw ModelError(cat(what, ": short read from external data file '", ref.file, "'"));
}

}  // namespace sinter::onnx_io
