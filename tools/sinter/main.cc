// sinter: the command-line tool. Exit codes: 0 ok, 1 model or runtime error (one line on
// stderr), 2 usage error (CLI11's message).
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "cli.h"
#include "core/isa.h"
#include "core/memory_limit.h"

namespace {

// Errors are printed as one line, whatever their text holds.
void print_error(const std::string& what) {
  std::string line = what;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "sinter: error: %s\n", line.c_str());
}

int run_guarded(const std::function<int()>& action) {
  try {
    return action();
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
  } catch (const std::exception& e) {
    print_error(e.what());
  } catch (...) {
    print_error("unknown failure");
  }
  return 1;
}

// Every subcommand takes --max-memory: work that would need more is refused before it starts.
void add_memory_limit_option(CLI::App& app) {
  app.add_option_function<std::string>(
         "--max-memory",
         [](const std::string& text) {
           try {
             sinter::set_memory_limit(sinter::parse_byte_size(text));
           } catch (const sinter::Error& e) {
             throw CLI::ValidationError("--max-memory", e.what());
           }
         },
         "Most memory tensors may hold at once, e.g. 512M or 8G; larger work is refused before "
         "it starts")
      ->default_str(sinter::describe_bytes(sinter::memory_limit()) + ", the machine's memory");
}

// Every subcommand takes --isa: kernels chosen after parsing use at most that tier.
void add_isa_option(CLI::App& app) {
  app.add_option_function<std::string>(
         "--isa",
         [](const std::string& text) {
           if (const auto isa = sinter::parse_isa(text)) sinter::set_isa_cap(*isa);
         },
         "Highest instruction-set tier the kernels may use (portable, avx2, avx512); a tier the "
         "CPU lacks caps at the CPU's best")
      ->check(CLI::IsMember({"portable", "avx2", "avx512"}))
      ->default_str(sinter::isa_explanation());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sinter: imports, trains and runs neural networks on the CPU"};
  app.require_subcommand(1);
  app.fallthrough(false);
  std::vector<sinter::cli::Subcommand> commands = {
      sinter::cli::add_info_command(app),    sinter::cli::add_run_command(app),
      sinter::cli::add_bench_command(app),   sinter::cli::add_train_command(app),
      sinter::cli::add_eval_command(app),    sinter::cli::add_quantize_command(app),
      sinter::cli::add_prune_command(app),   sinter::cli::add_compress_report_command(app),
      sinter::cli::add_compile_command(app), sinter::cli::add_tune_command(app),
  };
  for (auto& c : commands) {
    add_memory_limit_option(*c.app);
    add_isa_option(*c.app);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a ParseError with exit code 0; everything else is a usage error.
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (const auto& c : commands)
    if (c.app->parsed()) return run_guarded(c.run);
  return 2;
}
