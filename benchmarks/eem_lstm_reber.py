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
  paper's (3 cells: 127 parameters).
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
  learning rate and loss.
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
``eem_lstm_reber_quick.json``). BLAS runs on one thread (``_common``).

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
# Pins BLAS/OpenMP to one thread, so it must come before numpy.
from _common import cpu_model

# isort: on
import argparse
import json
import math
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import skentropy
from skentropy._engine.layers import Dense
from skentropy._engine.losses import LOSSES
from skentropy._engine.lstm import LSTM
from skentropy.datasets import REBER_ALPHABET, make_reber

SKENTROPY_VERSION = getattr(skentropy, "__version__", "unknown")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS_PATH = RESULTS_DIR / "eem_lstm_reber.json"
QUICK_RESULTS_PATH = RESULTS_DIR / "eem_lstm_reber_quick.json"

N_SYMBOLS = len(REBER_ALPHABET)
FULL_WIDTHS = (1.3, 1.4, 1.5, 1.6)
FULL_LRS = (0.1, 0.2, 0.3)
FULL_RESTARTS = 100
FULL_STRINGS = 500
FULL_EPOCHS = 500  # 250,000 sequences of 500 strings
QUICK_WIDTHS = (1.5,)
QUICK_LRS = (0.1, 0.3)
QUICK_RESTARTS = 2
QUICK_STRINGS = 60
QUICK_EPOCHS = 5
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
# Network
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


class Network:
    """LSTM (1997 cell) plus a dense sigmoid output layer read at every step.

    Parameters
    ----------
    cells : int
        Memory cells of the LSTM layer.

    Attributes
    ----------
    layer : LSTM
    dense : Dense
    n_params : int
        Parameters per network (columns of the stacked array).
    """

    def __init__(self, cells):
        self.cells = cells
        self.layer = LSTM(n_inputs=N_SYMBOLS, hidden=cells, offset=0, forget_gate=False)
        start = self.layer.n_params
        self.dense = Dense(
            cells,
            N_SYMBOLS,
            weight_offset=start,
            bias_offset=start + cells * N_SYMBOLS,
        )
        self.n_params = start + cells * N_SYMBOLS + N_SYMBOLS
        blocks = block_sizes(cells)
        self.output_gate_bias = -np.repeat(
            np.arange(1.0, len(blocks) + 1), blocks
        ).astype(float)

    def init_params(self, seed, restarts):
        """Initial weights of restarts ``0 .. restarts-1``, one stream each.

        Parameters
        ----------
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
        params = np.empty((len(restarts), self.n_params))
        for row, restart in zip(params, restarts, strict=True):
            rng = np.random.default_rng(np.random.SeedSequence([seed, restart]))
            row[:] = rng.uniform(-INIT_WEIGHT, INIT_WEIGHT, self.n_params)
        self.layer.bias(params)[:, self.layer.o_cols] = self.output_gate_bias
        return params

    def logits(self, params, x, cache=None):
        """Output logits of stacked networks on a batch of sequences.

        Parameters
        ----------
        params : ndarray of shape (R, n_params)
        x : ndarray of shape (n, T, 7)
        cache : LSTMCache or None
            Buffers of an earlier call to reuse.

        Returns
        -------
        z : ndarray of shape (R, n, T, 7)
        cache : LSTMCache
        """
        cache = self.layer.forward(params, x, cache)
        n, models, steps, cells = cache.outputs.shape
        hidden = cache.outputs.transpose(1, 0, 2, 3).reshape(models, n * steps, cells)
        z = self.dense.forward(params, hidden)
        return z.reshape(models, n, steps, N_SYMBOLS), cache


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


def count_errors(net, params, buckets, unit="step"):
    """Wrong predictions of every network over a set of strings, frozen weights.

    Parameters
    ----------
    net : Network
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
    with np.errstate(all="ignore"):  # diverged weights: NaN counts as wrong
        for bucket in buckets:
            n, steps = bucket.mask.shape
            chunk = max(1, EVAL_ELEMENTS // (n * steps))
            cache = None
            for start in range(0, params.shape[0], chunk):
                block = slice(start, start + chunk)
                z, cache = net.logits(params[block], bucket.x, cache)
                per_string = correct_networks(
                    z, bucket.target, bucket.mask, 0.0, unit=unit
                )
                wrong[block] += per_string @ bucket.weight
    return wrong


def total_steps(buckets):
    """Real steps in a set of buckets, weighted by string multiplicity."""
    return float(sum(b.mask.sum(axis=1) @ b.weight for b in buckets))


# ---------------------------------------------------------------------------
# Lockstep training
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """A training loss: MSE or EEM with one kernel width.

    Attributes
    ----------
    kernel_width : float or None
        None for MSE.
    """

    kernel_width: float | None

    @property
    def label(self):
        """Row label of the tables."""
        return "MSE" if self.kernel_width is None else f"EEM h={self.kernel_width:g}"


def _blocks(keys):
    """``(key, start, stop)`` of the runs of equal consecutive ``keys``."""
    keys = list(keys)
    blocks, start = [], 0
    for k in range(1, len(keys) + 1):
        if k == len(keys) or keys[k] != keys[start]:
            blocks.append((keys[start], start, k))
            start = k
    return blocks


class LockstepTrainer:
    """Stacked networks trained in lockstep, one SGD step per string (BPTT).

    Network ``k`` has its own initial weights ``params[k]``, learning rate
    ``lrs[k]`` and criterion ``criteria[groups[k]]``; ``groups`` must be
    non-decreasing, so each criterion's networks are one contiguous block
    of the stack.

    The output deltas come from the engine's losses, one call per run of
    MSE networks and one per run of EEM networks (``eem_outputs`` with
    ``objective="ip"`` and each row's own kernel width).

    Parameters
    ----------
    net : Network
    params : ndarray of shape (R, n_params)
        Trained in place (copy it first to keep the initial weights).
    lrs : ndarray of shape (R,)
    groups : ndarray of int of shape (R,)
    criteria : sequence of Criterion
    """

    def __init__(self, net, params, lrs, groups, criteria):
        groups = np.asarray(groups)
        if np.any(np.diff(groups) < 0):
            raise ValueError("networks must be ordered by criterion")
        self.net = net
        self.criteria = list(criteria)
        self.params = params
        self.lrs = np.asarray(lrs, dtype=float)
        self.groups = groups
        self._reset_buffers()

    def _reset_buffers(self):
        self.grad = np.empty_like(self.params)
        self._lr_column = self.lrs[:, None].copy()
        self._caches = {}  # LSTM buffers per string length
        self._buffers = {}  # output-layer buffers per string length
        # Runs of MSE networks and of EEM networks (any width, one per row).
        widths = [self.criteria[g].kernel_width for g in self.groups]
        self._loss_blocks = [
            (a, b, None if not is_eem else np.array(widths[a:b], dtype=float))
            for is_eem, a, b in _blocks(w is not None for w in widths)
        ]

    def keep(self, mask):
        """Drop the networks where ``mask`` is False from the stack.

        Parameters
        ----------
        mask : ndarray of bool of shape (R,)
        """
        self.params = self.params[mask]
        self.lrs = self.lrs[mask]
        self.groups = self.groups[mask]
        self._reset_buffers()

    def _buffers_for(self, steps):
        buffers = self._buffers.get(steps)
        if buffers is None:
            outputs = (self.params.shape[0], steps, N_SYMBOLS)
            buffers = {
                "z": np.empty(outputs),  # logits
                "delta": np.empty(outputs),  # dL/dlogits
                "target": np.empty(outputs),
                "grad_hidden": np.empty((outputs[0], steps, self.net.cells)),
                # each EEM row's kernel width, per network and step
                "widths": [
                    None if w is None else np.repeat(w, steps)
                    for _, _, w in self._loss_blocks
                ],
            }
            self._buffers[steps] = buffers
        return buffers

    def _deltas(self, seq, b):
        """dL/dlogits of every network from the logits in ``b["z"]``."""
        target = b["target"]
        target[...] = seq.target
        steps = seq.target.shape[0]
        rows_z = b["z"].reshape(-1, N_SYMBOLS)
        rows_t = target.reshape(-1, N_SYMBOLS)
        rows_d = b["delta"].reshape(-1, N_SYMBOLS)
        for (a, stop, _), widths in zip(self._loss_blocks, b["widths"], strict=True):
            rows = slice(a * steps, stop * steps)
            if widths is None:
                loss, params = LOSSES["squared_error"], {}
            else:
                loss = LOSSES["eem_outputs"]
                params = {"kernel_width": widths, "objective": "ip"}
            # The loss overwrites z (activation, then gradient); z is ours.
            _, d = loss(rows_t[rows], rows_z[rows], "logistic", None, **params)
            rows_d[rows] = d

    def train_string(self, seq, all_right):
        """One forward/backward pass on ``seq`` and one SGD step per network.

        Parameters
        ----------
        seq : Sequence
        all_right : ndarray of bool of shape (R,)
            Cleared (in place) for the networks that got a step of ``seq``
            wrong before their update.
        """
        net, params, grad = self.net, self.params, self.grad
        models = params.shape[0]
        steps = seq.target.shape[0]
        b = self._buffers_for(steps)
        cache = net.layer.forward(params, seq.x, self._caches.get(steps))
        self._caches[steps] = cache
        hidden = cache.outputs[0]  # (R, T, cells)
        z, delta = b["z"], b["delta"]
        net.dense.forward(params, hidden, out=z)
        # Right iff sign * logit > 0 at every output of every step (the
        # output is then on the right side of 0.5); NaN is wrong.
        np.multiply(z, seq.sign, delta)  # scratch, overwritten below
        all_right &= delta.reshape(models, -1).min(axis=1) > 0
        self._deltas(seq, b)
        net.dense.backward(params, hidden, delta, grad, scale=1.0)
        net.dense.input_delta(params, delta, out=b["grad_hidden"])
        net.layer.backward(
            params, cache, b["grad_hidden"][None], grad, scale=1.0, input_grad=False
        )
        grad *= self._lr_column
        params -= grad

    def train_epoch(self, sequences, order):
        """Present ``sequences`` in ``order``, one update per string.

        Parameters
        ----------
        sequences : list of Sequence
        order : sequence of int

        Returns
        -------
        all_right : ndarray of bool of shape (R,)
            Networks that predicted every step of every string right during
            the epoch (before each string's update).
        """
        all_right = np.ones(self.params.shape[0], dtype=bool)
        with np.errstate(all="ignore"):  # divergence is detected afterwards
            for i in order:
                self.train_string(sequences[i], all_right)
        return all_right


# ---------------------------------------------------------------------------
# Experiment
# ---------------------------------------------------------------------------


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
    net = Network(cells)

    # Stack order: criterion-major, then learning rate, then restart.
    grid = [
        (c, lr, r) for c in range(len(criteria)) for lr in lrs for r in range(restarts)
    ]
    n_nets = len(grid)
    groups = np.array([g[0] for g in grid])
    lr_of = np.array([g[1] for g in grid], dtype=float)
    restart_of = np.array([g[2] for g in grid])
    initial = net.init_params(seed, range(restarts))[restart_of]
    final = initial.copy()
    trainer = LockstepTrainer(net, initial.copy(), lr_of, groups, criteria)
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
        all_right = trainer.train_epoch(train, order)
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
                "criterion": criteria[c].label,
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
        row = cells.setdefault(crit.label, {})
        for lr in lrs:
            cell = [
                n for n in networks if n["criterion"] == crit.label and n["lr"] == lr
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
            f"{crit.label:<11}"
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
        return f"{paper_pct} % | {cells[crit.label][lr]['percent']:.0f} %"

    def sequences(crit, lr):
        known = paper(crit, lr)
        paper_text = "?" if known is None else _fmt_mean(known[0], known[1])
        ours = cells[crit.label][lr]
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


def main(argv=None):
    """Run the experiment from the command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test")
    parser.add_argument("--restarts", type=int, default=None)
    parser.add_argument("--widths", type=float, nargs="+", default=None)
    parser.add_argument("--lrs", type=float, nargs="+", default=None)
    parser.add_argument("--no-mse", action="store_true", help="EEM rows only")
    parser.add_argument("--cells", type=int, default=3)
    parser.add_argument("--strings", type=int, default=None, help="per set")
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report-every", type=int, default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    quick = args.quick
    widths = args.widths or (QUICK_WIDTHS if quick else FULL_WIDTHS)
    lrs = args.lrs or (QUICK_LRS if quick else FULL_LRS)
    restarts = args.restarts or (QUICK_RESTARTS if quick else FULL_RESTARTS)
    n_strings = args.strings or (QUICK_STRINGS if quick else FULL_STRINGS)
    max_epochs = args.max_epochs or (QUICK_EPOCHS if quick else FULL_EPOCHS)
    report_every = args.report_every or (1 if quick else 10)
    output = args.output or (QUICK_RESULTS_PATH if quick else RESULTS_PATH)
    criteria = ([] if args.no_mse else [Criterion(None)]) + [
        Criterion(w) for w in widths
    ]
    net = Network(args.cells)

    print(
        f"CPU: {cpu_model()}; Python {platform.python_version()}; NumPy "
        f"{np.__version__}; 1 BLAS thread"
    )
    print(
        f"Reber next-symbol prediction, {n_strings} train / {n_strings} test "
        f"strings; LSTM 1997 cell (no forget gate), {args.cells} cells in blocks "
        f"{block_sizes(args.cells)} (gates per cell), sigmoid outputs, "
        f"{net.n_params} parameters"
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
        report_every=report_every,
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

    labels = [c.label for c in criteria if c.kernel_width is not None]
    verdicts = {}
    if not args.no_mse and labels:
        ours = {
            label: {lr: cells[label][lr]["percent"] for lr in lrs} for label in cells
        }
        paper = {
            c.label: {
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
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "paper": "Alexandre & Marques de Sa (2006); Marques de Sa et al. (2013), "
        "Table 6.9",
        "machine": {
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": sys.version,
            "blas_threads": 1,
        },
        "versions": {"skentropy": SKENTROPY_VERSION, "numpy": np.__version__},
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
            "criteria": [c.label for c in criteria],
        },
        "seeds": result["seeds"],
        "distinct_strings": distinct,
        "elapsed_seconds": elapsed,
        "train_seconds": train_seconds,
        "check_seconds": check_seconds,
        "full_stack_ms_per_string": full_stack_ms,
        "network_epochs": network_epochs,
        "summary": {
            label: {str(lr): v for lr, v in row.items()} for label, row in cells.items()
        },
        "verdicts": verdicts,
        "epoch_log": result["epoch_log"],
        "networks": result["networks"],
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, indent=1) + "\n")
    print(f"raw results written to {output}")
    return record


if __name__ == "__main__":
    main()
