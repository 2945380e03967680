"""Fit-time, memory and FLOP-rate benchmark: MinEntMLPClassifier vs MLPClassifier.

What it measures
----------------
For each dataset and each input dtype (float64, float32) it fits three
estimators with identical hyper-parameters, in the same process:

* ``sklearn MLPClassifier`` (the reference),
* ``MinEntMLPClassifier(loss="cross_entropy")`` (the same objective as the
  reference, so the same work),
* ``MinEntMLPClassifier(loss="min_ent")`` (the package default).

Common settings: ``solver="adam"``, ``batch_size=200``,
``hidden_layer_sizes=(256,)``, ``max_iter=20``, ``tol=0`` and
``n_iter_no_change=10**9`` (so every fit runs exactly 20 epochs; the
resulting ConvergenceWarning is silenced), ``random_state=0``.

Datasets:

* ``digits``: ``sklearn.datasets.load_digits`` (1797 x 64, 10 classes),
  pixels scaled to [0, 1];
* ``synthetic``: ``make_classification(n_samples=20000, n_features=784,
  n_informative=100, n_redundant=0, n_classes=26, n_clusters_per_class=1,
  random_state=0)`` -- an EMNIST-Letters-shaped problem (784 inputs, 26
  classes).

For every (dataset, dtype, estimator) it reports

* the median wall-clock fit time over ``--repeats`` fits.  The VM's speed
  drifts by +-30 %, so the estimators are interleaved round by round
  (sklearn, ours-CE, ours-min_ent, sklearn, ours-CE, ...) rather than run
  one after the other;
* the ratio of that median to MLPClassifier's median;
* the peak memory of one fit, measured with ``tracemalloc`` (numpy array
  buffers are tracked by tracemalloc; BLAS-internal scratch buffers are
  not) in a separate, untimed fit, and its ratio to MLPClassifier's;
* the achieved GFLOP/s, counting ``6 x n_samples x n_parameters x epochs``
  ("6NP") floating-point operations (2 for the forward pass and 4 for the backward
  pass, per parameter and sample), and that rate as a fraction of the
  machine's single-thread matmul peak, which the script measures itself
  (best of several ``np.matmul(a, b, out=c)`` on 2048 x 2048 matrices of
  the same dtype).  Because 6NP counts the gradient w.r.t. the inputs,
  which no MLP computes, the fraction for the FLOPs really done (forward
  2W, weight gradients 2W, error back-propagation 2W for all layers but the
  first; ~4.1 x n_parameters on the synthetic set) is reported as well;
* the final training accuracy and the number of epochs run, so that a
  reader can see that the three estimators do the same work.

BLAS is pinned to one thread for the whole run: the ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` environment variables are
set before numpy is imported, and everything runs inside
``threadpoolctl.threadpool_limits(1)``.

Targets (checked and printed at the end): on the 20000 x 784 set, in both
dtypes, MinEntMLPClassifier's median fit time is <= 0.8 x MLPClassifier's
and its fit peak memory is <= 1.2 x MLPClassifier's.

A plain-text table is printed; the raw results (every individual fit time,
machine information, library versions) are written as JSON to
``benchmarks/results/bench_mlp.json`` (the directory is git-ignored).

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/bench_mlp.py                  # full run, 5 repeats
    python benchmarks/bench_mlp.py --repeats 9
    python benchmarks/bench_mlp.py --datasets synthetic
    python benchmarks/bench_mlp.py --quick          # smoke test, seconds

``--quick`` shrinks the synthetic set to 2000 samples, trains for 3 epochs
and does one repeat; its numbers are not meaningful, it only checks that
the script works.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import gc
import statistics
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skentropy import MinEntMLPClassifier

HIDDEN = 256
BATCH_SIZE = 200
FULL_EPOCHS = 20
FULL_SYNTHETIC_SAMPLES = 20000
SYNTHETIC_FEATURES = 784
SYNTHETIC_CLASSES = 26
MATMUL_N = 2048
QUICK = {"repeats": 1, "epochs": 3, "synthetic_samples": 2000}

TARGET_DATASET = "synthetic"
TARGET_TIME_RATIO = 0.8
TARGET_MEMORY_RATIO = 1.2
TARGETS = {"time": TARGET_TIME_RATIO, "memory": TARGET_MEMORY_RATIO}

REFERENCE = "sklearn MLPClassifier"
ESTIMATOR_NAMES = (
    REFERENCE,
    "MinEnt loss=cross_entropy",
    "MinEnt loss=min_ent",
)
DATASETS = ("digits", "synthetic")
DTYPES = ("float64", "float32")


def make_estimator(name, epochs):
    """A fresh, unfitted estimator called ``name``, trained for ``epochs``."""
    common = {
        "hidden_layer_sizes": (HIDDEN,),
        "solver": "adam",
        "batch_size": BATCH_SIZE,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": 10**9,
        "random_state": 0,
    }
    if name == REFERENCE:
        return MLPClassifier(**common)
    if name == "MinEnt loss=cross_entropy":
        return MinEntMLPClassifier(loss="cross_entropy", **common)
    if name == "MinEnt loss=min_ent":
        return MinEntMLPClassifier(loss="min_ent", **common)
    raise ValueError(f"unknown estimator {name!r}")


def load_dataset(name, synthetic_samples):
    """(description, X float64, y) for dataset ``name``."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return "load_digits (pixels / 16)", X / 16.0, y
    if name == "synthetic":
        X, y = make_classification(
            n_samples=synthetic_samples,
            n_features=SYNTHETIC_FEATURES,
            n_informative=100,
            n_redundant=0,
            n_classes=SYNTHETIC_CLASSES,
            n_clusters_per_class=1,
            random_state=0,
        )
        return "make_classification(n_informative=100, n_classes=26)", X, y
    raise ValueError(f"unknown dataset {name!r}")


def n_parameters(n_features, n_classes):
    """Weights and biases of a one-hidden-layer MLP (softmax output)."""
    n_out = 1 if n_classes == 2 else n_classes
    return n_features * HIDDEN + HIDDEN + HIDDEN * n_out + n_out


def exact_flops_per_sample(n_features, n_classes):
    """Multiply-adds x 2 that a dense MLP fit really does, per sample and epoch.

    Forward ``2 W`` plus weight gradients ``2 W`` for every layer, plus
    back-propagating the error through every layer except the first (no
    implementation computes the gradient w.r.t. the input).  Biases and
    element-wise work are ignored.  For (784 -> 256 -> 26) this is ~4.1 x
    n_parameters, against 6 x n_parameters in the conventional count.
    """
    n_out = 1 if n_classes == 2 else n_classes
    w1, w2 = n_features * HIDDEN, HIDDEN * n_out
    return 4.0 * w1 + 6.0 * w2


def matmul_peak_gflops(dtype, n=MATMUL_N, repeats=5):
    """Best single-thread GFLOP/s of an ``n x n`` matmul in ``dtype``."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    c = np.empty((n, n), dtype=dtype)
    times, _ = bench.repeat_times(lambda: np.matmul(a, b, out=c), repeats)
    return 2.0 * n**3 / min(times) / 1e9


def peak_fit_memory(name, epochs, X, y):
    """Peak bytes allocated (tracemalloc) during one fit, above the start."""
    est = make_estimator(name, epochs)
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        est.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def bench_one(dataset, dtype, X, y, epochs, repeats, peak_gflops):
    """All measurements for one (dataset, dtype); returns a list of rows."""
    n_samples, n_features = X.shape
    n_classes = len(np.unique(y))
    n_params = n_parameters(n_features, n_classes)

    times, fitted = bench.interleaved(
        ESTIMATOR_NAMES,
        repeats,
        lambda name: bench.time_call(make_estimator(name, epochs).fit, X, y),
    )
    peaks = {name: peak_fit_memory(name, epochs, X, y) for name in ESTIMATOR_NAMES}

    ref_median = statistics.median(times[REFERENCE])
    rows = []
    for name in ESTIMATOR_NAMES:
        est = fitted[name]
        median = statistics.median(times[name])
        n_iter = getattr(est, "n_iter_", None)
        gflop = 6.0 * n_samples * n_params * epochs / 1e9
        gflops = gflop / median
        exact_gflop = (
            exact_flops_per_sample(n_features, n_classes) * n_samples * epochs / 1e9
        )
        coef_dtypes = sorted({str(c.dtype) for c in getattr(est, "coefs_", [])})
        rows.append(
            {
                "dataset": dataset,
                "dtype": dtype,
                "estimator": name,
                "n_samples": n_samples,
                "n_features": n_features,
                "n_classes": n_classes,
                "n_parameters": n_params,
                "epochs": epochs,
                "n_iter": None if n_iter is None else int(n_iter),
                "times_s": times[name],
                "median_s": median,
                "min_s": min(times[name]),
                "time_ratio": median / ref_median,
                "peak_bytes": peaks[name],
                "memory_ratio": peaks[name] / peaks[REFERENCE],
                "gflop": gflop,
                "gflops": gflops,
                "matmul_peak_gflops": peak_gflops,
                "fraction_of_peak": gflops / peak_gflops,
                "exact_gflop": exact_gflop,
                "exact_fraction_of_peak": exact_gflop / median / peak_gflops,
                "train_accuracy": float(est.score(X, y)),
                "final_loss": (
                    None if getattr(est, "loss_", None) is None else float(est.loss_)
                ),
                "coef_dtypes": coef_dtypes,
            }
        )
    return rows


def format_results(rows):
    headers = ["estimator", "median fit s", "time ratio", "peak MiB", "mem ratio"]
    headers += ["GFLOP/s", "% peak (6NP)", "% peak (exact)", "train acc", "epochs"]
    headers += ["coef dtype"]
    body = [
        [
            row["estimator"],
            f"{row['median_s']:.3f}",
            f"{row['time_ratio']:.3f}",
            f"{row['peak_bytes'] / 2**20:.1f}",
            f"{row['memory_ratio']:.3f}",
            f"{row['gflops']:.2f}",
            f"{100 * row['fraction_of_peak']:.1f}%",
            f"{100 * row['exact_fraction_of_peak']:.1f}%",
            f"{row['train_accuracy']:.4f}",
            row["n_iter"] if row["n_iter"] is not None else "?",
            ",".join(row["coef_dtypes"]) or "?",
        ]
        for row in rows
    ]
    return bench.format_table(headers, body, "<" + ">" * 9 + "<")


def check_targets(rows, quick):
    """The target table: time and memory ratios on the synthetic set."""
    checks = []
    for r in rows:
        if r["dataset"] != TARGET_DATASET or r["estimator"] == REFERENCE:
            continue
        for what, limit in TARGETS.items():
            ratio = r[f"{what}_ratio"]
            checks.append(
                (
                    f"{r['dtype']} {r['estimator']}: {what} ratio",
                    f"{ratio:.3f}",
                    f"<= {limit}",
                    ratio <= limit,
                )
            )
    return bench.pass_fail_table(checks, quick=quick)


def parse_args(argv=None):
    parser = bench.parser(__doc__, "bench_mlp", QUICK, repeats=5)
    parser.set_defaults(epochs=FULL_EPOCHS, synthetic_samples=FULL_SYNTHETIC_SAMPLES)
    bench.add_choice_list(parser, "--datasets", DATASETS, "datasets to run")
    bench.add_choice_list(parser, "--dtypes", DTYPES, "input dtypes to run")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    epochs = args.epochs
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message=".*[Mm]aximum iterations.*")

    settings = (
        f"hidden=({HIDDEN},), adam, batch_size={BATCH_SIZE}, "
        f"epochs={epochs}, repeats={args.repeats}"
    )
    with bench.measure(settings, quick=args.quick) as run:
        peaks = {}
        for dtype in args.dtypes:
            peaks[dtype] = matmul_peak_gflops(np.dtype(dtype))
            print(
                f"matmul peak ({MATMUL_N}x{MATMUL_N}, {dtype}, 1 thread): "
                f"{peaks[dtype]:.2f} GFLOP/s"
            )

        rows = []
        sections = []
        for dataset in args.datasets:
            description, X64, y = load_dataset(dataset, args.synthetic_samples)
            for dtype in args.dtypes:
                X = np.ascontiguousarray(X64, dtype=dtype)
                title = (
                    f"{dataset}: {description}, X {X.shape[0]}x{X.shape[1]} "
                    f"{dtype}, {len(np.unique(y))} classes"
                )
                print(f"\n{title}", flush=True)
                section = bench_one(
                    dataset, dtype, X, y, epochs, args.repeats, peaks[dtype]
                )
                rows.extend(section)
                sections.append((title, section))

    print("\n" + "=" * 100)
    print(
        f"Results: median of {args.repeats} interleaved fit(s) per estimator;\n"
        "ratios are to MLPClassifier on the same (dataset, dtype);\n"
        "GFLOP/s counts 6 x n_samples x n_parameters x epochs ('6NP');\n"
        "'% peak (6NP)' = that rate / single-thread matmul peak of the dtype.\n"
        "6NP includes a gradient w.r.t. the input that no MLP computes, so\n"
        "'% peak (exact)' uses the FLOPs really done (forward 2W, weight\n"
        "gradients 2W, error back-propagation 2W for all but the first layer)."
    )
    for title, section in sections:
        print(f"\n{title}")
        print(format_results(section))
    print(
        f"\nTargets: on the {FULL_SYNTHETIC_SAMPLES} x {SYNTHETIC_FEATURES} "
        "synthetic set, in float64 and float32, MinEntMLPClassifier fit-time "
        f"ratio <= {TARGET_TIME_RATIO} and peak-memory ratio <= "
        f"{TARGET_MEMORY_RATIO} vs MLPClassifier."
    )
    target_table, targets_met = check_targets(rows, args.quick)
    print(target_table)
    print(f"\ntotal wall time: {run.elapsed:.1f} s")

    bench.write_results(
        args.results,
        {
            "benchmark": "bench_mlp",
            "quick": args.quick,
            "settings": {
                "hidden_layer_sizes": [HIDDEN],
                "solver": "adam",
                "batch_size": BATCH_SIZE,
                "epochs": epochs,
                "tol": 0.0,
                "n_iter_no_change": 10**9,
                "random_state": 0,
                "repeats": args.repeats,
                "synthetic_samples": args.synthetic_samples,
                "flop_model": "6 * n_samples * n_parameters * epochs",
            },
            "matmul_n": MATMUL_N,
            "matmul_peak_gflops": peaks,
            "targets": {
                "dataset": TARGET_DATASET,
                "time_ratio_max": TARGET_TIME_RATIO,
                "memory_ratio_max": TARGET_MEMORY_RATIO,
                "met": targets_met,
                "meaningful": not args.quick,
            },
            "total_wall_time_s": run.elapsed,
            "results": rows,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
