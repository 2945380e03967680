"""EOM on many patterns: the multi-pattern mode against plain backprop (issue 11).

What it measures
----------------
``EOMRegressor(overshoot="per_pattern")`` (the multi-pattern mode), the
faithful ``overshoot="eliminate"`` and plain backprop (TBP,
``overshoot="ignore"``) from the same initial weights, full batch, on

* ``rt200`` and ``rt2000``: ``make_radiative_transfer(n, random_state=0)``
  (22 inputs, 58 outputs);
* ``diabetes``: scikit-learn's ``load_diabetes`` (10 inputs, 1 output);

inputs min-max scaled to [0, 1] (``MinMaxScaler``), targets scaled by the
estimator (``target_range=(0.05, 0.95)``), a hidden layer of 30 logistic
units, at the learning rates ``--learning-rates`` (default 2, the
estimator's default, and 8, where plain backprop oscillates), for
``--seeds`` seeds (default 3). Every method runs the same number of
iterations (``--iters``: 2000 for rt200 and diabetes, 1000 for rt2000) with
``tol=0``.

For each (dataset, learning rate, seed) and method:

* passes to TBP's final error: the forward/backward pass equivalents
  (``passes_curve_``, the initial evaluation included) spent until the
  training error first reaches TBP's final error, divided by TBP's passes
  (the other methods run 10 % more iterations than TBP so that a small
  excess shows; ``-`` if never reached), and the error at TBP's pass
  budget over TBP's final error;
* the step overshoot: ``crossing_curve_``, the fraction of (pattern, output)
  errors whose sign the plain step flipped, mean over the iterations and at
  1 %, 10 %, 50 % and 100 % of them;
* 5-fold cross-validated R^2 (``KFold(5, shuffle=True, random_state=seed)``,
  the scaler inside the pipeline), TBP and the multi-pattern mode only
  (the faithful mode is too slow there).

Targets (PASS/FAIL, per dataset and learning rate, medians over the seeds):
the multi-pattern mode reaches TBP's final training error in no more passes
than TBP, its mean step overshoot is below TBP's, and its CV R^2 is at most
2 % (relative) below TBP's.

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/eom_patterns.py              # full run, ~10 min
    python benchmarks/eom_patterns.py --datasets rt200 --learning-rates 8
    python benchmarks/eom_patterns.py --quick      # smoke test, seconds

The raw results go to ``benchmarks/results/eom_patterns.json``.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import statistics
import warnings

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skentropy import EOMRegressor
from skentropy.datasets import make_radiative_transfer

DATASETS = ("rt200", "rt2000", "diabetes")
ITERS = {"rt200": 2000, "rt2000": 1000, "diabetes": 2000}
METHODS = {"TBP": "ignore", "per_pattern": "per_pattern", "eliminate": "eliminate"}
CV_METHODS = ("TBP", "per_pattern")
CHECKPOINTS = (0.01, 0.1, 0.5, 1.0)
CV_TOLERANCE = 0.02
EXTRA = 0.1  # extra iterations (fraction) for the methods other than TBP
QUICK = {"seeds": 1, "iter_scale": 0.02, "datasets": ["rt200"], "cv_folds": 2}


def load(name):
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
    else:
        X, y = make_radiative_transfer(int(name[2:]), random_state=0)
    return X, y


def make_model(method, lr, iters, seed):
    return EOMRegressor(
        hidden_layer_sizes=(30,),
        overshoot=METHODS[method],
        learning_rate_init=lr,
        max_iter=iters,
        tol=0.0,
        random_state=seed,
    )


def checkpoints(curve):
    n = len(curve)
    return [float(curve[max(1, int(f * n)) - 1]) for f in CHECKPOINTS]


def training_run(X, y, methods, lr, iters, seed):
    """Fit every method on the scaled data; passes to TBP's final error.

    The other methods get ``EXTRA`` more iterations than TBP, so that a
    method needing a few more passes than TBP shows how many; their final
    error is read at TBP's pass budget.
    """
    Xs = MinMaxScaler().fit_transform(X)
    fits = {}
    for method in methods:
        n_iter = iters if method == "TBP" else int(iters * (1 + EXTRA))
        model = make_model(method, lr, n_iter, seed).fit(Xs, y)
        fits[method] = {
            "loss": np.asarray(model.loss_curve_),
            "passes": 1 + np.cumsum(model.passes_curve_),
            "crossing": np.asarray(model.crossing_curve_[:iters]),
        }
    target = fits["TBP"]["loss"][-1]
    budget = fits["TBP"]["passes"][-1]
    rows = {}
    for method, fit in fits.items():
        reached = np.flatnonzero(fit["loss"] <= target)
        within = np.flatnonzero(fit["passes"] <= budget + 1e-9)
        rows[method] = {
            "reach": float(fit["passes"][reached[0]] / budget)
            if reached.size
            else None,
            "final_ratio": float(fit["loss"][within[-1]] / target),
            "passes_per_iter": float(fit["passes"][-1] / len(fit["loss"])),
            "crossing_mean": float(fit["crossing"].mean()),
            "crossing_checkpoints": checkpoints(fit["crossing"]),
        }
    return rows


def cv_run(X, y, lr, iters, seed, folds):
    cv = KFold(folds, shuffle=True, random_state=seed)
    return {
        method: float(
            cross_val_score(
                make_pipeline(MinMaxScaler(), make_model(method, lr, iters, seed)),
                X,
                y,
                cv=cv,
            ).mean()
        )
        for method in CV_METHODS
    }


def fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def summarise(name, lr, runs, methods):
    """Medians over the seeds, printed as one table; returns the verdicts."""
    print(f"\n{name}, lr {lr:g}, {len(runs)} seed(s):")
    headers = [
        "method",
        "passes to TBP's final error / TBP's",
        "error at TBP's passes / TBP's",
        "passes / iteration",
        "step overshoot (mean)",
        "at 1/10/50/100 %",
        "CV R^2",
    ]
    body = []
    for method in methods:
        rows = [r["train"][method] for r in runs]
        reaches = [r["reach"] for r in rows]
        reach = (
            statistics.median(reaches) if all(v is not None for v in reaches) else None
        )
        cps = np.median([r["crossing_checkpoints"] for r in rows], axis=0)
        cv = (
            statistics.median(r["cv"][method] for r in runs)
            if method in CV_METHODS
            else None
        )
        body.append(
            [
                method,
                fmt(reach)
                + f" ({sum(v is not None for v in reaches)}/{len(reaches)} reached)",
                fmt(statistics.median(r["final_ratio"] for r in rows), ".4f"),
                fmt(statistics.median(r["passes_per_iter"] for r in rows), ".2f"),
                fmt(statistics.median(r["crossing_mean"] for r in rows), ".4f"),
                "/".join(f"{v:.3f}" for v in cps),
                fmt(cv, ".4f"),
            ]
        )
    print(bench.format_table(headers, body))

    def med(method, key):
        return statistics.median(r["train"][method][key] for r in runs)

    reaches = [r["train"]["per_pattern"]["reach"] for r in runs]
    reach_ok = all(v is not None and v <= 1.0 for v in reaches)
    cv_tbp = statistics.median(r["cv"]["TBP"] for r in runs)
    cv_pp = statistics.median(r["cv"]["per_pattern"] for r in runs)
    # Worse than TBP by at most the tolerance; better is no miss.
    cv_gap = (cv_tbp - cv_pp) / abs(cv_tbp)
    return [
        (
            f"{name} lr {lr:g}: per_pattern passes to TBP's final error, every seed",
            "/".join(fmt(v, ".3f") for v in reaches),
            "<= 1.0 x",
            reach_ok,
        ),
        (
            f"{name} lr {lr:g}: step overshoot, per_pattern vs TBP",
            f"{med('per_pattern', 'crossing_mean'):.4f} vs "
            f"{med('TBP', 'crossing_mean'):.4f}",
            "lower",
            med("per_pattern", "crossing_mean") < med("TBP", "crossing_mean"),
        ),
        (
            f"{name} lr {lr:g}: CV R^2 shortfall against TBP",
            f"{100 * cv_gap:.2f} % ({cv_pp:.4f} vs {cv_tbp:.4f})",
            f"<= {100 * CV_TOLERANCE:g} %",
            cv_gap <= CV_TOLERANCE,
        ),
    ]


def parse_args(argv=None):
    parser = bench.parser(__doc__, "eom_patterns", QUICK)
    parser.add_argument(
        "--datasets", nargs="+", choices=DATASETS, default=list(DATASETS)
    )
    parser.add_argument(
        "--learning-rates", type=bench.positive_float, nargs="+", default=[2.0, 8.0]
    )
    parser.add_argument("--seeds", type=bench.positive_int, default=3)
    parser.add_argument(
        "--no-faithful", action="store_true", help="skip overshoot='eliminate'"
    )
    parser.set_defaults(iter_scale=1.0, cv_folds=5)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    methods = [m for m in METHODS if not (args.no_faithful and m == "eliminate")]
    settings = (
        f"datasets={args.datasets}, learning rates={args.learning_rates}, "
        f"seeds={args.seeds}, iterations={ {d: ITERS[d] for d in args.datasets} }"
        f" x {args.iter_scale:g}, methods={methods}, CV folds={args.cv_folds}"
    )
    results, checks = {}, []
    with bench.measure(settings, quick=args.quick) as run:
        for name in args.datasets:
            X, y = load(name)
            iters = max(2, int(ITERS[name] * args.iter_scale))
            for lr in args.learning_rates:
                runs = []
                for seed in range(args.seeds):
                    runs.append(
                        {
                            "seed": seed,
                            "train": training_run(X, y, methods, lr, iters, seed),
                            "cv": cv_run(X, y, lr, iters, seed, args.cv_folds),
                        }
                    )
                results[f"{name} lr {lr:g}"] = runs
                checks += summarise(name, lr, runs, methods)
    print()
    text, _ = bench.pass_fail_table(checks, quick=args.quick)
    print(text)
    print(f"\ntotal wall time: {run.elapsed:.1f} s")
    bench.write_results(
        args.results,
        {
            "benchmark": "eom_patterns",
            "quick": args.quick,
            "results": results,
            "verdicts": {c[0]: c[3] for c in checks},
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
