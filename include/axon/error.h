#pragma once
// Errors: everything a user can get wrong throws axon::Error; nothing aborts the process.
//
//   AXON_CHECK(a.dim() == 2, "mm: expected a 2-D tensor, got shape {}", a.sizes());
//
// The message is a fmt format string checked at compile time; it is only formatted when the
// check fails, and the error carries the file and line of the check.
// AXON_INTERNAL_ASSERT is for invariants of axon itself: its message says it is a bug.

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <exception>
#include <string>
#include <string_view>

namespace axon {

class Error : public std::exception {
 public:
  Error(std::string message, const char* file, int line);
  const char* what() const noexcept override { return what_.c_str(); }
  // The message alone, without the source location.
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
  std::string what_;
};

namespace detail {
[[noreturn]] void throw_error(std::string message, const char* file, int line);
[[noreturn]] void throw_internal_error(std::string message, const char* file, int line);

#if defined(__CUDACC__)
// nvcc's front end cannot evaluate fmt's compile-time format check; the host compiler checks
// every message when it compiles the same headers from .cpp files.
template <typename... Args>
std::string format_message(std::string_view format, const Args&... args) {
  return fmt::vformat(format, fmt::make_format_args(args...));
}
#else
template <typename... Args>
std::string format_message(fmt::format_string<Args...> format, Args&&... args) {
  return fmt::format(format, std::forward<Args>(args)...);
}
#endif
}  // namespace detail

}  // namespace axon

#define AXON_CHECK(cond, ...)                                                            \
  do {                                                                                   \
    if (!(cond)) [[unlikely]] {                                                          \
      ::axon::detail::throw_error(::axon::detail::format_message(__VA_ARGS__), __FILE__, \
                                  __LINE__);                                             \
    }                                                                                    \
  } while (false)

#define AXON_INTERNAL_ASSERT(cond, ...)                                                  \
  do {                                                                                   \
    if (!(cond)) [[unlikely]] {                                                          \
      ::axon::detail::throw_internal_error(                                              \
          #cond ": " + ::axon::detail::format_message(__VA_ARGS__), __FILE__, __LINE__); \
    }                                                                                    \
  } while (false)

#define AXON_ERROR(...) \
  ::axon::detail::throw_error(::axon::detail::format_message(__VA_ARGS__), __FILE__, __LINE__)
