#include "core/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sinter {
namespace {

namespace fs = std::filesystem;

// A .npy file as numpy writes it, from a header dict and raw data.
std::string make_npy(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  uint32_t len = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

Tensor parse(const std::string& bytes) { return parse_npy(bytes.data(), bytes.size(), "x.npy"); }

std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

class NpyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sinter_npy_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

template <class T>
void expect_round_trip(Shape shape, std::vector<T> values) {
  Tensor t = Tensor::from_vector<T>(shape, values);
  Tensor back = parse(encode_npy(t));
  EXPECT_EQ(back.dtype(), dtype_of<T>());
  EXPECT_EQ(back.shape(), shape);
  ASSERT_EQ(back.nbytes(), t.nbytes());
  EXPECT_EQ(0, std::memcmp(back.raw(), t.raw(), t.nbytes()));
}

TEST(Npy, RoundTripsEveryDtype) {
  expect_round_trip<float>({2, 3}, {1.5f, -2, 3, 4, 5, 6e-7f});
  expect_round_trip<double>({3}, {1e300, -0.25, 7});
  expect_round_trip<int8_t>({2, 2}, {-128, 0, 1, 127});
  expect_round_trip<uint8_t>({4}, {0, 1, 200, 255});
  expect_round_trip<int16_t>({1, 2}, {-30000, 30000});
  expect_round_trip<int32_t>({2, 1, 1}, {-7, 1 << 30});
  expect_round_trip<int64_t>({2}, {int64_t{1} << 40, -3});
  // vector<bool> has no data(), so bools are set byte by byte.
  Tensor b(DType::kBool, {3});
  static_cast<unsigned char*>(b.raw())[0] = 1;
  static_cast<unsigned char*>(b.raw())[2] = 1;
  Tensor back = parse(encode_npy(b));
  EXPECT_EQ(back.dtype(), DType::kBool);
  EXPECT_EQ(0, std::memcmp(back.raw(), b.raw(), 3));
}

TEST(Npy, RoundTripsScalarsAndEmptyArrays) {
  expect_round_trip<float>({}, {42.0f});
  expect_round_trip<float>({0, 3}, {});
}

TEST(Npy, HeaderIsAlignedAndNumpyShaped) {
  std::string b = encode_npy(Tensor::from_vector<float>({5}, {1, 2, 3, 4, 5}));
  EXPECT_EQ(b.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(b[6], 1);
  size_t header_len = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  std::string header = b.substr(10, header_len);
  EXPECT_NE(header.find("'shape': (5,)"), std::string::npos) << header;
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_EQ(header.back(), '\n');
}

TEST(Npy, ReadsNumpyWrittenHeaders) {
  // Version 2 header, double quotes, no trailing comma, Python 2 longs: all legal.
  Tensor t = parse(make_npy("{\"descr\": \"<i4\", \"shape\": (2L, 2L), \"fortran_order\": False}",
                            bytes_of<int32_t>({1, 2, 3, 4}), 2));
  EXPECT_EQ(t.dtype(), DType::kInt32);
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.data<int32_t>()[3], 4);
  // '|' and '=' byte orders.
  EXPECT_EQ(
      parse(make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", "x")).dtype(),
      DType::kUint8);
  EXPECT_EQ(parse(make_npy("{'descr': '=f8', 'fortran_order': False, 'shape': (), }",
                           bytes_of<double>({1.0})))
                .dtype(),
            DType::kFloat64);
}

TEST(Npy, BoolsAreNormalized) {
  Tensor t = parse(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                            std::string("\x00\x07", 2)));
  EXPECT_EQ(static_cast<const unsigned char*>(t.raw())[1], 1);
}

TEST(Npy, RejectsFortranOrderAndBigEndian) {
  EXPECT_NE(error_of(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                              bytes_of<float>({1, 2, 3, 4})))
                .find("Fortran"),
            std::string::npos);
  std::string e = error_of(
      make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", bytes_of<float>({1})));
  EXPECT_NE(e.find("big-endian"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("x.npy", 0), 0u) << e;
}

TEST(Npy, RejectsUnsupportedDtypes) {
  EXPECT_NE(error_of(make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                              std::string(8, '\0')))
                .find("unsupported .npy dtype '<c8'"),
            std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}",
                              std::string(4, '\0')))
                .find("malformed"),
            std::string::npos);
}

TEST(Npy, RejectsWrongDataLength) {
  std::string good = encode_npy(Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}));
  std::string e = error_of(good.substr(0, good.size() - 1));
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  e = error_of(good + "zz");
  EXPECT_NE(e.find("trailing"), std::string::npos) << e;
}

TEST(Npy, RejectsCorruptHeadersWithoutCrashing) {
  std::string good = encode_npy(Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}));
  // Every truncation and every single-byte corruption of the header must fail cleanly.
  for (size_t n = 0; n < 128; ++n) EXPECT_THROW(parse(good.substr(0, n)), InputError) << n;
  for (size_t i = 0; i < 128; ++i) {
    for (char c : {'\0', '(', ')', '\'', '9', '}', '\xff'}) {
      std::string bad = good;
      bad[i] = c;
      try {
        parse(bad);
      } catch (const InputError&) {
      }
    }
  }
  EXPECT_NE(error_of("not a numpy file").find("bad magic"), std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': '<f4', 'fortran_order': False}", "")).find("'shape'"),
            std::string::npos);
  EXPECT_NE(error_of(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", ""))
                .find("non-negative"),
            std::string::npos);
  // A shape whose byte count overflows must not wrap around to a small number.
  EXPECT_THROW(parse(make_npy("{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (281474976710656, 281474976710656, 281474976710656)}",
                              "")),
               InputError);
  // Header length pointing past the end of the file.
  std::string lying = good;
  lying[8] = '\xff';
  lying[9] = '\xff';
  EXPECT_NE(error_of(lying).find("truncated .npy header"), std::string::npos);
}

TEST_F(NpyFileTest, WritesAndReadsFiles) {
  Tensor t = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  write_npy(path("a.npy"), t);
  Tensor back = read_npy(path("a.npy"));
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(back.data<float>()[5], 6.0f);
  // Overwrites in place and leaves no temporary behind.
  write_npy(path("a.npy"), Tensor::from_vector<int64_t>({1}, {9}));
  EXPECT_EQ(read_npy(path("a.npy")).data<int64_t>()[0], 9);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(NpyFileTest, ReadErrorsNameTheFile) {
  std::string missing = path("missing.npy");
  try {
    read_npy(missing);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(missing, 0), 0u) << e.what();
  }
  std::string good = encode_npy(Tensor::from_vector<float>({4}, {1, 2, 3, 4}));
  std::ofstream(path("short.npy"), std::ios::binary) << good.substr(0, good.size() - 3);
  try {
    read_npy(path("short.npy"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("short.npy"), std::string::npos) << m;
    EXPECT_NE(m.find("truncated"), std::string::npos) << m;
  }
}

TEST_F(NpyFileTest, FailedWriteLeavesNothingBehind) {
  std::string target = path("no_such_dir/out.npy");
  EXPECT_THROW(write_npy(target, Tensor::from_vector<float>({1}, {1})), InputError);
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace sinter
