"""EEMLSTMRegressor against independent expectations.

predict is recomputed from ``params_`` by a plain NumPy LSTM (the helpers of
``tests/test_lstm.py``), a plain SGD step against the engine's gradient and
a finite-difference gradient of the objective written from its formula,
the width rules by hand, sample weights against repeated rows, the input
layouts against each other, and the forecasting workflow on lagged pandas
frames.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data
from test_lstm import _central_differences, _hand_width, _np_init, _np_logits

from skentropy import EEMLSTMRegressor
from skentropy._engine import LOSSES, SequenceNetwork
from skentropy.sequences import LagFeatures, to_3d


def _task(n=30, steps=4, channels=2, n_outputs=1, seed=0):
    """Targets that need the first and the last step, with a constant shift."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, channels))
    y = np.stack(
        [X[:, 0, 0] + 0.5 * k * X[:, -1, 1] + 3.0 for k in range(n_outputs)], axis=1
    )
    return X, (y[:, 0] if n_outputs == 1 else y)


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _np_objective(params, X, Y, w, *, hidden, loss, width, objective, alpha):
    """The documented batch objective, from the formulas (identity outputs)."""
    n, c = Y.shape
    w = np.ones(n) if w is None else w
    e = Y - _np_logits(params, X, hidden, c)
    if loss == "squared_error":
        value = np.average(0.5 * (e**2).sum(axis=1), weights=w)
    else:  # the batch's joint error vectors are the Parzen sample
        d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(axis=2)
        kernel = np.exp(-d2 / (2 * width**2)) / (2 * np.pi * width**2) ** (c / 2)
        v = w @ kernel @ w / w.sum() ** 2
        value = -np.log(v) if objective == "log" else -v
    gates, n_lstm, total = 4, *_np_sizes(X.shape[2], hidden, c)
    mask = np.ones(total, dtype=bool)
    mask[n_lstm - gates * hidden : n_lstm] = False  # LSTM biases
    mask[total - c :] = False  # output biases
    return value + 0.5 * alpha * (params[mask] @ params[mask]) / w.sum()


def _np_sizes(n_inputs, hidden, n_outputs):
    n_lstm = (n_inputs + hidden + 1) * 4 * hidden
    return n_lstm, n_lstm + hidden * n_outputs + n_outputs


@pytest.mark.parametrize(
    "loss, n_outputs, forget_gate",
    [("eem", 1, True), ("eem", 2, False), ("squared_error", 2, True)],
)
def test_predict_is_a_numpy_lstm_plus_the_offset(loss, n_outputs, forget_gate):
    """params_ layout, offset_ (mean training error for eem) and predict,
    recomputed with a plain NumPy LSTM; 1-D y gives 1-D predictions."""
    X, y = _task(n_outputs=n_outputs)
    reg = _fit(
        EEMLSTMRegressor(
            hidden_size=3,
            loss=loss,
            forget_gate=forget_gate,
            max_iter=5,
            learning_rate_init=0.05,
            random_state=0,
        ),
        X,
        y,
    )
    gates = 4 if forget_gate else 3
    assert reg.params_.shape == ((2 + 3 + 1) * gates * 3 + 3 * n_outputs + n_outputs,)
    assert reg.n_outputs_ == n_outputs
    z = _np_logits(reg.params_, X, 3, n_outputs, forget_gate)
    Y = y.reshape(len(y), -1)
    if loss == "eem":
        # The entropy cannot see the targets' shift of 3: the offset restores it.
        np.testing.assert_allclose(reg.offset_, (Y - z).mean(axis=0), atol=1e-12)
        assert np.abs(reg.offset_).min() > 1.0
    else:
        np.testing.assert_array_equal(reg.offset_, 0.0)
    expected = (z + reg.offset_).reshape(y.shape)
    assert reg.predict(X).shape == y.shape
    np.testing.assert_allclose(reg.predict(X), expected, rtol=0, atol=1e-12)


def test_offset_is_the_weighted_mean_training_error():
    X, y = _task()
    sw = np.linspace(0.2, 3.0, len(y))
    reg = EEMLSTMRegressor(hidden_size=3, max_iter=3, random_state=0)
    reg = _fit(reg, X, y, sample_weight=sw)
    z = _np_logits(reg.params_, X, 3, 1)[:, 0]
    assert reg.offset_[0] == pytest.approx(np.average(y - z, weights=sw), rel=1e-12)


@pytest.mark.parametrize(
    "loss, eem_objective, weighted, alpha, n_outputs",
    [
        ("eem", "log", False, 0.0, 1),
        ("eem", "ip", False, 0.0, 1),
        ("eem", "log", True, 0.3, 2),
        ("eem", "ip", True, 0.0, 2),
        ("squared_error", "log", True, 0.3, 1),
    ],
)
def test_one_full_batch_sgd_step_is_minus_lr_times_the_gradient(
    loss, eem_objective, weighted, alpha, n_outputs
):
    """Plain full-batch SGD moves params_ by -lr times the engine's gradient
    (SequenceNetwork.loss_grad, identity head, LOSSES at the given width and
    objective), which is the finite-difference gradient of the formula."""
    X, y = _task(n=12, n_outputs=n_outputs)
    Y = y.reshape(len(y), -1)
    sw = np.linspace(0.5, 2.0, len(y)) if weighted else None
    lr, width = 0.1, 0.8
    reg = EEMLSTMRegressor(
        hidden_size=2,
        loss=loss,
        kernel_width=width,
        eem_objective=eem_objective,
        alpha=alpha,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        batch_size=len(y),
        shuffle=False,
        max_iter=1,
        warm_start=True,
        random_state=0,
    )
    before = _fit(reg, X, y, sample_weight=sw).params_.copy()
    after = _fit(reg, X, y, sample_weight=sw).params_
    network = SequenceNetwork(2, 2, n_outputs, "identity")
    grad = np.empty_like(before)
    entry = "eem_samples" if loss == "eem" else "squared_error"
    network.loss_grad(
        before,
        X,
        Y,
        grad,
        LOSSES[entry],
        sample_weight=sw,
        alpha=alpha,
        loss_params={"kernel_width": width, "objective": eem_objective},
    )
    np.testing.assert_allclose((before - after) / lr, grad, rtol=1e-10, atol=1e-13)
    settings = dict(
        hidden=2, loss=loss, width=width, objective=eem_objective, alpha=alpha
    )
    expected = _central_differences(
        lambda p: _np_objective(p, X, Y, sw, **settings), before
    )
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)
    params0, _ = _np_init(0, 2, 2, n_outputs)
    assert reg.loss_curve_[0] == pytest.approx(
        _np_objective(params0, X, Y, sw, **settings), rel=1e-10
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "rule, n_outputs",
    [("silverman", 1), ("normal_reference", 1), ("normal_reference", 2)],
)
def test_width_rule_is_the_hand_rule_on_the_initial_joint_errors(
    rule, n_outputs, weighted
):
    """kernel_width_ is the rule by hand on the initial errors y - output
    (joint vectors, one Parzen sample per batch of 16 rows of the mean
    weight); giving that float
    is the same fit; squared_error resolves no width."""
    X, y = _task(n_outputs=n_outputs)
    counts = np.arange(len(y)) % 3 + 1 if weighted else None
    sw = None if counts is None else counts.astype(float)
    common = dict(hidden_size=3, max_iter=3, random_state=2, batch_size=16)
    reg = _fit(EEMLSTMRegressor(kernel_width=rule, **common), X, y, sample_weight=sw)
    params0, _ = _np_init(2, 2, 3, n_outputs)
    errors = y.reshape(len(y), -1) - _np_logits(params0, X, 3, n_outputs)
    set_size = 16 if counts is None else 16 * counts.mean()  # weights: repeats
    width = _hand_width(rule, errors, counts, set_size)
    assert reg.kernel_width_ == pytest.approx(width, rel=1e-10)
    given = _fit(
        EEMLSTMRegressor(kernel_width=reg.kernel_width_, **common),
        X,
        y,
        sample_weight=sw,
    )
    np.testing.assert_array_equal(reg.params_, given.params_)
    plain = EEMLSTMRegressor(loss="squared_error", kernel_width=rule, **common)
    assert _fit(plain, X, y).kernel_width_ is None


@pytest.mark.parametrize("loss", ["eem", "squared_error"])
def test_full_batch_sample_weights_equal_repeated_rows(loss):
    check_sample_weight_equivalence_on_dense_data(
        "EEMLSTMRegressor",
        EEMLSTMRegressor(
            loss=loss, hidden_size=4, batch_size=10_000, max_iter=20, random_state=0
        ),
    )


def test_2d_time_major_input_equals_3d():
    X, y = _task(n_outputs=2)
    three = _fit(EEMLSTMRegressor(hidden_size=4, max_iter=3, random_state=0), X, y)
    two = _fit(
        EEMLSTMRegressor(hidden_size=4, max_iter=3, n_channels=2, random_state=0),
        X.reshape(len(X), -1),
        y,
    )
    np.testing.assert_array_equal(three.params_, two.params_)
    np.testing.assert_array_equal(two.predict(X), three.predict(X.reshape(len(X), -1)))
    assert (two.n_timesteps_, two.n_channels_, two.n_features_in_) == (4, 2, 8)


def test_column_target_warns_and_predicts_1d():
    X, y = _task()
    with pytest.warns(DataConversionWarning):
        column = _fit(
            EEMLSTMRegressor(hidden_size=3, max_iter=2, random_state=0), X, y[:, None]
        )
    flat = _fit(EEMLSTMRegressor(hidden_size=3, max_iter=2, random_state=0), X, y)
    assert column.predict(X).shape == (len(y),)
    np.testing.assert_array_equal(column.predict(X), flat.predict(X))


@pytest.mark.parametrize("loss", ["eem", "squared_error"])
def test_forecasts_a_lagged_two_series_frame_in_a_pipeline(loss):
    """LagFeatures builds the frame; a Pipeline scales it and fits the LSTM.
    The fit predicts as the same network on the to_3d sequences."""
    t = np.arange(260)
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "a": np.sin(0.3 * t) + 0.05 * rng.normal(size=260),
            "b": np.cos(0.2 * t) + 0.05 * rng.normal(size=260),
        }
    )
    lagger = LagFeatures(lags=6).set_output(transform="pandas")
    lagged = lagger.fit_transform(frame)
    X, y = lagged.iloc[:-1], frame[["a", "b"]].to_numpy()[6:]  # next step
    pipe = make_pipeline(
        StandardScaler(),
        EEMLSTMRegressor(
            hidden_size=8,
            n_channels=lagger.n_channels_,
            loss=loss,
            max_iter=60,
            random_state=0,
        ),
    )
    _fit(pipe, X, y)
    reg = pipe[-1]
    assert list(pipe.feature_names_in_) == list(lagged.columns)
    assert (reg.n_timesteps_, reg.n_channels_, reg.n_outputs_) == (6, 2, 2)
    assert pipe.score(X, y) > 0.9
    sequences = to_3d(pipe[0].transform(X), n_channels=2)
    expected = _np_logits(reg.params_, sequences, 8, 2) + reg.offset_
    np.testing.assert_allclose(pipe.predict(X), expected, rtol=0, atol=1e-10)


def test_early_stopping_scores_r2_with_the_offset():
    """The held-out rows are train_test_split on the fit's stream after the
    initial weights; the score is R^2 of output + training-rows offset."""
    X, y = _task(n=40)
    reg = _fit(
        EEMLSTMRegressor(
            hidden_size=3,
            early_stopping=True,
            validation_fraction=0.25,
            max_iter=1,
            random_state=4,
        ),
        X,
        y,
    )
    _, rng = _np_init(4, 2, 3, 1)
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, random_state=rng, test_size=0.25)
    offset = np.mean(y_tr - _np_logits(reg.params_, X_tr, 3, 1)[:, 0])
    assert reg.offset_[0] == pytest.approx(offset, rel=1e-12)
    pred = _np_logits(reg.params_, X_val, 3, 1)[:, 0] + offset
    assert reg.validation_scores_ == [pytest.approx(r2_score(y_val, pred), rel=1e-10)]


@pytest.mark.parametrize("loss", ["eem", "squared_error"])
def test_divergence_warns_and_predicts_finite_values(loss):
    # The loss grows without improving: n_iter_no_change=inf keeps training
    # until the outputs overflow (or the errors leave the kernel's reach).
    X, y = _task()
    reg = EEMLSTMRegressor(
        loss=loss,
        n_iter_no_change=np.inf,
        solver="sgd",
        momentum=0.0,
        alpha=1.0,
        learning_rate_init=1e6,
        max_iter=50,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.fit(X, y)
    assert reg.n_iter_ < 50
    assert np.isfinite(reg.params_).all() and np.isfinite(reg.offset_).all()
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("loss", ["eem", "squared_error"])
def test_partial_fit_continues_the_fit(loss):
    X, y = _task()
    a = EEMLSTMRegressor(hidden_size=3, loss=loss, random_state=0)
    a.partial_fit(X, y)
    a.partial_fit(X, y)
    b = EEMLSTMRegressor(hidden_size=3, loss=loss, max_iter=2, random_state=0)
    b = _fit(b, X, y)
    # One full batch per epoch, summed in another shuffled order: round-off.
    # eem gives the output bias no gradient but round-off, which Adam scales
    # up to steps of the learning rate; offset_ absorbs any bias, so compare
    # the other parameters and the predictions.
    free = slice(None, -1) if loss == "eem" else slice(None)
    np.testing.assert_allclose(a.params_[free], b.params_[free], rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=0, atol=1e-12)


def test_clear_errors():
    X, y = _task()
    with pytest.raises(InvalidParameterError, match="kernel_width"):
        EEMLSTMRegressor(kernel_width=0.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="kernel_width"):
        EEMLSTMRegressor(kernel_width=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        EEMLSTMRegressor().fit(X, None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        EEMLSTMRegressor().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        EEMLSTMRegressor().fit(X, np.where(y > 3, np.nan, y))
    reg = _fit(EEMLSTMRegressor(hidden_size=3, max_iter=1), X, y)
    with pytest.raises(ValueError, match=r"3 channels per time step.*fitted with 2"):
        reg.predict(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="same network"):
        reg.set_params(warm_start=True).fit(X, np.c_[y, y])
