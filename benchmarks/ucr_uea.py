"""UCR/UEA classification: EEMLSTMClassifier vs 1-NN Euclidean and a PyTorch LSTM.

What it measures
----------------
Test accuracy on the official train/test splits of UCR/UEA datasets that
aeon bundles inside its package (``aeon.datasets.load_classification(name,
split="train"/"test")`` reads them from aeon's ``datasets/data/`` folder,
offline; aeon is a benchmark-only dependency, see "How to run"):

* ``GunPoint`` (univariate, 150 steps, 2 classes);
* ``ItalyPowerDemand`` (univariate, 24 steps, 2 classes);
* ``ArrowHead`` (univariate, 251 steps, 3 classes);
* ``BasicMotions`` (6 channels, 100 steps, 4 classes);
* ``JapaneseVowels`` (12 channels, unequal lengths 7-29, 9 classes);
* ``PickupGestureWiimoteZ`` (univariate, unequal lengths 29-361, 10 classes);

and, on request only (``--datasets ... OSULeaf``: its grid search alone
takes about 12 minutes per seed), ``OSULeaf`` (univariate, 427 steps, 6
classes).

Preprocessing, the same for every model (:func:`normalise`, fitted on the
training set): univariate series are z-normalised one by one, as the UCR
archive distributes them; multivariate series keep their levels, each
channel standardised with the training series' mean and standard
deviation (per-series z-normalisation erased what tells JapaneseVowels'
speakers apart: the LSTMs fell from 0.97 to 0.74 and 1-NN from 0.90 to
0.55). ``EEMLSTMClassifier`` then takes aeon's collections as they come,
with ``layout="nct"``: ``(n_cases, n_channels, n_timepoints)`` arrays, or
lists of ``(n_channels, T_i)`` arrays for unequal lengths (it pads them
with NaN steps, which leave the LSTM's state untouched). 1-NN and the
PyTorch loop need one length: for them :func:`padded_ntc` pads shorter
series at the FRONT with zeros to the longest *training* series, and test
series longer than that keep their last ``T`` steps.

Models, each fitted with ``--seeds`` seeds (default 5; ``random_state =
seed`` for ``seed = 0, 1, ...``):

* ``1-NN ED``: ``sklearn.neighbors.KNeighborsClassifier(1)`` (Euclidean)
  on the flattened z-normalised series; for unequal lengths on the
  front-padded arrays above (so the padding counts in the distance;
  the archive's own 1-NN figures for such data use other conventions).
  Deterministic: fitted once;
* ``eem``, ``mse``, ``cross_entropy``: ``EEMLSTMClassifier(loss=...,
  layout="nct", random_state=seed)``, every other parameter at its
  default (read from ``get_params()`` and printed: hidden_size 32, Adam,
  learning rate 0.003, batch 32, gradients clipped to norm 1, at most 200
  epochs, stopping when the training loss fails to improve by ``tol`` for
  ``n_iter_no_change`` = 50 epochs);
* ``eem grid``, ``mse grid``, ``cross_entropy grid``: the same estimator
  tuned by ``GridSearchCV`` (accuracy, 3-fold ``StratifiedKFold`` with
  shuffling, ``random_state=seed``, on the training set only), over
  ``learning_rate_init`` in {1e-3, 1e-2} and, for ``eem`` only,
  ``kernel_width`` in {0.5, 1.0, 2.0}, then refitted on the whole training
  set. The grid costs about 30 fits per dataset and seed (those at the
  lower learning rate often run all 200 epochs), so it runs on the first
  ``--grid-seeds`` seeds only (default 3); ``--no-grid`` skips it.
  Its fit time is the whole search (CV fits and the refit);
* ``torch LSTM``: a PyTorch LSTM of the estimator's default size
  (``torch.nn.LSTM(n_channels, hidden_size)``, one layer, a
  ``torch.nn.Linear`` head on the last hidden state), softmax cross
  entropy, ``torch.optim.Adam`` with the estimator's default learning
  rate, betas and epsilon, shuffled mini-batches of the estimator's
  default ``batch_size``, float32 (the estimator computes in float64, the
  dtype of the data), gradients clipped as the estimator's default
  ``max_grad_norm`` (``clip_grad_norm_``), torch's own initialisation
  (``torch.manual_seed(seed)``) and batch order
  (``numpy.random.RandomState(seed)``). It trains for a
  fixed number of epochs, the estimator's default ``max_iter`` (200),
  without early stopping: whether more epochs rescue a fit that stalls
  is part of what the comparison shows (``n_iter`` then reads 200).

Reported per dataset: the sizes (``n_train``, ``n_test``, ``T`` after
padding, channels ``C``, classes), the chance accuracy (the share of the
test set's majority class), the archive's published 1-NN Euclidean error
where it can be verified offline (aeon bundles no 1-NN results and the
``.ts`` headers give none, so it prints ``n/a``), and per model: the test
accuracy, median and minimum over seeds; how many seeds ended at or below
chance + ``CHANCE_MARGIN`` (0.05); the median ``n_iter_``; the median fit
time (seconds, BLAS and torch on one thread). The LSTM fits that ended at
chance are listed with a summary of their ``loss_curve_`` (first, minimum,
last value, largest rise from one epoch to the next and its epoch,
non-finite values).

Goals (issue 10), at the defaults:

* per dataset, the median accuracy of ``cross_entropy`` is at least that of
  ``1-NN ED``, except on datasets where every LSTM fails (the median
  accuracy of every LSTM model above, grids and torch included, at or below
  chance + 0.05);
* per dataset and default loss, no seed ends at chance (at or below chance
  + 0.05) while other seeds of the same model succeed: the number of seeds
  at chance is 0 or all of them.

The raw results, one row per (dataset, model, seed) with the loss curves
and the grids' chosen parameters, go to ``benchmarks/results/ucr_uea.json``.

How to run (from ``benchmarks/``)
---------------------------------
aeon pins its own numpy range, so it lives in a virtual environment of its
own beside the project's::

    python3 -m venv /work/aeonvenv
    /work/aeonvenv/bin/pip install aeon torch==2.13.0 threadpoolctl
    /work/aeonvenv/bin/pip install -e /work/main --no-deps

then::

    python ucr_uea.py                         # full run, about half an hour
    python ucr_uea.py --datasets GunPoint BasicMotions --seeds 3
    python ucr_uea.py --no-grid               # defaults, 1-NN and torch only
    python ucr_uea.py --quick                 # smoke test, seconds

with ``/work/aeonvenv/bin/python``, and ``env -u OPENBLAS_CORETYPE -u
OPENBLAS_L2_SIZE`` in front to compare against the peers as a user's
machine runs them. ``--quick`` runs ItalyPowerDemand and JapaneseVowels,
one seed, at most ``QUICK_EPOCHS`` epochs per fit; its numbers are not
meaningful.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import math
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier

from skentropy import EEMLSTMClassifier

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

DATASETS = (
    "GunPoint",
    "ItalyPowerDemand",
    "ArrowHead",
    "BasicMotions",
    "JapaneseVowels",
    "PickupGestureWiimoteZ",
)
#: Bundled too, run only when named in --datasets (long and slow).
EXTRA_DATASETS = ("OSULeaf",)
LOSSES = ("eem", "mse", "cross_entropy")
GRIDS = tuple(f"{loss} grid" for loss in LOSSES)
MODELS = ("1-NN ED", *LOSSES, *GRIDS, "torch LSTM")
LSTMS = MODELS[1:]
SEEDS = 5
GRID_SEEDS = 3
CV_FOLDS = 3
LEARNING_RATES = (1e-3, 1e-2)
KERNEL_WIDTHS = (0.5, 1.0, 2.0)
CHANCE_MARGIN = 0.05
QUICK_EPOCHS = 5

#: The archive's published 1-NN Euclidean test error of a dataset, where it
#: can be checked against a source available offline. None is: aeon bundles
#: no 1-NN results (its published-results loaders download them) and the
#: bundled ``.ts`` headers quote none. Printed as "n/a"; never filled in
#: from memory.
PUBLISHED_1NN_ED_ERROR = {}

QUICK = {
    "datasets": ["ItalyPowerDemand", "JapaneseVowels"],
    "seeds": 1,
    "grid_seeds": 1,
    "max_epochs": QUICK_EPOCHS,
}


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def normalise(train, test):
    """The archive's convention per dataset, fitted on the training set only.

    Univariate (UCR) series are z-normalised one by one, as the archive
    distributes them. Multivariate (UEA) series are not: each channel is
    standardised with the mean and standard deviation of the *training*
    series' steps, which keeps the levels and amplitudes that tell, say,
    JapaneseVowels' speakers apart (per-series z-normalisation took the
    LSTMs from 0.97 to 0.74 there, and 1-NN from 0.90 to 0.55).

    Parameters
    ----------
    train, test : ndarray of shape (n_cases, n_channels, n_timepoints) or \
            list of ndarray of shape (n_channels, T_i)
        aeon's equal- or unequal-length collections.

    Returns
    -------
    train, test
        In the same layout, float64.
    """
    train = [np.asarray(x, dtype=float) for x in train]
    test = [np.asarray(x, dtype=float) for x in test]
    if train[0].shape[0] == 1:  # univariate: each series on its own

        def scale(x):
            std = x.std(axis=-1, keepdims=True)
            return (x - x.mean(axis=-1, keepdims=True)) / np.where(std > 0, std, 1.0)

    else:  # multivariate: each channel by the training set's statistics
        steps = np.concatenate(train, axis=1)
        mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
        std = np.where(std > 0, std, 1.0)

        def scale(x):
            return (x - mean) / std

    train, test = [scale(x) for x in train], [scale(x) for x in test]
    if len({x.shape for x in (*train, *test)}) == 1:  # equal lengths: arrays
        return np.stack(train), np.stack(test)
    return train, test


def padded_ntc(collection, length=None):
    """aeon's collection as one front-padded (n, T, C) array (1-NN and torch).

    ``EEMLSTMClassifier`` takes aeon's collections as they are
    (``layout="nct"``; unequal lengths as a list, which it pads with NaN
    steps that leave the LSTM's state untouched). The 1-NN baseline needs
    vectors of one length and the PyTorch loop one tensor, so for them the
    series are transposed and, where their lengths differ, padded at the
    FRONT with zeros to ``length`` (a PyTorch LSTM reading the last step
    needs the real steps last); series longer than ``length`` keep their
    last ``length`` steps.

    Parameters
    ----------
    collection : ndarray of shape (n_cases, n_channels, n_timepoints) or \
            list of ndarray of shape (n_channels, T_i)
        aeon's equal- or unequal-length collection.
    length : int, optional
        Time steps of the result; default: the longest series of
        ``collection`` (pass the training set's to a test set).

    Returns
    -------
    ndarray of shape (n_cases, length, n_channels)
    """
    if isinstance(collection, np.ndarray) and collection.ndim == 3:
        if length is None or length == collection.shape[2]:
            return np.ascontiguousarray(collection.transpose(0, 2, 1))
    series = list(collection)
    if length is None:
        length = max(x.shape[1] for x in series)
    out = np.zeros((len(series), length, series[0].shape[0]))
    for i, x in enumerate(series):
        steps = x[:, -length:].T  # the last `length` steps, (T_i, n_channels)
        out[i, length - steps.shape[0] :] = steps
    return out


def load(name):
    """The official split of ``name``: inputs, labels and facts.

    Returns ``(X_train, y_train, X_test, y_test)`` as the estimator takes
    them (aeon's layout), the same as padded arrays for 1-NN and torch, and
    the facts.
    """
    from aeon.datasets import load_classification

    X_train, y_train = load_classification(name, split="train")
    X_test, y_test = load_classification(name, split="test")
    lengths = [x.shape[-1] for x in (*X_train, *X_test)]
    X_train, X_test = normalise(X_train, X_test)
    A = padded_ntc(X_train)
    B = padded_ntc(X_test, length=A.shape[1])
    _, counts = np.unique(y_test, return_counts=True)
    info = {
        "n_train": len(y_train),
        "n_test": len(y_test),
        "T": A.shape[1],
        "lengths": [min(lengths), max(lengths)],
        "equal_length": min(lengths) == max(lengths),
        "test_cropped_for_1nn_torch": sum(x.shape[-1] > A.shape[1] for x in X_test),
        "C": A.shape[2],
        "n_classes": len(np.unique(y_train)),
        "chance": counts.max() / counts.sum(),
    }
    native = (X_train, np.asarray(y_train), X_test, np.asarray(y_test))
    return native, (A, B), info


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------
def lstm(loss, seed, args):
    """``EEMLSTMClassifier(loss=loss, random_state=seed)`` on aeon's layout."""
    extra = {} if args.max_epochs is None else {"max_iter": args.max_epochs}
    return EEMLSTMClassifier(loss=loss, layout="nct", random_state=seed, **extra)


def grid_search(loss, seed, args):
    """The estimator tuned by 3-fold stratified CV on the training set."""
    grid = {"learning_rate_init": list(LEARNING_RATES)}
    if loss == "eem":
        grid["kernel_width"] = list(KERNEL_WIDTHS)
    cv = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
    return GridSearchCV(lstm(loss, seed, args), grid, cv=cv, n_jobs=1)


class TorchLSTM(nn.Module if torch is not None else object):
    """``nn.LSTM`` (one layer) and a linear head on the last hidden state."""

    def __init__(self, n_channels, hidden_size, n_classes):
        super().__init__()
        self.lstm = nn.LSTM(n_channels, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def fit_torch(X, codes, n_classes, defaults, epochs, seed):
    """The PyTorch LSTM trained for ``epochs`` epochs; (model, loss curve)."""
    torch.manual_seed(seed)
    order = np.random.RandomState(seed)
    model = TorchLSTM(X.shape[2], defaults["hidden_size"], n_classes)
    opt = torch.optim.Adam(
        model.parameters(),
        lr=defaults["learning_rate_init"],
        betas=(defaults["beta_1"], defaults["beta_2"]),
        eps=defaults["epsilon"],
    )
    x = torch.from_numpy(X.astype(np.float32))
    y = torch.from_numpy(codes.astype(np.int64))
    n, batch = len(codes), min(defaults["batch_size"], len(codes))
    curve = []
    for _ in range(epochs):
        idx = torch.from_numpy(order.permutation(n))
        total = 0.0
        for start in range(0, n, batch):
            rows = idx[start : start + batch]
            loss = F.cross_entropy(model(x[rows]), y[rows])
            opt.zero_grad()
            loss.backward()
            if defaults["max_grad_norm"] is not None:  # as the estimator clips
                nn.utils.clip_grad_norm_(model.parameters(), defaults["max_grad_norm"])
            opt.step()
            total += loss.item() * len(rows)
        curve.append(total / n)
    return model, curve


def torch_predict(model, X):
    with torch.no_grad():
        return model(torch.from_numpy(X.astype(np.float32))).argmax(dim=1).numpy()


# ---------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------
def curve_summary(curve):
    """A loss curve in a few numbers (JSON-safe)."""
    values = np.asarray(curve, dtype=float)
    finite = values[np.isfinite(values)]
    rises = np.diff(finite) if len(finite) > 1 else np.zeros(1)
    # epoch (1-based) at which the largest rise ends, counted in finite values
    return {
        "first": float(values[0]) if len(values) else math.nan,
        "min": float(finite.min()) if len(finite) else math.nan,
        "argmin": int(np.nanargmin(values)) + 1 if len(finite) else None,
        "last": float(values[-1]) if len(values) else math.nan,
        "max_rise": float(rises.max()),
        "max_rise_epoch": int(rises.argmax()) + 2 if len(finite) > 1 else None,
        "non_finite": int((~np.isfinite(values)).sum()),
    }


def run_dataset(name, data, info, args, defaults):
    """One row per (model, seed)."""
    (X_train, y_train, X_test, y_test), (A, B) = data
    rows = []

    def record(model, seed, accuracy, seconds, **extra):
        rows.append(
            {
                "dataset": name,
                "model": model,
                "seed": seed,
                "accuracy": float(accuracy),
                "fit_s": seconds,
                **extra,
            }
        )

    knn = KNeighborsClassifier(1)
    flat_train, flat_test = A.reshape(len(A), -1), B.reshape(len(B), -1)
    seconds, _ = bench.time_call(knn.fit, flat_train, y_train)
    record("1-NN ED", None, knn.score(flat_test, y_test), seconds)

    classes, codes = np.unique(y_train, return_inverse=True)
    epochs = defaults["max_iter"] if args.max_epochs is None else args.max_epochs
    for seed in range(args.seeds):
        for loss in LOSSES:
            clf = lstm(loss, seed, args)
            seconds, _ = bench.time_call(clf.fit, X_train, y_train)
            record(
                loss,
                seed,
                clf.score(X_test, y_test),
                seconds,
                n_iter=clf.n_iter_,
                loss_curve=list(clf.loss_curve_),
            )
        if not args.no_grid and seed < args.grid_seeds:
            for loss in LOSSES:
                search = grid_search(loss, seed, args)
                seconds, _ = bench.time_call(search.fit, X_train, y_train)
                best = search.best_estimator_
                record(
                    f"{loss} grid",
                    seed,
                    search.score(X_test, y_test),
                    seconds,
                    n_iter=best.n_iter_,
                    loss_curve=list(best.loss_curve_),
                    best_params=search.best_params_,
                    cv_score=float(search.best_score_),
                    refit_s=float(search.refit_time_),
                )
        if torch is not None:
            seconds, (model, curve) = bench.time_call(
                fit_torch, A, codes, len(classes), defaults, epochs, seed
            )
            pred = classes.take(torch_predict(model, B))
            record(
                "torch LSTM",
                seed,
                np.mean(pred == y_test),
                seconds,
                n_iter=epochs,
                loss_curve=curve,
            )
        done = [r for r in rows if r["seed"] == seed]
        print(
            f"  {name} seed {seed}: "
            + ", ".join(f"{r['model']}={r['accuracy']:.3f}" for r in done),
            flush=True,
        )
    for r in rows:
        if "loss_curve" in r:
            r["curve"] = curve_summary(r["loss_curve"])
            r["at_chance"] = r["accuracy"] <= info["chance"] + CHANCE_MARGIN
    return rows


def summarise(rows, info):
    """Per model present: accuracy median/min, seeds at chance, n_iter, fit time."""
    out = {}
    for model in MODELS:
        sel = [r for r in rows if r["model"] == model]
        if not sel:
            continue
        acc = [r["accuracy"] for r in sel]
        iters = [r["n_iter"] for r in sel if "n_iter" in r]
        out[model] = {
            "seeds": len(sel) if model != "1-NN ED" else None,
            "acc_median": statistics.median(acc),
            "acc_min": min(acc),
            "at_chance": sum(a <= info["chance"] + CHANCE_MARGIN for a in acc),
            "n_iter_median": statistics.median(iters) if iters else None,
            "fit_s_median": statistics.median(r["fit_s"] for r in sel),
        }
    return out


def failed(summary, info, model):
    """Whether the median accuracy of ``model`` is at or below chance + margin."""
    return summary[model]["acc_median"] <= info["chance"] + CHANCE_MARGIN


def every_lstm_fails(summary, info):
    return all(failed(summary, info, m) for m in LSTMS if m in summary)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------
def lengths_text(info):
    lo, hi = info["lengths"]
    if info["equal_length"]:
        return str(info["T"])
    return f"{info['T']} ({lo}-{hi}, padded)"


def dataset_table(infos, summaries):
    headers = ["dataset", "n_train", "n_test", "T", "C", "classes", "chance"]
    headers += ["1-NN ED err (published)", "1-NN ED err (ours)"]
    body = []
    for name, info in infos.items():
        published = PUBLISHED_1NN_ED_ERROR.get(name)
        body.append(
            [
                name,
                info["n_train"],
                info["n_test"],
                lengths_text(info),
                info["C"],
                info["n_classes"],
                f"{info['chance']:.3f}",
                "n/a" if published is None else f"{published:.3f}",
                f"{1 - summaries[name]['1-NN ED']['acc_median']:.3f}",
            ]
        )
    return bench.format_table(headers, body)


def model_table(summary):
    headers = ["model", "seeds", "acc median", "acc min", "at chance"]
    headers += ["n_iter median", "fit s median"]
    body = []
    for model, s in summary.items():
        body.append(
            [
                model,
                "-" if s["seeds"] is None else s["seeds"],
                f"{s['acc_median']:.3f}",
                f"{s['acc_min']:.3f}",
                "-" if s["seeds"] is None else f"{s['at_chance']}/{s['seeds']}",
                "-" if s["n_iter_median"] is None else f"{s['n_iter_median']:g}",
                f"{s['fit_s_median']:.2f}",
            ]
        )
    return bench.format_table(headers, body)


def overview_table(summaries):
    models = [m for m in MODELS if any(m in s for s in summaries.values())]
    body = [
        [name, *(f"{s[m]['acc_median']:.3f}" if m in s else "-" for m in models)]
        for name, s in summaries.items()
    ]
    return bench.format_table(["dataset", *models], body)


def chance_lines(rows, infos):
    """One line per LSTM fit that ended at chance, with its loss curve."""
    lines = []
    for r in rows:
        if not r.get("at_chance"):
            continue
        c = r["curve"]
        rise = (
            f"{c['max_rise']:+.3g} (to epoch {c['max_rise_epoch']})"
            if c["max_rise"] > 0
            else "none (never rose)"
        )
        lines.append(
            f"  {r['dataset']} {r['model']} seed {r['seed']}: "
            f"acc {r['accuracy']:.3f} (chance {infos[r['dataset']]['chance']:.3f}), "
            f"n_iter {r['n_iter']}, loss first {c['first']:.4g} "
            f"min {c['min']:.4g} (epoch {c['argmin']}) last {c['last']:.4g}, "
            f"largest rise {rise}, "
            f"non-finite {c['non_finite']}"
        )
    return lines


def goal_checks(summaries, infos):
    checks = []
    for name, s in summaries.items():
        info = infos[name]
        ce, knn = s["cross_entropy"]["acc_median"], s["1-NN ED"]["acc_median"]
        exempt = every_lstm_fails(s, info)
        checks.append(
            (
                f"{name}: cross_entropy >= 1-NN ED (median acc)",
                f"{ce:.3f} vs {knn:.3f}"
                + (" (every LSTM at chance: exempt)" if exempt else ""),
                ">= 1-NN ED",
                ce >= knn or exempt,
            )
        )
        counts = {loss: (s[loss]["at_chance"], s[loss]["seeds"]) for loss in LOSSES}
        checks.append(
            (
                f"{name}: seeds at chance, defaults",
                ", ".join(f"{k} {a}/{n}" for k, (a, n) in counts.items()),
                "0 or all",
                all(a in (0, n) for a, n in counts.values()),
            )
        )
    return checks


def parse_args(argv=None):
    parser = bench.parser(__doc__, "ucr_uea", QUICK)
    parser.add_argument(
        "--seeds",
        type=bench.positive_int,
        default=SEEDS,
        help=f"seeds of every LSTM (default {SEEDS})",
    )
    parser.add_argument(
        "--grid-seeds",
        type=bench.positive_int,
        default=GRID_SEEDS,
        help=f"seeds of the grid searches, the first ones (default {GRID_SEEDS})",
    )
    parser.add_argument("--no-grid", action="store_true", help="skip the grid searches")
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=DATASETS + EXTRA_DATASETS,
        default=list(DATASETS),
        help=f"datasets to run (default: {' '.join(DATASETS)}; also: "
        f"{' '.join(EXTRA_DATASETS)})",
    )
    parser.set_defaults(max_epochs=None)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    import aeon

    versions = {"aeon": aeon.__version__}
    if torch is not None:
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        versions.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    else:
        print("torch is not installed: the torch LSTM is skipped.")
    defaults = EEMLSTMClassifier().get_params()
    if defaults["alpha"] != 0:  # the torch LSTM has no L2 term
        raise RuntimeError("the estimator's default alpha is no longer 0")
    shown = ("hidden_size", "learning_rate_init", "batch_size", "max_iter")
    shown += ("n_iter_no_change", "max_grad_norm")
    shown += ("tol", "n_iter_no_change", "kernel_width", "solver")
    grid_seeds = 0 if args.no_grid else min(args.grid_seeds, args.seeds)
    settings = (
        f"seeds={args.seeds}, grid seeds={grid_seeds}, "
        + "defaults: "
        + ", ".join(f"{k}={defaults[k]}" for k in shown)
        + (f", epochs capped at {args.max_epochs}" if args.max_epochs else "")
    )

    infos, summaries, rows = {}, {}, []
    with bench.measure(settings, quick=args.quick, **versions) as run:
        for name in args.datasets:
            start = time.perf_counter()
            native, padded, info = load(name)
            data = (native, padded)
            infos[name] = info
            print(
                f"\n{name}: {info['n_train']} train, {info['n_test']} test, "
                f"T={lengths_text(info)}, C={info['C']}, "
                f"{info['n_classes']} classes, chance {info['chance']:.3f}",
                flush=True,
            )
            section = run_dataset(name, data, info, args, defaults)
            rows.extend(section)
            summaries[name] = summarise(section, info)
            info["wall_s"] = time.perf_counter() - start
            print(f"  {name}: {info['wall_s']:.1f} s", flush=True)

    print("\n" + "=" * 100)
    print(
        "Official train/test splits; univariate series z-normalised one by "
        "one, multivariate channels standardised on the training set; the "
        "estimator takes aeon's layout (layout='nct', lists for unequal "
        "lengths), 1-NN and torch front-padded arrays; "
        f"{args.seeds} seed(s) per LSTM, grid searches on the first "
        f"{grid_seeds}; chance = share of the test set's majority class; "
        f"'at chance' = accuracy <= chance + {CHANCE_MARGIN}."
    )
    print("\nDatasets:")
    print(dataset_table(infos, summaries))
    print("\nTest accuracy, median over seeds:")
    print(overview_table(summaries))
    for name, summary in summaries.items():
        print(f"\n{name}:")
        print(model_table(summary))
    lines = chance_lines(rows, infos)
    print("\nLSTM fits that ended at chance (loss_curve_ summary):")
    print("\n".join(lines) if lines else "  none")

    print("\nGoals (at the defaults):")
    table, met = bench.pass_fail_table(goal_checks(summaries, infos), quick=args.quick)
    print(table)
    print(f"\ntotal wall time: {run.elapsed:.1f} s")

    bench.write_results(
        args.results,
        {
            "benchmark": "ucr_uea",
            "quick": args.quick,
            "settings": {
                "datasets": list(args.datasets),
                "seeds": args.seeds,
                "grid_seeds": grid_seeds,
                "cv_folds": CV_FOLDS,
                "grid": {
                    "learning_rate_init": list(LEARNING_RATES),
                    "kernel_width (eem)": list(KERNEL_WIDTHS),
                },
                "chance_margin": CHANCE_MARGIN,
                "max_epochs": args.max_epochs,
                "estimator_defaults": {
                    k: v for k, v in defaults.items() if k != "random_state"
                },
                "torch_epochs": "estimator max_iter, fixed (no early stopping)",
                "preprocessing": (
                    "z-normalised per series and channel; front zero-padding "
                    "to the longest training series; longer test series keep "
                    "their last steps"
                ),
            },
            "datasets": infos,
            "summary": summaries,
            "goals": {"met": met, "meaningful": not args.quick},
            "rows": rows,
            "elapsed_s": run.elapsed,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
