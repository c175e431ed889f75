#include "core/dispatch.h"

namespace axon::detail {

void throw_missing_kernel(const char* name, DeviceType device) {
  AXON_ERROR(
      "{} has no kernel for device type {}: the {} backend is not available in this build "
      "or on this machine",
      name, device, device);
}

}  // namespace axon::detail
