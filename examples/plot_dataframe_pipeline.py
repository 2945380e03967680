"""
A pandas DataFrame pipeline with MinEntMLPClassifier
====================================================

:class:`skentropy.MinEntMLPClassifier` is a drop-in for
:class:`~sklearn.neural_network.MLPClassifier`, so it takes its place in the
usual DataFrame workflow: a :class:`~sklearn.compose.ColumnTransformer`
standardises the numeric columns and one-hot encodes the categorical ones,
``set_output(transform="pandas")`` keeps the column names all the way to
the network (its ``feature_names_in_``), and the fitted pipeline's
predictions go back into a DataFrame with the rows' own index.

The data are a simulated table of 1500 subscribers of a service, with four
numeric columns (age, tenure, monthly charge, support calls), three
categorical ones (contract, payment method, region; strings) and the
outcome to predict, ``next_year``: ``"stays"``, ``"downgrades"`` or
``"leaves"``. The outcome is drawn from a multinomial logit of a few of the
columns, so even the best model makes mistakes: the example prints the
test accuracy of the outcome the true probabilities make most likely, the
ceiling for any model (in expectation).

The example compares the pipeline with ``MinEntMLPClassifier`` (the default
``loss="min_ent"``) and the same pipeline with ``MLPClassifier`` by 5-fold
cross-validated accuracy on the training part, fits both on the training
part, prints a few test predictions as a DataFrame, and draws (a) the
confusion matrix of ``MinEntMLPClassifier`` on the test part and (b) both
training loss curves.

Run it from the repository root::

    python examples/plot_dataframe_pipeline.py [figure.png]

With a path the figure is saved there; without one it is shown on screen.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skentropy import MinEntMLPClassifier

OUTCOMES = ["stays", "downgrades", "leaves"]


# %%
# A mixed-type DataFrame
# ----------------------
# Month-to-month contracts, short tenures, many support calls and high
# charges raise the odds of leaving; age and region play no part.
def make_subscribers(n, random_state=0):
    rng = np.random.default_rng(random_state)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "tenure_months": rng.gamma(2.0, 12.0, n).round(),
            "monthly_charge": rng.normal(60.0, 20.0, n).clip(10).round(2),
            "support_calls": rng.poisson(1.5, n),
            "contract": rng.choice(
                ["month-to-month", "one year", "two years"], n, p=[0.5, 0.3, 0.2]
            ),
            "payment": rng.choice(["card", "bank transfer", "cheque"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    frame["contract"] = frame["contract"].astype("category")
    month_to_month = (frame["contract"] == "month-to-month").to_numpy()
    two_years = (frame["contract"] == "two years").to_numpy()
    calls = frame["support_calls"].to_numpy()
    charge = (frame["monthly_charge"].to_numpy() - 60.0) / 20.0
    tenure = np.log1p(frame["tenure_months"].to_numpy())
    cheque = (frame["payment"] == "cheque").to_numpy()
    # Scores of "downgrades" and "leaves" against "stays" (score 0).
    downgrade = -1.5 + 1.2 * charge + 0.4 * calls - 0.8 * two_years
    leave = -2.0 + 2.0 * month_to_month + 0.7 * calls - 0.9 * (tenure - 2.8)
    leave += 0.5 * charge + 0.6 * cheque - 1.5 * two_years
    scores = np.column_stack([np.zeros(n), downgrade, leave])
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    outcome = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    frame.index = pd.Index([f"S{i:05d}" for i in range(n)], name="subscriber")
    y = pd.Series(np.array(OUTCOMES)[outcome], frame.index, name="next_year")
    # The outcome the true probabilities make most likely: the best any model
    # can predict.
    best = pd.Series(np.array(OUTCOMES)[p.argmax(axis=1)], frame.index)
    return frame, y, best


X, y, best_guess = make_subscribers(1500)
print(X.head().to_string(), end="\n\n")
print(X.dtypes.to_string(), end="\n\n")
print(y.value_counts().to_string(), end="\n\n")
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Column transformer and network, with pandas output
# --------------------------------------------------
# The columns are picked by name. ``sparse_output=False`` gives the one-hot
# columns as a dense DataFrame, which pandas output requires.
numeric = ["age", "tenure_months", "monthly_charge", "support_calls"]
categorical = ["contract", "payment", "region"]


def pipeline(classifier):
    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(sparse_output=False), categorical),
        ]
    )
    return make_pipeline(columns, classifier).set_output(transform="pandas")


common = {
    "hidden_layer_sizes": (32,),
    "alpha": 1e-3,
    "max_iter": 300,
    "early_stopping": True,
    "random_state": 0,
}
models = {
    "MinEntMLPClassifier": pipeline(MinEntMLPClassifier(**common)),
    "MLPClassifier": pipeline(MLPClassifier(**common)),
}

# %%
# Cross-validated accuracy on the training part
# ---------------------------------------------
# One BLAS thread: the problem is small, and extra threads only contend
# for the cores.
folds = StratifiedKFold(5, shuffle=True, random_state=0)
with warnings.catch_warnings(), threadpool_limits(1):
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        scores = cross_val_score(model, X_train, y_train, cv=folds)
        model.fit(X_train, y_train)
        print(
            f"{name:<20} 5-fold CV accuracy {scores.mean():.3f} "
            f"(std {scores.std():.3f}), test accuracy {model.score(X_test, y_test):.3f}"
        )

best_accuracy = np.mean(best_guess.loc[X_test.index] == y_test)
print(f"{'the true probabilities':<20} test accuracy {best_accuracy:.3f}")

# %%
# The network saw the transformer's column names.
clf = models["MinEntMLPClassifier"][-1]
print(f"\n{clf.n_features_in_} input columns: {', '.join(clf.feature_names_in_)}\n")

# %%
# Predictions back into a DataFrame
# ---------------------------------
# One column per class probability (in the order of ``classes_``), the
# predicted and the true outcome, indexed by subscriber.
model = models["MinEntMLPClassifier"]
predictions = pd.DataFrame(
    model.predict_proba(X_test),
    index=X_test.index,
    columns=[f"P({c})" for c in model.classes_],
).assign(predicted=model.predict(X_test), true=y_test)
print(predictions.head(8).round(3).to_string())

# %%
# Confusion matrix and loss curves
# --------------------------------
# The loss curves are each network's own training objective: the cross
# entropy for ``MLPClassifier``, the cross entropy plus ``0.1 * H(p)`` for
# ``MinEntMLPClassifier``. Both stop when the accuracy on their validation
# split (10 % of the training rows) has not improved for 10 epochs.
fig, (ax_cm, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.8))
ConfusionMatrixDisplay.from_predictions(
    y_test,
    predictions["predicted"],
    labels=OUTCOMES,
    cmap="Blues",
    colorbar=False,
    ax=ax_cm,
)
ax_cm.set_title("(a) MinEntMLPClassifier, test part")
for (name, model), objective in zip(
    models.items(), ["cross entropy + 0.1 H(p)", "cross entropy"], strict=True
):
    curve = model[-1].loss_curve_
    ax_loss.plot(np.arange(1, len(curve) + 1), curve, label=f"{name}: {objective}")
ax_loss.set(
    xlabel="epoch",
    ylabel="training loss",
    title="(b) training loss per epoch",
)
ax_loss.legend()
fig.tight_layout()
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
    print(f"figure written to {sys.argv[1]}")
else:
    plt.show()
