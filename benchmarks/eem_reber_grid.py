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
each method ever converges (EEM: with any width). The raw results (every
run's epochs, final accuracy and fit time, machine information, library
versions) are written as JSON to ``benchmarks/results/eem_reber_grid.json``
(the directory is git-ignored). The figure of this grid is
``examples/plot_eem_reber_grid.py`` (a cross-validated search over the same
widths and learning rates, in under a minute).

BLAS is pinned to one thread (``_common.pin_threads`` sets the environment
variables before numpy is imported, and the grid runs inside
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
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skentropy import EEMLSTMClassifier
from skentropy.datasets import make_embedded_reber

HIDDEN = 4
BATCH_SIZE = 16
N_TRAIN = 400
N_TEST = 400
WIDTHS = (0.5, 1.0, 1.3, 1.6, 2.5)
LRS = (0.1, 0.3, 1.0, 3.0)
SEEDS = 5
MAX_ITER = 60
MAX_LENGTH = 12
QUICK = {"widths": (1.3,), "lrs": (0.3, 1.0), "seeds": 1, "max_iter": 3}


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


def grid_table(values, rows, lrs, fmt):
    """A (method, width) x learning-rate table of ``values``."""
    body = [
        [row_label(*row), *("-" if np.isnan(v) else format(v, fmt) for v in line)]
        for row, line in zip(rows, values, strict=True)
    ]
    return bench.format_table(["", *(f"lr={lr:g}" for lr in lrs)], body)


def parse_args(argv=None):
    parser = bench.parser(__doc__, "eem_reber_grid", QUICK)
    parser.add_argument(
        "--seeds", type=bench.positive_int, default=SEEDS, help="seeds per cell"
    )
    parser.add_argument(
        "--max-iter", type=bench.positive_int, default=MAX_ITER, help="epochs at most"
    )
    parser.add_argument(
        "--max-length", type=int, default=MAX_LENGTH, help="longest string"
    )
    parser.add_argument(
        "--widths", type=float, nargs="+", default=WIDTHS, help="EEM kernel widths"
    )
    parser.add_argument(
        "--lrs", type=float, nargs="+", default=LRS, help="SGD learning rates"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    lrs, n_seeds, max_iter = args.lrs, args.seeds, args.max_iter
    rows = [("eem", w) for w in args.widths] + [("mse", None)]

    settings = (
        f"embedded Reber classification, max_length={args.max_length}, "
        f"{N_TRAIN} train / {N_TEST} test; LSTM hidden_size={HIDDEN}, "
        f"forget_gate=False, SGD, batch_size={BATCH_SIZE}, "
        f"max_iter={max_iter}, {n_seeds} seeds"
    )
    runs = []
    with bench.measure(settings, quick=args.quick) as timer, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        print()
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
    print(f"\n{len(runs)} runs in {timer.elapsed:.0f} s\n")

    rate, epochs = summarise(runs, rows, lrs)
    print(f"Convergence rate (fraction of {n_seeds} seeds at 100 % test accuracy)")
    print(grid_table(rate, rows, lrs, ".2f"))
    print("\nMean epochs to 100 % test accuracy (converged runs)")
    print(grid_table(epochs, rows, lrs, ".1f"))
    print()

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

    bench.write_results(
        args.results,
        {
            "benchmark": "eem_reber_grid",
            "quick": args.quick,
            "settings": {
                "hidden_size": HIDDEN,
                "forget_gate": False,
                "solver": "sgd",
                "batch_size": BATCH_SIZE,
                "max_iter": max_iter,
                "max_length": args.max_length,
                "n_train": N_TRAIN,
                "n_test": N_TEST,
                "widths": args.widths,
                "learning_rates": lrs,
                "seeds": n_seeds,
            },
            "elapsed_seconds": timer.elapsed,
            "convergence_rate": {
                row_label(*r): dict(zip(map(str, lrs), line.tolist(), strict=True))
                for r, line in zip(rows, rate, strict=True)
            },
            "runs": runs,
        },
        timer.machine,
    )


if __name__ == "__main__":
    main()
