// CUDA graphs (include/axon/cuda.h).
//
// Note [CUDA graphs]: capture_begin() gives this thread a capture stream of its own for the
// device (current_stream() returns it on this thread alone, so other threads' work goes on
// running) and a private memory pool (kernels/cuda/block_pool.h), then starts a stream capture
// in thread-local mode: a call on this thread that cannot be captured invalidates it, other
// threads are unaffected. Everything axon queues (kernels, cuBLAS, cuDNN, device-to-device
// copies) binds to current_stream() at each call, so it lands in the capture. What cannot be
// captured throws at its call (check_not_capturing). The allocator's cudaMalloc of a new block
// is let through (relaxed for that call): a replay does not repeat it, and the block is the
// graph's until reset().
//
// replay() launches the instantiated graph on the device's own stream, so it is ordered with the
// eager work before and after it, and then queues the deferred device checks met during the
// capture (their flags are rewritten by each replay).
#include <atomic>
#include <string>
#include <utility>

#include "axon/cuda.h"
#include "core/cuda_hooks.h"
#include "kernels/cuda/caching_allocator.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda {

using cuda_backend::ActiveCapture;
using cuda_backend::DeviceGuard;

namespace {
std::atomic<uint64_t> next_pool{1};
}  // namespace

struct CUDAGraph::Impl {
  int device = -1;
  uint64_t pool = 0;  // 0: none yet
  ActiveCapture capture{};
  bool capturing = false;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  std::vector<cuda_backend::CapturedCheck> checks;

  // Ends a capture under way, keeping nothing of it.
  void abandon_capture() {
    if (!capturing) return;
    if (cuda_backend::active_capture() == &capture) cuda_backend::set_active_capture(nullptr);
    capturing = false;
    cudaGraph_t partial = nullptr;
    (void)cudaStreamEndCapture(capture.stream, &partial);
    (void)cudaGetLastError();
    if (partial != nullptr) (void)cudaGraphDestroy(partial);
    capture.checks.clear();
  }

  void release() {
    abandon_capture();
    if (exec != nullptr) AXON_CUDA_CHECK(cudaGraphExecDestroy(exec));
    if (graph != nullptr) AXON_CUDA_CHECK(cudaGraphDestroy(graph));
    exec = nullptr;
    graph = nullptr;
    checks.clear();
    // The capture stream ran nothing (replays run on the device's own stream).
    if (capture.stream != nullptr) AXON_CUDA_CHECK(cudaStreamDestroy(capture.stream));
    capture.stream = nullptr;
    if (pool != 0) {
      DeviceGuard guard(device);
      cuda_backend::release_graph_pool(device, pool, cuda_backend::device_stream(device));
      pool = 0;
    }
  }
};

CUDAGraph::CUDAGraph() : impl_(std::make_unique<Impl>()) {}

CUDAGraph::~CUDAGraph() {
  try {
    impl_->release();
  } catch (const std::exception&) {
    // A destructor cannot throw; the driver's error stays for the next checked call to report.
  }
}

void CUDAGraph::capture_begin() {
  Impl& g = *impl_;
  cuda_backend::check_available("CUDAGraph::capture_begin");
  AXON_CHECK(!g.capturing && g.exec == nullptr,
             "CUDAGraph::capture_begin: this graph already holds a capture; reset() it first");
  g.release();  // what a failed capture_end may have left
  AXON_CHECK(cuda_backend::active_capture() == nullptr,
             "CUDAGraph::capture_begin: this thread is already capturing a graph on cuda:{}",
             cuda_backend::active_capture()->device);
  g.device = current_device();
  g.pool = next_pool++;
  g.capture = ActiveCapture{};
  g.capture.device = g.device;
  g.capture.pool = g.pool;
  // A stream of the graph's own: the capture takes nothing queued by other threads.
  try {
    AXON_CUDA_CHECK(cudaStreamCreateWithFlags(&g.capture.stream, cudaStreamNonBlocking));
    AXON_CUDA_CHECK(cudaStreamBeginCapture(g.capture.stream, cudaStreamCaptureModeThreadLocal));
  } catch (const Error&) {
    g.release();
    throw;
  }
  g.capturing = true;
  cuda_backend::set_active_capture(&g.capture);
}

void CUDAGraph::capture_end() {
  Impl& g = *impl_;
  AXON_CHECK(g.capturing, "CUDAGraph::capture_end: no capture under way (call capture_begin())");
  if (!g.capture.refused.empty()) {
    const std::string refused = std::move(g.capture.refused);
    g.release();
    AXON_ERROR("CUDAGraph::capture_end: the capture was abandoned by an error during it: {}",
               refused);
  }
  AXON_CHECK(cuda_backend::active_capture() == &g.capture,
             "CUDAGraph::capture_end: the capture must end on the thread that began it");
  cuda_backend::set_active_capture(nullptr);
  g.capturing = false;
  const cudaError_t status = cudaStreamEndCapture(g.capture.stream, &g.graph);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    if (g.graph != nullptr) (void)cudaGraphDestroy(g.graph);
    g.graph = nullptr;
    g.release();
    AXON_ERROR(
        "CUDAGraph::capture_end: the capture failed: {} ({}); an operation that cannot be "
        "captured ran during it (a library's first use, say: run the captured work once eagerly "
        "before capturing it)",
        cudaGetErrorString(status), cudaGetErrorName(status));
  }
  g.checks = std::move(g.capture.checks);
  g.capture.checks.clear();
  try {
    DeviceGuard guard(g.device);
    AXON_CUDA_CHECK(cudaGraphInstantiate(&g.exec, g.graph, 0));
    AXON_CUDA_CHECK(cudaGraphUpload(g.exec, cuda_backend::device_stream(g.device)));
  } catch (const Error&) {
    g.release();
    throw;
  }
}

void CUDAGraph::replay() {
  Impl& g = *impl_;
  AXON_CHECK(g.exec != nullptr,
             "CUDAGraph::replay: nothing captured (call capture_begin() and capture_end() first)");
  DeviceGuard guard(g.device);
  AXON_CUDA_CHECK(cudaGraphLaunch(g.exec, cuda_backend::current_stream(g.device)));
  for (const cuda_backend::CapturedCheck& check : g.checks) {
    detail::defer_device_check(check.failed, check.message);
  }
}

void CUDAGraph::reset() { impl_->release(); }

bool is_current_stream_capturing() {
  const ActiveCapture* capture = cuda_backend::active_capture();
  return capture != nullptr && is_available() && capture->device == current_device();
}

}  // namespace axon::cuda
