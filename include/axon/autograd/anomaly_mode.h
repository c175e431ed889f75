#pragma once
// Anomaly detection, as in LibTorch: while it is on, backward checks every gradient a node
// returns and throws an axon::Error at the first one holding nan or inf, naming the node and the
// node that created the forward input that gradient belongs to:
//
//   { axon::autograd::DetectAnomalyGuard detect_anomaly;  loss.backward(); }
//
// Each check syncs with the device, so use it to debug only. Off, it costs backward one flag
// load. The mode is process-wide (an atomic flag, as LibTorch's), not per thread.

namespace axon::autograd {

struct AnomalyMode {
  static bool is_enabled();
  static bool should_check_nan();
  static void set_enabled(bool enabled, bool check_nan = true);
};

// Turns anomaly mode on for a scope and restores the previous mode on exit, so guards nest.
// With check_nan = false the mode is on but gradients are not checked (LibTorch's meaning).
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool check_nan = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_enabled_;
  bool prev_check_nan_;
};

}  // namespace axon::autograd
