"""Training-speed benchmark: skentropy's NumPy LSTM engine vs PyTorch's CPU LSTM.

What it measures
----------------
Both libraries run in the same process, one thread, float32, on the same
synthetic data and the same batches (fixed order, no shuffling):

* PyTorch: ``nn.LSTM(n_inputs, hidden, batch_first=True)`` + ``nn.Linear``
  on the last hidden state, ``F.cross_entropy``, ``torch.optim.Adam(lr=1e-3)``
  (default, non-fused), ``zero_grad`` / ``backward`` / ``step`` per batch.
* ours: the engine, not the estimator --
  ``SequenceNetwork(n_inputs, hidden, n_classes, "softmax")`` (read-out of
  the last step), ``loss_grad(params, x, y_onehot, grad,
  LOSSES["cross_entropy"], buffers=...)`` then ``Adam(n_params, np.float32,
  learning_rate_init=1e-3).update`` per batch, in a plain Python loop. The
  buffers are made once (``network.buffers``) and keep one pass per batch
  shape, so no epoch allocates them again.

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

Threads: ``_common.pin_threads`` sets the BLAS/OpenMP environment variables
to 1 before numpy (and torch) are imported, everything runs inside
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
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import statistics

import numpy as np

from skentropy._engine import LOSSES, Adam
from skentropy._engine.sequence_network import SequenceNetwork

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

DTYPE = np.float32
N_CLASSES = 4
LEARNING_RATE = 1e-3

MINIBATCH = {"batch": 64, "n_inputs": 8, "hidden": 64, "n_sequences": 5000}
MINIBATCH_STEPS = (50, 200)
ONLINE = {"batch": 1, "n_inputs": 7, "hidden": 16, "n_sequences": 1000, "T": 20}
SANITY_EPOCHS = 6
QUICK = {"rounds": 1, "n_sequences": 640, "n_online": 200, "sanity_epochs": 2}

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
    """SequenceNetwork.loss_grad + engine Adam, plain loop."""

    name = "ours"

    def __init__(self, x, onehot, batch, n_inputs, hidden, seed):
        self.net = SequenceNetwork(n_inputs, hidden, N_CLASSES, "softmax")
        self.params = self.net.init_params(np.random.RandomState(seed), DTYPE)
        self.buffers = self.net.buffers(batch, DTYPE)
        self.grad = np.zeros_like(self.params)
        self.opt = Adam(self.net.n_params, DTYPE, learning_rate_init=LEARNING_RATE)
        self.loss = LOSSES["cross_entropy"]
        self.x, self.y = x, onehot
        self.slices = batch_slices(x.shape[0], batch)

    def epoch(self):
        """One pass over the batches; returns the mean batch loss."""
        total = 0.0
        net, params, grad, opt, loss, buffers = (
            self.net,
            self.params,
            self.grad,
            self.opt,
            self.loss,
            self.buffers,
        )
        for s in self.slices:
            total += net.loss_grad(
                params, self.x[s], self.y[s], grad, loss, buffers=buffers
            )
            opt.update(params, grad)
        return total / len(self.slices)


def make_trainers(cfg, n_sequences, steps, data_seed, init_seed):
    """Fresh torch and ours trainers on the same data, by name."""
    x, labels, onehot = make_data(n_sequences, steps, cfg["n_inputs"], data_seed)
    args = (cfg["batch"], cfg["n_inputs"], cfg["hidden"], init_seed)
    return {
        "torch": TorchTrainer(x, labels, *args),
        "ours": OursTrainer(x, onehot, *args),
    }


def bench_workload(kind, cfg, steps, n_sequences, rounds, data_seed):
    """Warm-up epoch each, then ``rounds`` interleaved timed epochs."""
    trainers = make_trainers(cfg, n_sequences, steps, data_seed, 0)
    times, _ = bench.interleaved(
        list(trainers),
        rounds,
        lambda name: bench.time_call(trainers[name].epoch),
        warmup=True,
        label=f"T={steps} round" if kind == "epoch" else "online round",
        show=lambda s: f"{s * 1e3:.1f} ms",
    )
    med = {k: statistics.median(v) for k, v in times.items()}
    row = {
        "workload": (
            f"minibatch B={cfg['batch']} T={steps}"
            if kind == "epoch"
            else f"online B=1 T={steps} H={cfg['hidden']}"
        ),
        "kind": kind,
        "batch": cfg["batch"],
        "T": steps,
        "n_inputs": cfg["n_inputs"],
        "hidden": cfg["hidden"],
        "n_sequences": n_sequences,
        "updates_per_epoch": len(trainers["ours"].slices),
        "times_s": times,
        "median_s": med,
        "ratio": med["ours"] / med["torch"],
        "target_max": TARGET_EPOCH_RATIO if kind == "epoch" else TARGET_ONLINE_RATIO,
    }
    if kind == "online":
        row["per_update_us"] = {k: v / n_sequences * 1e6 for k, v in med.items()}
    return row


def sanity(n_sequences, epochs):
    """Mean training loss per epoch for fresh torch and ours models, T=50."""
    trainers = make_trainers(MINIBATCH, n_sequences, 50, 50, 1)
    return {k: [tr.epoch() for _ in range(epochs)] for k, tr in trainers.items()}


def format_results(rows):
    body = []
    for row in rows:
        if row["kind"] == "epoch":
            unit = "ms/epoch"
            t, o = (row["median_s"][k] * 1e3 for k in ("torch", "ours"))
        else:
            unit = "us/update"
            t, o = (row["per_update_us"][k] for k in ("torch", "ours"))
        body.append(
            [row["workload"], unit, f"{t:.1f}", f"{o:.1f}", f"{row['ratio']:.3f}"]
        )
    headers = ["workload", "unit", "torch", "ours", "ours/torch"]
    return bench.format_table(headers, body, "<<>>>")


def parse_args(argv=None):
    parser = bench.parser(__doc__, "bench_lstm", QUICK, rounds=5)
    parser.set_defaults(
        n_sequences=MINIBATCH["n_sequences"],
        n_online=ONLINE["n_sequences"],
        sanity_epochs=SANITY_EPOCHS,
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if torch is None:
        print(
            "bench_lstm: PyTorch is not installed, nothing to compare against; "
            "install the benchmark-only peer with `pip install torch==2.13.0`. "
            "Skipping."
        )
        return
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    n_seq, n_online = args.n_sequences, args.n_online

    with bench.measure(
        f"float32, Adam lr={LEARNING_RATE}, {N_CLASSES} classes, rounds={args.rounds}",
        quick=args.quick,
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
    ) as run:
        rows = [
            bench_workload("epoch", MINIBATCH, steps, n_seq, args.rounds, steps)
            for steps in MINIBATCH_STEPS
        ]
        rows.append(
            bench_workload("online", ONLINE, ONLINE["T"], n_online, args.rounds, 1)
        )
        losses = sanity(n_seq, args.sanity_epochs)

    print("\n" + "=" * 90)
    print(
        f"Median of {args.rounds} interleaved epoch(s) after a warm-up, 1 thread, "
        "float32.\n"
        f"minibatch: B=64, I=8, H=64, {n_seq} sequences; online: B=1, T=20, "
        f"I=7, H=16, {n_online} sequences, one Adam step per sequence."
    )
    print(format_results(rows))
    print(
        f"\nTargets: epoch time <= {TARGET_EPOCH_RATIO}x PyTorch for batch 64; "
        f"online ours/torch <= {TARGET_ONLINE_RATIO} (4x faster)."
    )
    target_table, all_ok = bench.pass_fail_table(
        [
            (
                f"{r['workload']}: ours/torch",
                f"{r['ratio']:.3f}",
                f"<= {r['target_max']}",
                r["ratio"] <= r["target_max"],
            )
            for r in rows
        ],
        quick=args.quick,
    )
    print(target_table)
    decreased = {k: v[-1] < v[0] for k, v in losses.items()}
    print(
        f"sanity (T=50, {args.sanity_epochs} epochs, mean training loss first -> "
        "last): "
        + ", ".join(
            f"{k} {v[0]:.4f} -> {v[-1]:.4f}"
            f" ({'decreasing' if decreased[k] else 'NOT decreasing'})"
            for k, v in losses.items()
        )
    )
    print(f"\ntotal wall time: {run.elapsed:.1f} s")

    bench.write_results(
        args.results,
        {
            "benchmark": "bench_lstm",
            "quick": args.quick,
            "settings": {
                "dtype": "float32",
                "n_classes": N_CLASSES,
                "learning_rate": LEARNING_RATE,
                "rounds": args.rounds,
                "minibatch": {**MINIBATCH, "n_sequences": n_seq, "T": MINIBATCH_STEPS},
                "online": {**ONLINE, "n_sequences": n_online},
                "sanity_epochs": args.sanity_epochs,
            },
            "targets": {
                "epoch_ratio_max": TARGET_EPOCH_RATIO,
                "online_ratio_max": TARGET_ONLINE_RATIO,
                "met": all_ok,
                "meaningful": not args.quick,
            },
            "sanity_losses": losses,
            "total_wall_time_s": run.elapsed,
            "results": rows,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
