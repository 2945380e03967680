"""EEMMLPRegressor: each parameter against an independent expectation.

Expectations come from outside the estimator: scikit-learn's MLPRegressor
(``loss="squared_error"``), direct calls of the engine's
``error_entropy_and_grad`` on hand-computed errors, hand formulas for the
kernel-width rule, the offset and the forward pass.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

from skentropy import EEMMLPRegressor
from skentropy._engine import TRAINING_EXACT_MAX_SAMPLES, error_entropy_and_grad


def _data(n=120, d=4, outputs=1, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    Y = np.column_stack(
        [np.sin(X[:, k]) + 0.5 * X[:, k + 1] for k in range(outputs)]
    ) + 0.1 * rng.normal(size=(n, outputs))
    return X, (Y[:, 0] if outputs == 1 else Y)


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _forward(est, X):
    """The network's outputs by hand (ReLU hidden layers, linear output)."""
    a = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
        a = a @ W + b
        if i < len(est.coefs_) - 1:
            a = np.maximum(a, 0)
    return a


def _initial_linear(seed, d):
    """The initial weights of a network without hidden layers (Glorot, as sklearn)."""
    rng = np.random.RandomState(seed)
    bound = np.sqrt(6.0 / (d + 1))
    return rng.uniform(-bound, bound, (d, 1)), rng.uniform(-bound, bound, 1)


# -- the squared-error baseline is MLPRegressor ------------------------------------
# One output: the same objective, so every solver reproduces MLPRegressor.
# Several outputs: MLPRegressor's gradient is that of the squared error
# summed over the outputs (ours), but the loss it reports (and hands to
# L-BFGS) is the mean over the outputs, so loss_ is ours / n_outputs and
# L-BFGS, whose line search reads the value, differs by design (and the L2
# term is added once to either, so loss_ is not simply scaled).
@pytest.mark.parametrize(
    "solver, params, outputs",
    [
        ("adam", {}, 1),
        ("sgd", {"learning_rate_init": 0.01}, 1),
        ("lbfgs", {}, 1),
        ("adam", {}, 2),
        ("sgd", {"learning_rate_init": 0.01}, 2),
    ],
)
def test_squared_error_reproduces_mlpregressor(solver, params, outputs):
    X, y = _data(outputs=outputs)
    common = dict(
        hidden_layer_sizes=(16, 8),
        solver=solver,
        max_iter=25,
        random_state=0,
        alpha=1e-3,
        **params,
    )
    ref = _quiet_fit(MLPRegressor(**common), X, y)
    ours = _quiet_fit(EEMMLPRegressor(loss="squared_error", **common), X, y)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=0, atol=1e-10)
    assert ours.predict(X).shape == ref.predict(X).shape
    assert ours.n_iter_ == ref.n_iter_
    if outputs == 1:  # else ours is the sum over outputs (the L2 term once)
        assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-9)
    np.testing.assert_array_equal(ours.offset_, np.zeros(outputs))
    assert ours.kernel_width_ is None


def test_early_stopping_scores_like_mlpregressor_for_squared_error():
    X, y = _data(n=200)
    common = dict(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        max_iter=30,
        random_state=0,
        learning_rate_init=0.01,
    )
    ref = _quiet_fit(MLPRegressor(**common), X, y)
    ours = _quiet_fit(EEMMLPRegressor(loss="squared_error", **common), X, y)
    np.testing.assert_allclose(
        ours.validation_scores_, ref.validation_scores_, rtol=1e-9
    )
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-10)


def test_early_stopping_score_is_r2_of_offset_corrected_predictions():
    X, y = _data(n=200)
    seed, d, hidden = 3, X.shape[1], 8
    est = _quiet_fit(
        EEMMLPRegressor(
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
    # The held-out rows: the fit's random stream after the initialisation.
    rng = np.random.RandomState(seed)
    for fan_in, fan_out in [(d, hidden), (hidden, 1)]:
        rng.uniform(size=(fan_in, fan_out))
        rng.uniform(size=fan_out)
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, random_state=rng, test_size=0.1)
    # Restored to the best epoch, whose score used the offset predict uses.
    assert est.best_validation_score_ == pytest.approx(
        r2_score(y_val, est.predict(X_val)), rel=1e-9
    )
    # offset_ comes from the training rows only.
    np.testing.assert_allclose(est.offset_, np.mean(y_tr - _forward(est, X_tr)[:, 0]))


# -- the entropy loss is the engine's, with every setting passed through ---------
@pytest.mark.parametrize("objective", ["log", "ip"])
@pytest.mark.parametrize("estimator", ["exact", "binned"])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_sgd_step_follows_the_engine_gradient(objective, estimator, weighted):
    X, y = _data(n=60, d=3)
    w = np.random.RandomState(1).randint(1, 4, size=60) * 0.5 if weighted else None
    lr, width = 0.05, 0.7
    est = EEMMLPRegressor(
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
    errors = y - (X @ W0 + b0)[:, 0]
    value, grad = error_entropy_and_grad(
        errors, width, w, objective=objective, method=estimator
    )
    _quiet_fit(est, X, y, sample_weight=w)
    # dL/dW = X^T dL/dpred = -X^T dL/de (the weighted mean's factor cancels).
    np.testing.assert_allclose(est.coefs_[0][:, 0], W0[:, 0] + lr * X.T @ grad)
    np.testing.assert_allclose(est.intercepts_[0], b0 + lr * grad.sum(), atol=1e-12)
    assert est.loss_curve_[-1] == pytest.approx(value, rel=1e-12)
    assert est.kernel_width_ == width


def test_binned_estimator_is_close_to_exact_on_one_output():
    X, y = _data(n=2100, d=3)
    common = dict(
        hidden_layer_sizes=(8,),
        batch_size=2100,
        max_iter=5,
        learning_rate_init=0.01,
        kernel_width=0.5,
        random_state=0,
    )
    fits = {
        method: _quiet_fit(EEMMLPRegressor(entropy_estimator=method, **common), X, y)
        for method in ("exact", "binned", "auto")
    }
    exact, binned = fits["exact"].predict(X), fits["binned"].predict(X)
    assert not np.array_equal(exact, binned)
    np.testing.assert_allclose(binned, exact, rtol=0, atol=1e-3 * np.ptp(exact))
    np.testing.assert_array_equal(fits["auto"].predict(X), binned)


@pytest.mark.parametrize(
    "batch_size, expected",
    [(TRAINING_EXACT_MAX_SAMPLES, "exact"), (TRAINING_EXACT_MAX_SAMPLES + 1, "binned")],
)
def test_auto_estimator_bins_batches_beyond_the_speed_crossover(batch_size, expected):
    X, y = _data(n=batch_size, d=3)
    common = dict(hidden_layer_sizes=(4,), batch_size=batch_size, max_iter=3)
    common.update(kernel_width=0.5, random_state=0)
    auto = _quiet_fit(EEMMLPRegressor(**common), X, y)  # the default is "auto"
    other = "binned" if expected == "exact" else "exact"
    same = _quiet_fit(EEMMLPRegressor(entropy_estimator=expected, **common), X, y)
    differ = _quiet_fit(EEMMLPRegressor(entropy_estimator=other, **common), X, y)
    np.testing.assert_array_equal(auto.predict(X), same.predict(X))
    assert not np.array_equal(auto.predict(X), differ.predict(X))


def test_binned_estimator_refuses_several_outputs():
    X, y = _data(outputs=2)
    with pytest.raises(ValueError, match="entropy_estimator='binned' handles one"):
        EEMMLPRegressor(entropy_estimator="binned").fit(X, y)


# -- kernel width ----------------------------------------------------------------
def test_silverman_width_is_the_hand_rule_on_the_initial_errors():
    X, y = _data(n=150, d=3)
    W0, b0 = _initial_linear(0, 3)
    e = y - (X @ W0 + b0)[:, 0]
    q1, q3 = np.percentile(e, [25, 75])
    sigma = 0.9 * min(e.std(), (q3 - q1) / 1.34) * 150 ** (-0.2)
    hand = np.sqrt(2) * sigma
    common = dict(hidden_layer_sizes=(), max_iter=10, random_state=0)
    rule = _quiet_fit(EEMMLPRegressor(kernel_width="silverman", **common), X, y)
    fixed = _quiet_fit(EEMMLPRegressor(kernel_width=hand, **common), X, y)
    assert rule.kernel_width_ == pytest.approx(hand, rel=1e-12)
    np.testing.assert_allclose(rule.predict(X), fixed.predict(X), rtol=1e-12)


def test_width_rule_uses_the_batch_as_parzen_sample():
    X, y = _data(n=150, d=3)
    W0, b0 = _initial_linear(0, 3)
    e = y - (X @ W0 + b0)[:, 0]
    hand = e.std() * (4.0 / (3 * 50)) ** 0.2 * np.sqrt(2)  # 1.06 std N^-1/5, N=50
    est = EEMMLPRegressor(
        hidden_layer_sizes=(),
        kernel_width="normal_reference",
        batch_size=50,
        max_iter=1,
        random_state=0,
    )
    assert _quiet_fit(est, X, y).kernel_width_ == pytest.approx(hand, rel=1e-12)


@pytest.mark.parametrize("width", [0, -1.0, "scott"])
def test_bad_kernel_width_is_a_clear_error(width):
    X, y = _data()
    with pytest.raises(ValueError, match="'kernel_width' parameter"):
        EEMMLPRegressor(kernel_width=width).fit(X, y)


# -- offset ----------------------------------------------------------------------
@pytest.mark.parametrize("outputs", [1, 2])
def test_offset_is_the_weighted_mean_training_error_added_at_predict(outputs):
    X, y = _data(outputs=outputs)
    w = np.random.RandomState(2).uniform(0.5, 2, size=X.shape[0])
    est = _quiet_fit(
        EEMMLPRegressor(hidden_layer_sizes=(10,), max_iter=20, random_state=0),
        X,
        y,
        sample_weight=w,
    )
    out = _forward(est, X)
    Y = y.reshape(len(y), -1)
    expected = (w[:, None] * (Y - out)).sum(axis=0) / w.sum()
    np.testing.assert_allclose(est.offset_, expected, rtol=1e-10)
    assert np.abs(est.offset_).max() > 1e-3  # the entropy left a real shift
    pred = est.predict(X)
    assert pred.shape == y.shape
    np.testing.assert_allclose(pred.reshape(Y.shape), out + expected, rtol=1e-12)


# -- sample weights, partial_fit, warm start --------------------------------------
@pytest.mark.parametrize("outputs", [1, 2])
def test_integer_weights_equal_repeated_rows_with_a_full_batch(outputs):
    X, y = _data(n=40, outputs=outputs)
    w = np.random.RandomState(3).randint(0, 4, size=40)
    common = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0, shuffle=False)
    weighted = _quiet_fit(EEMMLPRegressor(**common), X, y, sample_weight=w)
    repeated = _quiet_fit(
        EEMMLPRegressor(**common), np.repeat(X, w, axis=0), np.repeat(y, w, axis=0)
    )
    assert weighted.kernel_width_ == pytest.approx(repeated.kernel_width_, rel=1e-12)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9)


def test_partial_fit_epochs_equal_fit_epochs():
    X, y = _data()
    common = dict(hidden_layer_sizes=(8,), random_state=0, shuffle=False, batch_size=40)
    fitted = _quiet_fit(EEMMLPRegressor(max_iter=3, **common), X, y)
    online = EEMMLPRegressor(**common)
    for _ in range(3):
        online.partial_fit(X, y)
    width = online.kernel_width_
    assert width == fitted.kernel_width_
    np.testing.assert_allclose(online.predict(X), fitted.predict(X), rtol=1e-12)
    assert online.n_iter_ == 1
    online.partial_fit(X + 1.0, y)  # the rule's width is kept, not re-estimated
    assert online.kernel_width_ == width
    assert not hasattr(EEMMLPRegressor(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_the_fit():
    X, y = _data()
    # Plain SGD keeps no state between fits: two warm fits = one longer fit.
    common = dict(
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.01,
        random_state=0,
        shuffle=False,
    )
    once = _quiet_fit(EEMMLPRegressor(max_iter=4, **common), X, y)
    warm = EEMMLPRegressor(max_iter=2, warm_start=True, **common)
    _quiet_fit(warm, X, y)
    _quiet_fit(warm, X, y)
    np.testing.assert_allclose(warm.predict(X), once.predict(X), rtol=1e-12)
    cold = _quiet_fit(EEMMLPRegressor(max_iter=2, **common), X, y)
    assert not np.allclose(cold.predict(X), once.predict(X))


# -- pandas ------------------------------------------------------------------------
def test_dataframe_in_and_dataframe_targets():
    X, Y = _data(outputs=2)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    targets = pd.DataFrame(Y, columns=["u", "v"])
    common = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    est = _quiet_fit(EEMMLPRegressor(**common), frame, targets)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    plain = _quiet_fit(EEMMLPRegressor(**common), X, Y)
    np.testing.assert_array_equal(est.predict(frame), plain.predict(X))
    assert est.predict(frame).shape == (len(X), 2)
    series = _quiet_fit(EEMMLPRegressor(**common), frame, targets["u"])
    assert series.predict(frame).shape == (len(X),)
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X)


# -- robustness and failure --------------------------------------------------------
def test_eem_beats_squared_error_on_impulsive_noise():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(200, 1))
    clean = np.sin(2 * X[:, 0])
    noise = 0.05 * rng.normal(size=200)
    hit = rng.rand(200) < 0.1
    noise[hit] += (
        4.0 * rng.choice([-1, 1], size=hit.sum()) * rng.uniform(1, 2, hit.sum())
    )
    y = clean + noise
    X_test = np.linspace(-2, 2, 200).reshape(-1, 1)
    truth = np.sin(2 * X_test[:, 0])
    rmse = {}
    for loss in ("eem", "squared_error"):
        est = EEMMLPRegressor(
            hidden_layer_sizes=(20,),
            loss=loss,
            learning_rate_init=0.01,
            max_iter=300,
            random_state=0,
        )
        pred = _quiet_fit(est, X, y).predict(X_test)
        rmse[loss] = np.sqrt(np.mean((pred - truth) ** 2))
    assert rmse["eem"] < 0.5 * rmse["squared_error"]


@pytest.mark.parametrize("loss", ["eem", "squared_error"])
def test_divergence_warns_and_predictions_stay_finite(loss):
    X, y = _data()
    est = EEMMLPRegressor(
        loss=loss,
        solver="sgd",
        learning_rate_init=1e4,
        alpha=1.0,
        hidden_layer_sizes=(16,),
        max_iter=50,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged in epoch"):
        est.fit(X, y)
    assert est.n_iter_ < 50
    assert np.isfinite(est.predict(X)).all()
    assert np.isfinite(est.offset_).all()
