#!/usr/bin/env python3
"""LeNet-5 end-to-end golden data for tests/nn/lenet_golden_test.cpp.

Writes lenet_golden.safetensors (PyTorch's weights under its state_dict names, an input batch,
targets, logits, the cross-entropy loss, every parameter's gradient, and the parameters after two
SGD steps with momentum), lenet_golden.json (the model's repr and scalar settings) and
lenet_torch_state.safetensors (the initial model as PyTorch users save it,
save_file(model.state_dict()): the checkpoint axon::load must read).

With --check-axon PATH it instead loads a checkpoint axon wrote (lenet_axon_state.safetensors,
written by lenet_golden_test with AXON_UPDATE_FIXTURES=1) into this torch LeNet5 with
load_state_dict(strict=True) and checks that it holds the initial weights bit for bit.

Run with Debian's torch 1.13 and safetensors from PyPI:
  /usr/bin/python3 -m venv --system-site-packages /work/venv-st
  /work/venv-st/bin/pip install safetensors
  /work/venv-st/bin/python tests/reference/generate_lenet_golden.py
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0
BATCH = 4
LR = 0.01
MOMENTUM = 0.9


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = LeNet5()  # PyTorch's default init from SEED: axon must reproduce it bit for bit
    tensors = {f"param.{k}": v.detach().clone() for k, v in model.state_dict().items()}
    save_file(model.state_dict(), os.path.join(HERE, "lenet_torch_state.safetensors"))
    x = torch.rand(BATCH, 1, 32, 32)
    target = torch.randint(0, 10, (BATCH,))
    tensors["input"] = x
    tensors["target"] = target

    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    logits = model(x)
    loss = F.cross_entropy(logits, target)
    opt.zero_grad()
    loss.backward()
    tensors["logits"] = logits.detach().clone()
    tensors["loss"] = loss.detach().clone()
    for k, p in model.named_parameters():
        tensors[f"grad.{k}"] = p.grad.detach().clone()
    opt.step()
    # A second step, so that the momentum buffer matters.
    loss2 = F.cross_entropy(model(x), target)
    opt.zero_grad()
    loss2.backward()
    opt.step()
    tensors["loss_step2"] = loss2.detach().clone()
    for k, p in model.named_parameters():
        tensors[f"after2.{k}"] = p.detach().clone()

    save_file(tensors, os.path.join(HERE, "lenet_golden.safetensors"),
              metadata={"generator": "tests/reference/generate_lenet_golden.py",
                        "torch": torch.__version__})
    meta = {
        "seed": SEED, "batch": BATCH, "lr": LR, "momentum": MOMENTUM,
        "repr": repr(model),
        "parameter_names": [k for k, _ in model.named_parameters()],
        "state_dict_names": list(model.state_dict().keys()),
    }
    with open(os.path.join(HERE, "lenet_golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def check_axon(path):
    torch.manual_seed(SEED)
    expected = LeNet5().state_dict()
    model = LeNet5()
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    model.load_state_dict(load_file(path), strict=True)
    for k, v in model.state_dict().items():
        if not torch.equal(v, expected[k]):
            print(f"{path}: {k} differs from PyTorch's initial LeNet5")
            return 1
    print(f"{path}: loads into torch LeNet5 with strict=True; all "
          f"{len(expected)} tensors equal PyTorch's")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-axon", metavar="PATH", help="check a checkpoint axon wrote")
    args = parser.parse_args()
    if args.check_axon:
        sys.exit(check_axon(args.check_axon))
    main()
