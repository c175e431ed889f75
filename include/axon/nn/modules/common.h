#pragma once
// What every layer header needs: Module, holders, options, and Python-style value printing.

#include <string>

#include "axon/nn/module.h"
#include "axon/nn/options.h"
#include "axon/nn/pimpl.h"

namespace axon::nn::detail {

// Python's repr of a float (1.0, 0.01, 1e-05) and of a bool (True/False), for extra_repr().
std::string py_float(double value);
inline const char* py_bool(bool value) { return value ? "True" : "False"; }

}  // namespace axon::nn::detail
