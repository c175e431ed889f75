#include "axon/storage.h"

#include <array>

#include "axon/error.h"

namespace axon {
namespace detail {
Allocator* cpu_allocator_instance();  // core/cpu_allocator.cpp
}
namespace {

// The CPU slot is filled on first use, so tensors made during static initialisation work.
std::array<Allocator*, kNumDeviceTypes>& allocators() {
  static std::array<Allocator*, kNumDeviceTypes> table = [] {
    std::array<Allocator*, kNumDeviceTypes> t{};
    t[static_cast<size_t>(kCPU)] = detail::cpu_allocator_instance();
    return t;
  }();
  return table;
}

struct BlobContext {
  std::function<void(void*)> deleter;
};

void delete_blob(void* context, void* data) {
  auto* ctx = static_cast<BlobContext*>(context);
  if (ctx->deleter) ctx->deleter(data);
  delete ctx;
}

}  // namespace

void register_allocator(DeviceType type, Allocator* allocator) {
  allocators()[static_cast<size_t>(type)] = allocator;
}

bool has_allocator(DeviceType type) { return allocators()[static_cast<size_t>(type)] != nullptr; }

Allocator* get_allocator(DeviceType type) {
  Allocator* allocator = allocators()[static_cast<size_t>(type)];
  AXON_CHECK(allocator != nullptr,
             "device type {} is not available: this build of axon has no {} backend "
             "(CUDA support is built when nvcc is found and needs a GPU at run time)",
             type, type);
  return allocator;
}

Storage make_storage(size_t nbytes, Device device) {
  return std::make_shared<StorageImpl>(get_allocator(device.type())->allocate_on(device, nbytes), nbytes);
}

Storage make_storage_from_blob(void* data, size_t nbytes, Device device,
                               std::function<void(void*)> deleter) {
  auto* context = new BlobContext{std::move(deleter)};
  return std::make_shared<StorageImpl>(DataPtr(data, context, &delete_blob, device), nbytes);
}

}  // namespace axon
