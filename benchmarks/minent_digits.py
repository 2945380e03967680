"""CE vs MIN-ENT vs MIX-ENT on scikit-learn's digits, with and without label noise.

What it measures
----------------
``MinEntMLPClassifier`` is trained with ``loss="cross_entropy"``,
``loss="min_ent"`` and ``loss="mix_ent"`` (the last two once per weight of
``--entropy-weights``, default 0.1; cross entropy ignores the weight and is
fitted once) on ``sklearn.datasets.load_digits`` (1797 images of 8 x 8
pixels, 10 classes), over several seeds (``--seeds``, default 10: seeds
0 .. 9), without early stopping, with it, or both (``--early-stopping``
``no`` (default), ``yes``, ``both``).

For each seed ``s``:

* the data are split by ``train_test_split(test_size=0.3, stratify=y,
  random_state=s)``, i.e. a different stratified split per seed (1257
  training / 540 test images), so the spread over seeds includes the
  split-to-split variation and not only the initialisation;
* for each noise rate ``r`` (``--noise``, default 0, 0.2, 0.4) the
  *training* labels get symmetric label noise: each label is, with
  probability ``r``, replaced by a class drawn uniformly among the *other*
  nine classes.  The draw uses ``numpy.random.default_rng([s, round(1000 *
  r)])``, so it is reproducible and identical for every loss, weight and
  early-stopping setting (the comparison is paired).  Test labels are always clean;
* each loss is fitted as ``Pipeline(StandardScaler(),
  MinEntMLPClassifier(...))`` (the scaler is fitted on the training images
  only) with ``hidden_layer_sizes=(128,)``, ``solver="adam"``,
  ``max_iter=200``, ``early_stopping=False``, ``random_state=s`` and
  otherwise scikit-learn's MLP defaults (so training may stop before
  ``max_iter`` when the training loss plateaus; the mean number of epochs
  is reported).  With ``--early-stopping yes`` (or ``both``, which fits
  every model both ways) the MLP gets ``early_stopping=True``:
  scikit-learn holds out a stratified 10 % of the (noisy) training labels
  as validation set and stops after 10 epochs without improvement of the
  validation accuracy, keeping the best weights.

Reported per (noise rate, early stopping, loss and weight), as mean +-
standard deviation over seeds: the test accuracy, its paired difference to
cross-entropy (same seeds, same early-stopping setting), the test log loss
(``sklearn.metrics.log_loss`` with ``labels=range(10)``), the expected
calibration error (ECE: top-label, 15 equal-width confidence bins
``(lo, hi]``, ``sum_b (n_b / n) |accuracy_b - mean confidence_b|``, see
``top_label_ece``), the mean predictive entropy on the test set
(``-sum_k p_k log p_k`` of ``predict_proba``, in nats; the maximum for 10
classes is ln 10 = 2.303), the training accuracy on the (noisy) training
labels, which shows how much of the noise each loss memorises, and the
mean number of epochs.  A second table gives paired differences in test
accuracy: MIX-ENT - MIN-ENT at the same weight, and with ``--early-stopping
both`` early stopping - none for each loss.

The reference figures of the paper (EMNIST-Letters, VGG-5, clean labels:
CE 95.86 %, MIN-ENT 95.933 %, MIX-ENT 95.927 %) are printed beside the
table.  They are not comparable as such: the paper's dataset (26 letter
classes, 20,800 test images) and model (a convolutional VGG-5) differ from
this small MLP on 8 x 8 digits, and its MIN-ENT gain over CE (~0.07 points,
~15 test images out of 20,800) is within seed-to-seed noise.

BLAS is limited to one thread (``_common.pin_threads`` before numpy is
imported, and ``threadpoolctl``); the problem is tiny and threads only add
overhead.  A full run (10 seeds x 3 noise rates x 3 losses = 90 fits) takes
well under a minute on one core; each extra weight adds two fits per seed
and noise rate, and ``--early-stopping both`` doubles the fits (the
early-stopped ones are short): each of the two 100-fit runs behind the
documentation took about 20 s on one core of an AMD EPYC.

A plain-text table is printed and the raw per-seed results are written as
JSON to ``benchmarks/results/minent_digits.json`` (git-ignored).

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/minent_digits.py                    # full: 10 seeds
    python benchmarks/minent_digits.py --seeds 20 --entropy-weights 0.05
    python benchmarks/minent_digits.py --noise 0 0.4
    python benchmarks/minent_digits.py --quick            # smoke test

The table of docs/user_guide/minent.rst (30 % label noise, weights 0.1 and
1.0, with and without early stopping) and its clean-label figures::

    python benchmarks/minent_digits.py --noise 0.3 --entropy-weights 0.1 1.0 \\
        --early-stopping both
    python benchmarks/minent_digits.py --noise 0 --entropy-weights 0.1 1.0 \\
        --early-stopping both

(``--entropy-weight`` is accepted as another spelling of
``--entropy-weights``.)

``--quick`` uses 2 seeds and ``max_iter=30``; its numbers are not
meaningful.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import warnings
from itertools import pairwise

import numpy as np
from scipy.special import entr
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skentropy import MinEntMLPClassifier

LOSSES = ("cross_entropy", "min_ent", "mix_ent")
LOSS_LABELS = {"cross_entropy": "CE", "min_ent": "MIN-ENT", "mix_ent": "MIX-ENT"}
TEST_SIZE = 0.3
ECE_BINS = 15
EARLY_STOPPING = {"no": (False,), "yes": (True,), "both": (False, True)}
QUICK = {"seeds": 2, "max_iter": 30}

# Paper: EMNIST-Letters, VGG-5, clean labels, test accuracy in %.
PAPER = {"cross_entropy": 95.86, "min_ent": 95.933, "mix_ent": 95.927}
PAPER_NOTE = (
    "Paper (EMNIST-Letters, VGG-5, clean labels): CE 95.86 %, "
    "MIN-ENT 95.933 %, MIX-ENT 95.927 %.\n"
    "Not directly comparable: different dataset (26 letters, 20,800 test "
    "images) and model (VGG-5 CNN,\nnot a 1-hidden-layer MLP); the paper's "
    "MIN-ENT - CE gap is 0.073 points, ~15 test images of 20,800,\n"
    "which is within seed-to-seed noise."
)


def symmetric_noise(y, rate, n_classes, rng):
    """Replace each label, with probability ``rate``, by a different class.

    The new class is uniform among the ``n_classes - 1`` other classes.
    ``y`` must hold integer codes in ``0 .. n_classes - 1``.
    """
    flip = rng.random(y.shape[0]) < rate
    offset = rng.integers(1, n_classes, size=y.shape[0])
    return np.where(flip, (y + offset) % n_classes, y)


def mean_entropy(proba):
    """Mean over rows of ``-sum p log p`` (nats), with ``0 log 0 = 0``."""
    return float(entr(proba).sum(axis=1).mean())


def top_label_ece(proba, y, n_bins=ECE_BINS):
    """Expected calibration error of the top label, equal-width bins.

    The confidence of a row is its largest probability, its prediction the
    arg-max; the rows are put in ``n_bins`` bins ``(lo, hi]`` of equal width
    on ``[0, 1]`` by confidence, and the ECE is the sum over non-empty bins
    of (share of the rows in the bin) * |accuracy - mean confidence| there.
    ``y`` holds integer codes, the column indices of ``proba``.
    """
    proba = np.asarray(proba, dtype=float)
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = 0.0
    for lo, hi in pairwise(edges):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            gap = correct[in_bin].mean() - confidence[in_bin].mean()
            ece += in_bin.mean() * abs(gap)
    return float(ece)


def variants(losses, weights):
    """``(loss, entropy_weight)`` pairs; cross entropy once, with ``None``."""
    return [
        (loss, None if loss == "cross_entropy" else weight)
        for i, weight in enumerate(weights)
        for loss in losses
        if not (loss == "cross_entropy" and i > 0)
    ]


def variant_label(loss, weight, several_weights):
    """``"MIN-ENT"``, or ``"MIN-ENT, 1.0"`` when several weights are compared."""
    label = LOSS_LABELS[loss]
    return label if weight is None or not several_weights else f"{label}, {weight}"


def make_model(loss, weight, early_stopping, seed, args):
    params = {
        "hidden_layer_sizes": tuple(args.hidden),
        "solver": "adam",
        "max_iter": args.max_iter,
        "early_stopping": early_stopping,
        "random_state": seed,
        "loss": loss,
    }
    if loss != "cross_entropy":
        params["entropy_weight"] = weight
    return make_pipeline(StandardScaler(), MinEntMLPClassifier(**params))


def run_one(data, loss, weight, early_stopping, seed, args):
    X_train, y_train, y_train_clean, X_test, y_test = data
    model = make_model(loss, weight, early_stopping, seed, args)
    fit_s, _ = bench.time_call(model.fit, X_train, y_train, collect=False)
    proba = model.predict_proba(X_test)
    mlp = model[-1]
    return {
        "test_accuracy": float(model.score(X_test, y_test)),
        "test_log_loss": float(log_loss(y_test, proba, labels=range(proba.shape[1]))),
        "test_ece": top_label_ece(proba, y_test),
        "test_entropy": mean_entropy(proba),
        "train_accuracy_noisy_labels": float(model.score(X_train, y_train)),
        "train_accuracy_clean_labels": float(model.score(X_train, y_train_clean)),
        "n_iter": int(getattr(mlp, "n_iter_", -1)),
        "fit_s": fit_s,
    }


def mean_std(values):
    a = np.asarray(values, dtype=float)
    std = float(a.std(ddof=1)) if a.size > 1 else 0.0
    return float(a.mean()), std


def _select(runs, rate, early_stopping, loss, weight):
    """The runs of one setting, sorted by seed (for paired differences)."""
    return sorted(
        (
            r
            for r in runs
            if r["noise"] == rate
            and r["early_stopping"] == early_stopping
            and r["loss"] == loss
            and r["entropy_weight"] == weight
        ),
        key=lambda r: r["seed"],
    )


def _paired_delta(runs, base):
    """Mean and std over seeds of the test-accuracy difference runs - base."""
    return mean_std(
        [
            r["test_accuracy"] - b["test_accuracy"]
            for r, b in zip(runs, base, strict=True)
        ]
    )


def summarise(runs, noise_rates, early_stopping, pairs):
    """Per (noise, early stopping, loss, weight) means/stds over seeds.

    With paired deltas vs CE (same seeds and early-stopping setting).
    """
    summary = []
    for rate in noise_rates:
        for es in early_stopping:
            ce = _select(runs, rate, es, "cross_entropy", None) or None
            for loss, weight in pairs:
                rs = _select(runs, rate, es, loss, weight)
                row = {
                    "noise": rate,
                    "early_stopping": es,
                    "loss": loss,
                    "entropy_weight": weight,
                    "n_seeds": len(rs),
                }
                for key, field in (
                    ("test_accuracy", "test_accuracy"),
                    ("test_log_loss", "test_log_loss"),
                    ("test_ece", "test_ece"),
                    ("test_entropy", "test_entropy"),
                    ("train_accuracy_noisy", "train_accuracy_noisy_labels"),
                ):
                    row[f"{key}_mean"], row[f"{key}_std"] = mean_std(
                        [r[field] for r in rs]
                    )
                row["n_iter_mean"] = float(np.mean([r["n_iter"] for r in rs]))
                if ce is not None:
                    row["delta_vs_ce_mean"], row["delta_vs_ce_std"] = _paired_delta(
                        rs, ce
                    )
                else:
                    row["delta_vs_ce_mean"] = row["delta_vs_ce_std"] = None
                row["paper_emnist_letters_vgg5_clean"] = (
                    PAPER.get(loss) if rate == 0 else None
                )
                summary.append(row)
    return summary


def paired_differences(runs, noise_rates, early_stopping, pairs):
    """Paired test-accuracy differences beyond "vs CE".

    MIX-ENT - MIN-ENT at the same weight and early-stopping setting, and,
    when both settings were run, early stopping - none for every variant.
    """
    rows = []
    weights = [w for loss, w in pairs if loss == "min_ent"]
    mixed = {w for loss, w in pairs if loss == "mix_ent"}
    for rate in noise_rates:
        for es in early_stopping:
            for weight in weights:
                if weight not in mixed:
                    continue
                mean, std = _paired_delta(
                    _select(runs, rate, es, "mix_ent", weight),
                    _select(runs, rate, es, "min_ent", weight),
                )
                rows.append(
                    {
                        "noise": rate,
                        "comparison": "MIX-ENT - MIN-ENT",
                        "early_stopping": es,
                        "entropy_weight": weight,
                        "delta_mean": mean,
                        "delta_std": std,
                    }
                )
        if len(early_stopping) > 1:
            for loss, weight in pairs:
                mean, std = _paired_delta(
                    _select(runs, rate, True, loss, weight),
                    _select(runs, rate, False, loss, weight),
                )
                rows.append(
                    {
                        "noise": rate,
                        "comparison": "early stopping - none",
                        "loss": loss,
                        "entropy_weight": weight,
                        "delta_mean": mean,
                        "delta_std": std,
                    }
                )
    return rows


def _yes_no(early_stopping):
    return "yes" if early_stopping else "no"


def format_summary(summary, several_weights=False, show_early_stopping=False):
    headers = [
        "noise",
        *(["early stop"] if show_early_stopping else []),
        "loss",
        "test acc % (mean ± std)",
        "Δ acc vs CE, pp (paired)",
        "test log loss",
        f"ECE ({ECE_BINS} bins)",
        "test entropy, nats",
        "train acc on noisy labels %",
        "epochs",
        "paper EMNIST-L/VGG-5 (clean)",
    ]
    body = []
    for row in summary:
        if row["loss"] == "cross_entropy" or row["delta_vs_ce_mean"] is None:
            delta = "—"
        else:
            delta = (
                f"{100 * row['delta_vs_ce_mean']:+.2f} ± "
                f"{100 * row['delta_vs_ce_std']:.2f}"
            )
        paper = row["paper_emnist_letters_vgg5_clean"]
        body.append(
            [
                f"{100 * row['noise']:.0f} %",
                *([_yes_no(row["early_stopping"])] if show_early_stopping else []),
                variant_label(row["loss"], row["entropy_weight"], several_weights),
                f"{100 * row['test_accuracy_mean']:.2f} ± "
                f"{100 * row['test_accuracy_std']:.2f}",
                delta,
                f"{row['test_log_loss_mean']:.3f} ± {row['test_log_loss_std']:.3f}",
                f"{row['test_ece_mean']:.3f} ± {row['test_ece_std']:.3f}",
                f"{row['test_entropy_mean']:.3f} ± {row['test_entropy_std']:.3f}",
                f"{100 * row['train_accuracy_noisy_mean']:.1f} ± "
                f"{100 * row['train_accuracy_noisy_std']:.1f}",
                f"{row['n_iter_mean']:.0f}",
                "—" if paper is None else f"{paper:.3f} %",
            ]
        )
    align = "<<" + ("<" if show_early_stopping else "") + ">" * 8
    return bench.format_table(headers, body, align)


def format_paired(rows, several_weights=False, show_early_stopping=False):
    body = []
    for row in rows:
        if row["comparison"] == "MIX-ENT - MIN-ENT":
            weight = f", {row['entropy_weight']}" if several_weights else ""
            what = f"MIX-ENT{weight} - MIN-ENT{weight}"
            if show_early_stopping:
                what += f", early stop {_yes_no(row['early_stopping'])}"
        else:
            label = variant_label(row["loss"], row["entropy_weight"], several_weights)
            what = f"{label}: early stop - none"
        body.append(
            [
                f"{100 * row['noise']:.0f} %",
                what,
                f"{100 * row['delta_mean']:+.2f} ± {100 * row['delta_std']:.2f}",
            ]
        )
    return bench.format_table(
        ["noise", "comparison", "Δ test acc, pp (paired)"], body, "<<>"
    )


def parse_args(argv=None):
    parser = bench.parser(__doc__, "minent_digits", QUICK)
    parser.add_argument(
        "--seeds",
        type=bench.positive_int,
        default=10,
        help="number of seeds 0 .. N-1 (split, noise, initialisation; default 10)",
    )
    parser.add_argument(
        "--noise",
        type=float,
        nargs="+",
        default=[0.0, 0.2, 0.4],
        help="symmetric label-noise rates on the training labels (default 0 0.2 0.4)",
    )
    parser.add_argument(
        "--entropy-weights",
        "--entropy-weight",
        dest="entropy_weights",
        type=float,
        nargs="+",
        default=[0.1],
        help="entropy_weight values for min_ent and mix_ent, each fitted (default 0.1)",
    )
    parser.add_argument(
        "--early-stopping",
        choices=tuple(EARLY_STOPPING),
        default="no",
        help="fit the MLPs without early stopping, with it, or both ways (default no)",
    )
    bench.add_choice_list(parser, "--losses", LOSSES, "losses to compare")
    parser.add_argument(
        "--max-iter", type=int, default=200, help="MLP max_iter (default 200)"
    )
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=[128],
        help="hidden_layer_sizes (default 128)",
    )
    args = parser.parse_args(argv)
    if any(not 0.0 <= r < 1.0 for r in args.noise):
        parser.error("--noise rates must be in [0, 1)")
    if len(set(args.entropy_weights)) != len(args.entropy_weights):
        parser.error("--entropy-weights must not repeat a weight")
    return args


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", message=".*[Mm]aximum iterations.*")

    X, y_raw = load_digits(return_X_y=True)
    classes, y = np.unique(y_raw, return_inverse=True)
    n_classes = classes.size

    pairs = variants(args.losses, args.entropy_weights)
    early_stopping = EARLY_STOPPING[args.early_stopping]
    several = len(args.entropy_weights) > 1
    width = max(len(variant_label(loss, w, several)) for loss, w in pairs)
    weights_text = (
        " ".join(map(str, args.entropy_weights)) if several else args.entropy_weights[0]
    )
    settings = (
        f"load_digits: {X.shape[0]} x {X.shape[1]}, {n_classes} classes; "
        f"seeds 0..{args.seeds - 1}; noise {args.noise}; "
        f"hidden {tuple(args.hidden)}, adam, max_iter={args.max_iter}; "
        f"entropy_weight={weights_text}"
        + (
            ""
            if args.early_stopping == "no"
            else f"; early stopping {args.early_stopping}"
        )
    )
    runs = []
    with bench.measure(settings, quick=args.quick) as run:
        for seed in range(args.seeds):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
            )
            for rate in args.noise:
                rng = np.random.default_rng([seed, round(1000 * rate)])
                y_noisy = symmetric_noise(y_train, rate, n_classes, rng)
                flipped = float(np.mean(y_noisy != y_train))
                data = (X_train, y_noisy, y_train, X_test, y_test)
                for es in early_stopping:
                    for loss, weight in pairs:
                        result = run_one(data, loss, weight, es, seed, args)
                        result.update(
                            {
                                "seed": seed,
                                "noise": rate,
                                "early_stopping": es,
                                "loss": loss,
                                "entropy_weight": weight,
                                "flipped_fraction": flipped,
                            }
                        )
                        runs.append(result)
                        label = variant_label(loss, weight, several)
                        print(
                            f"  seed {seed} noise {rate:.2f} "
                            f"(flipped {flipped:.3f}) "
                            + (
                                f"ES {_yes_no(es):<3} "
                                if len(early_stopping) > 1
                                else ""
                            )
                            + f"{label:<{width}} "
                            f"test acc {result['test_accuracy']:.4f} "
                            f"log loss {result['test_log_loss']:.3f} "
                            f"ECE {result['test_ece']:.3f} "
                            f"entropy {result['test_entropy']:.3f} "
                            f"epochs {result['n_iter']} "
                            f"({result['fit_s']:.1f} s)",
                            flush=True,
                        )
    summary = summarise(runs, args.noise, early_stopping, pairs)
    paired = paired_differences(runs, args.noise, early_stopping, pairs)
    print()
    print(
        f"Test set: clean labels, {TEST_SIZE:.0%} stratified split per seed; "
        f"mean ± std over {args.seeds} seed(s)."
    )
    print(
        format_summary(
            summary,
            several_weights=several,
            show_early_stopping=args.early_stopping != "no",
        )
    )
    if paired:
        print()
        print("Paired differences in test accuracy, points, mean ± std over seeds:")
        print(
            format_paired(
                paired,
                several_weights=several,
                show_early_stopping=args.early_stopping != "no",
            )
        )
    print()
    print(PAPER_NOTE)
    print(f"\ntotal wall time: {run.elapsed:.1f} s")

    bench.write_results(
        args.results,
        {
            "benchmark": "minent_digits",
            "quick": args.quick,
            "settings": {
                "dataset": "sklearn.datasets.load_digits",
                "test_size": TEST_SIZE,
                "split": "train_test_split(stratify=y, random_state=seed), per seed",
                "noise": "symmetric, training labels only, "
                "rng=numpy.random.default_rng([seed, round(1000 * rate)])",
                "seeds": list(range(args.seeds)),
                "noise_rates": args.noise,
                "losses": args.losses,
                "hidden_layer_sizes": args.hidden,
                "solver": "adam",
                "max_iter": args.max_iter,
                "early_stopping": [bool(es) for es in early_stopping],
                "entropy_weights": args.entropy_weights,
                "ece": f"top-label, {ECE_BINS} equal-width bins (lo, hi]",
                "preprocessing": "StandardScaler fitted on the training split",
            },
            "paper_reference": {
                "dataset": "EMNIST-Letters",
                "model": "VGG-5",
                "test_accuracy_percent": PAPER,
            },
            "total_wall_time_s": run.elapsed,
            "summary": summary,
            "paired_differences": paired,
            "runs": runs,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
