#pragma once
// What core needs from the CUDA backend without including CUDA: the pinned host allocator,
// deferred device checks, and a counter the tests read. Implemented in kernels/cuda/ when the
// backend is built, by core/cuda_stubs.cpp otherwise.

#include <cstdint>
#include <functional>
#include <string>

#include "axon/storage.h"
#include "axon/tensor.h"

namespace axon::detail {

// Page-locked host memory (cached like the device allocator); throws without a usable GPU.
Allocator* pinned_host_allocator();
// Whether `data` lies in a block from the pinned host allocator.
bool is_pinned(const void* data);
// How many times cuDNN's algorithm heuristics were asked (kernels/cuda/conv.cpp): a convolution
// of a shape seen before must reuse its cached choice. 0 without the backend.
int64_t cudnn_algorithm_searches();

// A check of a value still being computed on a GPU (kernels/cuda/deferred_checks.cpp): `failed`
// is a 0-d bool on the device; if it turns out true, message() is thrown as an axon::Error when
// the device is next synchronised (item(), printing, to(kCPU), cuda::synchronize()), so the host
// does not wait inside a training step.
void defer_device_check(const Tensor& failed, std::function<std::string()> message);
// Reads every pending check (the work behind them is done) and throws the first failed one.
void raise_deferred_device_checks();

// An axon::Error is being thrown: a CUDA graph capture under way on this thread is abandoned, so
// that what the caller does next runs eagerly and capture_end() reports `message` rather than
// instantiating a graph with part of the work missing (kernels/cuda/graph.cpp).
void abandon_capture_after_error(const std::string& message) noexcept;

}  // namespace axon::detail
