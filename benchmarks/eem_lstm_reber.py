"""Reber next-symbol prediction: LSTM trained by MSE vs by EEM (Table 6.9).

What it measures
----------------
Alexandre & Marques de Sa (ICANN 2006; Marques de Sa et al., *Minimum Error
Entropy Classification*, 2013, Table 6.9) train a small LSTM (topology
7:0:2(2,1):7, the 1997 cell without forget gate) to predict the next symbol
of Reber-grammar strings, once by mean squared error (MSE) and once by Error
Entropy Minimisation (EEM) with kernel widths h = 1.3 ... 1.6, at learning
rates 0.1, 0.2 and 0.3, from 100 random initialisations each, and report
the fraction of runs that converge and the mean (std) number of training
sequences they need. This script repeats that experiment on the
``skentropy`` NumPy engine and prints our table beside the paper's.

Set-up (paper's where it says, ours where it is silent):

* Data: 500 training and 500 test Reber strings, the test set drawn
  separately (duplicates allowed, as the grammar makes short strings
  common; "both sets" is therefore mostly the training strings plus some
  unseen ones). Strings come from
  :func:`skentropy.datasets.make_reber` (``task="next_symbol"``) and keep
  its encoding: one-hot inputs over ``B, T, P, S, X, V, E``
  (``REBER_ALPHABET`` order), multi-hot targets (every legal next symbol
  is 1) after each step. The generator also presents the final ``E`` with
  an all-zero target (nothing follows it); we drop that step, so a string
  of L symbols is L - 1 input steps, from ``B`` to the symbol before ``E``,
  and the last target is ``E`` alone. After ``E`` there is nothing to
  predict, and an all-zero target is not even learnable by EEM over the
  output units (the entropy of the errors is blind to a common shift of
  all outputs).
* Network: our engine's 1997 LSTM cell (input and output gates, no forget
  gate; cell input ``g = tanh``, cell output ``tanh``, where the 1997 paper
  scaled them to [-2, 2] and [-1, 1]) with ``--cells`` memory cells (default
  3) fully recurrent through their outputs, and a dense sigmoid output layer
  (7 units) read at every step. We read "2(2,1)" as two memory blocks of 2
  and 1 cells; ``--cells 4`` is the book's other topology 2(2,2). The first
  ceil(cells / 2) cells form block 1, the rest block 2. In the paper the
  cells of a block share one input and one output gate; the engine gives
  every cell its own gates, so our network has a few more weights than the
  paper's (3 cells: 127 parameters). This is the engine's
  ``SequenceNetwork(7, cells, 7, "logistic", forget_gate=False,
  readout="every")``.
* Initialisation (1997 conventions, the paper is silent): every weight and
  bias uniform in [-0.2, 0.2], then the output-gate biases set to -1 for
  the cells of block 1 and -2 for block 2. Restart r draws its weights from
  its own stream (``numpy.random.SeedSequence([seed, r])``), so restart r
  starts from the same weights in every (criterion, learning rate) cell:
  a paired comparison, reproducible whichever cells are run.
* Training: per-string backpropagation through time (BPTT) and one plain
  SGD update per string (no momentum), on the loss summed over the
  string's steps: ``params -= eta * grad``. **The paper updated after every
  symbol with the 1997 truncated RTRL gradients; per-string BPTT is our
  deviation** (allowed by SPEC section 2). Per-step losses:

  - MSE: ``1/2 sum_k (y_k - t_k)^2`` over the 7 outputs;
  - EEM: gradient ascent on the information potential of that step's 7
    output errors, ``V = 1/(n^2 h sqrt(2 pi)) sum_ij exp(-(e_i - e_j)^2 /
    (2 h^2))`` (``eem_outputs`` loss, ``objective="ip"``), whose output
    delta is the paper's, with ``Q = 2 / (n^2 h^3 sqrt(2 pi))``; h is the
    pairwise kernel width.

  The output deltas come from the engine's losses: one
  ``LOSSES["squared_error"]`` call for the MSE networks and one
  ``LOSSES["eem_outputs"]`` call (``objective="ip"``, one kernel width
  per row) for the EEM networks of every width.

  Each epoch presents the 500 training strings once in a fresh random
  order. The order is shared by all networks: they are one stacked
  parameter array stepping in lockstep on the same string (that is what
  makes 1500 networks affordable), and differ only in initial weights,
  learning rate and loss. The engine's ``LockstepTrainer``
  (``skentropy._engine.lockstep``) does this, with the engine's SGD.
* Convergence (the paper's "every next-symbol prediction right"; its
  threshold is our reading): a network has converged when, for every step
  of every string of both sets, all legal-next outputs are above 0.5 and
  all others below 0.5, with frozen weights. Checked at the end of every
  epoch for the networks whose training pass over that epoch was already
  all-correct (a necessary condition, and free), so a run's count of
  sequences is a multiple of 500 (``(epoch + 1) * 500``), and a network
  that becomes perfect during an epoch is found at the end of the next
  one: counts can be up to 500 sequences late. Budget: 250,000
  sequences (500 epochs). Converged networks are frozen and leave the
  stack; so do networks whose weights become non-finite (counted as not
  converged, "diverged").

Printed: the settings, a progress line every ``--report-every`` epochs,
then per (criterion, learning rate) cell the % converged and the mean
(std) sequences to convergence in thousands, ours beside the paper's, a
verdict on the abstract's claim (EEM converges more often, over a wider
range of parameters) judged from our numbers, and the wall time. Written:
raw JSON (every network's outcome, sequences, final error rates; the
settings, seeds, machine and versions) to
``benchmarks/results/eem_lstm_reber.json`` (``--quick``:
``eem_lstm_reber_quick.json``). BLAS runs on one thread
(``_common.pin_threads``).

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/eem_lstm_reber.py                 # full table, 100 restarts
    python benchmarks/eem_lstm_reber.py --restarts 10   # faster, noisier
    python benchmarks/eem_lstm_reber.py --cells 4       # topology 2(2,2)
    python benchmarks/eem_lstm_reber.py --quick         # smoke test, seconds

Cost: with all 1500 networks in the stack one training string takes about
11.5-13.5 ms on one core of the development machine (AMD EPYC VM): about
60 % in the engine's LSTM forward and backward passes, 15 % in the dense
layer and 20 % in the output deltas (mostly ``exp``), so the
whole budget would take 48-56 minutes if no network ever converged; as they
converge they leave the stack, and the full run (seed 0) took 14 minutes
(857 s; 3.4 ms per string on average).
Fewer restarts help less than proportionally (the per-call overhead of
the lockstep loop stays). ``--quick`` uses 2 restarts, MSE and one
width, two learning rates, 60 strings per set and 5 epochs: its numbers
are not meaningful, it only checks that the script works.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import math
import time
from dataclasses import dataclass, field

import numpy as np

from skentropy._engine.lockstep import Criterion, LockstepTrainer
from skentropy._engine.sequence_network import SequenceNetwork
from skentropy.datasets import REBER_ALPHABET, make_reber

QUICK_RESULTS_PATH = bench.RESULTS_DIR / "eem_lstm_reber_quick.json"

N_SYMBOLS = len(REBER_ALPHABET)
FULL_WIDTHS = (1.3, 1.4, 1.5, 1.6)
FULL_LRS = (0.1, 0.2, 0.3)
FULL_RESTARTS = 100
FULL_STRINGS = 500
FULL_EPOCHS = 500  # 250,000 sequences of 500 strings
QUICK = {
    "widths": (1.5,),
    "lrs": (0.1, 0.3),
    "restarts": 2,
    "strings": 60,
    "max_epochs": 5,
    "report_every": 1,
    "results": QUICK_RESULTS_PATH,
}
INIT_WEIGHT = 0.2
# Sequences per evaluation bucket: sorted by length, so padding stays small.
BUCKET_STRINGS = 128
# Upper bound on networks x strings x steps per evaluation forward (memory).
EVAL_ELEMENTS = 400_000

# Paper, Table 6.9, topology 7:0:2(2,1):7: (mean, std) sequences to
# convergence in thousands and % converged; None where the page is cut off.
PAPER = {
    None: {0.1: (15.1, 24.5, 38), 0.2: (74.9, 116.5, 63), 0.3: (61.0, 111.5, 56)},
    1.3: {0.1: (81.8, 115.4, 36), 0.2: (42.6, 51.5, 11), 0.3: (113.6, 135.6, 7)},
    1.4: {0.1: (45.6, 68.2, 45), 0.2: (70.6, 93.8, 11), 0.3: (61.8, 63.6, 10)},
    1.5: {0.1: (26.0, 43.9, 54), 0.2: (84.1, 120.2, 29), 0.3: (47.2, 39.1, 13)},
    1.6: {0.1: (28.4, 43.1, 66), 0.2: (58.0, 84.2, 37), 0.3: (135.1, None, None)},
}


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@dataclass
class Sequence:
    """One Reber string as a next-symbol prediction example.

    Attributes
    ----------
    string : str
        The string, ``B`` to ``E``.
    x : ndarray of shape (1, T, 7)
        One-hot inputs, ``T = len(string) - 1`` steps (the final E is not
        presented).
    target : ndarray of shape (T, 7)
        Multi-hot legal next symbols after each step.
    sign : ndarray of shape (T, 7)
        ``2 * target - 1``: a prediction is right where ``sign * logit > 0``.
    """

    string: str
    x: np.ndarray
    target: np.ndarray
    sign: np.ndarray = field(init=False)

    def __post_init__(self):
        self.sign = 2.0 * self.target - 1.0


def make_sequences(n, random_state):
    """Draw ``n`` Reber strings and encode them for next-symbol prediction.

    Parameters
    ----------
    n : int
        Number of strings.
    random_state : int
        Seed of :func:`skentropy.datasets.make_reber`.

    Returns
    -------
    sequences : list of Sequence
        The generator's one-hot inputs and legal-next targets (it pads at
        the front), cut to the string and without the final ``E`` step,
        whose target is empty.
    """
    X, y, strings = make_reber(
        n, task="next_symbol", return_strings=True, random_state=random_state
    )
    sequences = []
    for i, string in enumerate(strings):
        steps = slice(X.shape[1] - len(string), X.shape[1] - 1)
        sequences.append(
            Sequence(
                string,
                np.ascontiguousarray(X[i, steps])[None],
                np.ascontiguousarray(y[i, steps]),
            )
        )
    return sequences


@dataclass
class Bucket:
    """Strings of similar length batched for evaluation, padded at the back.

    Attributes
    ----------
    x : ndarray of shape (n, T, 7)
        Inputs; steps after a string's end are zero. The LSTM is causal, so
        they cannot change the outputs at the string's own steps.
    target : ndarray of shape (n, T, 7)
        Legal next symbols (zero on padding).
    mask : ndarray of shape (n, T)
        True on real steps.
    weight : ndarray of shape (n,)
        Multiplicity of each string in the set it stands for.
    """

    x: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    weight: np.ndarray


def make_buckets(sequences, size=BUCKET_STRINGS):
    """Distinct strings of ``sequences``, sorted by length, in padded buckets.

    Parameters
    ----------
    sequences : list of Sequence
        Duplicates are evaluated once and weighted by their count.
    size : int, default=BUCKET_STRINGS
        Strings per bucket.

    Returns
    -------
    buckets : list of Bucket
    """
    distinct, counts = {}, {}
    for seq in sequences:
        distinct.setdefault(seq.string, seq)
        counts[seq.string] = counts.get(seq.string, 0) + 1
    ordered = sorted(distinct.values(), key=lambda s: (len(s.string), s.string))
    buckets = []
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        steps = max(seq.target.shape[0] for seq in chunk)
        x = np.zeros((len(chunk), steps, N_SYMBOLS))
        target = np.zeros((len(chunk), steps, N_SYMBOLS))
        mask = np.zeros((len(chunk), steps), dtype=bool)
        for j, seq in enumerate(chunk):
            length = seq.target.shape[0]
            x[j, :length] = seq.x[0]
            target[j, :length] = seq.target
            mask[j, :length] = True
        weight = np.array([counts[seq.string] for seq in chunk], dtype=float)
        buckets.append(Bucket(x, target, mask, weight))
    return buckets


# ---------------------------------------------------------------------------
# Network and criteria (the engine's; the paper's configuration)
# ---------------------------------------------------------------------------


def block_sizes(cells):
    """Cells per memory block: two blocks, the first one the larger.

    Parameters
    ----------
    cells : int
        Memory cells in all.

    Returns
    -------
    sizes : tuple of int
        ``(2, 1)`` for 3 cells (the paper's 2(2,1)), ``(2, 2)`` for 4.
    """
    if cells < 1:
        raise ValueError(f"cells must be >= 1, got {cells}")
    first = math.ceil(cells / 2)
    return (first, cells - first) if cells > 1 else (1,)


def make_network(cells):
    """LSTM (1997 cell) plus a dense sigmoid output layer read at every step."""
    return SequenceNetwork(
        N_SYMBOLS, cells, N_SYMBOLS, "logistic", forget_gate=False, readout="every"
    )


def init_params(network, seed, restarts):
    """Initial weights of the given restarts, one random stream each.

    Parameters
    ----------
    network : SequenceNetwork
    seed : int
        Experiment seed.
    restarts : sequence of int
        Restart indices; restart r draws from ``SeedSequence([seed, r])``.

    Returns
    -------
    params : ndarray of shape (len(restarts), n_params)
        U(-0.2, 0.2) weights; output-gate biases -1 (block 1), -2
        (block 2).
    """
    params = np.empty((len(restarts), network.n_params))
    for row, restart in zip(params, restarts, strict=True):
        rng = np.random.default_rng(np.random.SeedSequence([seed, restart]))
        row[:] = rng.uniform(-INIT_WEIGHT, INIT_WEIGHT, network.n_params)
    blocks = block_sizes(network.lstm.hidden)
    gate_bias = -np.repeat(np.arange(1.0, len(blocks) + 1), blocks)
    network.lstm.bias(params)[:, network.lstm.o_cols] = gate_bias
    return params


def criterion(kernel_width):
    """A table row's loss: MSE (``None``) or EEM, gradient ascent on V, width h."""
    if kernel_width is None:
        return Criterion("squared_error")
    return Criterion("eem_outputs", kernel_width, {"objective": "ip"})


def label(crit):
    """Row label of the tables."""
    return "MSE" if crit.kernel_width is None else f"EEM h={crit.kernel_width:g}"


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


def correct_networks(scores, target, mask=None, threshold=0.5, *, unit="step"):
    """Number of wrong predictions of each network.

    A step is right when every legal next symbol scores above ``threshold``
    and every other symbol below it (ties and NaN are wrong).

    Parameters
    ----------
    scores : ndarray of shape (R, ..., T, 7)
        Sigmoid outputs (``threshold=0.5``) or logits (``threshold=0``).
    target : ndarray broadcastable to ``scores[0]``
        Multi-hot legal next symbols.
    mask : ndarray broadcastable to ``scores[0, ..., 0]`` or None
        False on padded steps, which are ignored.
    threshold : float, default=0.5
    unit : {"step", "output"}, default="step"
        Count wrong steps (the convergence criterion) or wrong output
        units (a finer measure of progress).

    Returns
    -------
    wrong : ndarray of shape (R, ...) without the last two axes
        Wrong steps (or outputs) per network and leading index (e.g. per
        string).
    """
    margin = (scores - threshold) * (2.0 * target - 1.0)
    output_ok = margin > 0
    if unit == "step":
        ok = output_ok.all(axis=-1)
        if mask is not None:
            ok |= ~mask
        return (~ok).sum(axis=-1)
    if unit != "output":
        raise ValueError(f"unit must be 'step' or 'output', got {unit!r}")
    if mask is not None:
        output_ok |= ~mask[..., None]
    return (~output_ok).sum(axis=(-2, -1))


def count_errors(network, params, buckets, unit="step"):
    """Wrong predictions of every network over a set of strings, frozen weights.

    Parameters
    ----------
    network : SequenceNetwork
    params : ndarray of shape (R, n_params)
    buckets : list of Bucket
    unit : {"step", "output"}, default="step"
        See :func:`correct_networks`.

    Returns
    -------
    wrong : ndarray of shape (R,)
        Wrongly predicted steps (or outputs), weighted by string
        multiplicity.
    """
    wrong = np.zeros(params.shape[0])
    buffers = network.buffers(BUCKET_STRINGS, params.dtype)
    with np.errstate(all="ignore"):  # diverged weights: NaN counts as wrong
        for bucket in buckets:
            n, steps = bucket.mask.shape
            chunk = max(1, EVAL_ELEMENTS // (n * steps))
            for start in range(0, params.shape[0], chunk):
                block = slice(start, start + chunk)
                z = network.forward(params[block], bucket.x, buffers)
                z = z.reshape(-1, n, steps, N_SYMBOLS)
                per_string = correct_networks(
                    z, bucket.target, bucket.mask, 0.0, unit=unit
                )
                wrong[block] += per_string @ bucket.weight
    return wrong


def total_steps(buckets):
    """Real steps in a set of buckets, weighted by string multiplicity."""
    return float(sum(b.mask.sum(axis=1) @ b.weight for b in buckets))


# ---------------------------------------------------------------------------
# Experiment
# ---------------------------------------------------------------------------


def train_epoch(trainer, sequences, order):
    """One epoch of lockstep training; which networks got every string right.

    Parameters
    ----------
    trainer : LockstepTrainer
    sequences : list of Sequence
    order : sequence of int

    Returns
    -------
    all_right : ndarray of bool of shape (R,)
        Networks that predicted every step of every string right during
        the epoch (before each string's update).
    """
    all_right = np.ones(trainer.params.shape[0], dtype=bool)

    def check(i, z):
        # Right iff sign * logit > 0 at every output of every step (the
        # output is then on the right side of 0.5); NaN is wrong.
        margin = (z * sequences[i].sign).reshape(all_right.size, -1)
        np.logical_and(all_right, margin.min(axis=1) > 0, out=all_right)

    examples = [(seq.x, seq.target) for seq in sequences]
    trainer.train_epoch(examples, order, check)
    return all_right


def data_seeds(seed):
    """Seeds of the training set, the test set and the presentation order."""
    states = np.random.SeedSequence([seed, 2**31]).generate_state(3)
    return {"train": int(states[0]), "test": int(states[1]), "order": int(states[2])}


def run_experiment(
    criteria,
    lrs,
    restarts,
    *,
    cells=3,
    n_train=FULL_STRINGS,
    n_test=FULL_STRINGS,
    max_epochs=FULL_EPOCHS,
    seed=0,
    report_every=0,
    log=print,
):
    """Train every (criterion, learning rate, restart) network in lockstep.

    Parameters
    ----------
    criteria : sequence of Criterion
    lrs : sequence of float
    restarts : int
    cells : int, default=3
    n_train, n_test : int, default=500
    max_epochs : int, default=500
    seed : int, default=0
        Fixes the data, the presentation order and the initial weights.
    report_every : int, default=0
        Log a progress line every this many epochs (0: never).
    log : callable, default=print

    Returns
    -------
    result : dict
        ``networks`` (one dict per network: criterion, kernel_width, lr,
        restart, converged, diverged, sequences, epochs, and the final
        train and test error rates over steps and over output units),
        ``initial_params`` and ``final_params`` (R, P), ``n_params``,
        ``seeds``, ``epoch_log``, ``train_seconds`` and
        ``distinct_strings``.
    """
    seeds = data_seeds(seed)
    train = make_sequences(n_train, seeds["train"])
    test = make_sequences(n_test, seeds["test"])
    check = make_buckets(train + test)
    train_buckets, test_buckets = make_buckets(train), make_buckets(test)
    net = make_network(cells)

    # Stack order: criterion-major (one loss call per criterion's block),
    # then learning rate, then restart.
    grid = [
        (c, lr, r) for c in range(len(criteria)) for lr in lrs for r in range(restarts)
    ]
    n_nets = len(grid)
    lr_of = np.array([g[1] for g in grid], dtype=float)
    restart_of = np.array([g[2] for g in grid])
    initial = init_params(net, seed, range(restarts))[restart_of]
    final = initial.copy()
    trainer = LockstepTrainer(
        net, initial.copy(), lr_of, [criteria[g[0]] for g in grid]
    )
    ids = np.arange(n_nets)  # global index of each stacked network
    epochs_done = np.full(n_nets, -1)
    diverged = np.zeros(n_nets, dtype=bool)
    order_rng = np.random.default_rng(seeds["order"])
    epoch_log = []

    start = time.perf_counter()
    for epoch in range(max_epochs):
        if ids.size == 0:
            break
        order = order_rng.permutation(n_train)
        tic = time.perf_counter()
        all_right = train_epoch(trainer, train, order)
        train_time = time.perf_counter() - tic
        finite = np.isfinite(trainer.params).all(axis=1)
        candidates = np.flatnonzero(all_right & finite)
        passed = np.zeros(ids.size, dtype=bool)
        if candidates.size:
            wrong = count_errors(net, trainer.params[candidates], check)
            passed[candidates[wrong == 0]] = True
        epochs_done[ids[passed]] = epoch
        diverged[ids[~finite]] = True
        leaving = passed | ~finite
        if leaving.any():
            final[ids[leaving]] = trainer.params[leaving]
            trainer.keep(~leaving)
            ids = ids[~leaving]
        epoch_log.append(
            {
                "epoch": epoch,
                "active": int(ids.size),
                "candidates": int(candidates.size),
                "converged": int(passed.sum()),
                "diverged": int((~finite).sum()),
                "train_seconds": train_time,
                "check_seconds": time.perf_counter() - tic - train_time,
            }
        )
        if report_every and ((epoch + 1) % report_every == 0 or epoch == 0):
            log(
                f"  epoch {epoch + 1:>3}: {ids.size:>4} networks training, "
                f"{int((epochs_done >= 0).sum()):>4} converged, "
                f"{int(diverged.sum())} diverged; {train_time:.2f} s for "
                f"{n_train} strings ({1e3 * train_time / n_train:.2f} ms each), "
                f"{time.perf_counter() - start:.0f} s in all",
                flush=True,
            )
    final[ids] = trainer.params
    elapsed = time.perf_counter() - start

    n_train_steps, n_test_steps = total_steps(train_buckets), total_steps(test_buckets)
    errors = {
        f"{name}_{unit}_error": count_errors(net, final, buckets, unit)
        / (n_steps * (1 if unit == "step" else N_SYMBOLS))
        for name, buckets, n_steps in (
            ("train", train_buckets, n_train_steps),
            ("test", test_buckets, n_test_steps),
        )
        for unit in ("step", "output")
    }
    networks = []
    for k, (c, lr, r) in enumerate(grid):
        converged = bool(epochs_done[k] >= 0)
        networks.append(
            {
                "criterion": label(criteria[c]),
                "kernel_width": criteria[c].kernel_width,
                "lr": lr,
                "restart": r,
                "converged": converged,
                "diverged": bool(diverged[k]),
                "epochs": int(epochs_done[k]) + 1 if converged else None,
                "sequences": (int(epochs_done[k]) + 1) * n_train if converged else None,
                **{name: float(value[k]) for name, value in errors.items()},
            }
        )
    return {
        "networks": networks,
        "initial_params": initial,
        "final_params": final,
        "n_params": net.n_params,
        "seeds": {"experiment": seed, **seeds},
        "epoch_log": epoch_log,
        "train_seconds": elapsed,
        "distinct_strings": {
            "train": len({s.string for s in train}),
            "test": len({s.string for s in test}),
            "test_not_in_train": len(
                {s.string for s in test} - {s.string for s in train}
            ),
        },
    }


def summarise(networks, criteria, lrs):
    """Per (criterion, lr) cell: % converged and mean (std) kilo-sequences.

    Parameters
    ----------
    networks : list of dict
        As returned in ``run_experiment(...)["networks"]``.
    criteria : sequence of Criterion
    lrs : sequence of float

    Returns
    -------
    cells : dict
        ``cells[label][lr]`` = dict with ``runs``, ``converged``, ``percent``,
        ``mean_k`` and ``std_k`` (thousands of sequences over the converged
        runs; sample std, None with fewer than two) and ``diverged``.
    """
    cells = {}
    for crit in criteria:
        row = cells.setdefault(label(crit), {})
        for lr in lrs:
            cell = [
                n for n in networks if n["criterion"] == label(crit) and n["lr"] == lr
            ]
            done = np.array([n["sequences"] for n in cell if n["converged"]]) / 1e3
            row[lr] = {
                "runs": len(cell),
                "converged": int(done.size),
                "percent": 100.0 * done.size / len(cell) if cell else float("nan"),
                "mean_k": float(done.mean()) if done.size else None,
                "std_k": float(done.std(ddof=1)) if done.size > 1 else None,
                "diverged": sum(n["diverged"] for n in cell),
            }
    return cells


def _fmt_mean(mean, std):
    if mean is None:
        return "-"
    return f"{mean:.1f} ({'-' if std is None else format(std, '.1f')})"


def _print_table(title, criteria, lrs, width, cell_text):
    """One table: a row per criterion, ``cell_text(criterion, lr)`` per cell."""
    header = f"{'criterion':<11}" + "".join(
        f"{'eta=' + format(lr, 'g'):>{width}}" for lr in lrs
    )
    print(title)
    print(header)
    print("-" * len(header))
    for crit in criteria:
        print(
            f"{label(crit):<11}"
            + "".join(f"{cell_text(crit, lr):>{width}}" for lr in lrs)
        )
    print()


def print_tables(cells, criteria, lrs):
    """Print % converged and mean (std) sequences, paper | ours."""

    def paper(crit, lr):
        return PAPER.get(crit.kernel_width, {}).get(lr)

    def percent(crit, lr):
        known = paper(crit, lr)
        paper_pct = "?" if known is None or known[2] is None else f"{known[2]}"
        return f"{paper_pct} % | {cells[label(crit)][lr]['percent']:.0f} %"

    def sequences(crit, lr):
        known = paper(crit, lr)
        paper_text = "?" if known is None else _fmt_mean(known[0], known[1])
        ours = cells[label(crit)][lr]
        return f"{paper_text} | {_fmt_mean(ours['mean_k'], ours['std_k'])}"

    _print_table("% converged (paper | ours)", criteria, lrs, 24, percent)
    _print_table(
        "mean (std) sequences to convergence, thousands (paper | ours)",
        criteria,
        lrs,
        30,
        sequences,
    )


def judge_claim(rates, mse_label, eem_labels, lrs):
    """Weigh the abstract's claim against a table of convergence rates.

    Parameters
    ----------
    rates : dict
        ``rates[label][lr]`` in percent (None where unknown).
    mse_label : str
    eem_labels : sequence of str
    lrs : sequence of float

    Returns
    -------
    verdict : dict
        ``eem_wins`` / ``cells``: (width, lr) cells where EEM converges
        more often than MSE at that lr; ``lrs_best_eem_wins``: learning
        rates where the best width beats MSE; ``mean_eem`` and ``mean_mse``
        (mean rates over the known cells); ``usable_eem`` / ``usable_mse``:
        fraction of their cells with a rate of at least 20 % (for
        information); and ``supported``: the best width beats MSE at most
        learning rates (a wider usable range) and the mean EEM rate over
        all widths beats MSE's (more often, without picking the width).
    """
    wins, known, best_wins, eem_all, mse_all = 0, 0, [], [], []
    for lr in lrs:
        mse = rates[mse_label].get(lr)
        if mse is None:
            continue
        mse_all.append(mse)
        eem = [rates[e].get(lr) for e in eem_labels]
        eem = [v for v in eem if v is not None]
        eem_all.extend(eem)
        wins += sum(v > mse for v in eem)
        known += len(eem)
        if eem and max(eem) > mse:
            best_wins.append(lr)
    mean_eem = float(np.mean(eem_all)) if eem_all else float("nan")
    mean_mse = float(np.mean(mse_all)) if mse_all else float("nan")
    usable_eem = float(np.mean([v >= 20 for v in eem_all])) if eem_all else 0.0
    usable_mse = float(np.mean([v >= 20 for v in mse_all])) if mse_all else 0.0
    return {
        "eem_wins": int(wins),
        "cells": int(known),
        "lrs_best_eem_wins": best_wins,
        "mean_eem": mean_eem,
        "mean_mse": mean_mse,
        "usable_eem": usable_eem,
        "usable_mse": usable_mse,
        "supported": bool(len(best_wins) > len(mse_all) / 2 and mean_eem > mean_mse),
    }


def _verdict_line(name, v):
    return (
        f"{name}: EEM beats MSE in {v['eem_wins']}/{v['cells']} (h, eta) cells; "
        f"best width beats MSE at eta in {v['lrs_best_eem_wins'] or 'none'}; mean "
        f"rate EEM {v['mean_eem']:.0f} % vs MSE {v['mean_mse']:.0f} %; cells "
        f">= 20 % converged: EEM {v['usable_eem']:.0%}, MSE {v['usable_mse']:.0%} "
        f"-> claim {'supported' if v['supported'] else 'not supported'}"
    )


def parse_args(argv=None):
    """The command line (see the module docstring)."""
    parser = bench.parser(__doc__, "eem_lstm_reber", quick=QUICK)
    add = parser.add_argument
    add(
        "--restarts",
        type=bench.positive_int,
        default=FULL_RESTARTS,
        help=f"initialisations per (criterion, lr) cell (default {FULL_RESTARTS})",
    )
    add(
        "--widths",
        type=bench.positive_float,
        nargs="+",
        default=FULL_WIDTHS,
        help=f"EEM kernel widths h (default {' '.join(map(str, FULL_WIDTHS))})",
    )
    add(
        "--lrs",
        type=bench.positive_float,
        nargs="+",
        default=FULL_LRS,
        help=f"learning rates (default {' '.join(map(str, FULL_LRS))})",
    )
    add("--no-mse", action="store_true", help="EEM rows only")
    add(
        "--cells",
        type=bench.positive_int,
        default=3,
        help="memory cells: 3 is 2(2,1), 4 is 2(2,2) (default 3)",
    )
    add(
        "--strings",
        type=bench.positive_int,
        default=FULL_STRINGS,
        help=f"strings per set, train and test (default {FULL_STRINGS})",
    )
    add(
        "--max-epochs",
        type=bench.positive_int,
        default=FULL_EPOCHS,
        help=f"budget in epochs (default {FULL_EPOCHS})",
    )
    add("--seed", type=int, default=0, help="fixes data, order, weights (default 0)")
    add(
        "--report-every",
        type=int,
        default=10,
        help="epochs between progress lines, 0: none (default 10)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Run the experiment from the command line (see the module docstring)."""
    args = parse_args(argv)
    lrs, restarts, n_strings = args.lrs, args.restarts, args.strings
    max_epochs = args.max_epochs
    criteria = ([] if args.no_mse else [criterion(None)]) + [
        criterion(w) for w in args.widths
    ]
    net = make_network(args.cells)

    with bench.blas_threads(1):
        machine = bench.print_machine(
            f"Reber next-symbol prediction, {n_strings} train / {n_strings} test "
            f"strings; LSTM 1997 cell (no forget gate), {args.cells} cells in "
            f"blocks {block_sizes(args.cells)} (gates per cell), sigmoid outputs, "
            f"{net.n_params} parameters",
            quick=args.quick,
        )
        print(
            f"training: per-string BPTT, one SGD step per string (the paper: "
            f"per-symbol truncated RTRL); budget {max_epochs} epochs = "
            f"{max_epochs * n_strings:,} sequences; {restarts} restarts x "
            f"{len(lrs)} learning rates x {len(criteria)} criteria = "
            f"{restarts * len(lrs) * len(criteria)} networks in lockstep; seed "
            f"{args.seed}"
        )
        print()

        start = time.perf_counter()
        result = run_experiment(
            criteria,
            lrs,
            restarts,
            cells=args.cells,
            n_train=n_strings,
            n_test=n_strings,
            max_epochs=max_epochs,
            seed=args.seed,
            report_every=args.report_every,
        )
        elapsed = time.perf_counter() - start
    epoch_log = result["epoch_log"]
    # Networks trained per epoch: those still active plus those leaving.
    network_epochs = sum(
        e["active"] + e["converged"] + e["diverged"] for e in epoch_log
    )
    train_seconds = sum(e["train_seconds"] for e in epoch_log)
    check_seconds = sum(e["check_seconds"] for e in epoch_log)
    full_stack_ms = 1e3 * epoch_log[0]["train_seconds"] / n_strings
    print()
    distinct = result["distinct_strings"]
    print(
        f"distinct strings: {distinct['train']} train, {distinct['test']} test "
        f"({distinct['test_not_in_train']} not in the training set)"
    )
    print()

    cells = summarise(result["networks"], criteria, lrs)
    print_tables(cells, criteria, lrs)

    labels = [label(c) for c in criteria if c.kernel_width is not None]
    verdicts = {}
    if not args.no_mse and labels:
        ours = {name: {lr: cells[name][lr]["percent"] for lr in lrs} for name in cells}
        paper = {
            label(c): {
                lr: PAPER[c.kernel_width][lr][2]
                for lr in lrs
                if c.kernel_width in PAPER and lr in PAPER[c.kernel_width]
            }
            for c in criteria
        }
        verdicts["ours"] = judge_claim(ours, "MSE", labels, lrs)
        verdicts["paper"] = judge_claim(paper, "MSE", labels, lrs)
        print(
            "Abstract's claim: EEM converges more often, over a wider range of "
            "parameters."
        )
        print("  " + _verdict_line("paper", verdicts["paper"]))
        print("  " + _verdict_line("ours ", verdicts["ours"]))
        print(
            f"  (with {restarts} restarts a rate's standard error is up to "
            f"{50 / math.sqrt(restarts):.0f} points)"
        )
        print()
    n_nets = len(result["networks"])
    print(
        f"wall time {elapsed:.0f} s: {train_seconds:.0f} s training "
        f"({len(epoch_log)} epochs, {network_epochs:,} network-epochs; "
        f"{full_stack_ms:.2f} ms per string with all {n_nets} networks in the "
        f"stack, {1e3 * train_seconds / (len(epoch_log) * n_strings):.2f} ms on "
        f"average), {check_seconds:.0f} s convergence checks"
    )

    record = {
        "benchmark": "eem_lstm_reber",
        "quick": args.quick,
        "paper": "Alexandre & Marques de Sa (2006); Marques de Sa et al. (2013), "
        "Table 6.9",
        "settings": {
            "cells": args.cells,
            "blocks": list(block_sizes(args.cells)),
            "gates": "per cell (paper: per block)",
            "forget_gate": False,
            "n_params": result["n_params"],
            "init": f"U(-{INIT_WEIGHT}, {INIT_WEIGHT}); output-gate bias "
            "-1 (block 1), -2 (block 2)",
            "training": "per-string BPTT, summed per-step loss, plain SGD, one "
            "update per string; shared random order per epoch",
            "eem": "eem_outputs, objective='ip' (gradient ascent on V)",
            "output_deltas": "engine losses (squared_error, eem_outputs)",
            "convergence": "every step of every train and test string: legal "
            "next outputs > 0.5, others < 0.5; checked at epoch ends",
            "n_train": n_strings,
            "n_test": n_strings,
            "max_epochs": max_epochs,
            "max_sequences": max_epochs * n_strings,
            "restarts": restarts,
            "learning_rates": list(lrs),
            "criteria": [label(c) for c in criteria],
        },
        "seeds": result["seeds"],
        "distinct_strings": distinct,
        "elapsed_seconds": elapsed,
        "train_seconds": train_seconds,
        "check_seconds": check_seconds,
        "full_stack_ms_per_string": full_stack_ms,
        "network_epochs": network_epochs,
        "summary": {
            name: {str(lr): v for lr, v in row.items()} for name, row in cells.items()
        },
        "verdicts": verdicts,
        "epoch_log": result["epoch_log"],
        "networks": result["networks"],
    }
    bench.write_results(args.results, record, machine)
    return record


if __name__ == "__main__":
    main()
