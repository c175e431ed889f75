#!/usr/bin/env python3
"""Writes golden_nn.json: PyTorch's answers that tests/nn/nn_golden_test.cpp checks axon's nn
layer against (losses, activations, batch norm, initialisers, dropout).

Run from the repository root with Debian's torch (or a PyPI torch):
    /usr/bin/python3 tests/reference/generate_nn_golden.py

Sections:
  losses       -- each loss and option on fixed inputs, every reduction: the output and the
                  gradient of (out * upstream).sum() w.r.t. every floating input.
  activations  -- each activation module: output and input gradient, the same way.
  batchnorm    -- BatchNorm1d/2d variants: three train-mode steps (output, gradients, running
                  statistics after each), then one eval-mode step.
  init         -- calculate_gain, fans, initialiser draws after torch.manual_seed(s), and the
                  default init of Linear and Conv2d.
  dropout      -- dropout / dropout2d outputs and gradients after torch.manual_seed(s), and the
                  next rand() (so that axon must consume the generator as PyTorch does).

Differentiated cases run in float64 and float32 on the same inputs (stored once, as float64;
float32 runs use their float32 cast, as the C++ test does). Inputs are small binary fractions,
exact in both dtypes. Float64 values are written with repr(), which round-trips every double;
float32 values as the shortest decimal that converts back to the same float32. The output is
deterministic (seeded generators, one thread).
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_nn.json")
GEN = torch.Generator().manual_seed(20240611)
DTYPES = (torch.float64, torch.float32)


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def enc(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        assert all(math.isfinite(v) for v in data), "golden values must be finite"
    if t.dtype == torch.float32:
        # The shortest decimal that converts back to the same float32.
        data = [float(f"{v:.9g}") for v in data]
    return {"dtype": dtype_name(t.dtype), "shape": list(t.shape), "data": data}


def grid(shape, lo=-4.0, hi=4.0, step=1 / 16):
    """Multiples of `step` in [lo, hi): exact in float32 and float64."""
    n = round((hi - lo) / step)
    return torch.randint(0, n, shape, generator=GEN).double() * step + lo


def distinct(shape, step=1 / 16):
    """A permutation of evenly spaced values around 0: no two elements equal."""
    n = math.prod(shape)
    return ((torch.randperm(n, generator=GEN).double() - n // 2) * step).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------
REDUCTIONS = ("none", "mean", "sum")


def loss_call(loss, tensors, args, reduction):
    x, y = tensors["input"], tensors["target"]
    w = tensors.get("weight")
    if loss == "mse_loss":
        return F.mse_loss(x, y, reduction=reduction)
    if loss == "l1_loss":
        return F.l1_loss(x, y, reduction=reduction)
    if loss == "smooth_l1_loss":
        return F.smooth_l1_loss(x, y, reduction=reduction, **args)
    if loss == "huber_loss":
        return F.huber_loss(x, y, reduction=reduction, **args)
    if loss == "nll_loss":
        return F.nll_loss(x, y, weight=w, reduction=reduction, **args)
    if loss == "cross_entropy":
        return F.cross_entropy(x, y, weight=w, reduction=reduction, **args)
    if loss == "binary_cross_entropy":
        return F.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    if loss == "binary_cross_entropy_with_logits":
        return F.binary_cross_entropy_with_logits(x, y, weight=w, reduction=reduction,
                                                  pos_weight=tensors.get("pos_weight"))
    raise ValueError(loss)


LOSSES = []


def loss_case(name, loss, tensors, reductions=REDUCTIONS, target_grad=True, **args):
    """tensors: {"input", "target", optional "weight", "pos_weight"} as float64 (int64 targets
    stay int64). The gradient is taken w.r.t. input and, when floating and target_grad, target."""
    for reduction in reductions:
        entry = {"name": f"{name}/{reduction}", "loss": loss, "reduction": reduction,
                 "args": args, "tensors": {k: enc(v) for k, v in tensors.items()}}
        upstream = None
        for dtype in DTYPES:
            ts = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in tensors.items()}
            diff = ["input"] + (["target"] if target_grad and ts["target"].is_floating_point() else [])
            for k in diff:
                ts[k] = ts[k].clone().requires_grad_()
            out = loss_call(loss, ts, args, reduction)
            if upstream is None:
                upstream = grid(out.shape, -2, 2, 1 / 8) if out.dim() > 0 else torch.tensor(0.75)
                entry["upstream"] = enc(upstream)
            grads = torch.autograd.grad((out * upstream.to(dtype)).sum(), [ts[k] for k in diff])
            entry[dtype_name(dtype)] = {"output": enc(out),
                                        "grads": {k: enc(g) for k, g in zip(diff, grads)}}
        LOSSES.append(entry)


def class_targets(n, classes, ignore=None):
    t = torch.randint(0, classes, (n,), generator=GEN)
    if ignore is not None:
        t[1] = ignore
        t[-1] = ignore
    return t


def losses():
    x, y = grid((3, 5)), grid((3, 5))
    y[0, 0] = x[0, 0]  # one zero difference: l1's subgradient there is 0, as sign(0)
    loss_case("mse", "mse_loss", {"input": x, "target": y})
    loss_case("l1", "l1_loss", {"input": x, "target": y})
    # Differences on both sides of beta / delta, and exactly at them.
    x, y = grid((4, 6), -2, 2), grid((4, 6), -2, 2)
    x[0, 0], y[0, 0] = 0.5, 0.0
    x[0, 1], y[0, 1] = 1.0, -1.0
    loss_case("smooth_l1_beta1", "smooth_l1_loss", {"input": x, "target": y}, ("mean",))
    loss_case("smooth_l1_beta0.5", "smooth_l1_loss", {"input": x, "target": y}, beta=0.5)
    # beta = 0 is l1_loss; PyTorch 1.13's kernel gives an exact zero difference the gradient -1
    # there (its `x <= -beta` branch) where l1_loss gives 0, so no differences are 0 here.
    x0, y0 = grid((4, 6), -2, 2), grid((4, 6), -2, 2)
    y0[x0 == y0] += 1 / 32
    loss_case("smooth_l1_beta0", "smooth_l1_loss", {"input": x0, "target": y0}, ("mean",),
              beta=0.0)
    loss_case("huber_delta1", "huber_loss", {"input": x, "target": y}, ("mean",))
    loss_case("huber_delta2", "huber_loss", {"input": x, "target": y}, delta=2.0)

    classes = 5
    logits = grid((6, classes))
    target = class_targets(6, classes)
    weight = torch.arange(1, classes + 1).double() / 4
    loss_case("ce", "cross_entropy", {"input": logits, "target": target})
    loss_case("ce_weight", "cross_entropy",
              {"input": logits, "target": target, "weight": weight})
    ignored = class_targets(6, classes, ignore=-100)
    loss_case("ce_ignore_default", "cross_entropy", {"input": logits, "target": ignored})
    ignored2 = class_targets(6, classes, ignore=2)
    loss_case("ce_ignore_2_weight", "cross_entropy",
              {"input": logits, "target": ignored2, "weight": weight}, ignore_index=2)
    loss_case("ce_smoothing", "cross_entropy", {"input": logits, "target": target},
              label_smoothing=0.1)
    loss_case("ce_smoothing_ignore", "cross_entropy", {"input": logits, "target": ignored},
              label_smoothing=0.1)
    loss_case("ce_smoothing_weight_ignore", "cross_entropy",
              {"input": logits, "target": ignored2, "weight": weight}, ignore_index=2,
              label_smoothing=0.25)
    probs = grid((6, classes), 0, 1, 1 / 16)
    loss_case("ce_probs", "cross_entropy", {"input": logits, "target": probs})
    loss_case("ce_probs_weight_smoothing", "cross_entropy",
              {"input": logits, "target": probs, "weight": weight}, label_smoothing=0.2)
    # (N, C, d1, d2) inputs and an unbatched (C) input.
    loss_case("ce_spatial_weight_ignore", "cross_entropy",
              {"input": grid((2, 3, 2, 3)), "target": torch.tensor([[[0, 2, 1], [1, -1, 2]],
                                                                    [[2, 2, 0], [-1, 1, 0]]]),
               "weight": torch.tensor([0.5, 2.0, 1.25], dtype=torch.float64)},
              ignore_index=-1)
    loss_case("ce_unbatched", "cross_entropy",
              {"input": grid((classes,)), "target": torch.tensor(3)})
    # Large logits: log-sum-exp must not overflow (exp(1e4) is inf in any float type).
    big = torch.tensor([[1e4, -1e4, 0.0, 9999.5], [-1e4, -1e4, -9998.0, -1e4],
                        [5e3, 1e4, -5e3, 1e4]], dtype=torch.float64)
    loss_case("ce_large_logits", "cross_entropy",
              {"input": big, "target": torch.tensor([3, 2, 0])})
    loss_case("ce_large_logits_smoothing", "cross_entropy",
              {"input": big, "target": torch.tensor([3, 2, 0])}, ("mean",),
              label_smoothing=0.1)

    log_probs = grid((6, classes), -4, 0)
    loss_case("nll", "nll_loss", {"input": log_probs, "target": target})
    loss_case("nll_weight", "nll_loss", {"input": log_probs, "target": target, "weight": weight})
    loss_case("nll_ignore_2_weight", "nll_loss",
              {"input": log_probs, "target": ignored2, "weight": weight}, ignore_index=2)
    loss_case("nll_ignore_default", "nll_loss", {"input": log_probs, "target": ignored})
    loss_case("nll_spatial", "nll_loss",
              {"input": grid((2, 3, 2, 2), -4, 0), "target": torch.tensor([[[0, 2], [1, 1]],
                                                                            [[2, 0], [0, 1]]])})

    probs_in = (torch.randint(0, 64, (4, 5), generator=GEN).double() + 0.5) / 64  # in (0, 1)
    soft = grid((4, 5), 0, 1, 1 / 8)
    soft[0, :3] = torch.tensor([0.0, 1.0, 1.0])
    loss_case("bce", "binary_cross_entropy", {"input": probs_in, "target": soft})
    loss_case("bce_weight", "binary_cross_entropy",
              {"input": probs_in, "target": soft, "weight": grid((4, 5), 0, 2, 1 / 8)})
    # Inputs of exactly 0 and 1: each log is clamped at -100 and the gradient's denominator at
    # 1e-12 (PyTorch's rule). The target's gradient, log(1 - x) - log(x), is infinite there.
    edge_in = torch.tensor([[0.0, 1.0, 0.0, 1.0, 0.5]], dtype=torch.float64)
    edge_t = torch.tensor([[0.0, 1.0, 1.0, 0.0, 0.25]], dtype=torch.float64)
    loss_case("bce_boundary", "binary_cross_entropy", {"input": edge_in, "target": edge_t},
              ("none", "sum"), target_grad=False)

    z = grid((4, 5), -6, 6, 1 / 8)
    z[0, 0], z[0, 1] = 60.0, -60.0  # exp(-x) would overflow a naive float32 formula
    z[1] = 0.0  # zero logits (a zero-initialised last layer): smooth there, no kink
    loss_case("bce_logits", "binary_cross_entropy_with_logits", {"input": z, "target": soft})
    bce_w = grid((4, 5), 0, 2, 1 / 8)
    loss_case("bce_logits_weight", "binary_cross_entropy_with_logits",
              {"input": z, "target": soft, "weight": bce_w})
    pos = torch.tensor([0.5, 1.0, 2.0, 3.5, 0.25], dtype=torch.float64)  # per class, broadcast
    loss_case("bce_logits_pos_weight", "binary_cross_entropy_with_logits",
              {"input": z, "target": soft, "pos_weight": pos})
    loss_case("bce_logits_weight_pos_weight", "binary_cross_entropy_with_logits",
              {"input": z, "target": soft, "weight": bce_w, "pos_weight": pos})


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------
ACTIVATIONS = []

# Points around each activation's interesting region, zero included (the subgradient there is
# PyTorch's), and large magnitudes where naive formulas overflow.
ACT_POINTS = torch.tensor([-30.0, -8.0, -3.0, -1.5, -1.0, -0.5, -0.125, 0.0, 0.125, 0.5, 1.0,
                           1.5, 3.0, 8.0, 30.0], dtype=torch.float64)


def make_activation(module, args):
    if module == "ReLU":
        return nn.ReLU()
    if module == "LeakyReLU":
        return nn.LeakyReLU(**args)
    if module == "ELU":
        return nn.ELU(**args)
    if module == "GELU":
        return nn.GELU(**args)
    if module == "Softmax":
        return nn.Softmax(**args)
    if module == "LogSoftmax":
        return nn.LogSoftmax(**args)
    return getattr(nn, module)()


def activation_case(name, module, x, **args):
    entry = {"name": name, "module": module, "args": args, "input": enc(x)}
    upstream = grid(x.shape, -2, 2, 1 / 8)
    entry["upstream"] = enc(upstream)
    for dtype in DTYPES:
        xi = x.to(dtype).requires_grad_()
        out = make_activation(module, args)(xi)
        (grad,) = torch.autograd.grad((out * upstream.to(dtype)).sum(), [xi])
        entry[dtype_name(dtype)] = {"output": enc(out), "grad": enc(grad)}
    ACTIVATIONS.append(entry)


def activations():
    x = ACT_POINTS.reshape(3, 5)
    activation_case("relu", "ReLU", x)
    activation_case("leaky_relu", "LeakyReLU", x)
    activation_case("leaky_relu_0.2", "LeakyReLU", x, negative_slope=0.2)
    activation_case("elu", "ELU", x)
    activation_case("elu_0.5", "ELU", x, alpha=0.5)
    activation_case("gelu", "GELU", x)
    activation_case("gelu_tanh", "GELU", x, approximate="tanh")
    activation_case("silu", "SiLU", x)
    activation_case("sigmoid", "Sigmoid", x)
    activation_case("tanh", "Tanh", x)
    activation_case("log_sigmoid", "LogSigmoid", x)
    y = grid((2, 3, 4))
    y[1, 2] = torch.tensor([1000.0, 999.0, -1000.0, 1000.0])  # must not overflow
    for dim in (0, 1, 2, -1):
        activation_case(f"softmax_dim{dim}", "Softmax", y, dim=dim)
        activation_case(f"log_softmax_dim{dim}", "LogSoftmax", y, dim=dim)


# ---------------------------------------------------------------------------------------------
# Batch norm
# ---------------------------------------------------------------------------------------------
BATCHNORM = []
BN_STEPS = 3


def batchnorm_case(name, module, shape, **options):
    c = shape[1]
    offsets = torch.linspace(-1, 2, c, dtype=torch.float64)  # channel means differ
    view = [1, c] + [1] * (len(shape) - 2)
    inputs = [grid(shape) + offsets.view(view) for _ in range(BN_STEPS + 1)]
    upstreams = [grid(shape, -2, 2, 1 / 8) for _ in range(BN_STEPS + 1)]
    affine = options.get("affine", True)
    weight = grid((c,), 0.5, 2, 1 / 8) if affine else None
    bias = grid((c,), -1, 1, 1 / 8) if affine else None
    entry = {"name": name, "module": module, "num_features": c, "options": options,
             "inputs": [enc(t) for t in inputs], "upstreams": [enc(t) for t in upstreams]}
    if affine:
        entry["weight"], entry["bias"] = enc(weight), enc(bias)
    for dtype in DTYPES:
        m = getattr(nn, module)(c, **options).to(dtype)
        if affine:
            with torch.no_grad():
                m.weight.copy_(weight)
                m.bias.copy_(bias)
        params = [m.weight, m.bias] if affine else []
        steps = []
        for step in range(BN_STEPS + 1):
            if step == BN_STEPS:
                m.eval()
            x = inputs[step].to(dtype).requires_grad_()
            out = m(x)
            grads = torch.autograd.grad((out * upstreams[step].to(dtype)).sum(), [x] + params)
            result = {"output": enc(out), "grad_input": enc(grads[0])}
            if affine:
                result["grad_weight"], result["grad_bias"] = enc(grads[1]), enc(grads[2])
            if m.track_running_stats:
                result["running_mean"] = enc(m.running_mean)
                result["running_var"] = enc(m.running_var)
                result["num_batches_tracked"] = enc(m.num_batches_tracked)
            steps.append(result)
        entry[dtype_name(dtype)] = steps  # the last step is in eval mode
    BATCHNORM.append(entry)


def batchnorm():
    for module, shape in (("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 5)),
                          ("BatchNorm2d", (2, 3, 3, 4))):
        tag = f"{module}_{len(shape)}d"
        batchnorm_case(tag, module, shape)
        batchnorm_case(f"{tag}_momentum_none", module, shape, momentum=None)
        batchnorm_case(f"{tag}_no_affine", module, shape, affine=False)
        batchnorm_case(f"{tag}_no_running_stats", module, shape, track_running_stats=False)
    batchnorm_case("BatchNorm2d_4d_momentum_0.3_eps_1e-3", "BatchNorm2d", (3, 2, 2, 3),
                   momentum=0.3, eps=1e-3)


# ---------------------------------------------------------------------------------------------
# Initialisers
# ---------------------------------------------------------------------------------------------
INIT_CALLS = [
    {"fn": "uniform_", "shape": [3, 4], "a": -0.5, "b": 1.5},
    {"fn": "normal_", "shape": [4, 5], "mean": 0.3, "std": 2.0},  # 20 values: Box-Muller by 16
    {"fn": "normal_", "shape": [3, 3], "mean": -1.0, "std": 0.5},  # 9 values: one at a time
    {"fn": "xavier_uniform_", "shape": [6, 4], "gain": 5.0 / 3},
    {"fn": "xavier_normal_", "shape": [8, 3, 2, 2], "gain": 1.5},
    {"fn": "kaiming_uniform_", "shape": [5, 4, 3, 3], "a": 0.0, "mode": "fan_in",
     "nonlinearity": "relu"},
    {"fn": "kaiming_uniform_", "shape": [6, 10], "a": 0.2, "mode": "fan_out",
     "nonlinearity": "leaky_relu"},
    {"fn": "kaiming_uniform_", "shape": [4, 7], "a": math.sqrt(5), "mode": "fan_in",
     "nonlinearity": "leaky_relu", "dtype": "float64"},
    {"fn": "kaiming_normal_", "shape": [16, 8], "a": 0.0, "mode": "fan_out",
     "nonlinearity": "relu"},
    {"fn": "kaiming_normal_", "shape": [4, 6, 3, 3], "a": math.sqrt(5), "mode": "fan_in",
     "nonlinearity": "leaky_relu"},
    {"fn": "kaiming_normal_", "shape": [3, 2], "a": 0.0, "mode": "fan_in",
     "nonlinearity": "tanh"},
    {"fn": "xavier_uniform_", "shape": [2, 3, 5], "gain": 1.0, "dtype": "float64"},
    {"fn": "rand", "shape": [4]},  # where the generator stands after the draws above
]


def init_call(call):
    if call["fn"] == "rand":
        return torch.rand(call["shape"])
    dtype = getattr(torch, call.get("dtype", "float32"))
    t = torch.empty(call["shape"], dtype=dtype)
    fn = call["fn"]
    if fn == "uniform_":
        return nn.init.uniform_(t, call["a"], call["b"])
    if fn == "normal_":
        return nn.init.normal_(t, call["mean"], call["std"])
    if fn.startswith("xavier"):
        return getattr(nn.init, fn)(t, gain=call["gain"])
    return getattr(nn.init, fn)(t, a=call["a"], mode=call["mode"],
                                nonlinearity=call["nonlinearity"])


MODULE_CALLS = [
    {"module": "Linear", "in": 5, "out": 3, "bias": True},
    {"module": "Linear", "in": 4, "out": 2, "bias": False},
    {"module": "Linear", "in": 64, "out": 20, "bias": True},
    {"module": "Conv2d", "in": 3, "out": 4, "kernel": [3, 3], "groups": 1, "bias": True},
    {"module": "Conv2d", "in": 4, "out": 6, "kernel": [3, 2], "groups": 2, "bias": True},
    {"module": "Conv2d", "in": 2, "out": 3, "kernel": [1, 1], "groups": 1, "bias": False},
]


def make_module(call):
    if call["module"] == "Linear":
        return nn.Linear(call["in"], call["out"], bias=call["bias"])
    return nn.Conv2d(call["in"], call["out"], call["kernel"], groups=call["groups"],
                     bias=call["bias"])


def init():
    gains = [{"nonlinearity": n, "gain": nn.init.calculate_gain(n)}
             for n in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu",
                       "leaky_relu", "selu")]
    gains += [{"nonlinearity": "leaky_relu", "param": p,
               "gain": nn.init.calculate_gain("leaky_relu", p)} for p in (0.2, math.sqrt(5), 0.0)]
    fans = []
    for shape in ([3, 4], [6, 2, 5], [8, 3, 5, 5], [2, 3, 1, 4, 2]):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        fans.append({"shape": shape, "fan_in": fan_in, "fan_out": fan_out})
    draws = []
    for seed in (0, 1234):
        torch.manual_seed(seed)
        draws.append({"seed": seed,
                      "calls": [dict(call, result=enc(init_call(call))) for call in INIT_CALLS]})
    modules = []
    for seed in (0, 7):
        torch.manual_seed(seed)
        calls = []
        for call in MODULE_CALLS:
            m = make_module(call)
            calls.append(dict(call, weight=enc(m.weight),
                              **({"bias_value": enc(m.bias)} if call["bias"] else {})))
        calls.append({"module": "rand", "result": enc(torch.rand(4))})
        modules.append({"seed": seed, "calls": calls})
    return {"gains": gains, "fans": fans, "draws": draws, "modules": modules}


# ---------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------
DROPOUT_CALLS = [
    {"fn": "dropout", "shape": [4, 10], "p": 0.3, "dtype": "float32"},
    {"fn": "dropout2d", "shape": [2, 6, 3, 3], "p": 0.4, "dtype": "float32"},
    {"fn": "dropout", "shape": [3, 7], "p": 0.5, "dtype": "float64"},
    {"fn": "dropout", "shape": [40], "p": 0.9, "dtype": "float32"},
    {"fn": "dropout2d", "shape": [3, 4, 2, 2], "p": 0.25, "dtype": "float64"},
    {"fn": "rand", "shape": [4]},
]


def dropout():
    cases = []
    for seed in (0, 99):
        torch.manual_seed(seed)
        calls = []
        for call in DROPOUT_CALLS:
            if call["fn"] == "rand":
                calls.append(dict(call, result=enc(torch.rand(call["shape"]))))
                continue
            # The inputs come from GEN, not the global generator, so only dropout draws from it.
            x = grid(call["shape"]).to(getattr(torch, call["dtype"])).requires_grad_()
            upstream = grid(call["shape"], -2, 2, 1 / 8).to(x.dtype)
            fn = F.dropout if call["fn"] == "dropout" else F.dropout2d
            out = fn(x, p=call["p"], training=True)
            (grad,) = torch.autograd.grad((out * upstream).sum(), [x])
            calls.append(dict(call, input=enc(x), upstream=enc(upstream), output=enc(out),
                              grad=enc(grad)))
        cases.append({"seed": seed, "calls": calls})
    return cases


def main():
    losses()
    activations()
    batchnorm()
    data = {
        "generator": "tests/reference/generate_nn_golden.py",
        "torch_version": torch.__version__,
        "losses": LOSSES,
        "activations": ACTIVATIONS,
        "batchnorm": BATCHNORM,
        "init": init(),
        "dropout": dropout(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
