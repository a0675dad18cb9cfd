#include "data/idx_file.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "data_test_util.h"

namespace sinter {
namespace {

using testing_data::idx_bytes;
using testing_data::ramp;
using testing_data::read_all;
using testing_data::write_gz;
using testing_data::write_plain;

class IdxFileTest : public testing_data::TempDirTest {
 protected:
  // The InputError message read_idx gives for `file`, which must start with the path.
  std::string error_of(const std::string& file) {
    try {
      read_idx(file);
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(file + ":", 0), 0u) << e.what();
      return e.what();
    }
    return "no error";
  }
};

TEST_F(IdxFileTest, ReadsPlainAndGzipped) {
  const std::string data = ramp(24);
  const std::string bytes = idx_bytes(0x08, {2, 3, 4}, data);
  write_plain(path("plain.idx"), bytes);
  write_gz(path("packed.idx.gz"), bytes);
  // Names do not matter: zlib recognizes gzip by content.
  write_gz(path("packed_without_suffix"), bytes);
  for (const char* name : {"plain.idx", "packed.idx.gz", "packed_without_suffix"}) {
    IdxFile f = read_idx(path(name));
    EXPECT_EQ(f.dims, (Shape{2, 3, 4})) << name;
    EXPECT_EQ(std::string(f.bytes.begin(), f.bytes.end()), data) << name;
  }
}

TEST_F(IdxFileTest, ReadsOneDimAndEmpty) {
  write_gz(path("labels.gz"), idx_bytes(0x08, {5}, "\x01\x02\x03\x04\x09"));
  IdxFile f = read_idx(path("labels.gz"));
  EXPECT_EQ(f.dims, (Shape{5}));
  EXPECT_EQ(f.bytes, (std::vector<uint8_t>{1, 2, 3, 4, 9}));

  write_plain(path("empty.idx"), idx_bytes(0x08, {0, 28, 28}, ""));
  f = read_idx(path("empty.idx"));
  EXPECT_EQ(f.dims, (Shape{0, 28, 28}));
  EXPECT_TRUE(f.bytes.empty());
}

TEST_F(IdxFileTest, ReadsLargeGzippedFileAcrossChunks) {
  // More than one 4 MiB read chunk, so the growing buffer is exercised.
  const std::string data = ramp(size_t{9} << 20);
  write_gz(path("big.gz"), idx_bytes(0x08, {9, 1024, 1024}, data));
  IdxFile f = read_idx(path("big.gz"));
  EXPECT_EQ(f.dims, (Shape{9, 1024, 1024}));
  ASSERT_EQ(f.bytes.size(), data.size());
  EXPECT_TRUE(std::equal(f.bytes.begin(), f.bytes.end(), data.begin(),
                         [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }));
}

TEST_F(IdxFileTest, MissingFileOrDirectory) {
  EXPECT_CONTAINS(error_of(path("nope.gz")), "cannot open (No such file or directory)");
  EXPECT_CONTAINS(error_of(dir_.string()), "is a directory");
}

TEST_F(IdxFileTest, NotIdx) {
  write_plain(path("empty"), "");
  EXPECT_CONTAINS(error_of(path("empty")), "0 bytes, shorter than the 4-byte header");
  write_plain(path("text"), "hello, world\n");
  EXPECT_CONTAINS(error_of(path("text")), "not an IDX file: bad magic 68 65 6c 6c");
  write_gz(path("text.gz"), "hello, world\n");
  EXPECT_CONTAINS(error_of(path("text.gz")), "not an IDX file (gzipped): bad magic 68 65 6c 6c");
  write_gz(path("short.gz"), std::string("\0\0", 2));
  EXPECT_CONTAINS(error_of(path("short.gz")), "2 bytes, shorter than the 4-byte header");
}

TEST_F(IdxFileTest, UnsupportedElementType) {
  write_gz(path("float.gz"), idx_bytes(0x0D, {2}, std::string(8, '\0')));
  EXPECT_CONTAINS(error_of(path("float.gz")),
                  "unsupported IDX element type 0x0d (float32); only unsigned byte");
  write_plain(path("odd.idx"), idx_bytes(0x42, {2}, "ab"));
  EXPECT_CONTAINS(error_of(path("odd.idx")), "element type 0x42 (unknown)");
}

TEST_F(IdxFileTest, BadHeader) {
  write_plain(path("nodims.idx"), idx_bytes(0x08, {}, ""));
  EXPECT_CONTAINS(error_of(path("nodims.idx")), "declares 0 dims");
  std::string cut = idx_bytes(0x08, {60000, 28, 28}, "").substr(0, 9);
  write_gz(path("cut_header.gz"), cut);
  EXPECT_CONTAINS(error_of(path("cut_header.gz")),
                  "truncated IDX header: 3 dims need 12 bytes, got 5");
}

TEST_F(IdxFileTest, TruncatedData) {
  const std::string bytes = idx_bytes(0x08, {3, 4}, ramp(7));
  write_plain(path("short.idx"), bytes);
  EXPECT_CONTAINS(error_of(path("short.idx")),
                  "truncated IDX data: dims [3,4] need 12 bytes, got 7");
  write_gz(path("short.gz"), bytes);
  EXPECT_CONTAINS(error_of(path("short.gz")),
                  "truncated IDX data (gzipped): dims [3,4] need 12 bytes, got 7");
}

TEST_F(IdxFileTest, TruncatedGzipStream) {
  // Incompressible data, so cutting the file in half cuts the data.
  std::string data(4000, '\0');
  uint64_t x = 1;
  for (char& c : data) c = static_cast<char>((x = x * 6364136223846793005ull + 1) >> 56);
  write_gz(path("whole.gz"), idx_bytes(0x08, {4000}, data));
  const std::string gz = read_all(path("whole.gz"));

  write_plain(path("half.gz"), gz.substr(0, gz.size() / 2));
  const std::string e = error_of(path("half.gz"));
  EXPECT_CONTAINS(e, "truncated IDX data (gzipped): dims [4000] need 4000 bytes, got ");
  EXPECT_CONTAINS(e, "(the gzip stream ends early)");

  // Only the 8-byte trailer (CRC32, length) cut: the data is all there but unverified.
  write_plain(path("no_trailer.gz"), gz.substr(0, gz.size() - 8));
  EXPECT_CONTAINS(error_of(path("no_trailer.gz")), "gzip trailer is missing");

  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x5a;
  write_plain(path("bad_crc.gz"), bad_crc);
  EXPECT_CONTAINS(error_of(path("bad_crc.gz")), "corrupt gzip data (incorrect data check)");
}

TEST_F(IdxFileTest, TrailingGarbage) {
  const std::string bytes = idx_bytes(0x08, {3, 4}, ramp(12)) + "xyz";
  write_plain(path("extra.idx"), bytes);
  EXPECT_CONTAINS(error_of(path("extra.idx")),
                  "trailing garbage: 3 bytes after the 12 data bytes of dims [3,4]");
  write_gz(path("extra.gz"), bytes);
  EXPECT_CONTAINS(error_of(path("extra.gz")), "trailing garbage: 3 bytes after");
  write_gz(path("much_extra.gz"), idx_bytes(0x08, {1}, "a") + std::string(3 << 20, 'z'));
  EXPECT_CONTAINS(error_of(path("much_extra.gz")),
                  "trailing garbage: more than 1048576 bytes after the 1 data bytes");
}

TEST_F(IdxFileTest, AbsurdDims) {
  write_plain(path("huge.idx"), idx_bytes(0x08, {65536, 65536}, "abc"));
  EXPECT_CONTAINS(error_of(path("huge.idx")),
                  "IDX dims [65536,65536] exceed the limit of 2147483648 elements");
  // The largest product the check ever forms: 2^31 (at the cap) times 2^32-1 still fits int64.
  write_gz(path("overflow.gz"), idx_bytes(0x08, {2, 0x40000000u, 0xffffffffu, 0xffffffffu}, ""));
  EXPECT_CONTAINS(error_of(path("overflow.gz")),
                  "IDX dims [2,1073741824,4294967295]... exceed the limit");
  // At the limit the header is accepted, but a tiny file fails at its real size without
  // allocating what the header claims.
  write_gz(path("at_limit.gz"), idx_bytes(0x08, {0x80000000u}, "abc"));
  EXPECT_CONTAINS(error_of(path("at_limit.gz")), "dims [2147483648] need 2147483648 bytes, got 3");
}

}  // namespace
}  // namespace sinter
