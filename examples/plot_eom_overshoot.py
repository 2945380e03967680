"""
Overshoot of plain backprop vs the Eliminating Overshoot Method
===============================================================

The EOM paper (Springer LNCS, doi:10.1007/978-3-319-92007-8_39) trains a
22-30-58 sigmoid network on one normalised radiative-transfer pattern and
observes that traditional backprop (TBP) drives most outputs *past* their
targets (an overshoot), while EOM, which re-estimates the parameters that
overshot between their last two values, brings every output to its target
from the side where it started.

This example repeats that on one pattern of
:func:`skentropy.datasets.make_radiative_transfer` (a toy stand-in for
MonoRTM: 22 profile inputs, 58 brightness temperatures). TBP and EOM start
from the same weights (same ``random_state``) and use the learning rate of
``benchmarks/eom_paper.py`` (2.5, where TBP overshoots almost every output).
It prints the fraction of outputs that ever end up on the other side of their
target and the iterations to the paper's acceptable error of 1e-6, and draws
the paper's figures: (a) the total error per iteration (Fig. 1), (b) three
outputs against their targets (dashed; Fig. 2) and (c) every output's error
relative to its initial error, where a value below zero is an overshoot
(Figs. 3-4). ``benchmarks/eom_paper.py`` prints the same quantities as
tables, for more patterns and learning rates, beside the paper's figures.

Targets are normalised over the whole data set into (0.05, 0.95), as the
paper normalises all samples, and passed with ``target_range=None`` (the
default would re-scale the training targets, and one pattern has no range).

Run it from the repository root::

    python examples/plot_eom_overshoot.py [figure.png]

With a path the figure is saved there; without one it is shown on screen.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.preprocessing import MinMaxScaler

from skentropy import EOMRegressor
from skentropy.datasets import (
    RADIATIVE_TRANSFER_FREQUENCIES_GHZ,
    make_radiative_transfer,
)

LEARNING_RATE = 2.5
MAX_ITER = 50
TOL = 1e-6

# %%
# One normalised pattern
# ----------------------
# Inputs and targets are min-max scaled over 500 profiles; pattern 0 is the
# training set.
X, Y = make_radiative_transfer(n_samples=500, random_state=0)
X_scaled = MinMaxScaler().fit_transform(X)
target_scaler = MinMaxScaler(feature_range=(0.05, 0.95)).fit(Y)
x, d = X_scaled[:1], target_scaler.transform(Y[:1])


def fit(overshoot):
    """TBP (``"ignore"``) or EOM (``"eliminate"``), same initial weights."""
    model = EOMRegressor(
        hidden_layer_sizes=(30,),
        overshoot=overshoot,
        learning_rate_init=LEARNING_RATE,
        max_iter=MAX_ITER,
        tol=TOL,
        target_range=None,
        random_state=0,
        record_outputs=True,
    ).fit(x, d)
    # Outputs before training and after each iteration, back in kelvin.
    kelvin = target_scaler.inverse_transform(model.outputs_curve_[:, 0, :])
    return np.array([model.initial_loss_, *model.loss_curve_]), kelvin


runs = {"TBP": fit("ignore"), "EOM": fit("eliminate")}
target = Y[0]

# %%
# Summary
# -------
# An output overshoots when it is on the other side of its target than at the
# start (the paper's definition). Crossings by less than 0.1 % of the
# output's range are numerical jitter once the error is ~1e-6; they are
# counted separately.
span = target_scaler.data_range_
for name, (loss, kelvin) in runs.items():
    err = (kelvin - target) / span
    across = np.sign(err[1:]) == -np.sign(err[0])
    ever = across.any(axis=0).mean()
    ever_tol = (across & (np.abs(err[1:]) > 1e-3)).any(axis=0).mean()
    reached = np.flatnonzero(loss[1:] < TOL)
    iters = f"{reached[0] + 1} iterations" if reached.size else "not reached"
    print(
        f"{name}: {100 * ever:3.0f} % of the 58 outputs ever overshoot "
        f"({100 * ever_tol:.0f} % by more than 0.1 % of the range); "
        f"E < {TOL:g} after {iters} (E0 = {loss[0]:.3f})"
    )

# %%
# Plot
# ----
# The three outputs drawn in (b) are those TBP pushes furthest past their
# targets (relative to the initial error). In (c) every output's error is
# divided by its initial error: each curve starts at 1, and a curve below 0
# is an output on the other side of its target.
tbp_err = (runs["TBP"][1] - target) / (runs["TBP"][1][0] - target)
shown = np.argsort(tbp_err.min(axis=0))[:3]


colors = {"TBP": "tab:blue", "EOM": "tab:red"}
fig, axes = plt.subplots(3, 2, figsize=(9, 10.5))
ax = axes[0, 0]
for name, (loss, _) in runs.items():
    ax.semilogy(loss, "o-", ms=3, color=colors[name], label=name)
ax.axhline(TOL, color="grey", ls=":", lw=1, label="acceptable error")
ax.set(xlabel="iteration", ylabel="total error E", title="(a) total error")
ax.legend()
for ax, k in zip(axes.ravel()[1:4], shown, strict=True):
    for name, (_, kelvin) in runs.items():
        ax.plot(kelvin[:, k], "o-", ms=3, color=colors[name], label=name)
    ax.axhline(target[k], color="green", ls="--", lw=1.5, label="target")
    freq = RADIATIVE_TRANSFER_FREQUENCIES_GHZ[k]
    ax.set(
        xlabel="iteration",
        ylabel="brightness temperature (K)",
        title=f"(b) output {k} ({freq:.2f} GHz)",
    )
    ax.legend()
for ax, (name, (_, kelvin)) in zip(axes[2], runs.items(), strict=True):
    err = kelvin - target
    ax.plot(err / np.where(err[0] != 0, err[0], 1.0), color=colors[name], lw=1)
    ax.axhline(0, color="black", lw=1)
    ax.set(
        xlabel="iteration",
        ylabel="error / initial error",
        ylim=(-0.6, 1.05),
        title=f"(c) {name}: all 58 outputs (< 0: overshoot)",
    )
for ax in axes.ravel():
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
fig.tight_layout()
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
    print(f"figure written to {sys.argv[1]}")
else:
    plt.show()
