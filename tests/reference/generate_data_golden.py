#!/usr/bin/env python3
"""Writes data_golden.json: what PyTorch's transforms and LibTorch's RandomSampler give, which
tests/data/transforms_test.cpp and samplers_test.cpp check axon's against.

Run from the repository root with Debian's torch (or a PyPI torch); torchvision is not needed:
    /usr/bin/python3 tests/reference/generate_data_golden.py

Sections:
  normalize -- torchvision's Normalize (x.sub_(mean).div_(std), float32, per channel) on a
               3-channel image and with one mean and std for all elements.
  flip      -- torchvision's RandomHorizontalFlip(p) after torch.manual_seed(seed), applied to a
               sequence of images: each draws torch.rand(1) < p.
  crop      -- torchvision's RandomCrop(size, padding, padding_mode) after torch.manual_seed(seed)
               on a sequence of images: F.pad, then i = randint(0, H - h + 1), j = randint(0,
               W - w + 1), for "constant" (zeros) and "reflect" padding.
  sampler   -- LibTorch's RandomSampler after manual_seed(seed): its constructor draws
               randperm(n), each reset() (each epoch) draws the next; the epochs' orders.

The output is deterministic (seeded, one thread; floats written with repr()).
"""

import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data_golden.json")


def flat(t):
    return t.reshape(-1).tolist()


def image(shape, offset=0):
    """A float32 image with distinct values: (arange + offset) / 7."""
    n = 1
    for s in shape:
        n *= s
    return ((torch.arange(n, dtype=torch.float32) + offset) / 7).reshape(shape)


def normalize_cases():
    x = (torch.arange(3 * 4 * 5, dtype=torch.float32) * 37 % 256 / 255).reshape(3, 4, 5)
    cases = []
    for mean, std in (([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]), ([0.1307], [0.3081])):
        m = torch.tensor(mean, dtype=torch.float32)[:, None, None]
        s = torch.tensor(std, dtype=torch.float32)[:, None, None]
        cases.append({"shape": list(x.shape), "input": flat(x), "mean": mean, "std": std,
                      "output": flat(x.clone().sub_(m).div_(s))})
    return cases


def flip_case(seed, p, count, shape):
    torch.manual_seed(seed)
    outputs, flipped = [], []
    for k in range(count):
        img = image(shape, 100 * k)
        do_flip = bool(torch.rand(1) < p)
        flipped.append(do_flip)
        outputs.append(flat(img.flip(-1) if do_flip else img))
    return {"seed": seed, "p": p, "count": count, "shape": shape, "flipped": flipped,
            "outputs": outputs}


def crop_case(seed, mode, size, padding, count, shape):
    torch.manual_seed(seed)
    outputs, corners = [], []
    for k in range(count):
        img = image(shape, 100 * k)
        padded = F.pad(img.unsqueeze(0), [padding] * 4, mode=mode).squeeze(0)
        h, w = padded.shape[-2:]
        th, tw = size
        i = torch.randint(0, h - th + 1, size=(1,)).item()
        j = torch.randint(0, w - tw + 1, size=(1,)).item()
        corners.append([i, j])
        outputs.append(flat(padded[..., i:i + th, j:j + tw]))
    return {"seed": seed, "mode": "zeros" if mode == "constant" else mode, "size": list(size),
            "padding": padding, "count": count, "shape": shape, "corners": corners,
            "outputs": outputs}


def sampler_case(seed, n, epochs):
    torch.manual_seed(seed)
    torch.randperm(n)  # the constructor's permutation
    return {"seed": seed, "n": n, "epochs": [torch.randperm(n).tolist() for _ in range(epochs)]}


golden = {
    "torch_version": torch.__version__,
    "normalize": normalize_cases(),
    "flip": [flip_case(2024, 0.5, 12, [2, 3, 4]), flip_case(7, 0.2, 10, [1, 2, 5])],
    "crop": [crop_case(99, "constant", (4, 5), 2, 6, [2, 5, 6]),
             crop_case(99, "reflect", (4, 5), 2, 6, [2, 5, 6]),
             crop_case(5, "reflect", (5, 6), 3, 4, [1, 5, 6])],
    "sampler": [sampler_case(3, 50, 3), sampler_case(0, 7, 2)],
}
with open(OUT, "w") as f:
    json.dump(golden, f, indent=1)
    f.write("\n")
