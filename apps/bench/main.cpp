// axon-bench: training and inference throughput of axon's models on the CPU and the GPU.
//   axon-bench --help
#include <axon/error.h>

#include <cstdio>
#include <exception>
#include <fstream>

#include "machine.h"
#include "options.h"
#include "report.h"
#include "runner.h"

namespace {

int run(const axon::bench::BenchOptions& o) {
  axon::bench::validate(o);
  // The output file is opened before the benchmark runs, so that a bad path costs nothing.
  std::ofstream json;
  if (!o.json.empty()) {
    json.open(o.json);
    AXON_CHECK(json.good(), "--json {}: cannot write that file", o.json);
  }
  const std::vector<axon::bench::Row> rows = axon::bench::run_all(o, !o.quiet);
  axon::bench::print_table(rows, stdout);
  axon::bench::print_profiles(rows, o.profile, stdout);
  if (json.is_open()) {
    json << axon::bench::to_json(o, axon::bench::describe_machine(), rows);
    AXON_CHECK(json.good(), "--json {}: writing failed", o.json);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  axon::bench::ParseResult parsed = axon::bench::parse_options(argc, argv);
  if (parsed.exit_status) return *parsed.exit_status;
  try {
    return run(parsed.options);
  } catch (const axon::Error& e) {
    std::fprintf(stderr, "axon-bench: error: %s\n", e.message().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "axon-bench: error: %s\n", e.what());
  }
  return 1;
}
