"""
Robust regression with error-entropy minimisation
=================================================

A 1-D regression whose training targets carry impulsive noise: most points
have a small Gaussian error, but 10 % of them get an error 20 times larger.
:class:`~sklearn.neural_network.MLPRegressor` minimises the squared error,
which the few large errors dominate, so its curve is pulled towards the
outliers. :class:`skentropy.EEMMLPRegressor` (``loss="eem"``) minimises the
entropy of the errors instead: it concentrates the errors of the bulk of
the points and lets a few large ones lie far away, so its curve stays close
to the clean function. Both networks have the same size, solver, learning
rate, number of epochs and seed; the inputs are standardised, and the
targets are scaled by their median and interquartile range (a robust scale,
the same for both).

The example prints each model's RMSE against the clean function on a grid
and draws the training points with the two fitted curves.
``benchmarks/mee_regression.py`` makes the comparison over 8 features, three
noises and ten seeds.

Run it from the repository root::

    python examples/plot_mee_regression.py [figure.png]

With a path the figure is saved there; without one it is shown on screen.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler
from threadpoolctl import threadpool_limits

from skentropy import EEMMLPRegressor

# %%
# Data: a smooth function with impulsive training noise
# ------------------------------------------------------
rng = np.random.default_rng(0)
n = 400
X = rng.uniform(-3, 3, size=(n, 1))


def clean(x):
    return np.sin(1.5 * x) + 0.3 * x


noise = 0.1 * rng.standard_normal(n)
impulses = rng.random(n) < 0.1
noise[impulses] *= 20
y = clean(X[:, 0]) + noise

# %%
# Two networks of the same size
# -----------------------------
# Fixed number of epochs (``tol=0``): the two fits do the same work.
common = {
    "hidden_layer_sizes": (32,),
    "solver": "adam",
    "learning_rate_init": 0.005,
    "batch_size": 100,
    "max_iter": 300,
    "tol": 0.0,
    "n_iter_no_change": 10**9,
    "random_state": 0,
}
models = {
    "MLPRegressor (squared error)": MLPRegressor(**common),
    "EEMMLPRegressor (error entropy)": EEMMLPRegressor(loss="eem", **common),
}
grid = np.linspace(-3, 3, 300).reshape(-1, 1)
curves = {}
# One BLAS thread: the matrices are small, and more threads only contend
# for the cores.
with warnings.catch_warnings(), threadpool_limits(1):
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, net in models.items():
        model = TransformedTargetRegressor(
            regressor=make_pipeline(StandardScaler(), net),
            transformer=RobustScaler(),
        ).fit(X, y)
        curves[name] = model.predict(grid)
        rmse = np.sqrt(np.mean((curves[name] - clean(grid[:, 0])) ** 2))
        print(f"{name}: RMSE against the clean function {rmse:.3f}")


# %%
# The fitted curves
# -----------------
fig, ax = plt.subplots(figsize=(8, 5))
ax.scatter(X[~impulses, 0], y[~impulses], s=8, c="grey", label="training points")
ax.scatter(X[impulses, 0], y[impulses], s=12, c="black", marker="x", label="impulses")
ax.plot(grid[:, 0], clean(grid[:, 0]), "g--", lw=2, label="clean function")
for (name, curve), color in zip(curves.items(), ("tab:blue", "tab:red"), strict=True):
    ax.plot(grid[:, 0], curve, color=color, lw=2, label=name)
ax.set(xlabel="x", ylabel="y", ylim=(-4, 4), title="Impulsive noise: 10 % at 20x")
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
    print(f"figure written to {sys.argv[1]}")
else:
    plt.show()
