"""Training-speed benchmark: skentropy's LSTM vs PyTorch's CPU LSTM.

What it measures
----------------
Both libraries run in the same process, one thread, float32, with Adam and
cross entropy, on the same synthetic data and batches of the same sizes.
PyTorch is ``nn.LSTM(n_inputs, hidden, batch_first=True)`` + ``nn.Linear``
on the last hidden state, ``F.cross_entropy``, ``torch.optim.Adam``
(default, non-fused), ``zero_grad`` / ``backward`` / ``step`` per batch; on
CPU in float32, ``nn.LSTM`` runs oneDNN's fused RNN kernels, forward and
backward.

1. The estimator grid (``--parts grid``): per shape (n, T, C, H, B), the
   epoch time of ``EEMLSTMClassifier(loss="cross_entropy", hidden_size=H,
   batch_size=B, solver="adam", max_iter=k, tol=0, n_iter_no_change=inf)``
   ``.fit`` on float32 (n, T, C) data (a round: one fit of k epochs, divided
   by k; so each epoch carries 1/k of the fit's fixed costs: input checks,
   set-up, the end-of-fit pass over the training data) against a PyTorch
   loop of the same size (a fresh model, k shuffled epochs of the same
   batch sizes). A third column, ``engine``, runs what the estimator runs
   per batch without the estimator: the engine's batch objective
   (``batch_objective`` of a ``SequenceNetwork``) and ``Adam`` in a plain
   shuffled loop; ``ours - engine`` is the estimator's own cost. The shapes
   are the UCR/UEA data sets' training sets (GunPoint, ItalyPowerDemand,
   ArrowHead, BasicMotions, JapaneseVowels, whose lengths vary: NaN-padded
   for us, packed sequences for PyTorch), GunPoint at H=64, a T=100, C=3
   shape, and the engine workload's B=64, T=50, H=64 at estimator level.
2. The engine workloads (``--parts engine``): epoch time of the engine alone
   (``SequenceNetwork.loss_grad`` + ``Adam.update`` in a plain loop, fixed
   batch order, buffers made once) at batch 64, 8 inputs, 64 hidden, 4
   classes, 5000 sequences, T = 50 and T = 200 (79 Adam steps per epoch),
   with a sanity check (both losses decrease over a few epochs at T = 50).
3. Online training (``--parts online``): batch 1, T = 20, 7 inputs, 16
   hidden, 4 classes, 1000 sequences, one Adam step per sequence; reported
   as time per update.

Data: x ~ N(0, 1); the class depends on the early steps (the engine
workloads: ``2 * [sum of channel 0 over the first 5 steps > 0] + [mean of
channel 1 > 0]``; the grid: quantiles of the first 5 steps' sum of channel
0, k balanced classes), so the task needs memory.

Every workload runs one untimed warm-up per contender, then ``--rounds``
(default 5) interleaved rounds (torch, ours[, engine], torch, ...); the
reported figure is the median. The machine record printed first includes
the BLAS kernel threadpoolctl reports.

Targets (printed with PASS/FAIL): estimator epoch time <= 1.0 x PyTorch at
every grid shape and <= 0.8 x at B=64, T=50, H=64; engine epoch time <= 1.0
x PyTorch for batch 64 (T = 50 and T = 200); online training at least 4 x
faster than PyTorch (time-per-update ratio ours / torch <= 0.25).

Threads: ``_common.pin_threads`` sets the BLAS/OpenMP environment variables
to 1 before numpy (and torch) are imported, everything runs inside
``threadpool_limits(1)``, and ``torch.set_num_threads(1)`` is called.

torch (``pip install torch==2.13.0``) is a benchmark-only dependency; if it
is missing the script says so and exits with status 0.

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/bench_lstm.py                   # everything, ~6 minutes
    python benchmarks/bench_lstm.py --parts grid      # the estimator grid only
    python benchmarks/bench_lstm.py --parts grid --shapes gunpoint arrow
    python benchmarks/bench_lstm.py --quick           # smoke test, seconds

On a machine that sets ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE``, unset
them for figures comparable with a user's machine (``env -u
OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``). ``--quick`` uses one
round, one epoch per grid fit, 640 sequences (200 online) and 2 sanity
epochs; its numbers are not meaningful. Raw results go to
``benchmarks/results/bench_lstm.json``.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import gc
import math
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skentropy import EEMLSTMClassifier
from skentropy._engine import LOSSES, Adam, batch_objective
from skentropy._engine.sequence_network import SequenceNetwork

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
    from torch.nn.utils.rnn import pack_padded_sequence
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


def time_wall_cpu(fn):
    """``((wall seconds, CPU seconds of this thread), fn())``, after a collection.

    Both libraries run on this one thread, so its CPU time is their compute
    time without the time other processes held the core: on a busy machine
    it is the steadier figure; the wall clock is the one the targets use.
    """
    gc.collect()
    wall, cpu = time.perf_counter(), time.thread_time()
    result = fn()
    return (time.perf_counter() - wall, time.thread_time() - cpu), result


def split_times(times):
    """``name -> [(wall, cpu), ...]`` as two ``name -> [seconds]`` dicts."""
    wall = {k: [w for w, _ in v] for k, v in times.items()}
    cpu = {k: [c for _, c in v] for k, v in times.items()}
    return wall, cpu


def medians(times):
    return {k: statistics.median(v) for k, v in times.items()}


def bench_workload(kind, cfg, steps, n_sequences, rounds, data_seed):
    """Warm-up epoch each, then ``rounds`` interleaved timed epochs."""
    trainers = make_trainers(cfg, n_sequences, steps, data_seed, 0)
    times, _ = bench.interleaved(
        list(trainers),
        rounds,
        lambda name: time_wall_cpu(trainers[name].epoch),
        warmup=True,
        label=f"T={steps} round" if kind == "epoch" else "online round",
        show=lambda s: f"{s[0] * 1e3:.1f} ms (cpu {s[1] * 1e3:.1f})",
    )
    times, cpu_times = split_times(times)
    med, cpu = medians(times), medians(cpu_times)
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
        "cpu_times_s": cpu_times,
        "median_s": med,
        "cpu_median_s": cpu,
        "ratio": med["ours"] / med["torch"],
        "cpu_ratio": cpu["ours"] / cpu["torch"],
        "target_max": TARGET_EPOCH_RATIO if kind == "epoch" else TARGET_ONLINE_RATIO,
    }
    if kind == "online":
        row["per_update_us"] = {k: v / n_sequences * 1e6 for k, v in med.items()}
    return row


# ---------------------------------------------------------------------------
# estimator-level grid
# ---------------------------------------------------------------------------
#: Shapes of the estimator grid: the UCR/UEA data sets' (train size n, length
#: T, channels C, classes) at hidden size H and batch size B, and the engine
#: workload's B=64, T=50, H=64 at estimator level. ``min_T``: lengths drawn
#: uniformly from [min_T, T], NaN-padded at the end (torch: packed sequences).
GRID = (
    {"shape": "GunPoint", "n": 50, "T": 150, "C": 1, "H": 32, "B": 32, "k": 2},
    {"shape": "GunPoint H=64", "n": 50, "T": 150, "C": 1, "H": 64, "B": 32, "k": 2},
    {"shape": "ItalyPowerDemand", "n": 67, "T": 24, "C": 1, "H": 32, "B": 32, "k": 2},
    {"shape": "ArrowHead", "n": 36, "T": 251, "C": 1, "H": 32, "B": 32, "k": 3},
    {"shape": "BasicMotions", "n": 40, "T": 100, "C": 6, "H": 32, "B": 32, "k": 4},
    {"shape": "T=100 C=3", "n": 64, "T": 100, "C": 3, "H": 32, "B": 32, "k": 2},
    {
        "shape": "JapaneseVowels",
        "n": 270,
        "T": 29,
        "C": 12,
        "H": 32,
        "B": 32,
        "k": 9,
        "min_T": 7,
    },
    {
        "shape": "B=64 T=50 H=64",
        "n": 640,
        "T": 50,
        "C": 8,
        "H": 64,
        "B": 64,
        "k": 4,
        "target": 0.8,
    },
)
GRID_LEARNING_RATE = 0.01  # the estimators' default learning_rate_init
#: Work per timed fit, in batch-steps (batches per epoch x T x epochs): each
#: fit runs ceil(GRID_WORK / (batches x T)) epochs, at least GRID_MIN_EPOCHS.
GRID_WORK = 6000
GRID_MIN_EPOCHS = 3


def make_grid_data(cfg, seed):
    """(x float32 (n, T, C) NaN-padded, lengths or None, labels int64 in [0, k))."""
    n, steps, channels, k = cfg["n"], cfg["T"], cfg["C"], cfg["k"]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, steps, channels)).astype(DTYPE)
    early = x[:, :5, 0].sum(axis=1)
    # k balanced classes from a feature of the early steps (needs memory).
    labels = np.searchsorted(np.quantile(early, np.arange(1, k) / k), early)
    labels = labels.astype(np.int64)
    lengths = None
    if "min_T" in cfg:
        lengths = rng.integers(cfg["min_T"], steps + 1, n)
        x[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
    return x, lengths, labels


def grid_epochs(cfg, quick):
    """Epochs per timed fit (see GRID_WORK)."""
    if quick:
        return 1
    batches = math.ceil(cfg["n"] / cfg["B"])
    return max(GRID_MIN_EPOCHS, math.ceil(GRID_WORK / (batches * cfg["T"])))


class TorchFit:
    """A fresh nn.LSTM + Linear, Adam, trained ``epochs`` shuffled epochs."""

    def __init__(self, cfg, x, lengths, labels, epochs, seed):
        self.cfg, self.epochs, self.seed = cfg, epochs, seed
        self.x = torch.from_numpy(np.nan_to_num(x))
        self.lengths = None if lengths is None else torch.from_numpy(lengths)
        self.y = torch.from_numpy(labels)

    def __call__(self):
        cfg = self.cfg
        torch.manual_seed(self.seed)
        lstm = nn.LSTM(cfg["C"], cfg["H"], batch_first=True)
        head = nn.Linear(cfg["H"], cfg["k"])
        opt = torch.optim.Adam(
            [*lstm.parameters(), *head.parameters()], lr=GRID_LEARNING_RATE
        )
        n, batch = cfg["n"], cfg["B"]
        for _ in range(self.epochs):
            order = torch.randperm(n)
            total = 0.0
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                xb = self.x[rows]
                if self.lengths is None:
                    out, _ = lstm(xb)
                    last = out[:, -1]
                else:
                    packed = pack_padded_sequence(
                        xb, self.lengths[rows], batch_first=True, enforce_sorted=False
                    )
                    _, (h_n, _) = lstm(packed)
                    last = h_n[-1]
                loss = F.cross_entropy(head(last), self.y[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(rows)
        return total / n


class EstimatorFit:
    """``EEMLSTMClassifier(loss="cross_entropy", ...).fit`` for ``epochs`` epochs."""

    def __init__(self, cfg, x, labels, epochs, seed):
        self.cfg, self.x, self.y, self.epochs, self.seed = cfg, x, labels, epochs, seed

    def __call__(self):
        est = EEMLSTMClassifier(
            loss="cross_entropy",
            hidden_size=self.cfg["H"],
            batch_size=self.cfg["B"],
            solver="adam",
            learning_rate_init=GRID_LEARNING_RATE,
            max_iter=self.epochs,
            tol=0,
            n_iter_no_change=np.inf,
            random_state=self.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(self.x, self.y)
        return est.loss_


class EngineFit:
    """The engine alone: the batch objective and Adam in a plain shuffled loop.

    What the estimator runs per batch, without the estimator (input
    validation, the training loop of ``_engine.training``, history): the
    gap between this and :class:`EstimatorFit` is the estimator's overhead.
    """

    def __init__(self, cfg, x, labels, epochs, seed):
        self.cfg, self.x, self.epochs, self.seed = cfg, x, epochs, seed
        self.onehot = np.eye(cfg["k"], dtype=DTYPE)[labels]

    def __call__(self):
        cfg = self.cfg
        rng = np.random.RandomState(self.seed)
        net = SequenceNetwork(cfg["C"], cfg["H"], cfg["k"], "softmax")
        params = net.init_params(rng, DTYPE)
        grad = np.empty_like(params)
        opt = Adam(net.n_params, DTYPE, learning_rate_init=GRID_LEARNING_RATE)
        n, batch = cfg["n"], cfg["B"]
        objective = batch_objective(
            net, self.x, self.onehot, LOSSES["cross_entropy"], batch_size=batch
        )
        for _ in range(self.epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                total += objective(params, rows, grad) * len(rows)
                opt.update(params, grad)
        return total / n


def bench_grid_shape(cfg, rounds, quick, seed=0):
    """Interleaved timed fits of torch, the estimator and the engine loop."""
    x, lengths, labels = make_grid_data(cfg, seed)
    epochs = grid_epochs(cfg, quick)
    fits = {
        "torch": TorchFit(cfg, x, lengths, labels, epochs, seed),
        "ours": EstimatorFit(cfg, x, labels, epochs, seed),
        "engine": EngineFit(cfg, x, labels, epochs, seed),
    }
    times, _ = bench.interleaved(
        list(fits),
        rounds,
        lambda name: time_wall_cpu(fits[name]),
        warmup=True,
        label=f"{cfg['shape']} round",
        show=lambda s: f"{s[0] / epochs * 1e3:.2f} ms/epoch",
    )
    times, cpu_times = split_times(times)
    per_epoch = {k: v / epochs for k, v in medians(times).items()}
    cpu = {k: v / epochs for k, v in medians(cpu_times).items()}
    return {
        **cfg,
        "variable_length": lengths is not None,
        "epochs_per_fit": epochs,
        "times_s": times,
        "cpu_times_s": cpu_times,
        "epoch_s": per_epoch,
        "cpu_epoch_s": cpu,
        "ratio": per_epoch["ours"] / per_epoch["torch"],
        "engine_ratio": per_epoch["engine"] / per_epoch["torch"],
        "cpu_ratio": cpu["ours"] / cpu["torch"],
        "cpu_engine_ratio": cpu["engine"] / cpu["torch"],
        "target_max": cfg.get("target", TARGET_EPOCH_RATIO),
    }


def format_grid(rows):
    body = []
    for r in rows:
        t, o, e = (r["epoch_s"][k] * 1e3 for k in ("torch", "ours", "engine"))
        steps = f"<={r['T']}" if r["variable_length"] else str(r["T"])
        body.append(
            [
                r["shape"],
                str(r["n"]),
                steps,
                str(r["C"]),
                str(r["H"]),
                str(r["B"]),
                f"{t:.2f}",
                f"{o:.2f}",
                f"{e:.2f}",
                f"{r['ratio']:.3f}",
                f"{r['engine_ratio']:.3f}",
                f"{r['cpu_ratio']:.3f}",
                f"{r['cpu_engine_ratio']:.3f}",
            ]
        )
    headers = ["shape", "n", "T", "C", "H", "B", "torch", "ours", "engine"]
    headers += ["ours/torch", "engine/torch", "cpu: ours/torch", "engine/torch"]
    return bench.format_table(headers, body, "<" + ">" * 12)


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
            [
                row["workload"],
                unit,
                f"{t:.1f}",
                f"{o:.1f}",
                f"{row['ratio']:.3f}",
                f"{row['cpu_ratio']:.3f}",
            ]
        )
    headers = ["workload", "unit", "torch", "ours", "ours/torch", "cpu: ours/torch"]
    return bench.format_table(headers, body, "<<>>>>")


PARTS = ("engine", "online", "grid")


def parse_args(argv=None):
    parser = bench.parser(__doc__, "bench_lstm", QUICK, rounds=5)
    parser.set_defaults(
        n_sequences=MINIBATCH["n_sequences"],
        n_online=ONLINE["n_sequences"],
        sanity_epochs=SANITY_EPOCHS,
    )
    bench.add_choice_list(parser, "--parts", PARTS, "workloads to run")
    parser.add_argument(
        "--shapes",
        nargs="+",
        metavar="SHAPE",
        help="run only the grid shapes whose name contains one of these "
        "(case-insensitive; default: all)",
    )
    return parser.parse_args(argv)


def grid_shapes(patterns):
    if not patterns:
        return list(GRID)
    wanted = [p.lower() for p in patterns]
    return [c for c in GRID if any(p in c["shape"].lower() for p in wanted)]


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
    parts = set(args.parts)
    shapes = grid_shapes(args.shapes) if "grid" in parts else []

    rows, grid, losses = [], [], None
    with bench.measure(
        f"float32, rounds={args.rounds}, parts={' '.join(args.parts)}",
        quick=args.quick,
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
    ) as run:
        if "grid" in parts:
            grid = [bench_grid_shape(cfg, args.rounds, args.quick) for cfg in shapes]
        if "engine" in parts:
            rows += [
                bench_workload("epoch", MINIBATCH, steps, n_seq, args.rounds, steps)
                for steps in MINIBATCH_STEPS
            ]
        if "online" in parts:
            rows.append(
                bench_workload("online", ONLINE, ONLINE["T"], n_online, args.rounds, 1)
            )
        if "engine" in parts:
            losses = sanity(n_seq, args.sanity_epochs)

    print("\n" + "=" * 90)
    kernels = ", ".join(
        f"{p['internal_api']} {p['version']} ({p['architecture']} kernel)"
        for p in run.machine["threadpools"]
        if p["user_api"] == "blas"
    )
    env = ", ".join(
        f"{v}={run.machine['env'][v] or 'unset'}" for v in bench.OPENBLAS_VARS
    )
    print(f"BLAS (threadpoolctl): {kernels}; {env}")
    targets = []
    if grid:
        print(
            f"\nEstimator grid: median of {args.rounds} interleaved rounds after a "
            "warm-up, wall-clock ms per epoch (a round: one fit of k epochs, / k),\n"
            "1 thread, float32, Adam, shuffled batches. torch: nn.LSTM + Linear on "
            "the last state (packed sequences where T is variable);\nours: "
            'EEMLSTMClassifier(loss="cross_entropy").fit; engine: its batch '
            "objective + Adam in a plain loop (no estimator); cpu: the same ratios "
            "in thread CPU time."
        )
        print(format_grid(grid))
        targets += [
            (
                f"grid {r['shape']}: ours/torch",
                f"{r['ratio']:.3f} (cpu {r['cpu_ratio']:.3f})",
                f"<= {r['target_max']}",
                r["ratio"] <= r["target_max"],
            )
            for r in grid
        ]
    if rows:
        print(
            f"\nEngine workloads: median of {args.rounds} interleaved epoch(s) after "
            "a warm-up, wall clock (cpu: thread CPU time), 1 thread, float32, Adam "
            "lr=1e-3.\n"
            f"minibatch: B=64, I=8, H=64, {n_seq} sequences; online: B=1, T=20, "
            f"I=7, H=16, {n_online} sequences, one Adam step per sequence."
        )
        print(format_results(rows))
        targets += [
            (
                f"{r['workload']}: ours/torch",
                f"{r['ratio']:.3f} (cpu {r['cpu_ratio']:.3f})",
                f"<= {r['target_max']}",
                r["ratio"] <= r["target_max"],
            )
            for r in rows
        ]
    print(
        "\nTargets (verdicts on the wall clock; thread CPU time in brackets): "
        f"estimator epoch time <= {TARGET_EPOCH_RATIO}x PyTorch at every "
        f"grid shape and <= {GRID[-1]['target']}x at {GRID[-1]['shape']}; engine "
        f"epoch time <= {TARGET_EPOCH_RATIO}x for batch 64; online ours/torch "
        f"<= {TARGET_ONLINE_RATIO} (4x faster)."
    )
    target_table, all_ok = bench.pass_fail_table(targets, quick=args.quick)
    print(target_table)
    if losses is not None:
        decreased = {k: v[-1] < v[0] for k, v in losses.items()}
        print(
            f"sanity (T=50, {args.sanity_epochs} epochs, mean training loss first "
            "-> last): "
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
                "grid_learning_rate": GRID_LEARNING_RATE,
                "rounds": args.rounds,
                "parts": args.parts,
                "minibatch": {**MINIBATCH, "n_sequences": n_seq, "T": MINIBATCH_STEPS},
                "online": {**ONLINE, "n_sequences": n_online},
                "sanity_epochs": args.sanity_epochs,
            },
            "targets": {
                "epoch_ratio_max": TARGET_EPOCH_RATIO,
                "online_ratio_max": TARGET_ONLINE_RATIO,
                "grid_ratio_max": {r["shape"]: r["target_max"] for r in grid},
                "met": all_ok,
                "meaningful": not args.quick,
            },
            "sanity_losses": losses,
            "total_wall_time_s": run.elapsed,
            "grid": grid,
            "results": rows,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
