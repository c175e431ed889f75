#!/usr/bin/env python3
"""Writes golden_ops.json: PyTorch's answers that tests/reference/golden_test.cpp checks axon against.

Run from the repository root with Debian's torch (or a PyPI torch):
    /usr/bin/python3 tests/reference/generate_golden.py

Three sections:
  ops     -- op cases on fixed inputs: outputs, and the gradient of sum_i (out_i * w_i).sum()
             w.r.t. every floating input, for fixed random weights w_i (all stored in the file).
  random  -- what rand/randn/randint/randperm/uniform_/normal_ draw after manual_seed(s).
  print   -- repr() strings of tensors picked to exercise torch/_tensor_str.py.

The output is deterministic: inputs come from a seeded generator, ops run on one thread, and
floats are written with repr(), which round-trips every double (float32 values are stored as
the doubles they convert to exactly).
"""

import json
import math
import os
import re

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_ops.json")

# ---------------------------------------------------------------------------------------------
# Tensor encoding: {"dtype", "shape", "data"} with data flat in row-major order. Non-finite
# floats are strings ("nan", "-nan" for a NaN with its sign bit set, "inf", "-inf"), since JSON
# has no spelling for them.
# ---------------------------------------------------------------------------------------------


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def encode_float(v):
    if math.isnan(v):
        return "-nan" if math.copysign(1.0, v) < 0 else "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    t = t.detach().contiguous()
    flat = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        flat = [encode_float(v) for v in flat]
    return {"dtype": dtype_name(t.dtype), "shape": list(t.shape), "data": flat}


# ---------------------------------------------------------------------------------------------
# 1. Op cases. Each op name maps to a function of (inputs, args); golden_test.cpp has the same
# table with axon calls. Inputs of a floating dtype require grad.
# ---------------------------------------------------------------------------------------------

DT = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
      "bool": torch.bool, "uint8": torch.uint8}


def opt_dtype(args):
    return DT[args["dtype"]] if args.get("dtype") else None


OPS = {
    # elementwise, tensor-tensor (broadcasting)
    "add": lambda x, a: torch.add(x[0], x[1], alpha=a.get("alpha", 1)),
    "sub": lambda x, a: torch.sub(x[0], x[1], alpha=a.get("alpha", 1)),
    "mul": lambda x, a: torch.mul(x[0], x[1]),
    "div": lambda x, a: torch.div(x[0], x[1]),
    "pow": lambda x, a: torch.pow(x[0], x[1]),
    "maximum": lambda x, a: torch.maximum(x[0], x[1]),
    "minimum": lambda x, a: torch.minimum(x[0], x[1]),
    # elementwise with a Scalar (LibTorch's Tensor-Scalar overloads)
    "add_scalar": lambda x, a: torch.add(x[0], a["other"], alpha=a["alpha"]),
    "sub_scalar": lambda x, a: torch.sub(x[0], a["other"], alpha=a["alpha"]),
    "rsub_scalar": lambda x, a: torch.rsub(x[0], a["other"], alpha=a["alpha"]),
    "mul_scalar": lambda x, a: torch.mul(x[0], a["other"]),
    "div_scalar": lambda x, a: torch.div(x[0], a["other"]),
    "scalar_div": lambda x, a: a["self"] / x[0],
    "pow_scalar": lambda x, a: torch.pow(x[0], a["exponent"]),
    "scalar_pow": lambda x, a: torch.pow(a["self"], x[0]),
    # unary
    "neg": lambda x, a: torch.neg(x[0]),
    "exp": lambda x, a: torch.exp(x[0]),
    "log": lambda x, a: torch.log(x[0]),
    "sqrt": lambda x, a: torch.sqrt(x[0]),
    "rsqrt": lambda x, a: torch.rsqrt(x[0]),
    "abs": lambda x, a: torch.abs(x[0]),
    "sign": lambda x, a: torch.sign(x[0]),
    "sin": lambda x, a: torch.sin(x[0]),
    "cos": lambda x, a: torch.cos(x[0]),
    "tanh": lambda x, a: torch.tanh(x[0]),
    "sigmoid": lambda x, a: torch.sigmoid(x[0]),
    "relu": lambda x, a: torch.relu(x[0]),
    "square": lambda x, a: torch.square(x[0]),
    "clamp": lambda x, a: torch.clamp(x[0], a.get("min"), a.get("max")),
    "clamp_min": lambda x, a: torch.clamp_min(x[0], a["min"]),
    "clamp_max": lambda x, a: torch.clamp_max(x[0], a["max"]),
    # selection; input 0 is the condition or mask
    "where": lambda x, a: torch.where(x[0], x[1], x[2]),
    "where_scalar_self": lambda x, a: torch.where(x[0], a["self"], x[1]),
    "where_scalar_other": lambda x, a: torch.where(x[0], x[1], a["other"]),
    "masked_fill": lambda x, a: torch.masked_fill(x[1], x[0], a["value"]),
    # comparisons and logic (forward only)
    "eq": lambda x, a: torch.eq(x[0], x[1]),
    "lt": lambda x, a: torch.lt(x[0], x[1]),
    "ge_scalar": lambda x, a: torch.ge(x[0], a["other"]),
    "logical_xor": lambda x, a: torch.logical_xor(x[0], x[1]),
    # reductions
    "sum": lambda x, a: torch.sum(x[0], dtype=opt_dtype(a)),
    "sum_dim": lambda x, a: torch.sum(x[0], a["dim"], a["keepdim"], dtype=opt_dtype(a)),
    "mean": lambda x, a: torch.mean(x[0], dtype=opt_dtype(a)),
    "mean_dim": lambda x, a: torch.mean(x[0], a["dim"], a["keepdim"], dtype=opt_dtype(a)),
    "prod": lambda x, a: torch.prod(x[0]),
    "prod_dim": lambda x, a: torch.prod(x[0], a["dim"], a["keepdim"]),
    "max": lambda x, a: torch.max(x[0]),
    "min": lambda x, a: torch.min(x[0]),
    "max_dim": lambda x, a: tuple(torch.max(x[0], a["dim"], a["keepdim"])),
    "min_dim": lambda x, a: tuple(torch.min(x[0], a["dim"], a["keepdim"])),
    "amax": lambda x, a: torch.amax(x[0], a["dim"], a["keepdim"]),
    "amin": lambda x, a: torch.amin(x[0], a["dim"], a["keepdim"]),
    "argmax": lambda x, a: torch.argmax(x[0], a.get("dim"), a["keepdim"]),
    "argmin": lambda x, a: torch.argmin(x[0], a.get("dim"), a["keepdim"]),
    "var": lambda x, a: torch.var(x[0], unbiased=a["unbiased"]),
    "var_dim": lambda x, a: torch.var(x[0], a["dim"], unbiased=a["unbiased"],
                                      keepdim=a["keepdim"]),
    "std": lambda x, a: torch.std(x[0], unbiased=a["unbiased"]),
    "std_dim": lambda x, a: torch.std(x[0], a["dim"], unbiased=a["unbiased"],
                                      keepdim=a["keepdim"]),
    "logsumexp": lambda x, a: torch.logsumexp(x[0], a["dim"], a["keepdim"]),
    "softmax": lambda x, a: torch.softmax(x[0], a["dim"], dtype=opt_dtype(a)),
    "log_softmax": lambda x, a: torch.log_softmax(x[0], a["dim"], dtype=opt_dtype(a)),
    # linear algebra
    "mm": lambda x, a: torch.mm(x[0], x[1]),
    "mm_transposed": lambda x, a: torch.mm(x[0].t(), x[1].t()),
    "bmm": lambda x, a: torch.bmm(x[0], x[1]),
    "matmul": lambda x, a: torch.matmul(x[0], x[1]),
    # views, joins, splits, copies
    "view": lambda x, a: x[0].view(a["size"]),
    "reshape": lambda x, a: x[0].reshape(a["size"]),
    "transpose_reshape": lambda x, a: x[0].transpose(0, 1).reshape(a["size"]),
    "flatten": lambda x, a: torch.flatten(x[0], a["start_dim"], a["end_dim"]),
    "squeeze": lambda x, a: torch.squeeze(x[0]),
    "squeeze_dim": lambda x, a: torch.squeeze(x[0], a["dim"]),
    "unsqueeze": lambda x, a: torch.unsqueeze(x[0], a["dim"]),
    "transpose": lambda x, a: torch.transpose(x[0], a["dim0"], a["dim1"]),
    "t": lambda x, a: torch.t(x[0]),
    "permute": lambda x, a: x[0].permute(a["dims"]),
    "select": lambda x, a: torch.select(x[0], a["dim"], a["index"]),
    "slice": lambda x, a: x[0][(slice(None),) * a["dim"] + (slice(a["start"], a["end"],
                                                                  a["step"]),)],
    "narrow": lambda x, a: torch.narrow(x[0], a["dim"], a["start"], a["length"]),
    "expand": lambda x, a: x[0].expand(a["size"]),
    "broadcast_to": lambda x, a: torch.broadcast_to(x[0], a["size"]),
    "broadcast_tensors": lambda x, a: tuple(torch.broadcast_tensors(*x)),
    "split": lambda x, a: tuple(torch.split(x[0], a["split_size"], a["dim"])),
    "split_sizes": lambda x, a: tuple(torch.split(x[0], a["split_sizes"], a["dim"])),
    "chunk": lambda x, a: tuple(torch.chunk(x[0], a["chunks"], a["dim"])),
    "unbind": lambda x, a: tuple(torch.unbind(x[0], a["dim"])),
    "cat": lambda x, a: torch.cat(x, a["dim"]),
    "stack": lambda x, a: torch.stack(x, a["dim"]),
    "contiguous_transposed": lambda x, a: x[0].transpose(0, 1).contiguous(),
    "clone": lambda x, a: x[0].clone(),
    "to_dtype": lambda x, a: x[0].to(DT[a["dtype"]]),
    # compositions: an input used twice, and a small network with a loss
    "transposed_add": lambda x, a: x[0].t() + x[1],
    "strided_mul": lambda x, a: x[0][:, ::2] * x[1],
    "permuted_sum_dim": lambda x, a: torch.sum(x[0].permute(2, 0, 1), a["dim"], a["keepdim"]),
    "reuse": lambda x, a: x[0] * torch.exp(x[0]) + torch.sin(x[0]),
    "mlp_log_softmax": lambda x, a: torch.log_softmax(
        torch.matmul(torch.relu(torch.matmul(x[0], x[1]) + x[2]), x[3]), 1),
    "softmax_cross_entropy": lambda x, a: -(torch.log_softmax(x[0], 1) * x[1]).sum() / 4,
}

gen = torch.Generator().manual_seed(20240601)


def make_input(shape, kind, dtype):
    """A fixed random input; `kind` keeps it inside the op's domain and away from kinks."""
    shape = tuple(shape)
    if isinstance(kind, list):  # explicit values (ties, zeros, boundaries, non-finite)
        return torch.tensor(kind, dtype=torch.float64).reshape(shape).to(DT[dtype])
    if kind == "normal":
        t = torch.randn(shape, generator=gen, dtype=torch.float64)
    elif kind == "positive":  # log, sqrt, pow base: in [0.5, 2)
        t = 0.5 + 1.5 * torch.rand(shape, generator=gen, dtype=torch.float64)
    elif kind == "away":  # |x| in [0.3, 1.3): divisors, and abs/relu/sign away from 0
        mag = 0.3 + torch.rand(shape, generator=gen, dtype=torch.float64)
        sgn = torch.randint(0, 2, shape, generator=gen) * 2 - 1
        t = mag * sgn
    elif kind == "near_one":  # prod inputs: in [0.6, 1.4) so products stay O(1)
        t = 0.6 + 0.8 * torch.rand(shape, generator=gen, dtype=torch.float64)
    elif kind == "bool":
        return torch.randint(0, 2, shape, generator=gen).to(torch.bool)
    elif kind == "int":
        return torch.randint(-9, 10, shape, generator=gen).to(DT[dtype])
    elif kind == "int_nonzero":
        mag = torch.randint(1, 10, shape, generator=gen)
        return (mag * (torch.randint(0, 2, shape, generator=gen) * 2 - 1)).to(DT[dtype])
    elif kind == "onehot":  # rows of a one-hot target
        idx = torch.randint(0, shape[1], (shape[0],), generator=gen)
        t = torch.nn.functional.one_hot(idx, shape[1]).to(torch.float64)
    else:
        raise ValueError(kind)
    return t.to(DT[dtype])


CASES = []


def case(op, inputs, args=None, dtype="float64", grad=True):
    """inputs: list of (shape, kind) or (shape, kind, dtype); kind may be a list of values.
    grad=False checks the forward only (non-finite results)."""
    CASES.append((op, args or {}, [(s, k, (rest[0] if rest else dtype)) for s, k, *rest in inputs],
                  dtype, grad))


N = "normal"
POS = "positive"
AWAY = "away"

BROADCAST_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)),
                   ((4, 1, 3), (2, 1))]
for op in ["add", "sub", "mul", "maximum", "minimum"]:
    for sa, sb in BROADCAST_PAIRS:
        case(op, [(sa, N), (sb, N)])
for sa, sb in BROADCAST_PAIRS:
    case("div", [(sa, N), (sb, AWAY)])
    case("pow", [(sa, POS), (sb, N)])
case("add", [((2, 3), N), ((3,), N)], {"alpha": 2.5})
case("sub", [((2, 1), N), ((1, 3), N)], {"alpha": -0.5})
# mixed dtypes: float32 with float64 promotes to float64; the float32 grad stays float32
case("add", [((2, 3), N, "float32"), ((3,), N, "float64")])
case("mul", [((2, 3), N, "float64"), ((2, 3), "int", "int64")])

case("add_scalar", [((2, 3), N)], {"other": 1.5, "alpha": 2})
case("sub_scalar", [((2, 3), N)], {"other": 0.25, "alpha": 3})
case("rsub_scalar", [((2, 3), N)], {"other": 2, "alpha": 1.5})
case("mul_scalar", [((2, 3), N)], {"other": 3.5})
case("div_scalar", [((2, 3), N)], {"other": -4.0})
case("scalar_div", [((2, 3), AWAY)], {"self": 2.0})
for e in [2, 3, 0.5, -1.5, 1.7, -1, -2]:
    case("pow_scalar", [((2, 3), POS)], {"exponent": e})
case("pow_scalar", [((2, 3), N)], {"exponent": 2})
case("scalar_pow", [((2, 3), N)], {"self": 2.5})

for op, kind in [("neg", N), ("exp", N), ("log", POS), ("sqrt", POS), ("rsqrt", POS),
                 ("abs", AWAY), ("sign", AWAY), ("sin", N), ("cos", N), ("tanh", N),
                 ("sigmoid", N), ("relu", AWAY), ("square", N)]:
    case(op, [((3, 4), kind)])
case("clamp", [((3, 4), N)], {"min": -0.5, "max": 0.6})
case("clamp", [((3, 4), N)], {"min": -0.3})
case("clamp", [((3, 4), N)], {"max": 0.2})
case("clamp_min", [((3, 4), N)], {"min": 0.1})
case("clamp_max", [((3, 4), N)], {"max": -0.1})

case("where", [((2, 3), "bool"), ((2, 3), N), ((3,), N)])
case("where", [((3,), "bool"), ((2, 1), N), ((2, 3), N)])
case("where_scalar_self", [((2, 3), "bool"), ((2, 3), N)], {"self": 1.5})
case("where_scalar_other", [((2, 3), "bool"), ((2, 3), N)], {"other": -2.0})
case("masked_fill", [((3,), "bool"), ((2, 3), N)], {"value": 7.5})

case("eq", [((2, 3), "int", "int64"), ((3,), "int", "int64")])
case("lt", [((2, 3), N), ((2, 1), N)])
case("ge_scalar", [((2, 3), N)], {"other": 0.1})
case("logical_xor", [((2, 3), "bool"), ((3,), "bool")])
case("add", [((2, 3), "int", "int64"), ((3,), "int", "int64")])
case("div", [((2, 3), "int", "int64"), ((3,), "int_nonzero", "int64")])  # true division -> float32
case("mul_scalar", [((2, 3), "int", "int64")], {"other": 2.5})  # int * float -> float32
case("sum", [((2, 3), "int", "int64")])
case("sum", [((2, 3), "bool")])

X3 = (2, 3, 4)
case("sum", [(X3, N)])
for dim in [[1], [0, 2], [-1], []]:
    for keepdim in [False, True]:
        case("sum_dim", [(X3, N)], {"dim": dim, "keepdim": keepdim})
case("mean", [(X3, N)])
for dim, keepdim in [([1], False), ([0, 2], True), ([-1], True), ([], False)]:
    case("mean_dim", [(X3, N)], {"dim": dim, "keepdim": keepdim})
case("sum", [(X3, N, "float32")], {"dtype": "float64"})
case("mean_dim", [(X3, N, "float32")], {"dim": [1], "keepdim": False, "dtype": "float64"})
case("prod", [((2, 3), "near_one")])
for dim, keepdim in [(1, False), (1, True), (-1, False), (0, True)]:
    case("prod_dim", [(X3, "near_one")], {"dim": dim, "keepdim": keepdim})
case("max", [(X3, N)])
case("min", [(X3, N)])
for dim, keepdim in [(1, False), (1, True), (-1, False), (0, True)]:
    case("max_dim", [(X3, N)], {"dim": dim, "keepdim": keepdim})
    case("min_dim", [(X3, N)], {"dim": dim, "keepdim": keepdim})
for dim, keepdim in [([0, 2], False), ([0, 2], True), ([1], True), ([-1], False)]:
    case("amax", [(X3, N)], {"dim": dim, "keepdim": keepdim})
    case("amin", [(X3, N)], {"dim": dim, "keepdim": keepdim})
case("argmax", [(X3, N)], {"dim": None, "keepdim": False})
case("argmax", [(X3, N)], {"dim": 1, "keepdim": True})
case("argmin", [(X3, N)], {"dim": -1, "keepdim": False})
case("argmin", [(X3, N)], {"dim": None, "keepdim": False})
for unbiased in [True, False]:
    case("var", [(X3, N)], {"unbiased": unbiased})
    case("std", [(X3, N)], {"unbiased": unbiased})
for dim, unbiased, keepdim in [([1], True, False), ([0, 2], False, True), ([-1], True, True),
                               ([0], True, False)]:
    case("var_dim", [(X3, N)], {"dim": dim, "unbiased": unbiased, "keepdim": keepdim})
    case("std_dim", [(X3, N)], {"dim": dim, "unbiased": unbiased, "keepdim": keepdim})
for dim, keepdim in [([1], False), ([0, 2], True), ([-1], False), ([0, 1, 2], False)]:
    case("logsumexp", [(X3, N)], {"dim": dim, "keepdim": keepdim})
for dim in [0, 1, -1]:
    case("softmax", [(X3, N)], {"dim": dim})
    case("log_softmax", [(X3, N)], {"dim": dim})
case("softmax", [(X3, N, "float32")], {"dim": 1, "dtype": "float64"})
case("log_softmax", [(X3, N, "float32")], {"dim": -1, "dtype": "float64"})

case("mm", [((2, 3), N), ((3, 4), N)])
case("mm_transposed", [((3, 2), N), ((4, 3), N)])
case("bmm", [((2, 2, 3), N), ((2, 3, 4), N)])
for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
               ((2, 2, 3), (3, 4)), ((2, 3), (2, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
               ((2, 1, 2, 3), (3, 3, 2))]:
    case("matmul", [(sa, N), (sb, N)])

case("view", [(X3, N)], {"size": [6, 4]})
case("view", [(X3, N)], {"size": [-1]})
case("view", [(X3, N)], {"size": [4, -1, 2]})
case("reshape", [(X3, N)], {"size": [3, 8]})
case("transpose_reshape", [(X3, N)], {"size": [3, -1]})
case("flatten", [(X3, N)], {"start_dim": 0, "end_dim": -1})
case("flatten", [(X3, N)], {"start_dim": 1, "end_dim": 2})
case("squeeze", [((2, 1, 3, 1), N)])
case("squeeze_dim", [((2, 1, 3, 1), N)], {"dim": 1})
case("squeeze_dim", [((2, 1, 3, 1), N)], {"dim": 0})  # size 2: no-op
case("unsqueeze", [((2, 3), N)], {"dim": 0})
case("unsqueeze", [((2, 3), N)], {"dim": -1})
case("transpose", [(X3, N)], {"dim0": 0, "dim1": 2})
case("t", [((3, 4), N)])
case("permute", [(X3, N)], {"dims": [2, 0, 1]})
case("select", [(X3, N)], {"dim": 1, "index": -1})
case("select", [(X3, N)], {"dim": 0, "index": 1})
case("slice", [(X3, N)], {"dim": 2, "start": 1, "end": 4, "step": 2})
case("slice", [(X3, N)], {"dim": 1, "start": -2, "end": None, "step": 1})
case("slice", [(X3, N)], {"dim": 0, "start": None, "end": 1, "step": 1})
case("narrow", [(X3, N)], {"dim": 2, "start": 1, "length": 2})
case("expand", [((3, 1), N)], {"size": [2, 3, 4]})
case("expand", [((3, 1), N)], {"size": [2, -1, 4]})
case("broadcast_to", [((1, 4), N)], {"size": [3, 4]})
case("broadcast_tensors", [((2, 1), N), ((3,), N)])
case("split", [(X3, N)], {"split_size": 3, "dim": 2})
case("split_sizes", [(X3, N)], {"split_sizes": [1, 2], "dim": 1})
case("chunk", [(X3, N)], {"chunks": 3, "dim": 2})
case("unbind", [(X3, N)], {"dim": 1})
case("cat", [((2, 3), N), ((1, 3), N), ((3, 3), N)], {"dim": 0})
case("cat", [((2, 1), N), ((2, 3), N)], {"dim": -1})
for dim in [0, 1, -1]:
    case("stack", [((2, 3), N), ((2, 3), N), ((2, 3), N)], {"dim": dim})
case("contiguous_transposed", [(X3, N)])
case("clone", [(X3, N)])
case("to_dtype", [((2, 3), N, "float32")], {"dtype": "float64"})
case("to_dtype", [((2, 3), N, "float64")], {"dtype": "float32"})
case("reuse", [((3, 4), N)])
MLP = [((4, 3), N), ((3, 5), N), ((5,), N), ((5, 2), N)]
case("mlp_log_softmax", MLP)
case("softmax_cross_entropy", [((4, 5), N), ((4, 5), "onehot")])

# Edge cases: ties, zeros, clamp boundaries, large values, non-finite inputs, empty tensors,
# non-contiguous inputs. These pin PyTorch's conventions (how ties share a gradient, the
# masked 0 * log(0) terms, which index wins), not just its arithmetic.
TIES_A = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
TIES_B = [1.0, 0.0, 3.0, 7.0, 5.0, 0.0]
case("maximum", [((2, 3), TIES_A), ((2, 3), TIES_B)])
case("minimum", [((2, 3), TIES_A), ((2, 3), TIES_B)])
TIES = [1.0, 3.0, 3.0, 0.0, 3.0, 2.0, -1.0, -1.0, 0.5, -1.0, 2.0, 2.0]
case("max", [((2, 2, 3), TIES)])
case("min", [((2, 2, 3), TIES)])
for dim in [1, 2]:
    case("max_dim", [((2, 2, 3), TIES)], {"dim": dim, "keepdim": False})
    case("min_dim", [((2, 2, 3), TIES)], {"dim": dim, "keepdim": True})
case("amax", [((2, 2, 3), TIES)], {"dim": [0, 2], "keepdim": False})
case("amax", [((2, 2, 3), TIES)], {"dim": [-1], "keepdim": True})
case("amin", [((2, 2, 3), TIES)], {"dim": [1, 2], "keepdim": False})
case("argmax", [((2, 2, 3), TIES)], {"dim": 2, "keepdim": False})
case("argmax", [((2, 2, 3), TIES)], {"dim": None, "keepdim": False})
case("argmin", [((2, 2, 3), TIES)], {"dim": 1, "keepdim": False})
BOUNDARY = [-0.5, 0.6, 0.0, -1.0, 1.0, 0.3]
case("clamp", [((2, 3), BOUNDARY)], {"min": -0.5, "max": 0.6})
case("clamp_min", [((2, 3), BOUNDARY)], {"min": 0.0})
case("clamp_max", [((2, 3), BOUNDARY)], {"max": 0.6})
AT_ZERO = [-1.0, 0.0, 2.0, 0.0, -0.5, 3.0]
for op in ["relu", "abs", "sign"]:
    case(op, [((2, 3), AT_ZERO)])
case("prod", [((2, 3), [2.0, 0.0, 3.0, 1.5, -2.0, 0.5])])
case("prod_dim", [((2, 3), [2.0, 0.0, 3.0, 1.5, -2.0, 0.5])], {"dim": 1, "keepdim": False})
case("prod", [((2, 3), [0.0, 2.0, 0.0, 1.0, 0.0, 3.0])])
case("prod_dim", [((2, 3), [0.0, 2.0, 0.0, 1.0, 0.0, 3.0])], {"dim": 1, "keepdim": True})
case("prod_dim", [((2, 3), [0.0, 2.0, 0.0, 1.0, 0.0, 3.0])], {"dim": 0, "keepdim": False})
case("pow", [((2, 2), [0.0, 0.5, 0.0, 2.0]), ((2, 2), [2.0, 1.5, 3.0, 0.0])])
for e in [2, 3, 0, 0.0]:
    case("pow_scalar", [((3,), [0.0, 1.5, -2.0])], {"exponent": e})
case("scalar_pow", [((3,), [0.0, 1.5, 2.0])], {"self": 0.0})
case("scalar_pow", [((3,), [0.0, 1.5, -2.0])], {"self": 1.0})
LARGE = [1000.0, 1000.5, 999.0, -1000.0, -1001.0, -999.5]
case("logsumexp", [((2, 3), LARGE)], {"dim": [1], "keepdim": False})
case("logsumexp", [((2, 3), LARGE)], {"dim": [0, 1], "keepdim": True})
case("softmax", [((2, 3), LARGE)], {"dim": 1})
case("log_softmax", [((2, 3), LARGE)], {"dim": 1})
SATURATE = [-800.0, -30.0, 0.0, 30.0, 800.0, -0.25]
case("sigmoid", [((2, 3), SATURATE)])
case("tanh", [((2, 3), SATURATE)])
case("sigmoid", [((2, 3), SATURATE)], dtype="float32")
case("log_softmax", [((2, 3), LARGE)], {"dim": 1}, dtype="float32")
NAN = float("nan")
INF = float("inf")
WITH_NAN = [1.0, NAN, 2.0, -1.0, 0.5, -3.0]
for op, args in [("max", {}), ("min", {}), ("max_dim", {"dim": 1, "keepdim": False}),
                 ("min_dim", {"dim": 0, "keepdim": False}),
                 ("amax", {"dim": [1], "keepdim": False}), ("argmax", {"dim": 1, "keepdim": False}),
                 ("argmin", {"dim": None, "keepdim": False}), ("sum", {}),
                 ("clamp", {"min": -0.5, "max": 0.6}), ("relu", {}), ("sign", {}),
                 ("softmax", {"dim": 1}), ("logsumexp", {"dim": [1], "keepdim": False})]:
    case(op, [((2, 3), WITH_NAN)], args, grad=False)
case("maximum", [((2, 3), WITH_NAN), ((2, 3), [NAN, 0.0, 1.0, 2.0, NAN, 0.0])], grad=False)
case("minimum", [((2, 3), WITH_NAN), ((2, 3), [NAN, 0.0, 1.0, 2.0, NAN, 0.0])], grad=False)
WITH_INF = [INF, -INF, 1.0, -INF, -INF, -INF]
case("logsumexp", [((2, 3), WITH_INF)], {"dim": [1], "keepdim": False}, grad=False)
for op in ["softmax", "log_softmax"]:
    case(op, [((3, 3), [INF, 1.0, 0.0, -INF, 0.0, 1.0, -INF, -INF, -INF])], {"dim": 1}, grad=False)
case("exp", [((3,), [1000.0, -1000.0, 0.0])], grad=False)
case("log", [((4,), [0.0, -1.0, INF, 1.0])], grad=False)
case("div", [((4,), [1.0, -1.0, 0.0, 2.0]), ((4,), [0.0, 0.0, 0.0, INF])], grad=False)
case("var_dim", [((2, 1, 3), N)], {"dim": [1], "unbiased": True, "keepdim": False}, grad=False)
case("var_dim", [((2, 1, 3), N)], {"dim": [1], "unbiased": False, "keepdim": False})
case("sum_dim", [((2, 0), N)], {"dim": [1], "keepdim": False})
case("sum", [((0, 3), N)])
case("mean", [((0, 3), N)], grad=False)
case("cat", [((0, 3), N), ((2, 3), N)], {"dim": 0})
case("matmul", [((2, 0), N), ((0, 3), N)])
case("pow_scalar", [((2, 3), "int", "int64")], {"exponent": 2})
case("clamp", [((2, 3), "int", "int64")], {"min": -3, "max": 4})
case("max_dim", [((2, 3), "int", "int64")], {"dim": 1, "keepdim": False})
case("transposed_add", [((3, 2), N), ((2, 3), N)])
case("strided_mul", [((2, 6), N), ((3,), N)])
case("permuted_sum_dim", [(X3, N)], {"dim": [0, 2], "keepdim": True})
case("permuted_sum_dim", [(X3, N)], {"dim": [1], "keepdim": False})

# float32: the same math in single precision (tolerances in golden_test.cpp)
F32 = "float32"
case("add", [((2, 3), N), ((3,), N)], dtype=F32)
case("mul", [((2, 1), N), ((1, 3), N)], dtype=F32)
case("div", [((2, 3), N), ((2, 3), AWAY)], dtype=F32)
case("pow", [((2, 3), POS), ((2, 3), N)], dtype=F32)
case("pow_scalar", [((2, 3), POS)], {"exponent": 1.7}, dtype=F32)
for op, kind in [("exp", N), ("log", POS), ("sqrt", POS), ("rsqrt", POS), ("sin", N),
                 ("cos", N), ("tanh", N), ("sigmoid", N), ("relu", AWAY)]:
    case(op, [((3, 4), kind)], dtype=F32)
case("sum_dim", [(X3, N)], {"dim": [0, 2], "keepdim": False}, dtype=F32)
case("mean_dim", [(X3, N)], {"dim": [1], "keepdim": True}, dtype=F32)
case("prod_dim", [(X3, "near_one")], {"dim": 1, "keepdim": False}, dtype=F32)
case("max_dim", [(X3, N)], {"dim": 2, "keepdim": False}, dtype=F32)
case("var_dim", [(X3, N)], {"dim": [1], "unbiased": True, "keepdim": False}, dtype=F32)
case("std", [(X3, N)], {"unbiased": True}, dtype=F32)
case("logsumexp", [(X3, N)], {"dim": [-1], "keepdim": False}, dtype=F32)
case("softmax", [(X3, N)], {"dim": -1}, dtype=F32)
case("log_softmax", [(X3, N)], {"dim": 1}, dtype=F32)
case("mm", [((2, 3), N), ((3, 4), N)], dtype=F32)
case("bmm", [((2, 2, 3), N), ((2, 3, 4), N)], dtype=F32)
case("matmul", [((2, 1, 2, 3), N), ((3, 3, 2), N)], dtype=F32)
case("cat", [((2, 3), N), ((1, 3), N)], {"dim": 0}, dtype=F32)
case("mlp_log_softmax", MLP, dtype=F32)


def run_case(op, args, specs, dtype, grad):
    inputs = []
    for shape, kind, in_dtype in specs:
        t = make_input(shape, kind, in_dtype)
        if t.dtype.is_floating_point and grad:
            t.requires_grad_(True)
        inputs.append(t)
    out = OPS[op](inputs, args)
    outs = list(out) if isinstance(out, tuple) else [out]
    weights = []
    loss = None
    for o in outs:
        if o.dtype.is_floating_point and o.requires_grad:
            w = torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype)
            weights.append(enc(w))
            term = (o * w).sum()
            loss = term if loss is None else loss + term
        else:
            weights.append(None)
    grads = [None] * len(inputs)
    if loss is not None:
        diff = [t for t in inputs if t.requires_grad]
        got = torch.autograd.grad(loss, diff, allow_unused=True)
        it = iter(got)
        for i, t in enumerate(inputs):
            if t.requires_grad:
                g = next(it)
                grads[i] = enc(g if g is not None else torch.zeros_like(t))
    return {
        "op": op,
        "args": args,
        "dtype": dtype,
        "inputs": [enc(t) for t in inputs],
        "outputs": [enc(o) for o in outs],
        "weights": weights,
        "grads": grads,
    }


# ---------------------------------------------------------------------------------------------
# 2. Random streams. Each entry seeds the default generator, then makes the calls in order, so
# that state carried from one call to the next (mt19937 position, the cached Box-Muller value)
# is checked too.
# ---------------------------------------------------------------------------------------------


def call(fn, **kw):
    dtype = DT[kw.get("dtype", "float32")]
    if fn == "rand":
        r = torch.rand(kw["size"], dtype=dtype)
    elif fn == "randn":
        r = torch.randn(kw["size"], dtype=dtype)
    elif fn == "randint":
        if "low" in kw:
            r = torch.randint(kw["low"], kw["high"], kw["size"])
        else:
            r = torch.randint(kw["high"], kw["size"])
    elif fn == "randperm":
        r = torch.randperm(kw["n"])
    elif fn == "uniform_":
        r = torch.empty(kw["size"], dtype=dtype).uniform_(kw["from"], kw["to"])
    elif fn == "normal_":
        r = torch.empty(kw["size"], dtype=dtype).normal_(kw["mean"], kw["std"])
    else:
        raise ValueError(fn)
    entry = {"fn": fn}
    entry.update(kw)
    entry["result"] = enc(r)
    return entry


def random_streams():
    streams = []
    for seed in [0, 1, 1234]:
        plans = []
        for n in [5, 16, 17, 100]:
            plans.append([("rand", {"size": [n]})])
            plans.append([("randn", {"size": [n]})])
        for n in [5, 17]:
            plans.append([("rand", {"size": [n], "dtype": "float64"})])
        for n in [5, 16, 17, 100]:
            plans.append([("randn", {"size": [n], "dtype": "float64"})])
        plans.append([("rand", {"size": [2, 3]}), ("randn", {"size": [3, 2]})])
        plans.append([("randint", {"low": 0, "high": 10, "size": [20]})])
        plans.append([("randint", {"low": -5, "high": 5, "size": [7]})])
        plans.append([("randint", {"high": 3, "size": [2, 4]})])
        plans.append([("randint", {"low": 0, "high": 2 ** 40, "size": [6]})])
        plans.append([("randint", {"low": -2 ** 35, "high": 2 ** 35, "size": [5]})])
        plans.append([("randint", {"low": 0, "high": 2 ** 32, "size": [4]})])  # range == 2^32
        for n in [1, 2, 5, 10, 50]:
            plans.append([("randperm", {"n": n})])
        # sequences: mt19937 position and the cached normal carry over between calls
        plans.append([("rand", {"size": [3]}), ("randn", {"size": [5]}),
                      ("randint", {"low": 0, "high": 100, "size": [4]}),
                      ("randn", {"size": [3]})])
        plans.append([("randn", {"size": [1]}), ("randn", {"size": [1]}),
                      ("randn", {"size": [1], "dtype": "float64"}),
                      ("rand", {"size": [2]})])
        plans.append([("randn", {"size": [3]}), ("randn", {"size": [20]}),
                      ("randn", {"size": [2]}), ("randperm", {"n": 6}),
                      ("rand", {"size": [4], "dtype": "float64"})])
        for dtype in ["float32", "float64"]:
            for lo, hi in [(-2.0, 3.0), (0.5, 1.5), (-1.0, 1.0), (1.1, 2.3), (0.0, 0.1)]:
                plans.append([("uniform_", {"size": [9], "from": lo, "to": hi, "dtype": dtype})])
            for n in [5, 20, 100]:
                for mean, std in [(1.5, 0.5), (-2.0, 3.0), (0.0, 1.0)]:
                    plans.append([("normal_", {"size": [n], "mean": mean, "std": std,
                                               "dtype": dtype})])
        for calls in plans:
            torch.manual_seed(seed)
            streams.append({"seed": seed, "calls": [call(fn, **kw) for fn, kw in calls]})
    return streams


# ---------------------------------------------------------------------------------------------
# 3. Printing. Each case is a tensor (optionally made a leaf that requires grad, optionally
# passed through an op so it carries a grad_fn), the print options in force, and repr().
# ---------------------------------------------------------------------------------------------

PRINT_OPS = {
    # Tensor-tensor ops only: Python wraps number operands into tensors (MulBackward0) where
    # LibTorch's Tensor-Scalar overloads record MulBackward1, so scalar ops would not compare.
    "mul_two": lambda t: t * torch.tensor(2.0, dtype=t.dtype),
    "sum": lambda t: t.sum(),
    "neg": lambda t: -t,
    "exp": lambda t: t.exp(),
    "sigmoid": lambda t: t.sigmoid(),
    "t": lambda t: t.t(),  # a non-contiguous view, printed in logical order
}

DEFAULT_PRINT = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                 "sci_mode": None}


def print_cases():
    nan, inf = float("nan"), float("inf")
    f64 = torch.float64
    cases = []

    def add(name, t, requires_grad=False, op=None, options=None):
        leaf = t.clone()
        if requires_grad:
            leaf.requires_grad_(True)
        opts = dict(DEFAULT_PRINT)
        opts.update(options or {})
        torch.set_printoptions(**opts)
        shown = PRINT_OPS[op](leaf) if op else leaf
        text = repr(shown)
        torch.set_printoptions(**DEFAULT_PRINT)
        cases.append({"name": name, "tensor": enc(t), "requires_grad": requires_grad, "op": op,
                      "options": options or {}, "repr": text})

    ar = lambda n, dtype=torch.float32: torch.arange(n, dtype=torch.float64).to(dtype)
    add("int64", torch.tensor([1, 2, 3]))
    add("int64_negative", torch.tensor([[1, -20, 300], [-4000, 5, 0]]))
    add("bool", torch.tensor([[True, False], [False, True]]))
    add("uint8", torch.tensor([1, 2, 255], dtype=torch.uint8))
    add("float_int_mode", torch.tensor([1.0, 2.0, -3.0]))
    add("float_int_mode_2d", torch.tensor([[1.0, 20.0], [300.0, -4.0]]))
    add("float_precision4", torch.tensor([1.5, -2.25, 3.14159, 0.01]))
    add("float_precision4_2d", torch.tensor([[1.5, -22.25], [333.125, 4.0]]))
    add("float_round_half_even", torch.tensor([0.03125, 0.15625, 1.5, -0.09375]))
    add("float_int_mode_large", torch.tensor([1e7, 2e7, -3.0e7]))
    add("float_transposed", (ar(6) / 4).reshape(2, 3), op="t")
    add("float_zeros", torch.zeros(3))
    add("float_negative_zero", torch.tensor([-0.0, 1.0]))
    add("sci_small_min", torch.tensor([1e-5, 1.0, 2.5]))
    add("sci_large_ratio", torch.tensor([0.1, 200.5]))
    add("sci_int_ratio", torch.tensor([1.0, 2000.0]))
    add("sci_int_large", torch.tensor([123456789.0 * 4, 1.0, 3.0]))
    add("sci_large_value", torch.tensor([1.5e9, 2.25e9]))
    add("sci_negative", torch.tensor([-1e-5, 3.0, -42.0]))
    add("sci_round_half_even", torch.tensor([1.03125, 1e-5, -2.15625]))
    add("sci_2d", torch.tensor([[1e-6, 1.0], [-5e3, 1e10]]))
    add("nan_inf_int_mode", torch.tensor([nan, 1.0, inf]))
    add("nan_inf_fixed", torch.tensor([nan, 1.5, -inf, 2.25]))
    add("nan_only", torch.tensor([nan, nan]))
    add("inf_only", torch.tensor([inf, -inf]))
    add("nan_sign_bit", -torch.tensor([nan, 1.5]))  # PyTorch prints "nan", never "-nan"
    add("nan_sci", torch.tensor([nan, 1e-7, inf, 3.0]))
    add("zero_dim_float", torch.tensor(3.5))
    add("zero_dim_int_mode", torch.tensor(2.0))
    add("zero_dim_int", torch.tensor(7))
    add("zero_dim_bool", torch.tensor(True))
    add("zero_dim_sci", torch.tensor(1e-8))
    add("zero_dim_nan", torch.tensor(nan))
    add("zero_dim_float64", torch.tensor(1.5, dtype=f64))
    add("empty_1d", torch.zeros(0))
    add("empty_2d", torch.zeros(2, 0))
    add("empty_int64", torch.zeros(0, dtype=torch.int64))
    add("empty_float64_2d", torch.zeros(0, 3, dtype=f64))
    add("empty_requires_grad", torch.zeros(0), requires_grad=True)
    add("float64", torch.tensor([[1.25, 2.5], [3.0, 4.125]], dtype=f64))
    add("float64_int_mode", torch.tensor([1.0, 2.0], dtype=f64))
    add("requires_grad", torch.tensor([1.0, 2.0]), requires_grad=True)
    add("requires_grad_float64", torch.tensor([0.5, 2.0], dtype=f64), requires_grad=True)
    add("grad_fn_mul", torch.tensor([[1.0, 2.0], [3.0, 4.5]]), requires_grad=True, op="mul_two")
    add("grad_fn_sum", torch.tensor([1.0, 2.0, 3.5]), requires_grad=True, op="sum")
    add("grad_fn_neg_float64", torch.tensor([1.0, -2.0], dtype=f64), requires_grad=True,
        op="neg")
    add("grad_fn_exp", torch.tensor([0.0, 1.0]), requires_grad=True, op="exp")
    add("grad_fn_sigmoid", torch.tensor([0.0]), requires_grad=True, op="sigmoid")
    add("wrap_1d", ar(30) / 7)
    add("wrap_1d_int", torch.arange(40) * 1000)
    add("wrap_2d", (ar(60) / 9 - 3).reshape(3, 20))
    add("wrap_suffix_float64", ar(16, f64) / 3, requires_grad=True)
    add("wrap_suffix_grad_fn", ar(24) / 7, requires_grad=True, op="mul_two")
    add("summarize_1d", (ar(2000) + 1000) / 4)
    add("summarize_1d_sci", ar(2000) / 4)
    add("summarize_1d_int", torch.arange(1001))
    add("summarize_not_at_threshold", torch.arange(1000))
    add("summarize_2d", (ar(1200) / 8).reshape(40, 30))
    add("summarize_2d_wide", (ar(1200) / 8).reshape(2, 600))
    add("summarize_2d_tall", ar(1001).reshape(1001, 1))
    add("summarize_3d", (ar(1320) - 660).reshape(11, 10, 12))
    add("summarize_float64_grad", ar(1500, f64) / 16, requires_grad=True)
    add("summarize_bool", torch.arange(1100) % 3 == 0)
    add("options_precision2", torch.tensor([1.23456, -2.5]), options={"precision": 2})
    add("options_sci_off", torch.tensor([1e-5, 1.0]), options={"sci_mode": False})
    add("options_sci_on", torch.tensor([1.5, 2.0]), options={"sci_mode": True})
    add("options_linewidth", ar(12) / 3, options={"linewidth": 40})
    add("options_threshold", ar(10), options={"threshold": 5, "edgeitems": 2})
    add("options_threshold_2d", ar(24).reshape(6, 4), options={"threshold": 5, "edgeitems": 1})
    return cases


def cpu_capability():
    m = re.search(r"CPU capability usage: (\w+)", torch.__config__.show())
    return m.group(1) if m else "unknown"


def main():
    golden = {
        "torch_version": torch.__version__,
        # Some CPU kernels depend on it: with AVX2 uniform_ computes x * (to - from) + from
        # with a fused multiply-add and randn on >= 16 floats uses vectorised Box-Muller.
        "cpu_capability": cpu_capability(),
        "ops": [run_case(*c) for c in CASES],
        "random": random_streams(),
        "print": print_cases(),
    }
    # One entry per line, so that a regenerated file diffs readably.
    dump = lambda v: json.dumps(v, separators=(",", ":"), allow_nan=False)
    lines = ["{"]
    for key, value in golden.items():
        if isinstance(value, list):
            lines.append("%s:[" % dump(key))
            lines.append(",\n".join(dump(entry) for entry in value))
            lines.append("],")
        else:
            lines.append("%s:%s," % (dump(key), dump(value)))
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d op cases, %d random streams, %d print cases, %d bytes" %
          (OUT, len(golden["ops"]), len(golden["random"]), len(golden["print"]),
           os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
