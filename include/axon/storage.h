#pragma once
// Storage: one allocation on one device, shared by a tensor and all of its views.
// Allocators sit behind one interface; a DataPtr carries its own deleter and device, so memory
// from any source (an allocator, a user's from_blob buffer) is freed the right way.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "axon/device.h"

namespace axon {

class DataPtr {
 public:
  using Deleter = void (*)(void* context, void* data);

  DataPtr() = default;
  DataPtr(void* data, void* context, Deleter deleter, Device device)
      : data_(data), context_(context), deleter_(deleter), device_(device) {}
  DataPtr(const DataPtr&) = delete;
  DataPtr& operator=(const DataPtr&) = delete;
  DataPtr(DataPtr&& other) noexcept { swap(other); }
  DataPtr& operator=(DataPtr&& other) noexcept {
    DataPtr(std::move(other)).swap(*this);
    return *this;
  }
  ~DataPtr() {
    if (deleter_ != nullptr) deleter_(context_, data_);
  }

  void* get() const { return data_; }
  Device device() const { return device_; }

 private:
  void swap(DataPtr& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(context_, other.context_);
    std::swap(deleter_, other.deleter_);
    std::swap(device_, other.device_);
  }
  void* data_ = nullptr;
  void* context_ = nullptr;
  Deleter deleter_ = nullptr;
  Device device_{kCPU};
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual DataPtr allocate(size_t nbytes) = 0;
  // On one device of the allocator's type (CUDA has several; the CPU one).
  virtual DataPtr allocate_on(Device /*device*/, size_t nbytes) { return allocate(nbytes); }
};

// The allocator registered for a device type; throws when that backend is not available.
Allocator* get_allocator(DeviceType type);
// Called by a backend when it loads (the CUDA backend registers itself only when built).
void register_allocator(DeviceType type, Allocator* allocator);
bool has_allocator(DeviceType type);

class StorageImpl {
 public:
  StorageImpl(DataPtr data, size_t nbytes) : data_(std::move(data)), nbytes_(nbytes) {}
  void* data() const { return data_.get(); }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return data_.device(); }

  // The version counter: bumped by every in-place write to any view of this storage, so that
  // autograd can tell when a tensor it saved for backward has been changed.
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  DataPtr data_;
  size_t nbytes_;
  std::atomic<uint32_t> version_{0};
};

using Storage = std::shared_ptr<StorageImpl>;

// A new storage of `nbytes` from the device's allocator.
Storage make_storage(size_t nbytes, Device device);
// A storage over memory the caller owns; `deleter` (may be empty) runs when it is released.
Storage make_storage_from_blob(void* data, size_t nbytes, Device device,
                               std::function<void(void*)> deleter);

namespace cpu {
// Statistics of the CPU caching allocator (large blocks are kept for reuse).
size_t cached_bytes();
// Returns cached CPU blocks to the system.
void empty_cache();
}  // namespace cpu

}  // namespace axon
