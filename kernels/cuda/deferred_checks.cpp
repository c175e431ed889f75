// Checks of values a GPU is still computing. A CUDA kernel cannot throw, and reading a flag back
// at once would make the host wait inside every training step; so a check's flag is copied into
// pinned host memory behind an event and read later: when the device is next synchronised
// (item(), printing, to(kCPU), cuda::synchronize()) or, once its event has passed, when another
// check is queued. A set flag becomes the check's axon::Error there, as PyTorch's device-side
// asserts surface at the next synchronisation. A check met while a CUDA graph is captured belongs
// to the graph, which queues it here after each replay (kernels/cuda/graph.cpp).
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "axon/cuda.h"
#include "axon/error.h"
#include "axon/functions.h"
#include "core/cuda_hooks.h"
#include "kernels/cuda/runtime.h"

namespace axon::detail {
namespace {

struct PendingCheck {
  Tensor flag;  // 0-d bool in pinned host memory, written by an asynchronous copy
  cuda::Event copied{false};
  std::function<std::string()> message;
};

std::mutex& checks_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::deque<PendingCheck>& pending_checks() {
  static std::deque<PendingCheck> checks;
  return checks;
}

// Takes the done checks off the queue (every check when `wait`, waiting for each) and throws the
// first failed one's error; the message is built outside the lock, since it may read the GPU.
void settle(bool wait) {
  std::function<std::string()> failed;
  {
    std::lock_guard<std::mutex> lock(checks_mutex());
    auto& checks = pending_checks();
    while (!checks.empty() && (wait || checks.front().copied.query())) {
      PendingCheck check = std::move(checks.front());
      checks.pop_front();
      check.copied.synchronize();
      if (!failed && *check.flag.data_ptr<bool>()) failed = std::move(check.message);
    }
  }
  if (failed) AXON_ERROR("{}", failed());
}

}  // namespace

void defer_device_check(const Tensor& failed, std::function<std::string()> message) {
  if (cuda_backend::ActiveCapture* capture = cuda_backend::active_capture()) {
    capture->checks.push_back({failed, std::move(message)});
    return;
  }
  settle(/*wait=*/false);
  PendingCheck check;
  check.flag = empty({}, TensorOptions(kBool)).pin_memory();
  check.flag.copy_(failed, /*non_blocking=*/true);
  // On the stream the copy went on: the flag's device's, which need not be the thread's current
  // one.
  check.copied.record(cuda::current_stream(failed.device().index()));
  check.message = std::move(message);
  std::lock_guard<std::mutex> lock(checks_mutex());
  pending_checks().push_back(std::move(check));
}

void raise_deferred_device_checks() { settle(/*wait=*/true); }

}  // namespace axon::detail
