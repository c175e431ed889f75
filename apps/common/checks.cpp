#include "checks.h"

#include <fmt/format.h>

#include <exception>
#include <filesystem>
#include <system_error>

namespace axon::apps {

bool Checks::expect(bool ok, const std::string& what) {
  if (!ok) {
    fmt::print(stderr, "CHECK FAILED: {}\n", what);
    failures_.push_back(what);
  }
  return ok;
}

void print_section(const std::string& title) { fmt::print("\n=== {} ===\n", title); }

void add_example_options(CLI::App& app, ExampleOptions& options, bool trains) {
  app.add_flag("--fast", options.fast, "few steps and small data (what the test suite runs)");
  app.add_option("--plot", options.plot_dir,
                 "folder to save the plots in as PNG (needs gnuplot); no plots without it");
  if (trains) {
    app.add_option("--device", options.device, "cpu or cuda")
        ->check(CLI::IsMember({"cpu", "cuda"}));
  }
}

Device resolve_device(const std::string& name) {
  if (name == "cpu") return Device(kCPU);
  if (name == "auto") return cuda::is_available() ? Device(kCUDA, 0) : Device(kCPU);
  AXON_CHECK(cuda::is_available(),
             "--device cuda: no usable GPU (this build {} the CUDA backend; devices found: {}); "
             "use --device cpu or auto",
             has_allocator(kCUDA) ? "has" : "lacks", cuda::device_count());
  return Device(kCUDA, 0);
}

std::string plot_path(const ExampleOptions& options, const std::string& file) {
  if (options.plot_dir.empty()) return {};
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(options.plot_dir, error);
  AXON_CHECK(!error && fs::is_directory(options.plot_dir), "--plot {}: cannot make that folder{}",
             options.plot_dir, error ? ": " + error.message() : "");
  return (fs::path(options.plot_dir) / file).string();
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // app.exit prints the help (status 0) or what was wrong; every error exits with 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

int run_example(CLI::App& app, int argc, char** argv, const std::function<void(Checks&)>& body) {
  if (std::optional<int> status = parse_command_line(app, argc, argv)) return *status;
  Checks checks;
  try {
    body(checks);
  } catch (const Error& e) {
    fmt::print(stderr, "error: {}\n", e.message());  // without the source location
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  if (!checks.all_passed()) {
    fmt::print(stderr, "\n{} check(s) failed\n", checks.failures());
    return 1;
  }
  fmt::print("\nall checks passed\n");
  return 0;
}

}  // namespace axon::apps
