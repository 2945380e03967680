"""
Grid search of kernel width and learning rate for EEM-trained LSTM
==================================================================

Alexandre & Marques de Sa (ICANN 2006) train LSTM by Error Entropy
Minimization (EEM) and report that it converges over a wider range of
parameters than MSE training; the kernel width ``s`` of the entropy
estimator is EEM's extra parameter (the paper: 1.3-1.6).

This example grid-searches that width together with the learning rate of
:class:`skentropy.EEMLSTMClassifier` (``loss="eem"``) on embedded-Reber
classification (:func:`skentropy.datasets.make_embedded_reber`: is the
penultimate symbol the same as the second one?) with
:class:`sklearn.model_selection.GridSearchCV` and 3-fold cross-validation.
The network is small (4 cells, the 1997 cell without forget gate as in the
paper) and trained by SGD for at most 100 epochs, so that the grid shows where
training succeeds. It prints the best parameters and their accuracy on a
separately drawn test set, and draws the mean cross-validated accuracy over
the (kernel width, learning rate) grid as a heat-map.

``benchmarks/eem_reber_grid.py`` runs the full comparison with
``loss="mse"`` (convergence rate over many seeds).

Run it from the repository root::

    python examples/plot_eem_reber_grid.py [figure.png]

With a path the figure is saved there; without one it is shown on screen.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from skentropy import EEMLSTMClassifier
from skentropy.datasets import make_embedded_reber

X, y = make_embedded_reber(300, max_length=12, random_state=0)
X_test, y_test = make_embedded_reber(300, max_length=12, random_state=1)

widths = [0.5, 1.0, 1.6, 2.5]
learning_rates = [0.1, 0.3, 1.0, 3.0]
search = GridSearchCV(
    EEMLSTMClassifier(
        hidden_size=4,
        loss="eem",
        forget_gate=False,
        solver="sgd",
        batch_size=16,
        max_iter=100,
        random_state=0,
    ),
    {"kernel_width": widths, "learning_rate_init": learning_rates},
    cv=3,
)
# One BLAS thread: the matrices are small, and more threads only contend
# for the cores.
with warnings.catch_warnings(), threadpool_limits(1):
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)

print(f"best parameters: {search.best_params_}")
print(f"best mean CV accuracy: {search.best_score_:.3f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# Mean CV accuracy as a (width, learning rate) table. GridSearchCV orders the
# candidates with the last parameter of the sorted names varying fastest.
scores = search.cv_results_["mean_test_score"].reshape(len(widths), -1)
print("\nmean CV accuracy (rows: kernel width, columns: learning rate)")
print(f"{'':>8}" + "".join(f"{lr:>8g}" for lr in learning_rates))
for width, line in zip(widths, scores, strict=True):
    print(f"{width:>8g}" + "".join(f"{v:>8.3f}" for v in line))


fig, ax = plt.subplots(figsize=(5.5, 4))
image = ax.imshow(scores, vmin=0.5, vmax=1.0, cmap="viridis", aspect="auto")
for i in range(len(widths)):
    for j in range(len(learning_rates)):
        ax.text(
            j,
            i,
            f"{scores[i, j]:.2f}",
            ha="center",
            va="center",
            color="white" if scores[i, j] < 0.8 else "black",
        )
ax.set_xticks(np.arange(len(learning_rates)), [f"{v:g}" for v in learning_rates])
ax.set_yticks(np.arange(len(widths)), [f"{v:g}" for v in widths])
ax.set_xlabel("learning rate (SGD)")
ax.set_ylabel("kernel width s")
ax.set_title("EEM-LSTM on embedded Reber: mean 3-fold CV accuracy")
fig.colorbar(image, ax=ax, label="accuracy")
fig.tight_layout()
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
    print(f"figure written to {sys.argv[1]}")
else:
    plt.show()
