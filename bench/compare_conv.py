#!/usr/bin/env python3
"""PyTorch's side of bench_conv: LeNet-5's conv and pool layers at batch 64 on 2 threads.

Run with Debian's torch:  /usr/bin/python3 bench/compare_conv.py [threads]
Prints the same table as bench_conv (median microseconds per call after a warm-up). As in a
LeNet training step, conv1's input (the images) does not require grad; every other input does.
"""

import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)


def time_us(fn, iters, repeats=15):
    for _ in range(max(3, iters // 5)):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        samples.append((time.perf_counter() - start) / iters * 1e6)
    return statistics.median(samples)


def case(name, forward, inputs, iters):
    out = forward()
    grad = torch.randn_like(out)

    def fwd():
        with torch.no_grad():
            forward()

    def fwd_bwd():
        for t in inputs:
            t.grad = None
        forward().backward(grad)

    print(f"{name:8s} {time_us(fwd, iters):10.1f} {time_us(fwd_bwd, iters):12.1f}")


def main():
    n = 64
    x1 = torch.randn(n, 1, 28, 28)
    w1 = torch.randn(6, 1, 5, 5, requires_grad=True)
    b1 = torch.randn(6, requires_grad=True)
    p1 = torch.randn(n, 6, 28, 28, requires_grad=True)
    x2 = torch.randn(n, 6, 14, 14, requires_grad=True)
    w2 = torch.randn(16, 6, 5, 5, requires_grad=True)
    b2 = torch.randn(16, requires_grad=True)
    p2 = torch.randn(n, 16, 10, 10, requires_grad=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {n}")
    print(f"{'op':8s} {'fwd_us':>10s} {'fwd+bwd_us':>12s}")
    case("conv1", lambda: F.conv2d(x1, w1, b1, padding=2), [w1, b1], 200)
    case("pool1", lambda: F.max_pool2d(p1, 2), [p1], 200)
    case("conv2", lambda: F.conv2d(x2, w2, b2), [x2, w2, b2], 200)
    case("pool2", lambda: F.max_pool2d(p2, 2), [p2], 400)


if __name__ == "__main__":
    main()
