// axon-train: trains mlp, lenet5 or cifar-cnn on MNIST, Fashion-MNIST or CIFAR-10.
//   axon-train --help
#include <axon/error.h>

#include <cstdio>
#include <exception>

#include "options.h"
#include "trainer.h"

int main(int argc, char** argv) {
  axon::train::ParseResult parsed = axon::train::parse_options(argc, argv);
  if (parsed.exit_status) return *parsed.exit_status;
  try {
    return axon::train::run(parsed.options);
  } catch (const axon::Error& e) {
    std::fprintf(stderr, "axon-train: error: %s\n", e.message().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "axon-train: error: %s\n", e.what());
  }
  return 1;
}
