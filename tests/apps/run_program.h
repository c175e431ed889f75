#pragma once
// Runs one of axon's programs (axon-train, axon-bench, an example) as a user would, from a test:
// its exit status and what it wrote to stdout and stderr.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace axon::testing {

struct ProgramResult {
  int status = -1;  // the exit code, or 128 + the signal that ended the program
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `program args` through the shell; its output goes through files in `scratch`.
inline ProgramResult run_program(const std::string& program, const std::string& args,
                                 const std::filesystem::path& scratch) {
  const std::filesystem::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string command = program + " " + args + " >" + out.string() + " 2>" + err.string();
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw), slurp(out), slurp(err)};
}

// The path of the example program `name` (apps/examples/), or "" when the apps are not built.
inline std::string example_program(const std::string& name) {
#ifdef AXON_EXAMPLES_DIR
  return std::string(AXON_EXAMPLES_DIR) + "/" + name;
#else
  (void)name;
  return "";
#endif
}

}  // namespace axon::testing
