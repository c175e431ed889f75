#!/usr/bin/env python3
"""LeNet-5 end-to-end golden data for tests/nn/lenet_golden_test.cpp.

Writes lenet_golden.safetensors (PyTorch's weights under its state_dict names, an input batch,
targets, logits, the cross-entropy loss, every parameter's gradient, and the parameters after two
SGD steps with momentum) and lenet_golden.json (the model's repr and scalar settings).

Run with Debian's torch 1.13 and safetensors from PyPI:
  /usr/bin/python3 -m venv --system-site-packages /work/venv-st
  /work/venv-st/bin/pip install safetensors
  /work/venv-st/bin/python tests/reference/generate_lenet_golden.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

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


if __name__ == "__main__":
    main()
