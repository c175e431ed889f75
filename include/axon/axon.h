#pragma once
// The umbrella header: #include <axon/axon.h> gives the whole public API.

#include "axon/array_ref.h"
#include "axon/autograd.h"
#include "axon/device.h"
#include "axon/dtype.h"
#include "axon/error.h"
#include "axon/functions.h"
#include "axon/indexing.h"
#include "axon/optim.h"
#include "axon/print.h"
#include "axon/random.h"
#include "axon/scalar.h"
#include "axon/storage.h"
#include "axon/tensor.h"
#include "axon/tensor_options.h"
#include "axon/version.h"
