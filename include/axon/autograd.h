#pragma once
// The autograd API: grad mode, anomaly detection, the engine, custom functions and gradcheck.

#include "axon/autograd/anomaly_mode.h"
#include "axon/autograd/engine.h"
#include "axon/autograd/function.h"
#include "axon/autograd/grad_mode.h"
#include "axon/autograd/gradcheck.h"
#include "axon/autograd/node.h"
#include "axon/autograd/saved_variable.h"
