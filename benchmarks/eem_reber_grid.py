"""Convergence of EEM vs MSE LSTM training over a learning-rate x width grid.

What it measures
----------------
Alexandre & Marques de Sa (ICANN 2006) report that LSTM trained by Error
Entropy Minimization (EEM) converges over a wider range of parameters than
the MSE-trained LSTM. This script tests that claim at the estimator level,
with :class:`skentropy.EEMLSTMClassifier` on embedded-Reber classification
(:func:`skentropy.datasets.make_embedded_reber`, ``task="classification"``:
is the penultimate symbol the same as the second one?).

The task is made hard enough to separate the methods (with 16 cells and
Adam every loss solves it within ~30 epochs):

* a small network (``hidden_size=4``) with the 1997 cell of the paper
  (``forget_gate=False``);
* plain SGD (``solver="sgd"``, Nesterov momentum 0.9), ``batch_size=16``;
* at most ``--max-iter`` epochs (default 60);
* strings of at most ``--max-length`` symbols (default 12), 400 training
  and 400 test sequences, drawn afresh for every seed (test set drawn
  separately from the training set).

Grid: ``loss="eem"`` for each kernel width in ``--widths`` (default 0.5,
1.0, 1.3, 1.6, 2.5; the paper used 1.3-1.6) and ``loss="mse"`` (no width:
one row), each with every learning rate in ``--lrs`` (default 0.1, 0.3, 1,
3) and ``--seeds`` seeds (default 5). The seed fixes the data and the
estimator's ``random_state`` (a ``RandomState`` instance, so the shuffling
differs from epoch to epoch).

Training runs one epoch at a time (``partial_fit``); after each epoch the
test accuracy is measured and training stops at the first epoch with 100 %
test accuracy. A run *converged* if it got there within ``--max-iter``
epochs. Per grid cell the script reports the convergence rate (fraction of
seeds that converged) and the mean number of epochs of the converged runs.

Printed: one table of convergence rates and one of mean epochs (EEM rows per
width, then the MSE row), and a line counting the learning rates at which
each method ever converges (EEM: with any width). A heat-map of the
convergence rates is saved to ``benchmarks/results/eem_reber_grid.png`` if
matplotlib is installed (it is not a dependency of the package; without it
the plot is skipped). The raw results (every run's epochs, final accuracy
and fit time, machine information, library versions) are written as JSON to
``benchmarks/results/eem_reber_grid.json`` (the directory is git-ignored).

BLAS is pinned to one thread (``_common`` sets the environment variables
before numpy is imported, and the grid runs inside
``threadpoolctl.threadpool_limits(1)``).

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/eem_reber_grid.py              # full run, ~3.5 minutes
    python benchmarks/eem_reber_grid.py --seeds 10
    python benchmarks/eem_reber_grid.py --quick      # smoke test, seconds

``--quick`` uses one width, two learning rates, one seed and 3 epochs; its
numbers are not meaningful, it only checks that the script works.
"""

# isort: off
# Pins BLAS/OpenMP to one thread, so it must come before numpy.
from _common import cpu_model

# isort: on
import argparse
import json
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import skentropy
from skentropy import EEMLSTMClassifier
from skentropy.datasets import make_embedded_reber

SKENTROPY_VERSION = getattr(skentropy, "__version__", "unknown")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS_PATH = RESULTS_DIR / "eem_reber_grid.json"
FIGURE_PATH = RESULTS_DIR / "eem_reber_grid.png"

HIDDEN = 4
BATCH_SIZE = 16
N_TRAIN = 400
N_TEST = 400
FULL_WIDTHS = (0.5, 1.0, 1.3, 1.6, 2.5)
FULL_LRS = (0.1, 0.3, 1.0, 3.0)
FULL_SEEDS = 5
FULL_MAX_ITER = 60
QUICK_WIDTHS = (1.3,)
QUICK_LRS = (0.3, 1.0)
QUICK_SEEDS = 1
QUICK_MAX_ITER = 3
MAX_LENGTH = 12


def make_data(seed, max_length):
    """Training and (separately drawn) test sets for one seed."""
    X, y = make_embedded_reber(
        N_TRAIN, max_length=max_length, random_state=10_000 + seed
    )
    X_test, y_test = make_embedded_reber(
        N_TEST, max_length=max_length, random_state=20_000 + seed
    )
    return X, y, X_test, y_test


def run_one(loss, width, lr, seed, data, max_iter):
    """Train epoch by epoch until 100 % test accuracy or ``max_iter`` epochs."""
    X, y, X_test, y_test = data
    clf = EEMLSTMClassifier(
        hidden_size=HIDDEN,
        loss=loss,
        kernel_width=width if width is not None else 1.0,
        forget_gate=False,
        solver="sgd",
        learning_rate_init=lr,
        batch_size=BATCH_SIZE,
        max_iter=1,
        random_state=np.random.RandomState(seed),
    )
    classes = np.unique(y)
    start = time.perf_counter()
    accuracy = 0.0
    epochs = 0
    while epochs < max_iter and accuracy < 1.0:
        clf.partial_fit(X, y, classes=classes)
        epochs += 1
        accuracy = float(clf.score(X_test, y_test))
    return {
        "loss": loss,
        "kernel_width": width,
        "learning_rate_init": lr,
        "seed": seed,
        "converged": accuracy == 1.0,
        "epochs": epochs,
        "test_accuracy": accuracy,
        "fit_seconds": time.perf_counter() - start,
    }


def summarise(runs, rows, lrs):
    """Convergence rate and mean epochs (of converged runs) per grid cell."""
    rate = np.full((len(rows), len(lrs)), np.nan)
    epochs = np.full((len(rows), len(lrs)), np.nan)
    for i, (loss, width) in enumerate(rows):
        for j, lr in enumerate(lrs):
            cell = [
                r
                for r in runs
                if r["loss"] == loss
                and r["kernel_width"] == width
                and r["learning_rate_init"] == lr
            ]
            rate[i, j] = np.mean([r["converged"] for r in cell])
            done = [r["epochs"] for r in cell if r["converged"]]
            if done:
                epochs[i, j] = np.mean(done)
    return rate, epochs


def row_label(loss, width):
    return f"EEM s={width:g}" if loss == "eem" else "MSE"


def print_table(title, values, rows, lrs, fmt):
    print(title)
    header = f"{'':>12}" + "".join(f"{'lr=' + format(lr, 'g'):>10}" for lr in lrs)
    print(header)
    print("-" * len(header))
    for (loss, width), line in zip(rows, values, strict=True):
        cells = "".join(f"{'-' if np.isnan(v) else format(v, fmt):>10}" for v in line)
        print(f"{row_label(loss, width):>12}{cells}")
    print()


def plot(rate, epochs, rows, lrs, n_seeds, path):
    """Heat-map of the convergence rates (annotated with mean epochs)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plot skipped (pip install matplotlib).")
        return
    fig, ax = plt.subplots(figsize=(1.4 * len(lrs) + 2.5, 0.6 * len(rows) + 1.8))
    image = ax.imshow(rate, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for i in range(len(rows)):
        for j in range(len(lrs)):
            text = f"{rate[i, j]:.0%}"
            if not np.isnan(epochs[i, j]):
                text += f"\n{epochs[i, j]:.0f} ep"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if rate[i, j] < 0.6 else "black",
            )
    ax.axhline(len(rows) - 1.5, color="white", linewidth=2)
    ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
    ax.set_yticks(range(len(rows)), [row_label(*r) for r in rows])
    ax.set_xlabel("learning rate (SGD)")
    ax.set_title(
        f"Embedded Reber: fraction of {n_seeds} seeds reaching 100 % test accuracy"
    )
    fig.colorbar(image, ax=ax, label="convergence rate")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"heat-map written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--max-iter", type=int, default=None)
    parser.add_argument("--max-length", type=int, default=MAX_LENGTH)
    parser.add_argument("--widths", type=float, nargs="+", default=None)
    parser.add_argument("--lrs", type=float, nargs="+", default=None)
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--figure", type=Path, default=FIGURE_PATH)
    args = parser.parse_args(argv)

    widths = args.widths or (QUICK_WIDTHS if args.quick else FULL_WIDTHS)
    lrs = args.lrs or (QUICK_LRS if args.quick else FULL_LRS)
    n_seeds = args.seeds or (QUICK_SEEDS if args.quick else FULL_SEEDS)
    max_iter = args.max_iter or (QUICK_MAX_ITER if args.quick else FULL_MAX_ITER)
    rows = [("eem", w) for w in widths] + [("mse", None)]

    print(f"CPU: {cpu_model()}; Python {platform.python_version()}")
    print(
        f"embedded Reber classification, max_length={args.max_length}, "
        f"{N_TRAIN} train / {N_TEST} test; LSTM hidden_size={HIDDEN}, "
        f"forget_gate=False, SGD, batch_size={BATCH_SIZE}, "
        f"max_iter={max_iter}, {n_seeds} seeds"
    )
    print()

    runs = []
    start = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in range(n_seeds):
            data = make_data(seed, args.max_length)
            for loss, width in rows:
                for lr in lrs:
                    run = run_one(loss, width, lr, seed, data, max_iter)
                    runs.append(run)
                    print(
                        f"  seed {seed} {row_label(loss, width):>10} lr={lr:<5g} "
                        f"{'converged' if run['converged'] else 'failed   '} "
                        f"epochs={run['epochs']:>3} acc={run['test_accuracy']:.3f} "
                        f"({run['fit_seconds']:.1f} s)",
                        flush=True,
                    )
    elapsed = time.perf_counter() - start
    print(f"\n{len(runs)} runs in {elapsed:.0f} s\n")

    rate, epochs = summarise(runs, rows, lrs)
    print_table(
        f"Convergence rate (fraction of {n_seeds} seeds at 100 % test accuracy)",
        rate,
        rows,
        lrs,
        ".2f",
    )
    print_table(
        "Mean epochs to 100 % test accuracy (converged runs)", epochs, rows, lrs, ".1f"
    )

    eem_any = np.nansum(rate[:-1], axis=0) > 0
    mse_any = rate[-1] > 0
    eem_best = rate[:-1].max(axis=0)
    print(
        f"learning rates at which the method ever converges: "
        f"EEM (any width) {int(eem_any.sum())}/{len(lrs)}, "
        f"MSE {int(mse_any.sum())}/{len(lrs)}; "
        f"(width, lr) cells with any convergence: EEM "
        f"{int((rate[:-1] > 0).sum())}/{rate[:-1].size}"
    )
    print(
        f"mean convergence rate over the grid: EEM {np.mean(rate[:-1]):.2f} "
        f"(best width per lr: {np.mean(eem_best):.2f}), MSE {np.mean(rate[-1]):.2f}"
    )
    print()

    plot(rate, epochs, rows, lrs, n_seeds, args.figure)

    record = {
        "benchmark": "eem_reber_grid",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": sys.version,
            "threadpools": threadpool_info(),
        },
        "versions": {
            "skentropy": SKENTROPY_VERSION,
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
        },
        "settings": {
            "hidden_size": HIDDEN,
            "forget_gate": False,
            "solver": "sgd",
            "batch_size": BATCH_SIZE,
            "max_iter": max_iter,
            "max_length": args.max_length,
            "n_train": N_TRAIN,
            "n_test": N_TEST,
            "widths": list(widths),
            "learning_rates": list(lrs),
            "seeds": n_seeds,
        },
        "elapsed_seconds": elapsed,
        "convergence_rate": {
            row_label(*r): dict(zip(map(str, lrs), line.tolist(), strict=True))
            for r, line in zip(rows, rate, strict=True)
        },
        "runs": runs,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"raw results written to {args.output}")


if __name__ == "__main__":
    main()
