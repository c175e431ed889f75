// What a user writes: include the umbrella header, build a tensor, run a backward pass.
// Exits non-zero when a value is wrong, so that the consumer tests can fail.
#include <axon/axon.h>

#include <cstdio>
#include <exception>

namespace {

int failures = 0;

void expect_eq(const char* what, double actual, double expected) {
  if (actual != expected) {
    std::fprintf(stderr, "consumer: %s is %g, expected %g\n", what, actual, expected);
    ++failures;
  }
}

}  // namespace

int main() {
  try {
    // y = sum(x * x + 3 x), so dy/dx = 2 x + 3. Small integers: exact in float32.
    axon::Tensor x = axon::tensor({1.0, 2.0, 3.0}, axon::requires_grad());
    axon::Tensor y = (x * x + 3 * x).sum();
    y.backward();
    expect_eq("y", y.item<double>(), 1 + 4 + 9 + 3 * (1 + 2 + 3));
    expect_eq("x.grad().numel()", static_cast<double>(x.grad().numel()), 3);
    for (int64_t i = 0; i < 3; ++i) {
      expect_eq("x.grad()[i]", x.grad()[i].item<double>(), 2.0 * static_cast<double>(i + 1) + 3);
    }
    {
      axon::NoGradGuard no_grad;
      expect_eq("(x * 2).requires_grad() under NoGradGuard", (x * 2).requires_grad(), 0);
    }
    std::printf("consumer: axon %s, CUDA backend %s: %s\n", AXON_VERSION,
                AXON_WITH_CUDA ? "on" : "off", failures ? "FAILED" : "ok");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: exception: %s\n", e.what());
    return 1;
  }
  return failures ? 1 : 0;
}
