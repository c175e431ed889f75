#pragma once
// axon-train's run: data, model, optimizer and schedule from the options, the epochs, and the
// report at the end.

#include "options.h"

namespace axon::train {

// Trains as `options` say and prints to stdout; returns the exit status. Errors (a missing
// dataset, a bad checkpoint, ...) are axon::Errors for main to print.
int run(const TrainOptions& options);

}  // namespace axon::train
