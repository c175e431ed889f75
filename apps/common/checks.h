#pragma once
// What every example program shares: its checks (a failed one makes the exit code 1), the
// common flags (--fast, --plot DIR, --device cpu|cuda) and its main's frame.

#include <axon/axon.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace axon::apps {

// Collects the results of a program's checks; any failure makes the exit code non-zero.
class Checks {
 public:
  // Returns `ok`, so that a caller may print or skip what depends on it.
  bool expect(bool ok, const std::string& what);
  bool all_passed() const { return failures_.empty(); }
  size_t failures() const { return failures_.size(); }

 private:
  std::vector<std::string> failures_;
};

// Python's spelling of a bool, for printing what the course printed.
inline const char* py_bool(bool value) { return value ? "True" : "False"; }

void print_section(const std::string& title);

struct ExampleOptions {
  bool fast = false;     // few steps and small data: what the test suite runs
  std::string plot_dir;  // where the PNGs go; none are drawn when empty
  std::string device = "cpu";
};

// Adds --fast and --plot DIR, and --device when the program trains.
void add_example_options(CLI::App& app, ExampleOptions& options, bool trains);

// The device --device names: cpu, cuda (an axon::Error naming the flag without a usable GPU) or
// auto (the GPU when there is one).
Device resolve_device(const std::string& name);

// <plot_dir>/<file>, making the folder; empty when no --plot was given (no picture wanted).
std::string plot_path(const ExampleOptions& options, const std::string& file);

// Parses the command line. Returns the exit status when the program should stop there: 0 after
// printing --help, 2 after printing what was not understood.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Parses the command line (exit code 2 when it is not understood, 0 for --help), runs `body`,
// and returns 0 when every check passed, 1 when one failed or `body` threw.
int run_example(CLI::App& app, int argc, char** argv, const std::function<void(Checks&)>& body);

}  // namespace axon::apps
