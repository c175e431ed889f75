#!/usr/bin/env python3
"""axon against PyTorch, side by side: the same models, batch sizes, optimizer, thread count and
timing on synthetic data, run alternately (axon, PyTorch, axon, PyTorch, ...) per row so that a
noisy machine slows both alike. Prints, per row, each side's median training and inference
throughput and the ratio axon / PyTorch.

  benchmarks/compare_pytorch.py --rows lenet5:64,mlp:512,cifar-cnn:64 --threads 2
  benchmarks/compare_pytorch.py --device cuda --models lenet5,cifar-cnn --batch-sizes 64,1024
  benchmarks/compare_pytorch.py --dry-run ...     # the plan only: no torch, nothing run

axon's side is axon-bench (--axon-bench, default build/apps/bench/axon-bench); PyTorch's side is
this script started again with --worker. On CUDA the PyTorch side also runs torch.compile and a
CUDA-graph-captured step, where the installed torch supports them. Use Debian's python3-torch
(/usr/bin/python3) on the CPU. torch is imported only by the worker, so --dry-run works without it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["mlp", "lenet5", "cifar-cnn", "cifar-cnn-bn"]
CLASSES = 10
POOL = 4  # synthetic batches cycled through, as axon-bench does

# The speed targets of issue 6: (device, model, batch) -> the least axon / PyTorch (eager)
# training-throughput ratio.
TARGETS = {
    ("cpu", "lenet5", 64): 2.0,
    ("cpu", "mlp", 512): 1.5,
    ("cpu", "cifar-cnn", 64): 1.5,
    ("cuda", "lenet5", 64): 5.0,
    ("cuda", "lenet5", 1024): 1.5,
    ("cuda", "cifar-cnn", 256): 1.5,
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated, as axon-bench's")
    p.add_argument("--batch-sizes", default="64,256,1024", help="comma-separated")
    p.add_argument("--rows", default="",
                   help="model:batch pairs instead of --models x --batch-sizes, e.g. lenet5:64,mlp:512")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--threads", type=int, default=2, help="CPU threads of both sides")
    p.add_argument("--torch-threads", type=int, default=0,
                   help="PyTorch's CPU threads when they should differ from axon's (0: --threads)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3, help="axon/PyTorch alternations per row")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--axon-bench", default=os.path.join(REPO, "build", "apps", "bench", "axon-bench"))
    p.add_argument("--json", default="", help="write every run's figures and the ratios here")
    p.add_argument("--axon-cuda-graph", action="store_true",
                   help="axon's side replays a CUDA graph of the step (axon-bench --cuda-graph)")
    p.add_argument("--tf32", action="store_true",
                   help="GPU: both sides let matrix products and convolutions use TF32 tensor cores "
                        "(default: float32 math on both; PyTorch's own default allows TF32 in "
                        "cuDNN convolutions)")
    p.add_argument("--dry-run", action="store_true", help="print the plan; import and run nothing")
    # Internal: the PyTorch side of one row and variant, printing its figures as JSON.
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--variant", choices=["eager", "compile", "graph"], default="eager",
                   help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    for flag in ("threads", "steps", "repeats", "rounds"):
        if getattr(a, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(a, flag)}")
    if a.torch_threads < 0:
        p.error(f"--torch-threads must be >= 0, got {a.torch_threads}")
    if a.warmup < 0:
        p.error(f"--warmup must be >= 0, got {a.warmup}")
    if a.axon_cuda_graph and a.device != "cuda":
        p.error("--axon-cuda-graph needs --device cuda")
    if a.tf32 and a.device != "cuda":
        p.error("--tf32 needs --device cuda")
    a.row_list = rows_of(p, a)
    return a


def rows_of(p, a):
    def model(name):
        if name not in MODELS:
            p.error(f'model "{name}" is not one of {", ".join(MODELS)}')
        return name

    def batch(text):
        if not text.isdigit() or int(text) < 1:
            p.error(f'batch sizes must be positive integers, got "{text}"')
        return int(text)

    if a.rows:
        pairs = [item.split(":") for item in a.rows.split(",")]
        if any(len(pair) != 2 for pair in pairs):
            p.error(f"--rows takes model:batch pairs, got {a.rows}")
        return [(model(m), batch(b)) for m, b in pairs]
    return [(model(m), batch(b)) for m in a.models.split(",") for b in a.batch_sizes.split(",")]


def common_flags(a, threads):
    return ["--threads", str(threads), "--warmup", str(a.warmup), "--steps", str(a.steps),
            "--repeats", str(a.repeats), "--optimizer", a.optimizer, "--lr", str(a.lr)] + tf32_flag(a)


def axon_command(a, model, batch, json_path):
    graph = ["--cuda-graph"] if a.axon_cuda_graph else []
    return [a.axon_bench, "--models", model, "--batch-sizes", str(batch), "--devices", a.device,
            "--quiet", "--json", json_path] + graph + common_flags(a, a.threads)


def tf32_flag(a):
    return ["--tf32"] if a.tf32 else []


def torch_command(a, model, batch, variant):
    return [sys.executable, os.path.abspath(__file__), "--worker", "--variant", variant,
            "--rows", f"{model}:{batch}", "--device", a.device] + common_flags(a, torch_threads(a))


def torch_threads(a):
    return a.torch_threads or a.threads


def variants(a):
    return ["eager", "compile", "graph"] if a.device == "cuda" else ["eager"]


# ---- the PyTorch side (--worker) -----------------------------------------------------------


def torch_models(nn, F):
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, CLASSES)

        def forward(self, x):
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))

    class LeNet5(nn.Module):  # 28x28 input, conv1 padding 2, as axon's
        def __init__(self):
            super().__init__()
            self.conv1, self.pool1 = nn.Conv2d(1, 6, 5, padding=2), nn.MaxPool2d(2)
            self.conv2, self.pool2 = nn.Conv2d(6, 16, 5), nn.MaxPool2d(2)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, CLASSES)

        def forward(self, x):
            x = self.pool1(F.relu(self.conv1(x)))
            x = self.pool2(F.relu(self.conv2(x)))
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))

    class CifarCNN(nn.Module):  # PyTorch's CIFAR-10 tutorial network, BatchNorm optional
        def __init__(self, batch_norm):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(3, 6, 5), nn.Conv2d(6, 16, 5)
            self.bn1 = nn.BatchNorm2d(6) if batch_norm else None
            self.bn2 = nn.BatchNorm2d(16) if batch_norm else None
            self.pool = nn.MaxPool2d(2)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, CLASSES)

        def forward(self, x):
            x = self.conv1(x)
            x = self.pool(F.relu(self.bn1(x) if self.bn1 is not None else x))
            x = self.conv2(x)
            x = self.pool(F.relu(self.bn2(x) if self.bn2 is not None else x))
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))

    return {"mlp": (MLP, (1, 28, 28)), "lenet5": (LeNet5, (1, 28, 28)),
            "cifar-cnn": (lambda: CifarCNN(False), (3, 32, 32)),
            "cifar-cnn-bn": (lambda: CifarCNN(True), (3, 32, 32))}


def worker(a):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    (model_name, batch), = a.row_list
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    # Float32 math unless --tf32, on both sides alike (axon: axon-bench --tf32).
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    make, shape = torch_models(nn, F)[model_name]
    model = make().to(device)
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    pool = [(torch.rand(batch, *shape), torch.randint(0, CLASSES, (batch,))) for _ in range(POOL)]
    if cuda:
        pool = [(x.pin_memory(), y.pin_memory()) for x, y in pool]

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def throughput(run):
        for i in range(a.warmup):
            run(i)
        rates = []
        for _ in range(a.repeats):
            sync()
            start = time.perf_counter()
            for i in range(a.steps):
                run(i)
            sync()
            rates.append(batch * a.steps / (time.perf_counter() - start))
        return statistics.median(rates), rates

    def measure():
        net = torch.compile(model) if a.variant == "compile" else model
        if a.variant == "graph":
            step = graphed_train_step(torch, F, model, opt, pool, batch, shape, device)
        else:
            def step(i):  # the order of axon-bench's step: data, copy, forward, backward, optimizer
                x, y = pool[i % POOL]
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                loss = F.cross_entropy(net(x), y)
                loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)  # axon's zero_grad default, PyTorch 2's
                return loss
        train, train_repeats = throughput(step)
        loss = float(step(0))
        inputs = [x.to(device) for x, _ in pool]
        model.eval()
        with torch.no_grad():
            if a.variant == "graph":
                forward = graphed_forward(torch, model, inputs)
            else:
                def forward(i):
                    net(inputs[i % POOL])
            infer, infer_repeats = throughput(forward)
        return {"torch": torch.__version__, "train_images_per_s": train,
                "train_images_per_s_repeats": train_repeats, "infer_images_per_s": infer,
                "infer_images_per_s_repeats": infer_repeats, "final_loss": loss,
                "threads": torch.get_num_threads()}

    if a.variant == "compile" and not hasattr(torch, "compile"):
        return {"unavailable": f"torch {torch.__version__} has no torch.compile"}
    if a.variant == "graph" and not (cuda and hasattr(torch.cuda, "CUDAGraph")):
        return {"unavailable": "CUDA graphs need a GPU and torch.cuda.CUDAGraph"}
    if a.variant == "eager":
        return measure()
    try:
        return measure()
    except Exception as e:  # a variant this torch or this GPU cannot run is reported, not fatal
        return {"unavailable": f"{type(e).__name__}: {e}"}


def graphed_train_step(torch, F, model, opt, pool, batch, shape, device):
    """Whole-step capture, as in PyTorch's CUDA-graph documentation: warm up on a side stream,
    capture forward, backward and the optimizer step on static tensors; each step copies its
    batch into them and replays."""
    static_x = torch.empty((batch, *shape), device=device)
    static_y = torch.empty((batch,), dtype=torch.long, device=device)
    static_x.copy_(pool[0][0])
    static_y.copy_(pool[0][1])
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(static_x), static_y).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = F.cross_entropy(model(static_x), static_y)
        static_loss.backward()
        opt.step()

    def step(i):
        x, y = pool[i % POOL]
        static_x.copy_(x, non_blocking=True)
        static_y.copy_(y, non_blocking=True)
        graph.replay()
        return static_loss

    return step


def graphed_forward(torch, model, inputs):
    """The forward pass (eval, no grad) captured once on a static input and replayed."""
    static_in = inputs[0].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            model(static_in)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        model(static_in)

    def forward(i):
        static_in.copy_(inputs[i % POOL])
        graph.replay()

    return forward


# ---- the driver ----------------------------------------------------------------------------


def threads_text(a):
    if torch_threads(a) == a.threads:
        return f"{a.threads} threads"
    return f"axon {a.threads} threads, PyTorch {torch_threads(a)}"


def math_text(a):
    if a.device != "cuda":
        return ""
    return "; TF32 allowed on both sides" if a.tf32 else "; float32 math on both sides (no TF32)"


def show(command):
    return " ".join(command)


def dry_run(a):
    axon = "axon (CUDA graph)" if a.axon_cuda_graph else "axon"
    print(f"plan: {len(a.row_list)} rows x {a.rounds} rounds on {a.device}, {threads_text(a)}; "
          f"each round runs {axon}, then PyTorch ({', '.join(variants(a))}){math_text(a)}")
    for model, batch in a.row_list:
        target = TARGETS.get((a.device, model, batch))
        print(f"row {model} batch {batch}" + (f" (target >= {target}x PyTorch eager)" if target else ""))
        for r in range(1, a.rounds + 1):
            print(f"  round {r} A: {show(axon_command(a, model, batch, '<tmp.json>'))}")
            for v in variants(a):
                print(f"  round {r} B: {show(torch_command(a, model, batch, v))}")
    if sys.modules.get("torch") is not None:  # the dry-run test plants None there
        sys.exit("compare_pytorch.py: --dry-run imported torch")
    return 0


def run_json(command):
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"compare_pytorch.py: {show(command)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def compare(a):
    if not os.access(a.axon_bench, os.X_OK):
        sys.exit(f"compare_pytorch.py: no axon-bench at {a.axon_bench} (build it, or pass --axon-bench)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "axon.json")
        for model, batch in a.row_list:
            runs = {"axon": []}
            for r in range(a.rounds):
                run_json(axon_command(a, model, batch, path))
                with open(path) as f:
                    bench = json.load(f)
                runs["axon"].append(bench["rows"][0])
                for v in variants(a):
                    runs.setdefault(v, []).append(json.loads(run_json(torch_command(a, model, batch, v))))
                print(f"{model} batch {batch} round {r + 1}: axon "
                      f"{runs['axon'][-1]['train_images_per_s']:.0f} train images/s, " +
                      ", ".join(f"torch {v} " + (f"{runs[v][-1]['train_images_per_s']:.0f}"
                                                 if "unavailable" not in runs[v][-1] else "unavailable")
                                for v in variants(a)), file=sys.stderr, flush=True)
            results.append(summarise(a, model, batch, runs))
    print_table(a, results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": a.device, "threads": a.threads, "torch_threads": torch_threads(a),
                       "machine": bench["machine"],
                       "git_commit": bench["git_commit"], "date": bench["date"],
                       "config": {k: getattr(a, k) for k in
                                  ("warmup", "steps", "repeats", "rounds", "optimizer", "lr",
                                   "axon_cuda_graph", "tf32")},
                       "rows": results}, f, indent=2)
    return 0


def summarise(a, model, batch, runs):
    def median_of(side, key):
        return statistics.median(run[key] for run in runs[side])

    row = {"model": model, "batch_size": batch, "runs": runs,
           "axon_train": median_of("axon", "train_images_per_s"),
           "axon_infer": median_of("axon", "infer_images_per_s"), "torch": {}}
    for v in variants(a):
        if any("unavailable" in run for run in runs[v]):
            row["torch"][v] = {"unavailable": next(run["unavailable"] for run in runs[v] if "unavailable" in run)}
            continue
        train, infer = median_of(v, "train_images_per_s"), median_of(v, "infer_images_per_s")
        row["torch"][v] = {"train": train, "infer": infer, "train_ratio": row["axon_train"] / train,
                           "infer_ratio": row["axon_infer"] / infer}
    target = TARGETS.get((a.device, model, batch))
    if target is not None and "train_ratio" in row["torch"]["eager"]:
        row["target"] = target
        row["target_met"] = row["torch"]["eager"]["train_ratio"] >= target
    return row


def print_table(a, results):
    axon = "axon graph" if a.axon_cuda_graph else "axon"
    header = ["model", "batch", f"{axon} train", f"{axon} infer"]
    for v in variants(a):
        header += [f"torch {v} train", "ratio", f"torch {v} infer", "ratio"]
    header += ["target"]
    lines = [header]
    for row in results:
        line = [row["model"], str(row["batch_size"]), f"{row['axon_train']:.0f}", f"{row['axon_infer']:.0f}"]
        for v in variants(a):
            t = row["torch"][v]
            if "unavailable" in t:
                line += ["n/a", "-", "n/a", "-"]
            else:
                line += [f"{t['train']:.0f}", f"{t['train_ratio']:.2f}x", f"{t['infer']:.0f}",
                         f"{t['infer_ratio']:.2f}x"]
        line.append(f">= {row['target']}x: {'met' if row['target_met'] else 'NOT met'}"
                    if "target" in row else "-")
        lines.append(line)
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    print(f"images/s, median of {a.rounds} alternating rounds ({a.device}, {threads_text(a)}"
          f"{math_text(a)}); ratio = axon / PyTorch")
    for line in lines:
        print("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(line, widths))))
    for row in results:
        for v, t in row["torch"].items():
            if "unavailable" in t:
                print(f"{row['model']} batch {row['batch_size']}: torch {v} unavailable: {t['unavailable']}")


def main(argv):
    a = parse_args(argv)
    if a.worker:
        if len(a.row_list) != 1:
            sys.exit("compare_pytorch.py: --worker takes one row")
        print(json.dumps(worker(a)))
        return 0
    if a.dry_run:
        return dry_run(a)
    return compare(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
