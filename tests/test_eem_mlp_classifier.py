"""EEMMLPClassifier: each parameter against an independent expectation.

Expectations come from outside the estimator: scikit-learn's MLPClassifier
(``loss="cross_entropy"``), direct calls of the engine's
``error_entropy_and_grad`` on hand-computed errors of hand-initialised
weights, hand formulas for the squared-error gradient, the kernel-width
rules, the offset and the forward pass from ``coefs_`` and ``offset_``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from skentropy import EEMMLPClassifier
from skentropy._engine import error_entropy_and_grad


def _data(problem, n=90, d=4, seed=0):
    """Inputs, labels and the indicator targets the network is trained on."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    if problem == "multilabel":
        y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5])
        y = y.astype(int)
        return X, y, y.astype(float)
    if problem == "binary":
        y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
        return X, y, (y == "yes").astype(float)[:, None]
    codes = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    y = np.array(["a", "b", "c"])[codes]
    return X, y, np.eye(3)[codes]


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _forward(est, X):
    """The logistic outputs by hand (ReLU hidden layers)."""
    a = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        a = a @ W + b
        if i < len(est.coefs_) - 1:
            a = np.maximum(a, 0)
    return _sigmoid(a)


def _initial_linear(seed, d, c):
    """Initial weights of a network without hidden layers (Glorot, as sklearn)."""
    rng = np.random.RandomState(seed)
    bound = np.sqrt(6.0 / (d + c))
    return rng.uniform(-bound, bound, (d, c)), rng.uniform(-bound, bound, c)


PROBLEMS = ["binary", "multiclass", "multilabel"]


# -- the cross-entropy reference is MLPClassifier --------------------------------------
@pytest.mark.parametrize(
    "problem, solver",
    [
        ("binary", "adam"),
        ("multiclass", "adam"),
        ("multiclass", "sgd"),
        ("multilabel", "adam"),
        ("multiclass", "lbfgs"),
    ],
)
def test_cross_entropy_reproduces_mlpclassifier(problem, solver):
    X, y, _ = _data(problem)
    common = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=20, random_state=0)
    ref = _quiet_fit(MLPClassifier(**common), X, y)
    ours = _quiet_fit(EEMMLPClassifier(loss="cross_entropy", **common), X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-10
    )
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.out_activation_ == ref.out_activation_
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(ours.offset_, np.zeros(ours.n_outputs_))
    assert ours.kernel_width_ is None


# -- the entropy loss is the engine's, on logistic outputs -----------------------------
@pytest.mark.parametrize("objective", ["log", "ip"])
@pytest.mark.parametrize(
    "problem, estimator",
    [("binary", "binned"), ("binary", "exact"), ("multiclass", "exact")],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_one_sgd_step_follows_the_engine_gradient(
    objective, problem, estimator, weighted
):
    X, y, Y = _data(problem, n=60, d=3)
    w = np.random.RandomState(1).randint(1, 4, size=60) * 0.5 if weighted else None
    lr, width = 0.5, 0.8
    est = EEMMLPClassifier(
        hidden_layer_sizes=(),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        batch_size=60,
        shuffle=False,
        max_iter=1,
        warm_start=True,
        kernel_width=width,
        eem_objective=objective,
        entropy_estimator=estimator,
        random_state=0,
    )
    _quiet_fit(est, X, y, sample_weight=w)
    W0, b0 = est.coefs_[0].copy(), est.intercepts_[0].copy()
    p = _sigmoid(X @ W0 + b0)
    value, grad = error_entropy_and_grad(
        Y - p, width, w, objective=objective, method=estimator
    )
    _quiet_fit(est, X, y, sample_weight=w)
    # dL/dz = -dL/de * p (1 - p); the weighted mean's factor cancels.
    dz = -grad.reshape(p.shape) * p * (1 - p)
    np.testing.assert_allclose(est.coefs_[0], W0 - lr * X.T @ dz, rtol=1e-10)
    np.testing.assert_allclose(
        est.intercepts_[0], b0 - lr * dz.sum(axis=0), rtol=1e-10, atol=1e-13
    )
    assert est.loss_curve_[-1] == pytest.approx(value, rel=1e-12)
    assert est.kernel_width_ == width
    assert est.out_activation_ == "logistic"


@pytest.mark.parametrize("problem", ["multiclass", "multilabel"])
def test_squared_error_step_is_the_hand_gradient_on_logistic_outputs(problem):
    X, y, Y = _data(problem, n=50, d=4)
    lr = 0.3
    est = EEMMLPClassifier(
        hidden_layer_sizes=(),
        loss="squared_error",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        shuffle=False,
        max_iter=1,
        warm_start=True,
        random_state=0,
    )
    _quiet_fit(est, X, y)
    W0, b0 = est.coefs_[0].copy(), est.intercepts_[0].copy()
    p = _sigmoid(X @ W0 + b0)
    _quiet_fit(est, X, y)
    dz = (p - Y) * p * (1 - p) / len(X)
    np.testing.assert_allclose(est.coefs_[0], W0 - lr * X.T @ dz, rtol=1e-10)
    np.testing.assert_allclose(est.intercepts_[0], b0 - lr * dz.sum(axis=0))
    hand = 0.5 * np.mean(np.sum((p - Y) ** 2, axis=1))
    assert est.loss_curve_[-1] == pytest.approx(hand, rel=1e-12)
    assert est.out_activation_ == "logistic"
    assert est.kernel_width_ is None


# -- kernel width ----------------------------------------------------------------------
def test_silverman_width_is_the_hand_rule_on_the_initial_binary_errors():
    X, y, Y = _data("binary", n=150, d=3)
    W0, b0 = _initial_linear(0, 3, 1)
    e = (Y - _sigmoid(X @ W0 + b0))[:, 0]
    q1, q3 = np.percentile(e, [25, 75])
    hand = np.sqrt(2) * 0.9 * min(e.std(), (q3 - q1) / 1.34) * 150 ** (-0.2)
    common = dict(hidden_layer_sizes=(), max_iter=5, random_state=0)
    rule = _quiet_fit(EEMMLPClassifier(kernel_width="silverman", **common), X, y)
    fixed = _quiet_fit(EEMMLPClassifier(kernel_width=hand, **common), X, y)
    assert rule.kernel_width_ == pytest.approx(hand, rel=1e-12)
    np.testing.assert_allclose(
        rule.predict_proba(X), fixed.predict_proba(X), rtol=1e-12
    )


def test_normal_reference_width_is_joint_over_outputs_for_a_batch():
    X, y, Y = _data("multiclass", n=150, d=3)
    W0, b0 = _initial_linear(0, 3, 3)
    e = Y - _sigmoid(X @ W0 + b0)
    std = np.sqrt(e.var(axis=0).mean())  # isotropic kernel, d = 3 outputs
    hand = np.sqrt(2) * std * (4.0 / (5 * 50)) ** (1.0 / 7)  # N = batch of 50
    est = EEMMLPClassifier(
        hidden_layer_sizes=(),
        kernel_width="normal_reference",
        batch_size=50,
        max_iter=1,
        random_state=0,
    )
    assert _quiet_fit(est, X, y).kernel_width_ == pytest.approx(hand, rel=1e-12)


@pytest.mark.parametrize("width", [0, -1.0, "scott"])
def test_bad_kernel_width_is_a_clear_error(width):
    X, y, _ = _data("multiclass")
    with pytest.raises(ValueError, match="'kernel_width' parameter"):
        EEMMLPClassifier(kernel_width=width).fit(X, y)


def test_binned_estimator_refuses_several_outputs():
    X, y, _ = _data("multiclass")
    with pytest.raises(ValueError, match="entropy_estimator='binned' handles one"):
        EEMMLPClassifier(entropy_estimator="binned").fit(X, y)


# -- offset and read-out ---------------------------------------------------------------
@pytest.mark.parametrize("problem", PROBLEMS)
def test_offset_and_predict_proba_from_a_hand_forward(problem):
    X, y, Y = _data(problem)
    w = np.random.RandomState(2).uniform(0.5, 2, size=X.shape[0])
    est = _quiet_fit(
        EEMMLPClassifier(
            hidden_layer_sizes=(10,),
            learning_rate_init=0.01,
            max_iter=30,
            random_state=0,
        ),
        X,
        y,
        sample_weight=w,
    )
    out = _forward(est, X)
    offset = (w[:, None] * (Y - out)).sum(axis=0) / w.sum()
    np.testing.assert_allclose(est.offset_, offset, rtol=1e-10)
    assert np.abs(est.offset_).max() > 1e-3  # the entropy left a real shift
    corrected = out + offset
    proba = est.predict_proba(X)
    pred = est.predict(X)
    eps = np.finfo(float).eps
    if problem == "multiclass":
        positive = np.maximum(corrected, 0)
        expected = positive / positive.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(proba, expected, rtol=1e-10)
        np.testing.assert_array_equal(pred, est.classes_[corrected.argmax(axis=1)])
    elif problem == "binary":
        p = np.clip(corrected[:, 0], eps, 1 - eps)
        np.testing.assert_allclose(proba, np.column_stack([1 - p, p]), rtol=1e-10)
        np.testing.assert_array_equal(pred, np.where(p > 0.5, "yes", "no"))
    else:
        np.testing.assert_allclose(proba, np.clip(corrected, eps, 1 - eps))
        np.testing.assert_array_equal(pred, (corrected > 0.5).astype(int))
    assert np.isfinite(np.log(proba[proba > 0])).all()
    assert np.mean(pred == y) > 0.8  # per label for multilabel problems


def test_early_stopping_scores_offset_corrected_predictions_of_held_out_rows():
    X, y, Y = _data("multiclass", n=200)
    seed, d, hidden = 3, X.shape[1], 8
    est = _quiet_fit(
        EEMMLPClassifier(
            hidden_layer_sizes=(hidden,),
            early_stopping=True,
            max_iter=40,
            random_state=seed,
            learning_rate_init=0.01,
            n_iter_no_change=200,
        ),
        X,
        y,
    )
    # The held-out rows: the fit's random stream after the initialisation
    # (not stratified: several outputs, as MLPClassifier splits).
    rng = np.random.RandomState(seed)
    for fan_in, fan_out in [(d, hidden), (hidden, 3)]:
        rng.uniform(size=(fan_in, fan_out))
        rng.uniform(size=fan_out)
    X_tr, X_val, _, y_val, Y_tr, _ = train_test_split(
        X, y, Y, random_state=rng, test_size=0.1
    )
    assert est.best_validation_score_ == pytest.approx(
        accuracy_score(y_val, est.predict(X_val)), rel=1e-12
    )
    np.testing.assert_allclose(
        est.offset_, np.mean(Y_tr - _forward(est, X_tr), axis=0), rtol=1e-10
    )


# -- sample weights, partial_fit, warm start -------------------------------------------
@pytest.mark.parametrize("problem", PROBLEMS)
def test_integer_weights_equal_repeated_rows_with_a_full_batch(problem):
    X, y, _ = _data(problem, n=40)
    w = np.random.RandomState(3).randint(0, 4, size=40)
    common = dict(
        hidden_layer_sizes=(8,),
        kernel_width="normal_reference",
        learning_rate_init=0.01,
        max_iter=15,
        random_state=0,
        shuffle=False,
    )
    weighted = _quiet_fit(EEMMLPClassifier(**common), X, y, sample_weight=w)
    repeated = _quiet_fit(
        EEMMLPClassifier(**common), np.repeat(X, w, axis=0), np.repeat(y, w, axis=0)
    )
    assert weighted.kernel_width_ == pytest.approx(repeated.kernel_width_, rel=1e-12)
    np.testing.assert_allclose(weighted.offset_, repeated.offset_, rtol=1e-9)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-9
    )


def test_partial_fit_epochs_equal_fit_epochs():
    X, y, _ = _data("multiclass")
    common = dict(
        hidden_layer_sizes=(8,),
        kernel_width="silverman",
        random_state=0,
        shuffle=False,
        batch_size=30,
    )
    fitted = _quiet_fit(EEMMLPClassifier(max_iter=3, **common), X, y)
    online = EEMMLPClassifier(**common)
    for _ in range(3):
        online.partial_fit(X, y, classes=["a", "b", "c"])
    width = online.kernel_width_
    assert width == fitted.kernel_width_
    np.testing.assert_allclose(
        online.predict_proba(X), fitted.predict_proba(X), rtol=1e-12
    )
    online.partial_fit(X[y != "a"] + 1.0, y[y != "a"])  # width kept
    assert online.kernel_width_ == width
    with pytest.raises(ValueError, match="classes not in"):
        online.partial_fit(X, np.where(y == "a", "z", y))
    with pytest.raises(ValueError, match="classes"):
        EEMMLPClassifier().partial_fit(X, y)  # classes= needed first
    assert not hasattr(EEMMLPClassifier(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_the_fit():
    X, y, _ = _data("binary")
    # Plain SGD keeps no state between fits: two warm fits = one longer fit.
    common = dict(
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.05,
        random_state=0,
        shuffle=False,
    )
    once = _quiet_fit(EEMMLPClassifier(max_iter=4, **common), X, y)
    warm = EEMMLPClassifier(max_iter=2, warm_start=True, **common)
    _quiet_fit(warm, X, y)
    _quiet_fit(warm, X, y)
    np.testing.assert_allclose(warm.predict_proba(X), once.predict_proba(X), rtol=1e-12)
    cold = _quiet_fit(EEMMLPClassifier(max_iter=2, **common), X, y)
    assert not np.allclose(cold.predict_proba(X), once.predict_proba(X))


# -- pandas ----------------------------------------------------------------------------
def test_dataframe_in():
    X, y, _ = _data("multiclass")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    common = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    est = _quiet_fit(EEMMLPClassifier(**common), frame, pd.Series(y))
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    plain = _quiet_fit(EEMMLPClassifier(**common), X, y)
    np.testing.assert_array_equal(est.predict_proba(frame), plain.predict_proba(X))
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X)


# -- failure ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["eem", "squared_error"])
def test_divergence_warns_and_predictions_stay_finite(loss):
    X, y, _ = _data("multiclass")
    est = EEMMLPClassifier(
        loss=loss,
        solver="sgd",
        learning_rate_init=1e6,
        alpha=1.0,
        hidden_layer_sizes=(16,),
        max_iter=50,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged in epoch"):
        est.fit(X * 1e3, y)
    assert est.n_iter_ < 50
    proba = est.predict_proba(X * 1e3)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(est.offset_).all()
