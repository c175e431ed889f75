#!/usr/bin/env python3
"""The PyTorch side of bench_lenet: the same LeNet-5 training step, timed the same way.

  /usr/bin/python3 bench/bench_lenet.py [--threads 2] [--batch 64] [--steps 200] [--warmup 20] [--repeats 5]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def main():
    p = argparse.ArgumentParser()
    for flag, default in [("threads", 2), ("batch", 64), ("steps", 200), ("warmup", 20), ("repeats", 5)]:
        p.add_argument(f"--{flag}", type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = LeNet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.rand(a.batch, 1, 28, 28)
    labels = torch.randint(0, 10, (a.batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    per_step = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        for _ in range(a.steps):
            step()
        per_step.append((time.perf_counter() - start) * 1e3 / a.steps)
    per_step.sort()
    median = per_step[len(per_step) // 2]
    print(f"torch {torch.__version__} lenet5 train step: batch {a.batch}, {a.threads} threads: "
          f"median {median:.3f} ms/step ({a.batch / median * 1e3:.0f} images/s), "
          f"min {per_step[0]:.3f}, max {per_step[-1]:.3f} over {a.repeats} repeats of {a.steps} steps")


if __name__ == "__main__":
    main()
