#!/usr/bin/env python3
"""Writes golden_optim.json: PyTorch's optimizer steps, learning-rate schedules and gradient
clipping, which tests/optim/*_test.cpp check axon against.

Run from the repository root with Debian's torch (or a PyPI torch):
    /usr/bin/python3 tests/reference/generate_optim_golden.py

Sections:
  problem     -- three parameters (shapes [3, 4], [4], [2, 1, 3]) and a fixed input x; the loss
                 0.5 * sum(tanh(x @ w + b)^2) + 0.1 * sum(v^3) + sum(sin(v)).
  optimizers  -- for each optimizer and option set, in float32 and float64: the gradient each
                 parameter had before each of five steps and its value after the step. The C++
                 test gives the parameters those gradients, so it checks the update alone.
  schedulers  -- get_last_lr() after construction and after each of 30 steps (two parameter
                 groups), and for OneCycleLR the cycled momentum or beta1.
  clip        -- clip_grad_norm_ (total norm and clipped gradients) and clip_grad_value_.

The output is deterministic: fixed inputs, one thread, and floats written with repr(), which
round-trips every double (float32 values are stored as the doubles they convert to exactly).
"""

import json
import math
import os
import warnings

import torch

torch.set_num_threads(1)
warnings.filterwarnings("ignore")  # the scheduler warnings about call order do not apply here

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_optim.json")
STEPS = 5
SCHEDULER_STEPS = 30
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def flat(t):
    return t.detach().reshape(-1).tolist()


# ---------------------------------------------------------------------------------------------
# The problem: parameters of different shapes and a loss with nontrivial gradients.
# ---------------------------------------------------------------------------------------------
gen = torch.Generator().manual_seed(1234)
INIT = {
    "w": torch.randn(3, 4, generator=gen),
    "b": torch.randn(4, generator=gen),
    "v": torch.randn(2, 1, 3, generator=gen),
}
X = torch.randn(5, 3, generator=gen)


def make_params(dtype):
    return [INIT[name].to(dtype).clone().requires_grad_() for name in ("w", "b", "v")]


def loss_fn(params):
    w, b, v = params
    x = X.to(w.dtype)
    return 0.5 * torch.tanh(x @ w + b).pow(2).sum() + 0.1 * v.pow(3).sum() + torch.sin(v).sum()


# ---------------------------------------------------------------------------------------------
# Optimizer cases: (optimizer, options, parameter groups or None).
# ---------------------------------------------------------------------------------------------
OPTIMIZERS = {
    "SGD": torch.optim.SGD,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "RMSprop": torch.optim.RMSprop,
    "Adagrad": torch.optim.Adagrad,
}

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05,
              "amsgrad": True}),
    ("AdamW", {"lr": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.5}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
]

# Parameter groups: indices into (w, b, v) and per-group options over the defaults.
GROUP_CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}, [([0, 1], {}), ([2], {"lr": 0.01, "momentum": 0.5})]),
    ("Adam", {"lr": 0.1}, [([0], {"lr": 0.05}), ([1, 2], {"weight_decay": 0.1})]),
]


def run_optimizer(name, options, groups, dtype):
    params = make_params(dtype)
    kwargs = dict(options)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if groups is None:
        opt = OPTIMIZERS[name](params, **kwargs)
    else:
        spec = [dict(params=[params[i] for i in idx], **extra) for idx, extra in groups]
        opt = OPTIMIZERS[name](spec, **kwargs)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(params).backward()
        grads = [flat(p.grad) for p in params]
        opt.step()
        steps.append({"grads": grads, "params": [flat(p) for p in params]})
    return steps


def optimizer_cases():
    out = []
    all_cases = [(n, o, None) for n, o in CASES] + GROUP_CASES
    for name, options, groups in all_cases:
        for dtype_name, dtype in DTYPES.items():
            case = {"optimizer": name, "options": options, "dtype": dtype_name,
                    "steps": run_optimizer(name, options, groups, dtype)}
            if groups is not None:
                case["groups"] = [{"params": idx, "options": extra} for idx, extra in groups]
            out.append(case)
    return out


# ---------------------------------------------------------------------------------------------
# Scheduler cases: the optimizer has two groups with lrs 0.1 and 0.05.
# ---------------------------------------------------------------------------------------------
S = torch.optim.lr_scheduler
SCHEDULER_CASES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 3}),
    ("MultiStepLR", {"milestones": [3, 8, 8, 20], "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [10, 2]}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 10}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": SCHEDULER_STEPS}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "total_steps": SCHEDULER_STEPS, "pct_start": 0.25,
                    "anneal_strategy": "linear", "div_factor": 10.0,
                    "final_div_factor": 100.0}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": SCHEDULER_STEPS, "three_phase": True,
                    "base_momentum": 0.8, "max_momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": SCHEDULER_STEPS, "cycle_momentum": False}),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": SCHEDULER_STEPS, "optimizer": "Adam"}),
]

PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.85, 0.7, 0.7, 0.7,
                   0.69995, 0.69995, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5,
                   0.5, 0.5, 0.5]
PLATEAU_CASES = [
    {},
    {"patience": 2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2},
    {"patience": 1, "factor": 0.5, "min_lr": [0.01, 0.004]},
    {"patience": 0, "factor": 0.5, "eps": 0.02},
    {"patience": 1, "threshold_mode": "abs", "threshold": 0.0, "min_lr": 0.02},
]


def scheduler_optimizer(kind):
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    if kind == "Adam":
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def scheduler_cases():
    out = []
    for name, args in SCHEDULER_CASES:
        kwargs = dict(args)
        kind = kwargs.pop("optimizer", "SGD")
        opt = scheduler_optimizer(kind)
        sched = getattr(S, name)(opt, **kwargs)

        def momenta():
            if kind == "Adam":
                return [g["betas"][0] for g in opt.param_groups]
            return [g["momentum"] for g in opt.param_groups]

        lrs, moms = [sched.get_last_lr()], [momenta()]
        for _ in range(SCHEDULER_STEPS):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
            moms.append(momenta())
        case = {"scheduler": name, "args": args, "lrs": lrs}
        if name == "OneCycleLR":
            case["momentum"] = moms
        out.append(case)
    for args in PLATEAU_CASES:
        opt = scheduler_optimizer("SGD")
        sched = S.ReduceLROnPlateau(opt, **args)
        lrs = []
        for metric in PLATEAU_METRICS:
            opt.step()
            sched.step(metric)
            lrs.append([g["lr"] for g in opt.param_groups])
        out.append({"scheduler": "ReduceLROnPlateau", "args": args, "metrics": PLATEAU_METRICS,
                    "lrs": lrs})
    return out


# ---------------------------------------------------------------------------------------------
# Gradient clipping: three parameters, the last without a gradient.
# ---------------------------------------------------------------------------------------------
CLIP_GRADS = [
    [[0.5, -1.25, 2.0], [0.75, -0.1, 0.3]],
    [-3.0, 0.2, 1.5, -0.6],
]
CLIP_CASES = [
    {"max_norm": 1.0, "norm_type": 2.0},
    {"max_norm": 2.5, "norm_type": 1.0},
    {"max_norm": 0.5, "norm_type": 3.0},
    {"max_norm": 1.0, "norm_type": "inf"},
    {"max_norm": 1.0, "norm_type": 0.5},
    {"max_norm": 100.0, "norm_type": 2.0},
]


def clip_cases():
    out = []
    for dtype_name, dtype in DTYPES.items():
        for args in CLIP_CASES:
            params = [torch.zeros(2, 3, dtype=dtype, requires_grad=True),
                      torch.zeros(4, dtype=dtype, requires_grad=True),
                      torch.zeros(2, dtype=dtype, requires_grad=True)]
            for p, g in zip(params, CLIP_GRADS):
                p.grad = torch.tensor(g, dtype=dtype)
            norm_type = math.inf if args["norm_type"] == "inf" else args["norm_type"]
            total = torch.nn.utils.clip_grad_norm_(params, args["max_norm"], norm_type)
            out.append({"function": "clip_grad_norm_", "dtype": dtype_name, "args": args,
                        "grads": CLIP_GRADS, "total_norm": total.item(),
                        "clipped": [flat(p.grad) for p in params[:2]]})
        params = [torch.zeros(2, 3, dtype=dtype, requires_grad=True),
                  torch.zeros(4, dtype=dtype, requires_grad=True)]
        for p, g in zip(params, CLIP_GRADS):
            p.grad = torch.tensor(g, dtype=dtype)
        torch.nn.utils.clip_grad_value_(params, 0.6)
        out.append({"function": "clip_grad_value_", "dtype": dtype_name,
                    "args": {"clip_value": 0.6}, "grads": CLIP_GRADS,
                    "clipped": [flat(p.grad) for p in params]})
    return out


def main():
    data = {
        "torch_version": torch.__version__,
        "problem": {
            "init": {k: {"shape": list(v.shape), "data": flat(v)} for k, v in INIT.items()},
            "x": {"shape": list(X.shape), "data": flat(X)},
        },
        "optimizers": optimizer_cases(),
        "schedulers": scheduler_cases(),
        "clip": clip_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
