"""Choosing the LSTM estimators' training defaults by measurement.

What it measures
----------------
Issue 10 asks for defaults that do not stop at chance on real data, with
patience, tolerance and gradient clipping "chosen by measurement". This
script fits ``EEMLSTMClassifier`` on UCR/UEA datasets bundled with aeon
(official splits, normalised as ``ucr_uea.py`` does: univariate series
one by one, multivariate channels on the training set; the collections go
in as aeon hands them over, ``layout="nct"``, unequal lengths as lists)
under a few candidate training settings, everything else at the
estimator's defaults (32 cells, Adam, learning rate 0.01, batch 32,
at most 200 epochs):

* ``tol=1e-4, patience 10``: scikit-learn's MLP rule, the default before;
* ``patience 30`` and ``patience 50``: ``n_iter_no_change`` 30 or 50;
* ``fixed 200``: no stopping rule (``n_iter_no_change=np.inf``): every fit
  runs ``max_iter`` epochs;
* each of those with ``max_grad_norm=1.0`` (``+ clip``): the gradient of a
  mini-batch clipped to norm 1, as PyTorch's ``clip_grad_norm_``;
* ``patience 50 + clip`` at the learning rates 0.003 and 0.001.

``--settings`` runs a subset (names as above).

For every dataset, loss (``cross_entropy``, ``eem``) and setting it fits
``--seeds`` seeds (default 3) and reports the test accuracy (median, min),
the seeds that ended at chance (test accuracy at or below the majority
class's share + 0.05), the median number of epochs and fit time; then, per
setting and loss, the totals over datasets: seeds at chance, the mean of
the median accuracies and the total fit time. The raw rows go to
``benchmarks/results/lstm_training_defaults.json``.

How to run (from ``benchmarks/``, in the aeon venv of ``ucr_uea.py``)
----------------------------------------------------------------------
::

    /work/aeonvenv/bin/python lstm_training_defaults.py           # ~1 hour
    /work/aeonvenv/bin/python lstm_training_defaults.py --quick   # seconds
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skentropy import EEMLSTMClassifier

DATASETS = (
    "GunPoint",
    "ItalyPowerDemand",
    "ArrowHead",
    "BasicMotions",
    "JapaneseVowels",
)
LOSSES = ("cross_entropy", "eem")
PATIENCE = {
    "patience 10": 10,
    "patience 30": 30,
    "patience 50": 50,
    "fixed 200": np.inf,
}
SETTINGS = {
    **{name: {"n_iter_no_change": p} for name, p in PATIENCE.items()},
    **{
        f"{name} + clip": {"n_iter_no_change": p, "max_grad_norm": 1.0}
        for name, p in PATIENCE.items()
    },
    # The learning rate, with the chosen patience and clipping.
    **{
        f"patience 50 + clip, lr {lr:g}": {
            "n_iter_no_change": 50,
            "max_grad_norm": 1.0,
            "learning_rate_init": lr,
        }
        for lr in (0.003, 0.001)
    },
}
CHANCE_MARGIN = 0.05

QUICK = {"datasets": ["ItalyPowerDemand", "JapaneseVowels"], "seeds": 1, "epochs": 3}


def load(name):
    """aeon's official split, normalised and handed over as ``ucr_uea.py``
    does (arrays, or lists for unequal lengths), and the chance level."""
    from ucr_uea import load as load_split

    native, _, info = load_split(name)
    return (*native, info["chance"])


def run(args):
    rows = []
    for name in args.datasets:
        X, y, X_test, y_test, chance = load(name)
        for loss in LOSSES:
            for setting in args.settings:
                params = SETTINGS[setting]
                for seed in range(args.seeds):
                    clf = EEMLSTMClassifier(
                        loss=loss, layout="nct", random_state=seed, **params
                    )
                    if args.epochs is not None:
                        clf.set_params(max_iter=args.epochs)
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        clf.fit(X, y)
                    seconds = time.perf_counter() - start
                    accuracy = float(clf.score(X_test, y_test))
                    rows.append(
                        {
                            "dataset": name,
                            "loss": loss,
                            "setting": setting,
                            "seed": seed,
                            "accuracy": accuracy,
                            "chance": float(chance),
                            "at_chance": accuracy <= chance + CHANCE_MARGIN,
                            "epochs": int(clf.n_iter_),
                            "seconds": seconds,
                            "loss_curve": [float(v) for v in clf.loss_curve_],
                        }
                    )
                    print(
                        f"  {name:<16} {loss:<13} {setting:<19} seed {seed}: "
                        f"acc {accuracy:.3f} ({clf.n_iter_} epochs, {seconds:.1f} s)",
                        flush=True,
                    )
    return rows


def tables(rows, datasets, settings):
    out = []
    for name in datasets:
        chance = next(r["chance"] for r in rows if r["dataset"] == name)
        body = []
        for loss in LOSSES:
            for setting in settings:
                sel = [
                    r
                    for r in rows
                    if (r["dataset"], r["loss"], r["setting"]) == (name, loss, setting)
                ]
                acc = [r["accuracy"] for r in sel]
                body.append(
                    [
                        loss,
                        setting,
                        f"{statistics.median(acc):.3f}",
                        f"{min(acc):.3f}",
                        f"{sum(r['at_chance'] for r in sel)}/{len(sel)}",
                        f"{statistics.median(r['epochs'] for r in sel):.0f}",
                        f"{statistics.median(r['seconds'] for r in sel):.1f}",
                    ]
                )
        out.append(
            f"\n{name} (chance {chance:.3f})\n"
            + bench.format_table(
                [
                    "loss",
                    "setting",
                    "acc median",
                    "acc min",
                    "at chance",
                    "epochs",
                    "fit s",
                ],
                body,
            )
        )
    body = []
    for loss in LOSSES:
        for setting in settings:
            sel = [r for r in rows if (r["loss"], r["setting"]) == (loss, setting)]
            medians = [
                statistics.median(r["accuracy"] for r in sel if r["dataset"] == name)
                for name in datasets
            ]
            body.append(
                [
                    loss,
                    setting,
                    f"{sum(r['at_chance'] for r in sel)}/{len(sel)}",
                    f"{statistics.fmean(medians):.3f}",
                    f"{sum(r['seconds'] for r in sel):.0f}",
                ]
            )
    out.append(
        "\nOver all datasets\n"
        + bench.format_table(
            ["loss", "setting", "seeds at chance", "mean of median acc", "total fit s"],
            body,
        )
    )
    return "\n".join(out)


def parse_args(argv=None):
    parser = bench.parser(__doc__, "lstm_training_defaults", QUICK)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", type=bench.positive_int, default=3)
    parser.add_argument(
        "--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS)
    )
    parser.set_defaults(epochs=None)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    record = bench.machine_record()
    print(f"settings: {args.settings}; datasets {args.datasets}; seeds {args.seeds}")
    rows = run(args)
    print(tables(rows, args.datasets, args.settings))
    bench.write_results(
        args.results,
        {"quick": bool(args.quick), "settings": args.settings, "rows": rows},
        record,
    )


if __name__ == "__main__":
    main()
