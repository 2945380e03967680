"""Time per iteration of plain full-batch backprop (TBP) against MLPRegressor's sgd.

What it measures
----------------
The speed target of issue 11: TBP per iteration <= 1.0x scikit-learn's
``MLPRegressor`` full-batch sgd on a 2000 x 22 -> 30 -> 58 problem, in
float64 and in float32.

Data: ``make_radiative_transfer(2000, random_state=0)``, the inputs min-max
scaled to [0, 1] and the targets to [0.05, 0.95] (``EOMRegressor``'s default
``target_range``, so its own scaling is the identity); cast to float32, inputs
and targets, for the float32 case.

Contenders, each trained for ``--iters`` iterations from scratch with
learning rate ``--learning-rate``, one hidden layer of 30 logistic units:

* ``MLPRegressor``: ``solver="sgd"``, ``batch_size=2000`` (full batch),
  ``momentum=0``, ``nesterovs_momentum=False``, ``alpha=0``, ``tol=0``,
  ``n_iter_no_change=iters + 1``, ``shuffle=False``,
  ``early_stopping=False`` (its output is linear; ours is logistic);
* ``fit_overshoot``: the engine's ``fit_overshoot(network, params, X, y,
  eliminate=False, tol=0)`` called directly on a ``[22, 30, 58]`` network with
  logistic hidden and output units (the parameters are drawn before the
  clock starts);
* ``EOMRegressor``: ``EOMRegressor(overshoot="ignore", max_iter=iters,
  tol=0)``, i.e. the same through the estimator (validation included);
* ``per_pattern``: ``EOMRegressor(overshoot="per_pattern", ...)``, the
  multi-pattern EOM mode (at most one correction pass per iteration; how
  often it corrects depends on the learning rate: run with
  ``--learning-rate 8`` to see it correct most iterations).

Time per iteration = fit time / iterations (nothing subtracted). The
contenders are interleaved round by round (``--rounds`` rounds, after one
untimed warm-up fit of each), and the report gives each one's median, its
ratio to MLPRegressor's median, and the median of the per-round ratios.
The script checks that MLPRegressor really trains in float32 (its
``coefs_`` dtype) and that every fit ran ``--iters`` iterations.

BLAS and OpenMP are pinned to one thread. The BLAS kernel (threadpoolctl's
``architecture``) is printed and recorded: compare with the peer with the
machine's OpenBLAS overrides unset, in that one command (see DESIGN.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_eom.py

Targets (printed at the end): ``fit_overshoot`` per iteration <= 1.0x
MLPRegressor's, in float64 and in float32 (ratio of the medians), and the
multi-pattern mode per iteration <= 2.0x plain backprop's (both through
``EOMRegressor``).

The raw results (every time, the machine, the BLAS kernel) are written to
``benchmarks/results/bench_eom.json``.

How to run (from the repository root)
-------------------------------------
::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_eom.py
    python benchmarks/bench_eom.py --rounds 15 --iters 400
    python benchmarks/bench_eom.py --quick      # smoke test, seconds
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import statistics
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import MinMaxScaler

from skentropy import EOMRegressor
from skentropy._engine import FeedForwardNetwork, fit_overshoot
from skentropy.datasets import make_radiative_transfer

N_SAMPLES = 2000
HIDDEN = 30
TARGET_RANGE = (0.05, 0.95)
TARGET_RATIO = 1.0
QUICK = {"rounds": 2, "iters": 10}

REFERENCE = "MLPRegressor"
CONTENDERS = (REFERENCE, "fit_overshoot", "EOMRegressor", "per_pattern")
TARGET_PER_PATTERN = 2.0  # per_pattern per iteration / EOMRegressor (TBP) per iteration
DTYPES = ("float64", "float32")


def load_data():
    """(X, Y) float64: inputs scaled to [0, 1], targets to ``TARGET_RANGE``."""
    X, Y = make_radiative_transfer(N_SAMPLES, random_state=0)
    X = MinMaxScaler().fit_transform(np.asarray(X, dtype=np.float64))
    Y = MinMaxScaler(TARGET_RANGE).fit_transform(np.asarray(Y, dtype=np.float64))
    return X, Y


def make_run(name, X, Y, iters, learning_rate):
    """A callable fitting contender ``name``; returns (seconds, n_iter, dtype)."""
    if name == REFERENCE:

        def run():
            model = MLPRegressor(
                hidden_layer_sizes=(HIDDEN,),
                activation="logistic",
                solver="sgd",
                batch_size=X.shape[0],
                learning_rate_init=learning_rate,
                momentum=0.0,
                nesterovs_momentum=False,
                alpha=0.0,
                max_iter=iters,
                tol=0.0,
                n_iter_no_change=iters + 1,
                shuffle=False,
                early_stopping=False,
                random_state=0,
            )
            seconds, _ = bench.time_call(model.fit, X, Y)
            return seconds, (model.n_iter_, str(model.coefs_[0].dtype))

    elif name == "fit_overshoot":
        network = FeedForwardNetwork(
            [X.shape[1], HIDDEN, Y.shape[1]], "logistic", "logistic"
        )

        def run():
            params = network.init_params(np.random.RandomState(0), X.dtype)
            seconds, result = bench.time_call(
                fit_overshoot,
                network,
                params,
                X,
                Y,
                learning_rate=learning_rate,
                max_iter=iters,
                tol=0.0,
                eliminate=False,
            )
            return seconds, (result.n_iter, str(params.dtype))

    elif name in ("EOMRegressor", "per_pattern"):
        overshoot = "ignore" if name == "EOMRegressor" else "per_pattern"

        def run():
            model = EOMRegressor(
                hidden_layer_sizes=(HIDDEN,),
                overshoot=overshoot,
                learning_rate_init=learning_rate,
                max_iter=iters,
                tol=0.0,
                random_state=0,
            )
            seconds, _ = bench.time_call(model.fit, X, Y)
            return seconds, (model.n_iter_, str(model.coefs_[0].dtype))

    else:
        raise ValueError(f"unknown contender {name!r}")
    return run


def measure_dtype(dtype, X, Y, args):
    """Interleaved timings of every contender in ``dtype``."""
    X, Y = X.astype(dtype), Y.astype(dtype)
    runs = {n: make_run(n, X, Y, args.iters, args.learning_rate) for n in CONTENDERS}
    print(f"{dtype}: {args.rounds} rounds of {args.iters} iterations", flush=True)
    times, results = bench.interleaved(
        CONTENDERS,
        args.rounds,
        lambda name: runs[name](),
        warmup=True,
        label=f"{dtype} round",
        show=lambda s: f"{s / args.iters * 1e6:.0f}us/it",
    )
    for name, (n_iter, trained) in results.items():
        if n_iter != args.iters or trained != dtype:
            raise RuntimeError(
                f"{name} in {dtype}: ran {n_iter} iterations in {trained}, "
                f"expected {args.iters} in {dtype}"
            )
    per_iter = {n: [t / args.iters for t in ts] for n, ts in times.items()}
    medians = {n: statistics.median(ts) for n, ts in per_iter.items()}
    ref = per_iter[REFERENCE]
    rows = []
    for name in CONTENDERS:
        round_ratios = [a / b for a, b in zip(per_iter[name], ref, strict=True)]
        rows.append(
            {
                "dtype": dtype,
                "contender": name,
                "median_us_per_iter": medians[name] * 1e6,
                "ratio_of_medians": medians[name] / medians[REFERENCE],
                "median_round_ratio": statistics.median(round_ratios),
                "seconds_per_iter": per_iter[name],
                "trained_dtype": results[name][1],
            }
        )
    return rows


def report(rows, quick):
    """The table of medians and ratios, then the targets."""
    body = [
        [
            r["dtype"],
            r["contender"],
            f"{r['median_us_per_iter']:.0f}",
            f"{r['ratio_of_medians']:.3f}",
            f"{r['median_round_ratio']:.3f}",
        ]
        for r in rows
    ]
    headers = ["dtype", "contender", "us/iter", "x MLPRegressor", "round ratio"]
    print(bench.format_table(headers, body, "<<>>>"))
    checks = [
        (
            f"fit_overshoot / MLPRegressor, {r['dtype']}",
            f"{r['ratio_of_medians']:.3f}",
            f"<= {TARGET_RATIO}",
            r["ratio_of_medians"] <= TARGET_RATIO,
        )
        for r in rows
        if r["contender"] == "fit_overshoot"
    ]
    by = {(r["dtype"], r["contender"]): r for r in rows}
    for dtype in sorted({r["dtype"] for r in rows}):
        ratio = (
            by[dtype, "per_pattern"]["median_us_per_iter"]
            / by[dtype, "EOMRegressor"]["median_us_per_iter"]
        )
        checks.append(
            (
                f"per_pattern / plain backprop (EOMRegressor), {dtype}",
                f"{ratio:.3f}",
                f"<= {TARGET_PER_PATTERN}",
                ratio <= TARGET_PER_PATTERN,
            )
        )
    text, met = bench.pass_fail_table(checks, quick=quick)
    print(text)
    return met


def build_parser():
    parser = bench.parser(__doc__, "bench_eom", QUICK, rounds=9)
    parser.add_argument(
        "--iters",
        type=bench.positive_int,
        default=200,
        help="iterations per fit (default 200)",
    )
    parser.add_argument(
        "--learning-rate",
        type=bench.positive_float,
        default=0.5,
        help="learning rate of every contender (default 0.5)",
    )
    bench.add_choice_list(parser, "--dtypes", DTYPES, "dtypes to run")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    settings = (
        f"{N_SAMPLES} x 22 -> {HIDDEN} -> 58, rounds={args.rounds}, "
        f"iters={args.iters}, learning_rate={args.learning_rate}"
    )
    X, Y = load_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with bench.measure(settings, quick=args.quick) as run:
            rows = [row for d in args.dtypes for row in measure_dtype(d, X, Y, args)]
    met = report(rows, args.quick)
    bench.write_results(
        args.results,
        {
            "settings": vars(args),
            "results": rows,
            "targets_met": met,
            "elapsed_seconds": run.elapsed,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
