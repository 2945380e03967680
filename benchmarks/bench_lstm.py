"""Training-speed benchmark: skentropy's NumPy LSTM engine vs PyTorch's CPU LSTM.

What it measures
----------------
Both libraries run in the same process, one thread, float32, on the same
synthetic data and the same batches (fixed order, no shuffling):

* PyTorch: ``nn.LSTM(n_inputs, hidden, batch_first=True)`` + ``nn.Linear``
  on the last hidden state, ``F.cross_entropy``, ``torch.optim.Adam(lr=1e-3)``
  (default, non-fused), ``zero_grad`` / ``backward`` / ``step`` per batch.
* ours: the engine, not the estimator --
  ``SequenceClassifierNetwork(n_inputs, hidden, n_classes, "softmax")``,
  ``loss_grad(params, x, y_onehot, grad, LOSSES["cross_entropy"], cache=...)``
  then ``Adam(n_params, np.float32, learning_rate_init=1e-3).update`` per
  batch, in a plain Python loop. The network reuses its buffers while the
  batch shape repeats (the last, partial batch of an epoch reallocates).

Workloads:

1. epoch time, batch 64, 8 inputs, 64 hidden, 4 classes, 5000 sequences,
   T = 50 and T = 200 (79 Adam steps per epoch);
2. online training: batch 1, T = 20, 7 inputs, 16 hidden, 4 classes, 1000
   sequences, one Adam step per sequence; reported as time per update.

Data: x ~ N(0, 1); the class is ``2 * [sum of channel 0 over the first 5
steps > 0] + [mean of channel 1 over all steps > 0]``, so the task needs
memory of early steps.

Each workload does one untimed warm-up epoch per library, then ``--rounds``
(default 5) interleaved rounds (torch epoch, our epoch, torch epoch, ...);
the reported figure is the median. Models keep training across rounds.

A correctness sanity check trains fresh models of both libraries for a few
epochs at T = 50 and prints the mean training loss of the first and last
epoch (both should decrease).

Targets (printed with PASS/FAIL): epoch time <= 1.0 x PyTorch for batch 64
(T = 50 and T = 200), and online training at least 4 x faster than PyTorch
(time-per-update ratio ours / torch <= 0.25).

Threads: ``_common`` sets the BLAS/OpenMP environment variables to 1 before
numpy (and torch) are imported, everything runs inside
``threadpool_limits(1)``, and ``torch.set_num_threads(1)`` is called.

torch (``pip install torch==2.13.0``) is a benchmark-only dependency; if it
is missing the script says so and exits with status 0.

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/bench_lstm.py            # full run, ~1-3 minutes
    python benchmarks/bench_lstm.py --quick    # smoke test, seconds

``--quick`` uses 640 sequences (200 online), 1 round and 2 sanity epochs; its
numbers are not meaningful. Raw results go to
``benchmarks/results/bench_lstm.json``.
"""

# isort: off
# Pins BLAS/OpenMP to one thread, so it must come before numpy.
from _common import cpu_model

# isort: on
import argparse
import gc
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import skentropy
from skentropy._engine.losses import LOSSES
from skentropy._engine.optimizers import Adam
from skentropy._engine.sequence_network import SequenceClassifierNetwork

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

SKENTROPY_VERSION = getattr(skentropy, "__version__", "unknown")
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "bench_lstm.json"

DTYPE = np.float32
N_CLASSES = 4
LEARNING_RATE = 1e-3

MINIBATCH = {"batch": 64, "n_inputs": 8, "hidden": 64, "n_sequences": 5000}
MINIBATCH_STEPS = (50, 200)
ONLINE = {"batch": 1, "n_inputs": 7, "hidden": 16, "n_sequences": 1000, "T": 20}
QUICK_SEQUENCES = 640
QUICK_ONLINE_SEQUENCES = 200
SANITY_EPOCHS = 6
QUICK_SANITY_EPOCHS = 2

TARGET_EPOCH_RATIO = 1.0
TARGET_ONLINE_RATIO = 0.25


def make_data(n, steps, n_inputs, seed):
    """(x float32 (n, T, I), labels int64, one-hot float32)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, n_inputs)).astype(DTYPE)
    early = x[:, :5, 0].sum(axis=1) > 0
    overall = x[:, :, 1].mean(axis=1) > 0
    labels = (2 * early + overall).astype(np.int64)
    onehot = np.zeros((n, N_CLASSES), dtype=DTYPE)
    onehot[np.arange(n), labels] = 1
    return x, labels, onehot


def batch_slices(n, batch):
    return [slice(i, min(i + batch, n)) for i in range(0, n, batch)]


class TorchTrainer:
    """nn.LSTM + Linear on the last step, cross entropy, Adam."""

    name = "torch"

    def __init__(self, x, labels, batch, n_inputs, hidden, seed):
        torch.manual_seed(seed)
        self.lstm = nn.LSTM(n_inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, N_CLASSES)
        self.params = list(self.lstm.parameters()) + list(self.head.parameters())
        self.opt = torch.optim.Adam(self.params, lr=LEARNING_RATE)
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(labels)
        self.slices = batch_slices(x.shape[0], batch)

    def epoch(self):
        """One pass over the batches; returns the mean batch loss."""
        total = 0.0
        lstm, head, opt = self.lstm, self.head, self.opt
        for s in self.slices:
            out, _ = lstm(self.x[s])
            loss = F.cross_entropy(head(out[:, -1]), self.y[s])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        return total / len(self.slices)


class OursTrainer:
    """SequenceClassifierNetwork.loss_grad + engine Adam, plain loop."""

    name = "ours"

    def __init__(self, x, onehot, batch, n_inputs, hidden, seed):
        self.net = SequenceClassifierNetwork(n_inputs, hidden, N_CLASSES, "softmax")
        self.params = self.net.init_params(np.random.RandomState(seed), DTYPE)
        self.grad = np.zeros_like(self.params)
        self.opt = Adam(self.net.n_params, DTYPE, learning_rate_init=LEARNING_RATE)
        self.loss = LOSSES["cross_entropy"]
        self.x, self.y = x, onehot
        self.slices = batch_slices(x.shape[0], batch)

    def epoch(self):
        """One pass over the batches; returns the mean batch loss."""
        total = 0.0
        net, params, grad, opt, loss = (
            self.net,
            self.params,
            self.grad,
            self.opt,
            self.loss,
        )
        for s in self.slices:
            total += net.loss_grad(params, self.x[s], self.y[s], grad, loss)
            opt.update(params, grad)
        return total / len(self.slices)


def timed_epoch(trainer):
    gc.collect()
    t0 = time.perf_counter()
    trainer.epoch()
    return time.perf_counter() - t0


def run_interleaved(trainers, rounds, label):
    """Warm-up epoch each, then ``rounds`` interleaved timed epochs."""
    for tr in trainers:
        tr.epoch()
    times = {tr.name: [] for tr in trainers}
    for r in range(rounds):
        for tr in trainers:
            times[tr.name].append(timed_epoch(tr))
        print(
            f"  {label} round {r + 1}/{rounds}: "
            + ", ".join(f"{k}={v[-1] * 1e3:.1f} ms" for k, v in times.items()),
            flush=True,
        )
    return times


def bench_minibatch(steps, n_sequences, rounds):
    cfg = MINIBATCH
    x, labels, onehot = make_data(n_sequences, steps, cfg["n_inputs"], seed=steps)
    args = (cfg["batch"], cfg["n_inputs"], cfg["hidden"], 0)
    trainers = [TorchTrainer(x, labels, *args), OursTrainer(x, onehot, *args)]
    times = run_interleaved(trainers, rounds, f"T={steps}")
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "workload": f"minibatch B={cfg['batch']} T={steps}",
        "kind": "epoch",
        "batch": cfg["batch"],
        "T": steps,
        "n_inputs": cfg["n_inputs"],
        "hidden": cfg["hidden"],
        "n_sequences": n_sequences,
        "updates_per_epoch": len(trainers[0].slices),
        "times_s": times,
        "median_s": med,
        "ratio": med["ours"] / med["torch"],
        "target_max": TARGET_EPOCH_RATIO,
    }


def bench_online(n_sequences, rounds):
    cfg = ONLINE
    x, labels, onehot = make_data(n_sequences, cfg["T"], cfg["n_inputs"], seed=1)
    args = (cfg["batch"], cfg["n_inputs"], cfg["hidden"], 0)
    trainers = [TorchTrainer(x, labels, *args), OursTrainer(x, onehot, *args)]
    times = run_interleaved(trainers, rounds, "online")
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "workload": f"online B=1 T={cfg['T']} H={cfg['hidden']}",
        "kind": "online",
        "batch": 1,
        "T": cfg["T"],
        "n_inputs": cfg["n_inputs"],
        "hidden": cfg["hidden"],
        "n_sequences": n_sequences,
        "updates_per_epoch": n_sequences,
        "times_s": times,
        "median_s": med,
        "per_update_us": {k: v / n_sequences * 1e6 for k, v in med.items()},
        "ratio": med["ours"] / med["torch"],
        "target_max": TARGET_ONLINE_RATIO,
    }


def sanity(n_sequences, epochs):
    """Mean training loss per epoch for fresh torch and ours models, T=50."""
    cfg = MINIBATCH
    x, labels, onehot = make_data(n_sequences, 50, cfg["n_inputs"], seed=50)
    args = (cfg["batch"], cfg["n_inputs"], cfg["hidden"], 1)
    trainers = [TorchTrainer(x, labels, *args), OursTrainer(x, onehot, *args)]
    return {tr.name: [tr.epoch() for _ in range(epochs)] for tr in trainers}


def format_table(rows):
    header = (
        "| workload                 | unit       |    torch |     ours "
        "| ours/torch | target  | verdict |"
    )
    rule = "|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|"
    lines = [header, rule]
    for row in rows:
        if row["kind"] == "epoch":
            unit = "ms/epoch"
            t, o = (row["median_s"][k] * 1e3 for k in ("torch", "ours"))
        else:
            unit = "us/update"
            t, o = (row["per_update_us"][k] for k in ("torch", "ours"))
        ok = row["ratio"] <= row["target_max"]
        lines.append(
            f"| {row['workload']:<24} | {unit:<10} | {t:>8.1f} | {o:>8.1f} "
            f"| {row['ratio']:>10.3f} | <= {row['target_max']:<4} "
            f"| {'PASS' if ok else 'FAIL':<7} |"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timed epochs per library, interleaved (default 5)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"smoke test: {QUICK_SEQUENCES} sequences ({QUICK_ONLINE_SEQUENCES} "
            "online), 1 round"
        ),
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS_PATH,
        help=f"JSON output file (default: {RESULTS_PATH})",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    if args.quick:
        args.rounds = 1
    return args


def main(argv=None):
    args = parse_args(argv)
    if torch is None:
        print(
            "bench_lstm: PyTorch is not installed, nothing to compare against; "
            "install the benchmark-only peer with `pip install torch==2.13.0`. "
            "Skipping."
        )
        return 0
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    n_seq = QUICK_SEQUENCES if args.quick else MINIBATCH["n_sequences"]
    n_online = QUICK_ONLINE_SEQUENCES if args.quick else ONLINE["n_sequences"]
    n_sanity = SANITY_EPOCHS if not args.quick else QUICK_SANITY_EPOCHS

    start = time.perf_counter()
    with threadpool_limits(limits=1):
        pools = threadpool_info()
        print(f"CPU: {cpu_model()}")
        print(
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} thread), "
            f"skentropy {SKENTROPY_VERSION}"
        )
        print(
            "thread pools: "
            + ", ".join(
                f"{p.get('internal_api')}={p.get('num_threads')}" for p in pools
            )
        )
        print(
            f"settings: float32, Adam lr={LEARNING_RATE}, {N_CLASSES} classes, "
            f"rounds={args.rounds}" + (" [--quick]" if args.quick else ""),
            flush=True,
        )
        rows = [bench_minibatch(steps, n_seq, args.rounds) for steps in MINIBATCH_STEPS]
        rows.append(bench_online(n_online, args.rounds))
        losses = sanity(n_seq, n_sanity)
    elapsed = time.perf_counter() - start

    print("\n" + "=" * 90)
    print(
        f"Median of {args.rounds} interleaved epoch(s) after a warm-up, 1 thread, "
        "float32.\n"
        f"minibatch: B=64, I=8, H=64, {n_seq} sequences; online: B=1, T=20, "
        f"I=7, H=16, {n_online} sequences, one Adam step per sequence."
    )
    print(format_table(rows))
    all_ok = all(r["ratio"] <= r["target_max"] for r in rows)
    print(
        f"\nTargets: epoch time <= {TARGET_EPOCH_RATIO}x PyTorch for batch 64; "
        f"online ours/torch <= {TARGET_ONLINE_RATIO} (4x faster). "
        f"overall: {'PASS' if all_ok else 'FAIL'}"
        + ("  (--quick: NOT meaningful)" if args.quick else "")
    )
    decreased = {k: v[-1] < v[0] for k, v in losses.items()}
    print(
        f"sanity (T=50, {n_sanity} epochs, mean training loss first -> last): "
        + ", ".join(
            f"{k} {v[0]:.4f} -> {v[-1]:.4f}"
            f" ({'decreasing' if decreased[k] else 'NOT decreasing'})"
            for k, v in losses.items()
        )
    )
    print(f"\ntotal wall time: {elapsed:.1f} s")

    record = {
        "benchmark": "bench_lstm",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "quick": args.quick,
        "settings": {
            "dtype": "float32",
            "n_classes": N_CLASSES,
            "learning_rate": LEARNING_RATE,
            "rounds": args.rounds,
            "minibatch": {**MINIBATCH, "n_sequences": n_seq, "T": MINIBATCH_STEPS},
            "online": {**ONLINE, "n_sequences": n_online},
            "sanity_epochs": n_sanity,
        },
        "machine": {
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "skentropy": SKENTROPY_VERSION,
            "threadpools": pools,
        },
        "targets": {
            "epoch_ratio_max": TARGET_EPOCH_RATIO,
            "online_ratio_max": TARGET_ONLINE_RATIO,
            "met": all_ok,
            "meaningful": not args.quick,
        },
        "sanity_losses": losses,
        "total_wall_time_s": elapsed,
        "results": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"raw results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
