#pragma once
// Optimizers, learning-rate schedulers and gradient clipping, as LibTorch's torch/optim.h.

#include "axon/nn/utils/clip_grad.h"
#include "axon/optim/adagrad.h"
#include "axon/optim/adam.h"
#include "axon/optim/adamw.h"
#include "axon/optim/checkpoint.h"
#include "axon/optim/optimizer.h"
#include "axon/optim/rmsprop.h"
#include "axon/optim/schedulers/cosine_annealing_lr.h"
#include "axon/optim/schedulers/exponential_lr.h"
#include "axon/optim/schedulers/linear_lr.h"
#include "axon/optim/schedulers/lr_scheduler.h"
#include "axon/optim/schedulers/multi_step_lr.h"
#include "axon/optim/schedulers/one_cycle_lr.h"
#include "axon/optim/schedulers/reduce_on_plateau_scheduler.h"
#include "axon/optim/schedulers/step_lr.h"
#include "axon/optim/sgd.h"
