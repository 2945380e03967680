"""EEMMLPClassifier against scikit-learn's MLPClassifier on three small data sets.

What it measures
----------------
Three contenders, all with the same network (``--hidden``, default one
hidden layer of 100 ReLU units), ``solver="adam"``, ``max_iter=200`` and
otherwise scikit-learn's MLP defaults:

* ``MLPClassifier``: scikit-learn's, cross entropy (softmax outputs for
  multiclass problems);
* ``EEM``: ``EEMMLPClassifier()`` at its defaults (``loss="eem"``, the
  error entropy of each mini-batch on logistic outputs,
  ``kernel_width=1.0``);
* ``EEM-MSE``: ``EEMMLPClassifier(loss="squared_error")``, half the squared
  error of the same logistic outputs, the baseline of the EEM papers.

Data sets (``--datasets``): ``load_digits`` (1797 x 64, 10 classes),
``load_wine`` (178 x 13, 3 classes) and ``load_breast_cancer`` (569 x 30,
binary). For each seed ``s`` (``--seeds``, default 10: seeds 0 .. 9) the
rows are split by ``train_test_split(test_size=0.3, stratify=y,
random_state=s)``, the features standardised by a ``StandardScaler``
fitted on the training part, and every contender is fitted with
``random_state=s`` on the same split (paired comparison).

Reported per data set and contender: test accuracy (mean ± std over
seeds, and the paired difference to ``MLPClassifier``), the mean number of
epochs, the median fit time and the median over seeds of the fit-time
ratio to ``MLPClassifier`` on the same split (< 1: faster). Fit times are
one wall-clock measurement per fit; BLAS runs on one thread
(``_common.pin_threads`` before numpy is imported).

A plain-text table is printed and the raw per-seed results are written as
JSON to ``benchmarks/results/eem_classification.json`` (git-ignored). A full
run (3 data sets x 10 seeds x 3 contenders = 90 fits) takes about a
minute.

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/eem_classification.py                   # full: 10 seeds
    python benchmarks/eem_classification.py --datasets wine --seeds 20
    python benchmarks/eem_classification.py --quick           # smoke test

``--quick`` uses 2 seeds and ``max_iter=20``; its numbers are not
meaningful.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skentropy import EEMMLPClassifier

DATASETS = {
    "digits": load_digits,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
}
CONTENDERS = ("MLPClassifier", "EEM", "EEM-MSE")
REFERENCE = "MLPClassifier"
TEST_SIZE = 0.3
QUICK = {"seeds": 2, "max_iter": 20}


def make_model(contender, seed, args):
    common = {
        "hidden_layer_sizes": tuple(args.hidden),
        "solver": "adam",
        "max_iter": args.max_iter,
        "random_state": seed,
    }
    if contender == "MLPClassifier":
        return MLPClassifier(**common)
    loss = "eem" if contender == "EEM" else "squared_error"
    return EEMMLPClassifier(loss=loss, **common)


def run_split(X, y, seed, args):
    """One paired split: every contender's accuracy, epochs and fit time."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    results = {}
    for contender in args.contenders:
        model = make_model(contender, seed, args)
        fit_s, _ = bench.time_call(model.fit, X_train, y_train)
        results[contender] = {
            "test_accuracy": float(model.score(X_test, y_test)),
            "n_iter": int(model.n_iter_),
            "fit_s": fit_s,
        }
    return results


def mean_std(values):
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def summarise(runs, datasets, contenders):
    """Per (data set, contender): accuracy, paired deltas and time ratios."""
    summary = []
    for name in datasets:
        rows = sorted(
            (r for r in runs if r["dataset"] == name), key=lambda r: r["seed"]
        )
        for contender in contenders:
            acc = [r[contender]["test_accuracy"] for r in rows]
            fit_s = [r[contender]["fit_s"] for r in rows]
            row = {"dataset": name, "contender": contender, "n_seeds": len(rows)}
            row["accuracy_mean"], row["accuracy_std"] = mean_std(acc)
            row["n_iter_mean"] = float(np.mean([r[contender]["n_iter"] for r in rows]))
            row["fit_s_median"] = float(np.median(fit_s))
            row["delta_mean"] = row["delta_std"] = row["time_ratio_median"] = None
            if REFERENCE in contenders and contender != REFERENCE:
                ref = [r[REFERENCE] for r in rows]
                delta = [a - f["test_accuracy"] for a, f in zip(acc, ref, strict=True)]
                row["delta_mean"], row["delta_std"] = mean_std(delta)
                ratio = [t / f["fit_s"] for t, f in zip(fit_s, ref, strict=True)]
                row["time_ratio_median"] = float(np.median(ratio))
            summary.append(row)
    return summary


def format_summary(summary):
    headers = [
        "data set",
        "contender",
        "test acc % (mean ± std)",
        f"Δ acc vs {REFERENCE}, pp",
        "epochs",
        "fit s (median)",
        f"fit time / {REFERENCE} (median)",
    ]
    body = []
    for row in summary:
        paired = row["delta_mean"] is not None
        body.append(
            [
                row["dataset"],
                row["contender"],
                f"{100 * row['accuracy_mean']:.2f} ± {100 * row['accuracy_std']:.2f}",
                f"{100 * row['delta_mean']:+.2f} ± {100 * row['delta_std']:.2f}"
                if paired
                else "—",
                f"{row['n_iter_mean']:.0f}",
                f"{row['fit_s_median']:.3f}",
                f"{row['time_ratio_median']:.2f}" if paired else "—",
            ]
        )
    return bench.format_table(headers, body, "<<>>>>>")


def parse_args(argv=None):
    parser = bench.parser(__doc__, "eem_classification", QUICK)
    parser.add_argument(
        "--seeds",
        type=bench.positive_int,
        default=10,
        help="number of seeds 0 .. N-1 (split and initialisation; default 10)",
    )
    bench.add_choice_list(parser, "--datasets", tuple(DATASETS), "data sets")
    bench.add_choice_list(parser, "--contenders", CONTENDERS, "contenders")
    parser.add_argument(
        "--max-iter",
        type=bench.positive_int,
        default=200,
        help="max_iter of every contender (default 200)",
    )
    parser.add_argument(
        "--hidden",
        type=bench.positive_int,
        nargs="+",
        default=[100],
        help="hidden_layer_sizes of every contender (default 100)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    settings = (
        f"datasets {args.datasets}; seeds 0..{args.seeds - 1}; "
        f"hidden {tuple(args.hidden)}, adam, max_iter={args.max_iter}; "
        f"test_size={TEST_SIZE}, stratified, standardised"
    )
    runs = []
    with bench.measure(settings, quick=args.quick) as run:
        for name in args.datasets:
            X, y = DATASETS[name](return_X_y=True)
            for seed in range(args.seeds):
                result = run_split(X, y, seed, args)
                runs.append({"dataset": name, "seed": seed, **result})
                line = "  ".join(
                    f"{c} {r['test_accuracy']:.4f} ({r['fit_s']:.2f} s)"
                    for c, r in result.items()
                )
                print(f"  {name} seed {seed}: {line}", flush=True)
    summary = summarise(runs, args.datasets, args.contenders)
    print()
    print(
        f"Test accuracy on a {TEST_SIZE:.0%} stratified split per seed; "
        f"mean ± std over {args.seeds} seed(s); Δ and time ratio paired by seed."
    )
    print(format_summary(summary))
    print(f"\ntotal wall time: {run.elapsed:.1f} s")
    bench.write_results(
        args.results,
        {
            "benchmark": "eem_classification",
            "quick": args.quick,
            "settings": {
                "datasets": args.datasets,
                "contenders": args.contenders,
                "seeds": list(range(args.seeds)),
                "test_size": TEST_SIZE,
                "split": "train_test_split(stratify=y, random_state=seed)",
                "preprocessing": "StandardScaler fitted on the training split",
                "hidden_layer_sizes": args.hidden,
                "solver": "adam",
                "max_iter": args.max_iter,
                "eem": "EEMMLPClassifier defaults (kernel_width=1.0)",
            },
            "total_wall_time_s": run.elapsed,
            "summary": summary,
            "runs": runs,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
