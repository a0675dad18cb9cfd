// sinter_conformance: runs the ONNX backend tests shipped by Debian's libonnx-testdata
// (<root>/<suite>/<test>/model.onnx + test_data_set_N/{input,output}_K.pb) and classifies each
// test as PASS, FAIL (wrong result or an error sinter should not raise) or UNSUPPORTED (sinter
// says it cannot run the model). Tests listed in --expected must pass; anything else is reported.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "compare_outputs.h"
#include "core/error.h"
#include "onnx/onnx_import.h"
#include "onnx/onnx_tensor.h"
#include "runtime/session.h"

namespace fs = std::filesystem;
using namespace sinter;

namespace {

enum class Status { kPass, kFail, kUnsupported };

const char* status_name(Status s) {
  switch (s) {
    case Status::kPass:
      return "PASS";
    case Status::kFail:
      return "FAIL";
    case Status::kUnsupported:
      return "UNSUPPORTED";
  }
  return "?";
}

struct TestCase {
  std::string suite, name, dir;
  std::string id() const { return suite + "/" + name; }
};

struct Result {
  Status status = Status::kFail;
  std::string reason;
  double ms = 0;
  // Every expected output is empty or all zeros: a kernel that writes nothing would pass too
  // (outputs start zero-filled), so such a pass proves little.
  bool trivial = false;
};

bool all_zero(const Tensor& t) {
  const auto* p = static_cast<const unsigned char*>(t.raw());
  return std::all_of(p, p + t.nbytes(), [](unsigned char b) { return b == 0; });
}

struct Options {
  std::string data_root = "/usr/share/libonnx-testdata/data";
  std::vector<std::string> suites = {"node", "pytorch-converted", "pytorch-operator", "simple"};
  std::string filter, expected, write_expected;
  int threads = 1;
  bool verbose = false, json = false, both = false, isolate = false;
  int timeout_s = 60;
};

// Entries of `dir` whose names start with `prefix`, in natural order (input_2 before input_10).
std::vector<fs::path> list_numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0) continue;
    found.emplace_back(std::strtol(n.c_str() + prefix.size(), nullptr, 10), e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

onnx::TensorProto read_proto(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(cat(file.string(), ": cannot open"));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  onnx::TensorProto p;
  // Sequence/map/optional outputs are not TensorProtos; the model's types reject those earlier.
  if (!p.ParseFromString(bytes)) throw InputError(cat(file.string(), ": not a TensorProto"));
  return p;
}

Tensor read_tensor(const fs::path& file) {
  onnx::TensorProto p = read_proto(file);
  return onnx_io::tensor_from_proto(p, file.parent_path().string(), file.string());
}

// Runs every data set of one test. Throws whatever sinter throws; returns a mismatch text or "".
std::string run_data_sets(const TestCase& tc, bool optimize, int threads, bool& trivial) {
  Graph g = load_onnx(tc.dir + "/model.onnx");
  const std::vector<std::string> inputs = g.inputs, outputs = g.outputs;
  Session session(std::move(g), SessionOptions{threads, optimize});
  const auto sets = list_numbered(tc.dir, "test_data_set_");
  if (sets.empty()) return "the test has no test_data_set_* directory";
  trivial = true;
  for (const auto& set : sets) {
    const std::string where = set.filename().string();
    std::unordered_map<std::string, Tensor> feed;
    const auto in_files = list_numbered(set, "input_");
    for (size_t k = 0; k < in_files.size(); ++k) {
      onnx::TensorProto p = read_proto(in_files[k]);
      // A name wins when it names a model input; otherwise ONNX binds positionally.
      std::string name = p.name();
      if (std::find(inputs.begin(), inputs.end(), name) == inputs.end()) {
        if (k >= inputs.size())
          return cat(where, ": ", in_files[k].filename().string(), " has no model input to bind (",
                     "the model has ", inputs.size(), ")");
        name = inputs[k];
      }
      feed[name] = onnx_io::tensor_from_proto(p, set.string(), in_files[k].string());
    }
    std::vector<Tensor> got = session.run(feed);
    const auto out_files = list_numbered(set, "output_");
    if (got.size() != out_files.size())
      return cat(where, ": the model returned ", got.size(), " outputs, the test has ",
                 out_files.size());
    for (size_t k = 0; k < got.size(); ++k) {
      Tensor want = read_tensor(out_files[k]);
      trivial = trivial && all_zero(want);
      std::string diff = conformance::compare_tensors(got[k], want, {});
      if (!diff.empty()) return cat(where, ": output ", k, " '", outputs[k], "': ", diff);
    }
  }
  return {};
}

std::string strip_dir(std::string msg, const std::string& dir) {
  const std::string prefix = dir + "/";
  for (size_t at; (at = msg.find(prefix)) != std::string::npos;) msg.erase(at, prefix.size());
  return msg;
}

Result run_test_mode(const TestCase& tc, bool optimize, int threads) {
  Result r;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    r.reason = run_data_sets(tc, optimize, threads, r.trivial);
    r.status = r.reason.empty() ? Status::kPass : Status::kFail;
  } catch (const UnsupportedError& e) {
    r.status = Status::kUnsupported;
    r.reason = e.what();
  } catch (const ModelError& e) {
    // The test models are valid, so a ModelError is a bug in import, inference or an op.
    r.reason = cat("ModelError: ", e.what());
  } catch (const InputError& e) {
    r.reason = cat("InputError: ", e.what());
  } catch (const Error& e) {
    r.reason = cat("Error: ", e.what());
  } catch (const std::exception& e) {
    r.reason = cat("exception: ", e.what());
  } catch (...) {
    r.reason = "unknown exception";
  }
  r.reason = strip_dir(std::move(r.reason), tc.dir);
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Optimizer on; with --both also off. A difference between the two points at a graph pass.
Result run_test(const TestCase& tc, const Options& opt) {
  Result on = run_test_mode(tc, true, opt.threads);
  if (!opt.both) return on;
  Result off = run_test_mode(tc, false, opt.threads);
  off.ms += on.ms;
  if (on.status == off.status) {
    on.ms = off.ms;
    return on;
  }
  Result& bad = on.status == Status::kPass ? off : on;
  bad.reason = cat("[only with optimize=", &bad == &on ? "on" : "off", "] ", bad.reason);
  bad.ms = off.ms;
  return bad;
}

// In-process crash report: which test took the runner down.
char g_current_test[512];

void on_crash(int sig) {
  const char* a = "\nconformance: CRASHED (signal ";
  const char* b = ") while running ";
  const char* c = "; rerun with --isolate to record crashes as failures\n";
  char num[8];
  int n = 0;
  for (int v = sig; v > 0 && n < 7; v /= 10) num[n++] = static_cast<char>('0' + v % 10);
  std::reverse(num, num + n);
  auto put = [](const char* s, size_t len) { (void)!::write(2, s, len); };
  put(a, std::strlen(a));
  put(num, n);
  put(b, std::strlen(b));
  put(g_current_test, std::strlen(g_current_test));
  put(c, std::strlen(c));
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_crash_handlers() {
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, on_crash);
}

// --isolate: the test runs in a forked child so that a crash or hang becomes a FAIL.
Result run_isolated(const TestCase& tc, const Options& opt) {
  int fds[2];
  if (::pipe(fds) != 0) return run_test(tc, opt);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(static_cast<unsigned>(opt.timeout_s));
    Result r = run_test(tc, opt);
    std::string msg =
        cat(static_cast<int>(r.status), " ", static_cast<int>(r.trivial), "\n", r.reason);
    for (size_t off = 0; off < msg.size();) {
      ssize_t w = ::write(fds[1], msg.data() + off, msg.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) msg.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  Result r;
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (pid < 0) {
    r.reason = "fork failed";
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    r.reason = sig == SIGALRM ? cat("timed out after ", opt.timeout_s, " s")
                              : cat("crashed: signal ", sig, " (", strsignal(sig), ")");
  } else if (size_t a = msg.find('\n'); a != std::string::npos && a >= 3) {
    r.status = static_cast<Status>(msg[0] - '0');
    r.trivial = msg[2] == '1';
    r.reason = msg.substr(a + 1);
  } else {
    r.reason = cat("child exited with status ", WEXITSTATUS(status), " and no result");
  }
  return r;
}

// Groups unsupported reasons: the operator when one is named, else the message without the
// file and value names that make every instance unique.
std::string reason_key(const std::string& msg) {
  static const std::regex op_re("unsupported operator '([^']+)'");
  static const std::regex since_re("operator '([^']+)' is supported from opset (\\d+)");
  static const std::regex node_re("(\\w+) node '[^']*': (.*)");
  static const std::regex noise_re("[^ ]*\\.(onnx|pb): |(value|initializer) '[^']*': ");
  std::smatch m;
  if (std::regex_search(msg, m, op_re)) return cat("operator ", m[1].str());
  if (std::regex_search(msg, m, since_re))
    return cat("operator ", m[1].str(), " needs opset >= ", m[2].str());
  std::string key;
  if (std::regex_search(msg, m, node_re)) {
    key = cat(m[1].str(), ": ", m[2].str());
  } else {
    key = std::regex_replace(msg, noise_re, "");
  }
  if (key.size() > 100) key = key.substr(0, 97) + "...";
  return key;
}

std::vector<TestCase> discover(const Options& opt) {
  std::vector<TestCase> tests;
  for (const auto& suite : opt.suites) {
    fs::path dir = fs::path(opt.data_root) / suite;
    if (!fs::is_directory(dir))
      throw InputError(cat("suite directory ", dir.string(), " not found"));
    std::vector<TestCase> found;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!fs::exists(e.path() / "model.onnx")) continue;
      TestCase tc{suite, e.path().filename().string(), e.path().string()};
      if (opt.filter.empty() || tc.id().find(opt.filter) != std::string::npos)
        found.push_back(std::move(tc));
    }
    std::sort(found.begin(), found.end(),
              [](const TestCase& a, const TestCase& b) { return a.name < b.name; });
    tests.insert(tests.end(), found.begin(), found.end());
  }
  return tests;
}

std::vector<std::string> read_expected(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(cat(path, ": cannot read the expected-pass list"));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty() || line[0] == '#') continue;
    if (line.find('/') == std::string::npos)
      throw InputError(cat(path, ": '", line, "' is not of the form suite/test"));
    names.push_back(line);
  }
  return names;
}

void write_expected(const std::string& path, const std::vector<std::string>& names) {
  // Written to a temporary and renamed so an interrupted run never leaves half a list.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "# ONNX backend tests sinter must pass (suite/test); regenerate with\n"
        << "# sinter_conformance --write-expected <this file>, after checking each new entry.\n";
    for (const auto& n : names) out << n << "\n";
    if (!out) throw InputError(cat(tmp, ": write failed"));
  }
  fs::rename(tmp, path);
}

struct Counts {
  int pass = 0, fail = 0, unsupported = 0, total = 0;
  void add(Status s) {
    ++total;
    (s == Status::kPass ? pass : s == Status::kFail ? fail : unsupported)++;
  }
};

int run_all(const Options& opt) {
  if (!fs::is_directory(opt.data_root)) {
    std::cerr << "conformance: data root " << opt.data_root
              << " not found (install libonnx-testdata); skipping\n";
    return 77;  // CTest SKIP_RETURN_CODE
  }
  std::ostream& out = opt.json ? std::cerr : std::cout;
  const std::vector<TestCase> tests = discover(opt);
  if (!opt.isolate) install_crash_handlers();

  std::vector<Result> results;
  results.reserve(tests.size());
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& tc : tests) {
    std::snprintf(g_current_test, sizeof g_current_test, "%s", tc.id().c_str());
    results.push_back(opt.isolate ? run_isolated(tc, opt) : run_test(tc, opt));
    const Result& r = results.back();
    if (opt.verbose) {
      out << status_name(r.status) << " " << tc.id() << " (" << static_cast<int>(r.ms) << " ms)";
      if (r.status != Status::kPass) out << ": " << r.reason;
      if (r.status == Status::kPass && r.trivial) out << " [trivial: expected outputs all zero]";
      out << std::endl;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Counts all;
  std::map<std::string, Counts> per_suite;
  std::map<std::string, int> reasons;
  std::map<std::string, const Result*> by_id;
  std::vector<std::string> passing;
  for (size_t i = 0; i < tests.size(); ++i) {
    const Status s = results[i].status;
    all.add(s);
    per_suite[tests[i].suite].add(s);
    by_id[tests[i].id()] = &results[i];
    if (s == Status::kUnsupported) ++reasons[reason_key(results[i].reason)];
    if (s == Status::kPass) passing.push_back(tests[i].id());
  }

  // Expected tests outside the selection (--suites, --filter) are not judged.
  std::vector<std::pair<std::string, std::string>> regressions;
  std::set<std::string> expected_set;
  if (!opt.expected.empty()) {
    for (const auto& name : read_expected(opt.expected)) {
      expected_set.insert(name);
      const std::string suite = name.substr(0, name.find('/'));
      if (std::find(opt.suites.begin(), opt.suites.end(), suite) == opt.suites.end()) continue;
      if (!opt.filter.empty() && name.find(opt.filter) == std::string::npos) continue;
      auto it = by_id.find(name);
      if (it == by_id.end())
        regressions.emplace_back(name, "MISSING: no such test under the data root");
      else if (it->second->status != Status::kPass)
        regressions.emplace_back(name,
                                 cat(status_name(it->second->status), ": ", it->second->reason));
    }
  }

  if (all.fail) out << "\nfailing tests:\n";
  for (size_t i = 0; i < tests.size(); ++i)
    if (results[i].status == Status::kFail)
      out << "  " << tests[i].id() << ": " << results[i].reason << "\n";
  std::vector<std::pair<int, std::string>> top;
  for (const auto& [k, n] : reasons) top.emplace_back(-n, k);
  std::sort(top.begin(), top.end());
  if (!top.empty()) out << "top unsupported reasons (tests, reason):\n";
  for (size_t i = 0; i < top.size() && i < 30; ++i)
    out << "  " << -top[i].first << "  " << top[i].second << "\n";
  if (top.size() > 30) out << "  ... and " << top.size() - 30 << " more reasons\n";
  std::string trivial;
  for (size_t i = 0; i < tests.size(); ++i)
    if (results[i].status == Status::kPass && results[i].trivial) trivial += " " + tests[i].id();
  if (!trivial.empty()) out << "passes whose expected outputs are all zero:" << trivial << "\n";
  if (!opt.expected.empty()) {
    int fresh = 0;
    for (const auto& id : passing) fresh += !expected_set.count(id);
    if (fresh)
      out << fresh << " passing tests are not in " << opt.expected
          << " (add them with --write-expected)\n";
  }
  if (!regressions.empty()) {
    out << "REGRESSIONS (expected to pass):\n";
    for (const auto& [name, why] : regressions) out << "  " << name << ": " << why << "\n";
  }

  out << "conformance: " << all.pass << " passed, " << all.fail << " failed, " << all.unsupported
      << " unsupported of " << all.total << " (";
  bool first = true;
  for (const auto& [suite, c] : per_suite) {
    out << (first ? "" : "; ") << suite << " " << c.pass << "/" << c.fail << "/" << c.unsupported
        << " of " << c.total;
    first = false;
  }
  out << " as passed/failed/unsupported) in " << static_cast<int>(secs * 10) / 10.0 << " s\n";

  if (!opt.write_expected.empty()) {
    write_expected(opt.write_expected, passing);
    out << "wrote " << passing.size() << " passing tests to " << opt.write_expected << "\n";
  }
  if (opt.json) {
    nlohmann::json j;
    j["summary"] = {{"passed", all.pass},
                    {"failed", all.fail},
                    {"unsupported", all.unsupported},
                    {"total", all.total},
                    {"regressions", regressions.size()},
                    {"seconds", secs}};
    for (const auto& [suite, c] : per_suite)
      j["suites"][suite] = {{"passed", c.pass},
                            {"failed", c.fail},
                            {"unsupported", c.unsupported},
                            {"total", c.total}};
    j["tests"] = nlohmann::json::array();
    for (size_t i = 0; i < tests.size(); ++i)
      j["tests"].push_back({{"name", tests[i].id()},
                            {"status", status_name(results[i].status)},
                            {"reason", results[i].reason},
                            {"trivial", results[i].trivial},
                            {"ms", results[i].ms}});
    j["regressions"] = nlohmann::json::array();
    for (const auto& [name, why] : regressions)
      j["regressions"].push_back({{"name", name}, {"reason", why}});
    std::cout << j.dump(1) << "\n";
  }
  // The plain last line: passes, and failures that count (regressions against --expected).
  out << all.pass << " passed, " << regressions.size() << " failed" << std::endl;
  return regressions.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Runs the ONNX backend conformance tests (libonnx-testdata) through sinter"};
  app.add_option("--data-root", opt.data_root, "libonnx-testdata data directory")
      ->capture_default_str();
  app.add_option("--suites", opt.suites, "comma-separated suites")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--filter", opt.filter, "run only tests whose suite/test contains this");
  app.add_option("--expected", opt.expected, "tests (suite/test per line) that must pass");
  app.add_option("--write-expected", opt.write_expected, "write the passing tests to FILE");
  app.add_option("--threads", opt.threads, "threads per session")->check(CLI::Range(1, 256));
  app.add_flag("--verbose,-v", opt.verbose, "print one line per test");
  app.add_flag("--json", opt.json, "print a JSON report on stdout (text goes to stderr)");
  app.add_flag("--both", opt.both, "also run every test with the optimizer off");
  app.add_flag("--isolate", opt.isolate, "run each test in a child process (crashes -> FAIL)");
  app.add_option("--timeout", opt.timeout_s, "per-test limit in seconds with --isolate")
      ->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);
  try {
    return run_all(opt);
  } catch (const std::exception& e) {
    std::cerr << "conformance: " << e.what() << "\n";
    return 2;
  }
}
