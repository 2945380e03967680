"""
Reber next-symbol prediction: EEM vs MSE through the public estimator
=====================================================================

Alexandre & Marques de Sa (ICANN 2006) train a small LSTM (the 1997 cell,
without forget gate) to predict every legal next symbol of Reber-grammar
strings, once by mean squared error (MSE) and once by Error Entropy
Minimization (EEM) over each step's output errors, online: one SGD update
per string. ``benchmarks/eem_lstm_reber.py`` runs that experiment on the
engine's lockstep trainer (:mod:`skentropy._engine.lockstep`), hundreds of
networks at once. This example expresses it through
:class:`skentropy.EEMLSTMClassifier` with ``readout="every_step"``:

* ``X``: the one-hot strings of :func:`skentropy.datasets.make_reber`
  (``task="next_symbol"``), moved to the *start* of the time axis (the
  generator pads at the front; the LSTM is causal, so trailing padding
  cannot change the outputs of a string's own steps), without the final
  ``E`` step, whose target is empty;
* ``y``: the multi-hot legal next symbols of every step, flattened
  time-major, shape (n_strings, n_steps * 7);
* ``sample_weight``: a step mask of shape (n_strings, n_steps), zero on the
  padding, so a string's loss is the sum of its real steps' losses, as in
  the benchmark;
* ``hidden_size=3, forget_gate=False, solver="sgd", momentum=0,
  batch_size=1``, ``loss="eem"`` (``eem_objective="ip"``, gradient ascent on
  the information potential, kernel width 1.5) or ``loss="mse"``, learning
  rate 0.1.

The estimator draws its own initial weights; the paper's 1997 convention
(uniform in [-0.2, 0.2], output-gate biases -1 and -2 for the two memory
blocks, the benchmark's ``init_params``) is set through ``warm_start``: a
one-epoch fit creates the fitted network, ``params_`` is overwritten with the
paper's weights, and every later ``fit`` (``max_iter=1``) continues from
them, one epoch at a time. The strings are presented in one fixed random
order (``shuffle=False``; the benchmark reshuffles every epoch).

For a few restarts the example trains both criteria through the estimator
and through the benchmark's ``LockstepTrainer`` from the same weights, in
the same order, and prints the largest weight difference after every
epoch and the epoch-by-epoch fraction of strings predicted right (the
paper's criterion, ``clf.score`` with the step mask: every legal next
symbol above 0.5, every other one below, at every step). It draws those
convergence curves, and the fraction of output units (symbols at steps)
predicted right.

The two implementations agree to round-off after the first epochs; over 25
epochs of one update per string the differences can grow (in this run to
4e-5 at most), without changing any strings-right value. In this run, with
three restarts and 25 epochs, MSE learns the task from every start (every
string right by epoch 20, 3,000 strings presented), while EEM predicts no
string right: the fraction of output units it gets right falls to about 0.51 as
training goes on. A few restarts of one size say little about the paper's
convergence rates; ``benchmarks/eem_lstm_reber.py`` runs its experiment,
hundreds of restarts at several learning rates.

Run it from the repository root::

    python examples/plot_reber_next_symbol.py [figure.png]

With a path the figure is saved there; without one it is shown on screen.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skentropy import EEMLSTMClassifier
from skentropy._engine.lockstep import Criterion, LockstepTrainer
from skentropy._engine.sequence_network import SequenceNetwork
from skentropy.datasets import REBER_ALPHABET, make_reber

N_STRINGS = 150
EPOCHS = 25
RESTARTS = (0, 1, 2)
LEARNING_RATE = 0.1
KERNEL_WIDTH = 1.5
CELLS = 3
N_SYMBOLS = len(REBER_ALPHABET)

# %%
# Strings as a per-step multilabel problem
# ----------------------------------------
# Each string is moved to the start of the time axis and its final ``E``
# step dropped; the step mask marks the real steps.
X_gen, y_gen, strings = make_reber(
    N_STRINGS, task="next_symbol", return_strings=True, random_state=0
)
steps = X_gen.shape[1] - 1
X = np.zeros((N_STRINGS, steps, N_SYMBOLS))
Y = np.zeros((N_STRINGS, steps, N_SYMBOLS))
mask = np.zeros((N_STRINGS, steps))
examples = []  # the benchmark's per-string examples, unpadded
for i, string in enumerate(strings):
    real = slice(X_gen.shape[1] - len(string), X_gen.shape[1] - 1)
    length = len(string) - 1
    X[i, :length], Y[i, :length], mask[i, :length] = X_gen[i, real], y_gen[i, real], 1
    examples.append((np.ascontiguousarray(X_gen[i, real])[None], y_gen[i, real]))
Y = Y.reshape(N_STRINGS, -1)  # (n_strings, n_steps * 7), time-major
print(
    f"{N_STRINGS} strings of {int(mask.sum(axis=1).min())}-{steps} steps, "
    f"{EPOCHS} epochs, learning rate {LEARNING_RATE}, restarts {RESTARTS}"
)

# %%
# The paper's initial weights
# ---------------------------
network = SequenceNetwork(
    N_SYMBOLS, CELLS, N_SYMBOLS, "logistic", forget_gate=False, readout="every"
)


def paper_init(restart):
    """U(-0.2, 0.2) weights; output-gate biases -1 (block 1) and -2 (block 2)."""
    rng = np.random.default_rng(np.random.SeedSequence([0, restart]))
    params = rng.uniform(-0.2, 0.2, (1, network.n_params))
    network.lstm.bias(params)[:, network.lstm.o_cols] = [-1.0, -1.0, -2.0]
    return params[0]


def make_classifier(loss):
    return EEMLSTMClassifier(
        hidden_size=CELLS,
        forget_gate=False,
        loss=loss,
        eem_objective="ip",
        kernel_width=KERNEL_WIDTH,
        readout="every_step",
        solver="sgd",
        momentum=0.0,
        nesterovs_momentum=False,
        max_grad_norm=None,  # the paper (and the lockstep trainer) clip nothing
        batch_size=1,
        learning_rate_init=LEARNING_RATE,
        max_iter=1,
        shuffle=False,
        n_iter_no_change=np.inf,
        warm_start=True,
        random_state=0,
    )


def lockstep_right(params):
    """Strings right and output units right (real steps), from the logits."""
    z = network.logits(params, X).reshape(Y.shape)
    ok = (z * (2 * Y - 1) > 0).reshape(N_STRINGS, steps, N_SYMBOLS)
    real = mask[:, :, None] > 0
    strings_right = (ok | ~real).all(axis=(1, 2)).mean()
    return strings_right, (ok & real).sum() / (real.sum() * N_SYMBOLS)


CRITERIA = {
    "eem": Criterion("eem_outputs", KERNEL_WIDTH, {"objective": "ip"}),
    "mse": Criterion("squared_error"),
}

# %%
# Training: the estimator beside the lockstep trainer
# ---------------------------------------------------
curves = {loss: [] for loss in CRITERIA}
unit_curves = {loss: [] for loss in CRITERIA}
worst, same_curves = 0.0, True
# One BLAS thread: the matrices are small, and more threads only contend
# for the cores.
with warnings.catch_warnings(), threadpool_limits(1):
    warnings.simplefilter("ignore", ConvergenceWarning)
    for restart in RESTARTS:
        for loss, criterion in CRITERIA.items():
            start = paper_init(restart)
            clf = make_classifier(loss).fit(X, Y, sample_weight=mask)
            clf.params_ = start.copy()
            trainer = LockstepTrainer(
                network, start[None].copy(), LEARNING_RATE, [criterion]
            )
            right, units, gap = [], [], 0.0
            for _ in range(EPOCHS):
                clf.fit(X, Y, sample_weight=mask)
                trainer.train_epoch(examples, range(N_STRINGS))
                gap = max(gap, float(np.abs(clf.params_ - trainer.params[0]).max()))
                right.append(clf.score(X, Y, sample_weight=mask))
                lockstep = lockstep_right(trainer.params[0])
                same_curves &= bool(lockstep[0] == right[-1])
                units.append(lockstep[1])
            curves[loss].append(right)
            unit_curves[loss].append(units)
            worst = max(worst, gap)
            print(
                f"restart {restart} {loss.upper():3s}: strings right every 5 epochs "
                f"{np.round(right[4::5], 2).tolist()}, output units right "
                f"{np.round(units[4::5], 3).tolist()}; largest weight difference "
                f"estimator vs lockstep {gap:.1e}"
            )
print(
    f"estimator vs lockstep trainer: weights agree to {worst:.1e} over all "
    f"runs and epochs; strings-right curves identical: {same_curves}"
)


# %%
# Convergence curves
# ------------------
# One curve per restart (restart 0 dark, restarts 1 and 2 pale).
colors = {"eem": "tab:red", "mse": "tab:blue"}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
presented = N_STRINGS * np.arange(1, EPOCHS + 1)
names = {"eem": f"EEM (h={KERNEL_WIDTH})", "mse": "MSE"}
panels = zip(axes, (curves, unit_curves), ("strings", "output units"), strict=True)
for ax, measure, what in panels:
    for loss, runs in measure.items():
        for k, values in enumerate(runs):
            ax.plot(
                presented,
                values,
                "o-",
                ms=3,
                color=colors[loss],
                alpha=1.0 if k == 0 else 0.4,
                label=names[loss] if k == 0 else None,
            )
    ax.set(
        xlabel="training strings presented",
        ylabel=f"fraction of {what} predicted right",
        title=f"{what.capitalize()} right, LSTM 7:{CELLS}:7, lr {LEARNING_RATE}",
    )
    ax.legend()
fig.tight_layout()
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
    print(f"figure written to {sys.argv[1]}")
else:
    plt.show()
