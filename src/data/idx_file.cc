#include "data/idx_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace sinter {

namespace {

constexpr uint8_t kUnsignedByte = 0x08;

struct GzClose {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzClose>;

std::string hex_byte(uint8_t b) {
  char s[3];
  std::snprintf(s, sizeof(s), "%02x", b);
  return s;
}

const char* element_type_name(uint8_t type) {
  switch (type) {
    case 0x08:
      return "uint8";
    case 0x09:
      return "int8";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return nullptr;
  }
}

std::string gz_message(gzFile f) {
  int err = Z_OK;
  std::string msg = gzerror(f, &err);
  if (err == Z_ERRNO) return std::strerror(errno);
  // zlib prefixes the name it was opened with, "<fd:3>: " after gzdopen; our message names the
  // file already.
  if (msg.rfind("<fd:", 0) == 0 && msg.find(">: ") != std::string::npos)
    msg.erase(0, msg.find(">: ") + 3);
  return msg;
}

// True when the last read stopped because the compressed stream was cut short: zlib reports
// that as a short read with Z_BUF_ERROR rather than as a failure.
bool gzip_cut_short(gzFile f) {
  int err = Z_OK;
  gzerror(f, &err);
  return err == Z_BUF_ERROR;
}

// Reads up to n bytes; fewer only at the end of the (decompressed) stream.
size_t read_upto(gzFile f, void* dst, size_t n, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    unsigned want = static_cast<unsigned>(std::min<size_t>(n - got, size_t{1} << 30));
    int r = gzread(f, static_cast<char*>(dst) + got, want);
    if (r < 0) throw InputError(cat(path, ": corrupt gzip data (", gz_message(f), ")"));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

GzHandle open_gz(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(cat(path, ": cannot open (", std::strerror(errno), ")"));
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InputError(cat(path, ": is a directory, not an IDX file"));
  }
  gzFile f = gzdopen(fd, "rb");
  if (!f) {
    ::close(fd);
    throw InputError(cat(path, ": cannot open (out of memory)"));
  }
  // The default 8 KiB buffer makes a 26 MB archive take thousands of read calls.
  gzbuffer(f, 1 << 17);
  return GzHandle(f);
}

}  // namespace

IdxFile read_idx(const std::string& path) {
  GzHandle handle = open_gz(path);
  gzFile f = handle.get();
  const char* container = gzdirect(f) ? "" : " (gzipped)";

  uint8_t magic[4];
  size_t got = read_upto(f, magic, sizeof(magic), path);
  if (got < sizeof(magic))
    throw InputError(cat(path, ": not an IDX file", container, ": ", got,
                         " bytes, shorter than the 4-byte header"));
  if (magic[0] != 0 || magic[1] != 0)
    throw InputError(cat(path, ": not an IDX file", container, ": bad magic ", hex_byte(magic[0]),
                         " ", hex_byte(magic[1]), " ", hex_byte(magic[2]), " ", hex_byte(magic[3]),
                         " (expected 00 00 08 NN)"));
  if (magic[2] != kUnsignedByte) {
    const char* name = element_type_name(magic[2]);
    throw InputError(cat(path, ": unsupported IDX element type 0x", hex_byte(magic[2]),
                         name ? cat(" (", name, ")") : std::string(" (unknown)"),
                         "; only unsigned byte (0x08) is supported"));
  }
  const int ndims = magic[3];
  if (ndims == 0) throw InputError(cat(path, ": IDX header declares 0 dims"));

  std::vector<uint8_t> header(4 * static_cast<size_t>(ndims));
  got = read_upto(f, header.data(), header.size(), path);
  if (got < header.size())
    throw InputError(cat(path, ": truncated IDX header: ", ndims, " dims need ", header.size(),
                         " bytes, got ", got));

  IdxFile out;
  // Every dim is below 2^32 and the running product is capped at 2^31, so the product never
  // overflows int64 before the check catches it.
  int64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const uint8_t* p = &header[4 * static_cast<size_t>(i)];
    int64_t d = (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | p[3];
    out.dims.push_back(d);
    count *= d;
    if (count > kIdxMaxElements)
      throw InputError(cat(path, ": IDX dims ", shape_str(out.dims), i + 1 < ndims ? "..." : "",
                           " exceed the limit of ", kIdxMaxElements, " elements"));
  }

  // Past the first 64 MiB (the 47 MB of Fashion-MNIST fit) the buffer grows as data arrives
  // rather than trusting the header, so a tiny file that claims 2 GB of data fails at its real
  // size instead of allocating 2 GB first.
  const size_t total = static_cast<size_t>(count);
  out.bytes.reserve(std::min(total, size_t{64} << 20));
  constexpr size_t kChunk = size_t{4} << 20;
  got = 0;
  while (got < total) {
    size_t n = std::min(kChunk, total - got);
    out.bytes.resize(got + n);
    size_t r = read_upto(f, out.bytes.data() + got, n, path);
    got += r;
    if (r < n) break;
  }
  if (got < total)
    throw InputError(cat(path, ": truncated IDX data", container, ": dims ", shape_str(out.dims),
                         " need ", total, " bytes, got ", got,
                         gzip_cut_short(f) ? " (the gzip stream ends early)" : ""));

  // Reading to the end also makes zlib verify the gzip trailer (CRC and length). The count of
  // extra bytes stops at a cap so a hostile file cannot keep us decompressing.
  constexpr size_t kTrailingCap = size_t{1} << 20;
  size_t extra = 0;
  std::vector<uint8_t> scratch(size_t{1} << 16);
  for (;;) {
    size_t r = read_upto(f, scratch.data(), scratch.size(), path);
    extra += r;
    if (r < scratch.size() || extra > kTrailingCap) break;
  }
  if (extra > 0)
    throw InputError(cat(path, ": trailing garbage: ", extra > kTrailingCap ? "more than " : "",
                         std::min(extra, kTrailingCap), " bytes after the ", total,
                         " data bytes of dims ", shape_str(out.dims)));
  if (gzip_cut_short(f))
    throw InputError(cat(path,
                         ": truncated gzip stream: the data is complete but the gzip "
                         "trailer is missing"));
  return out;
}

}  // namespace sinter
