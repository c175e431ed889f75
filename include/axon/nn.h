#pragma once
// axon::nn: modules, layers, losses, functional forms and initialisers (torch::nn).

#include "axon/nn/checkpoint.h"
#include "axon/nn/functional.h"
#include "axon/nn/init.h"
#include "axon/nn/module.h"
#include "axon/nn/modules/activation.h"
#include "axon/nn/modules/batchnorm.h"
#include "axon/nn/modules/container.h"
#include "axon/nn/modules/conv.h"
#include "axon/nn/modules/dropout.h"
#include "axon/nn/modules/linear.h"
#include "axon/nn/modules/loss.h"
#include "axon/nn/options.h"
#include "axon/nn/pimpl.h"
