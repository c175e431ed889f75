#!/usr/bin/env python3
"""Writes conv_golden.json: PyTorch's conv2d and pooling results that tests/core/conv_test.cpp
and tests/core/pooling_test.cpp check axon against.

Run from the repository root with Debian's torch (or a PyPI torch):
    /usr/bin/python3 tests/reference/generate_conv_golden.py

Every case runs in float64 and in float32 on the same inputs and stores, per dtype, the outputs
and the gradients of (out * weight).sum() with respect to every input (`weight` is a fixed
tensor stored with the case). Inputs are small binary fractions (exact in both dtypes, short in
JSON); pooling inputs are distinct, so max pooling has no ties. The output is deterministic.
"""

import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_golden.json")
GEN = torch.Generator().manual_seed(2024)


def grid(shape, scale=64):
    """Integers in [-2 * scale, 2 * scale) over `scale`: exact in float32 and float64."""
    return torch.randint(-2 * scale, 2 * scale, shape, generator=GEN).double() / scale


def distinct(shape):
    """A permutation of evenly spaced values: no two elements equal."""
    n = 1
    for s in shape:
        n *= s
    return ((torch.randperm(n, generator=GEN).double() - n / 2) / 16).reshape(shape)


def enc(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        # The shortest decimal that gives the float32 back (tests compare with a tolerance).
        data = [float(f"{v:.9g}") for v in data]
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": data}


def run(op, inputs, args):
    if op == "conv2d":
        return [F.conv2d(inputs[0], inputs[1], inputs[2] if len(inputs) > 2 else None, **args)]
    if op == "max_pool2d_with_indices":
        return list(F.max_pool2d(inputs[0], return_indices=True, **args))
    if op == "avg_pool2d":
        return [F.avg_pool2d(inputs[0], **args)]
    if op == "adaptive_avg_pool2d":
        return [F.adaptive_avg_pool2d(inputs[0], **args)]
    raise ValueError(op)


CASES = []


def case(name, op, inputs, **args):
    entry = {"name": name, "op": op, "args": args, "inputs": [enc(t) for t in inputs]}
    out64 = run(op, inputs, args)
    weight = grid(out64[0].shape, 16)
    entry["weight"] = enc(weight)
    for dtype in (torch.float64, torch.float32):
        xs = [t.to(dtype).requires_grad_() for t in inputs]
        outs = run(op, xs, args)
        grads = torch.autograd.grad((outs[0] * weight.to(dtype)).sum(), xs)
        entry[str(dtype).replace("torch.", "")] = {
            "outputs": [enc(o) for o in outs],
            "grads": [enc(g) for g in grads],
        }
    CASES.append(entry)


def conv(name, x_shape, w_shape, bias=True, **args):
    inputs = [grid(x_shape), grid(w_shape)]
    if bias:
        inputs.append(grid([w_shape[0]]))
    case(name, "conv2d", inputs, **args)


# conv2d: stride, padding, dilation, groups, bias, kernel and input shapes, batch and unbatched.
conv("basic", [2, 3, 7, 6], [4, 3, 3, 3])
conv("stride2_pad1", [2, 3, 9, 8], [5, 3, 3, 3], stride=2, padding=1)
conv("mixed_stride_pad_dilation", [1, 2, 10, 9], [3, 2, 3, 2], bias=False, stride=[2, 1],
     padding=[1, 2], dilation=[2, 1])
conv("dilation2_pad2", [2, 2, 9, 9], [3, 2, 3, 3], padding=2, dilation=2)
conv("groups2", [2, 4, 6, 6], [6, 2, 3, 3], groups=2)
conv("depthwise", [2, 3, 8, 8], [3, 1, 3, 3], padding=1, groups=3)
conv("depthwise_multiplier", [1, 2, 5, 5], [4, 1, 2, 2], bias=False, groups=2)
conv("pointwise", [2, 5, 4, 3], [3, 5, 1, 1])
conv("pointwise_stride2", [2, 3, 5, 5], [2, 3, 1, 1], bias=False, stride=2)
conv("unbatched", [3, 6, 5], [2, 3, 3, 3], padding=1)
conv("lenet_conv1", [2, 1, 12, 12], [6, 1, 5, 5], padding=2)
conv("lenet_conv2", [2, 6, 7, 7], [16, 6, 5, 5])
conv("batch1_no_bias_rect_kernel", [1, 3, 5, 7], [2, 3, 2, 4], bias=False)
conv("kernel_covers_input", [2, 2, 3, 3], [4, 2, 3, 3])
conv("stride_over_kernel", [1, 2, 9, 9], [2, 2, 2, 2], stride=3)
conv("pad_over_kernel", [1, 1, 3, 4], [2, 1, 2, 2], padding=[3, 2])


# Pooling (every input distinct: no ties for max pooling).
def pool(name, op, shape, **args):
    case(name, op, [distinct(shape)], **args)


MAX = "max_pool2d_with_indices"
pool("max_2x2", MAX, [2, 3, 6, 8], kernel_size=2)
pool("max_3x3_s2_p1", MAX, [2, 2, 7, 7], kernel_size=3, stride=2, padding=1)
pool("max_ceil", MAX, [1, 2, 8, 8], kernel_size=3, stride=2, ceil_mode=True)
pool("max_ceil_pad", MAX, [1, 2, 6, 7], kernel_size=3, stride=2, padding=1, ceil_mode=True)
pool("max_ceil_last_window_dropped", MAX, [1, 1, 5, 5], kernel_size=3, stride=3, padding=1,
     ceil_mode=True)
pool("max_rect_dilated", MAX, [1, 2, 9, 8], kernel_size=[3, 2], stride=[2, 1], padding=[1, 0],
     dilation=[1, 2])
pool("max_dilation2", MAX, [1, 1, 9, 9], kernel_size=3, stride=1, padding=1, dilation=2)
pool("max_unbatched", MAX, [3, 6, 6], kernel_size=2, stride=1)
pool("max_2x2_odd", MAX, [2, 2, 7, 5], kernel_size=2)

AVG = "avg_pool2d"
pool("avg_2x2", AVG, [2, 3, 6, 8], kernel_size=2)
pool("avg_3x3_s2_p1", AVG, [2, 2, 7, 7], kernel_size=3, stride=2, padding=1)
pool("avg_3x3_s2_p1_exclude_pad", AVG, [2, 2, 7, 7], kernel_size=3, stride=2, padding=1,
     count_include_pad=False)
pool("avg_ceil_exclude_pad", AVG, [1, 2, 8, 8], kernel_size=3, stride=2, padding=1,
     ceil_mode=True, count_include_pad=False)
pool("avg_ceil_include_pad", AVG, [1, 1, 5, 5], kernel_size=2, stride=2, ceil_mode=True)
pool("avg_ceil_pad_include_pad", AVG, [1, 2, 6, 7], kernel_size=3, stride=2, padding=1,
     ceil_mode=True)
pool("avg_divisor_override", AVG, [1, 2, 6, 6], kernel_size=3, stride=2, padding=1,
     divisor_override=3)
pool("avg_rect", AVG, [1, 2, 7, 8], kernel_size=[3, 2], stride=[1, 2], padding=[1, 0])
pool("avg_unbatched", AVG, [2, 5, 5], kernel_size=2, stride=1)

ADAPTIVE = "adaptive_avg_pool2d"
pool("adaptive_not_dividing", ADAPTIVE, [2, 3, 7, 9], output_size=[3, 4])
pool("adaptive_dividing", ADAPTIVE, [1, 2, 8, 8], output_size=[4, 4])
pool("adaptive_larger_than_input", ADAPTIVE, [1, 2, 5, 7], output_size=[7, 3])
pool("adaptive_global", ADAPTIVE, [2, 3, 6, 6], output_size=[1, 1])
pool("adaptive_unbatched", ADAPTIVE, [3, 5, 6], output_size=[2, 3])


def main():
    doc = {"torch_version": torch.__version__, "cases": CASES}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
