#include "axon/error.h"

#include <fmt/format.h>

#include "core/cuda_hooks.h"

namespace axon {

Error::Error(std::string message, const char* file, int line)
    : message_(std::move(message)), what_(fmt::format("{} ({}:{})", message_, file, line)) {}

namespace detail {

void throw_error(std::string message, const char* file, int line) {
  abandon_capture_after_error(message);
  throw Error(std::move(message), file, line);
}

void throw_internal_error(std::string message, const char* file, int line) {
  abandon_capture_after_error(message);
  throw Error("internal error, this is a bug in axon (please report it): " + message, file, line);
}

}  // namespace detail
}  // namespace axon
