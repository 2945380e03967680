"""EOMRegressor and make_radiative_transfer: behaviour, workflows, errors."""

import itertools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils._param_validation import InvalidParameterError

from skentropy import EOMRegressor
from skentropy.datasets import (
    RADIATIVE_TRANSFER_FREQUENCIES_GHZ,
    RADIATIVE_TRANSFER_LEVELS_KM,
    make_radiative_transfer,
)


@pytest.fixture(scope="module")
def rt_data():
    X, y = make_radiative_transfer(n_samples=120, random_state=0)
    return MinMaxScaler().fit_transform(X), y


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


# -- the dataset ------------------------------------------------------------------
def test_make_radiative_transfer_shapes_values_and_determinism():
    X, y = make_radiative_transfer(n_samples=300, random_state=1)
    assert X.shape == (300, 22) and y.shape == (300, 58)
    assert len(RADIATIVE_TRANSFER_FREQUENCIES_GHZ) == 58
    assert len(RADIATIVE_TRANSFER_LEVELS_KM) == 11
    temperature, density = X[:, :11], X[:, 11:]
    assert (temperature > 180).all() and (temperature < 340).all()
    assert (density > 0).all() and (np.diff(density.mean(axis=0)) < 0).all()
    assert (y > 2.7).all() and (y < temperature.max()).all()
    mean_tb = y.mean(axis=0)
    line = np.argmin(np.abs(RADIATIVE_TRANSFER_FREQUENCIES_GHZ - 22.235))
    assert mean_tb[line] > mean_tb[0] and mean_tb[line] > mean_tb[28]  # water line
    assert (np.diff(mean_tb[29:]) > 0).all()  # up the oxygen shoulder
    # Brightness temperatures follow humidity in the water channels.
    assert np.corrcoef(density[:, 0], y[:, line])[0, 1] > 0.8
    X2, y2 = make_radiative_transfer(n_samples=300, random_state=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    _, noisy = make_radiative_transfer(n_samples=300, noise=2.0, random_state=1)
    assert 1.5 < np.std(noisy - y) < 2.5


def test_make_radiative_transfer_as_frame():
    X, y = make_radiative_transfer(n_samples=10, as_frame=True, random_state=0)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.DataFrame)
    assert X.columns[0] == "T_0km" and X.columns[-1] == "rho_10km"
    assert y.columns[0] == "Tb_20.00GHz" and y.shape == (10, 58)


@pytest.mark.parametrize(
    "kwargs", [{"n_samples": 0}, {"n_samples": 2.5}, {"noise": -1}]
)
def test_make_radiative_transfer_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        make_radiative_transfer(**kwargs)


# -- the estimator ----------------------------------------------------------------
def test_both_modes_start_from_identical_weights(rt_data):
    X, y = rt_data
    runs = {
        mode: _fit(
            EOMRegressor(
                overshoot=mode, max_iter=3, record_outputs=True, random_state=4
            ),
            X,
            y,
        )
        for mode in ("eliminate", "ignore")
    }
    np.testing.assert_array_equal(
        runs["eliminate"].outputs_curve_[0], runs["ignore"].outputs_curve_[0]
    )
    assert runs["eliminate"].initial_loss_ == runs["ignore"].initial_loss_
    assert runs["ignore"].corrections_curve_ == [0, 0, 0]


def test_eliminate_keeps_outputs_on_their_side_where_ignore_overshoots():
    # One pattern, normalised over a whole data set as in the paper.
    X, y = make_radiative_transfer(n_samples=100, random_state=3)
    X = MinMaxScaler().fit_transform(X)[:1]
    y = MinMaxScaler((0.05, 0.95)).fit_transform(y)[:1]
    kwargs = dict(
        learning_rate_init=5.0,
        max_iter=50,
        record_outputs=True,
        random_state=0,
        target_range=None,
    )
    tbp = _fit(EOMRegressor(overshoot="ignore", **kwargs), X, y)
    eom = _fit(EOMRegressor(overshoot="eliminate", **kwargs), X, y)

    def largest_crossing(model):
        start = np.sign(model.outputs_curve_[0] - y)
        rest = model.outputs_curve_[1:]
        return (np.abs(rest - y) * (np.sign(rest - y) == -start)).max()

    assert largest_crossing(eom) < 0.02 * largest_crossing(tbp)
    assert eom.loss_ < tbp.loss_
    assert max(tbp.overshoot_curve_) > 0.3
    assert sum(eom.corrections_curve_) > 0
    assert len(eom.overshoot_curve_) == eom.n_iter_ == len(eom.loss_curve_)
    assert eom.outputs_curve_.shape == (eom.n_iter_ + 1, 1, 58)


def test_multi_output_fit_predicts_in_target_units(rt_data):
    X, y = rt_data
    model = _fit(EOMRegressor(overshoot="ignore", random_state=0), X, y)
    pred = model.predict(X)
    assert pred.shape == y.shape
    assert model.score(X, y) > 0.95
    assert (pred >= y.min(axis=0) - 1e-9).all() and (pred <= y.max(axis=0) + 1e-9).all()
    np.testing.assert_allclose(model.target_min_, y.min(axis=0))
    eom = _fit(EOMRegressor(overshoot="eliminate", max_iter=200, random_state=0), X, y)
    assert eom.predict(X).shape == y.shape
    assert eom.score(X, y) > 0.2
    assert np.mean(eom.overshoot_curve_) < np.mean(
        _fit(
            EOMRegressor(overshoot="ignore", max_iter=200, random_state=0), X, y
        ).overshoot_curve_
    )


def test_single_output_eom_is_a_good_regressor(rt_data):
    X, y = rt_data
    model = _fit(EOMRegressor(overshoot="eliminate", random_state=0), X, y[:, 6])
    assert model.predict(X).shape == (len(X),)
    assert model.score(X, y[:, 6]) > 0.95
    assert np.mean(model.correction_rounds_curve_) < 1.0


def test_constant_target_column_is_predicted_exactly(rt_data):
    X, y = rt_data
    y = y[:, :3].copy()
    y[:, 1] = 7.5
    model = _fit(EOMRegressor(max_iter=20, random_state=0), X, y)
    np.testing.assert_allclose(model.predict(X)[:, 1], 7.5)


@pytest.mark.slow
def test_pipeline_grid_search_and_dataframes():
    X, y = make_radiative_transfer(n_samples=90, as_frame=True, random_state=0)
    pipe = Pipeline(
        [("scale", MinMaxScaler()), ("eom", EOMRegressor(max_iter=100, random_state=0))]
    )
    grid = GridSearchCV(
        pipe,
        {
            "eom__learning_rate_init": [0.5, 2.0],
            "eom__overshoot": ["eliminate", "ignore"],
        },
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    np.testing.assert_array_equal(
        grid.best_estimator_["scale"].feature_names_in_, X.columns
    )
    # The scaler hands the estimator plain arrays, unless told to keep frames:
    # then the estimator records the column names itself.
    assert not hasattr(grid.best_estimator_["eom"], "feature_names_in_")
    framed = _fit(pipe.set_output(transform="pandas"), X, y)
    np.testing.assert_array_equal(framed["eom"].feature_names_in_, X.columns)
    assert framed.predict(X).shape == y.shape
    model = _fit(EOMRegressor(max_iter=20, random_state=0), X / X.max(), y)
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    assert model.predict(X / X.max()).shape == y.shape


def test_same_random_state_same_result(rt_data):
    X, y = rt_data
    a = _fit(EOMRegressor(max_iter=30, random_state=5), X, y)
    b = _fit(EOMRegressor(max_iter=30, random_state=5), X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_


def test_float32_and_caller_arrays(rt_data):
    X, y = rt_data
    X32, y_copy = X.astype(np.float32), y.copy()
    X32.setflags(write=False)
    model = _fit(EOMRegressor(max_iter=10, random_state=0), X32, y)
    assert model.coefs_[0].dtype == np.float32
    np.testing.assert_array_equal(y, y_copy)


def test_warm_start_continues(rt_data):
    X, y = rt_data
    model = EOMRegressor(max_iter=20, warm_start=True, random_state=0)
    _fit(model, X, y)
    first = model.loss_
    _fit(model, X, y)
    assert model.loss_ < first


def test_divergence_warns_and_keeps_finite_weights(rt_data):
    X, y = rt_data
    model = EOMRegressor(
        learning_rate_init=1e308, overshoot="ignore", max_iter=20, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate_init"):
        model.fit(X, y)
    assert all(np.isfinite(w).all() for w in model.coefs_ + model.intercepts_)
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"target_range": (0.5, 0.2)}, ValueError, "target_range"),
        ({"target_range": (0.0, 1.0)}, ValueError, "target_range"),
        ({"target_range": "wide"}, InvalidParameterError, "target_range"),
        ({"overshoot": "skip"}, InvalidParameterError, "overshoot"),
        ({"learning_rate_init": 0}, InvalidParameterError, "learning_rate_init"),
        ({"max_corrections": -1}, InvalidParameterError, "max_corrections"),
        ({"hidden_layer_sizes": (0,)}, ValueError, "hidden_layer_sizes"),
    ],
)
def test_bad_parameters(rt_data, params, error, match):
    X, y = rt_data
    with pytest.raises(error, match=match):
        EOMRegressor(**params).fit(X, y)


def test_bad_input(rt_data):
    X, y = rt_data
    with pytest.raises(ValueError, match="NaN"):
        EOMRegressor().fit(np.where(X > 0.99, np.nan, X), y)
    model = _fit(EOMRegressor(max_iter=2), X, y)
    with pytest.raises(ValueError, match="expecting 22 features"):
        model.predict(X[:, :5])
    with pytest.raises(ValueError, match=r"could not convert|numeric"):
        EOMRegressor().fit(X, np.array(["a"] * len(X)))


def test_defaults_and_tags():
    assert EOMRegressor().overshoot == "ignore"
    assert not EOMRegressor().__sklearn_tags__().regressor_tags.poor_score
    assert (
        EOMRegressor(overshoot="eliminate").__sklearn_tags__().regressor_tags.poor_score
    )


@pytest.mark.slow
def test_eom_on_noisy_many_sample_data_scores_poorly_as_documented():
    """Pins the measured limitation behind the poor_score tag of "eliminate"."""
    from sklearn.preprocessing import scale
    from sklearn.utils.estimator_checks import _regression_dataset

    X, y = _regression_dataset()
    y = scale(y)
    common = dict(random_state=0, max_iter=300, record_outputs=True)
    tbp = _fit(EOMRegressor(**common), X, y)
    eom = _fit(EOMRegressor(overshoot="eliminate", **common), X, y)
    # The documented levels (class docstring: R^2 0.80 for plain backprop
    # against 0.09 for EOM); measured here 0.80 and 0.088.
    assert tbp.score(X, y) > 0.75
    assert 0.05 < eom.score(X, y) < 0.3
    assert np.mean(eom.correction_rounds_curve_) > 5

    def crossings(model):
        mean_error = model.outputs_curve_.mean(axis=1)[:, 0] - y.mean()
        return np.sign(mean_error[1:]) == -np.sign(mean_error[0])

    # What EOM buys at that price: its mean error never crosses zero, where
    # plain backprop crosses it again and again.
    assert not crossings(eom).any()
    assert crossings(tbp).mean() > 0.2


# -- safety net: every parameter against an independent expectation -------------
# The expectations are the documented network and training step written in
# plain NumPy from the fitted coefs_ / intercepts_, or plain backprop
# (overshoot="ignore") where a setting must switch every correction off.
_ACTIVATIONS = {
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
    "logistic": (expit, lambda a: expit(a) * (1 - expit(a))),
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
}


def _np_outputs(coefs, intercepts, activation, X):
    """Logistic outputs of the dense stack and the hidden pre-activations."""
    act, _ = _ACTIVATIONS[activation]
    a, pre = X, []
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        pre.append(a @ W + b)
        a = act(pre[-1])
    return expit(a @ coefs[-1] + intercepts[-1]), pre


def _np_scaled_targets(y, low, high):
    """Min-max scaling of the training targets into [low, high]."""
    y = y.reshape(len(y), -1)
    return low + (y - y.min(axis=0)) / (y.max(axis=0) - y.min(axis=0)) * (high - low)


def _np_mean_error_and_grad(coefs, intercepts, activation, X, D, alpha):
    """``1/2 mean_i sum_k (o - d)^2 + alpha/2 |W|^2 / n`` and its gradient, by
    hand-written backprop."""
    n = len(X)
    act, deriv = _ACTIVATIONS[activation]
    out, pre = _np_outputs(coefs, intercepts, activation, X)
    inputs = [X] + [act(p) for p in pre]
    value = 0.5 * ((out - D) ** 2).sum() / n
    value += 0.5 * alpha * sum((W**2).sum() for W in coefs) / n
    delta = (out - D) * out * (1 - out) / n
    g_coefs, g_intercepts = [None] * len(coefs), [None] * len(coefs)
    for layer in range(len(coefs) - 1, -1, -1):
        g_coefs[layer] = inputs[layer].T @ delta + alpha * coefs[layer] / n
        g_intercepts[layer] = delta.sum(axis=0)
        if layer:
            delta = (delta @ coefs[layer].T) * deriv(pre[layer - 1])
    return value, g_coefs, g_intercepts


@pytest.fixture(scope="module")
def noisy_data():
    """Many noisy patterns: every plain step makes the mean error overshoot."""
    from sklearn.preprocessing import scale
    from sklearn.utils.estimator_checks import _regression_dataset

    X, y = _regression_dataset()
    return X[:60], scale(y)[:60]


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize(
    "target_range", [(0.05, 0.95), (0.2, 0.7), None], ids=["default", "narrow", "none"]
)
def test_predict_is_the_numpy_forward_mapped_back_to_target_units(
    rt_data, activation, target_range
):
    """predict = target_min_ + (sigmoid(net(X)) - low) / (high - low) * span."""
    X, y = rt_data
    X, y = X[:50], y[:50, :3]
    if target_range is None:  # targets must then already lie in (0, 1)
        y = 0.1 + 0.8 * (y - y.min()) / (y.max() - y.min())
    model = _fit(
        EOMRegressor(
            hidden_layer_sizes=(5, 4),
            activation=activation,
            target_range=target_range,
            learning_rate_init=0.5,
            max_iter=15,
            random_state=0,
        ),
        X,
        y,
    )
    low, high = (0.0, 1.0) if target_range is None else target_range
    t_min = np.zeros(3) if target_range is None else y.min(axis=0)
    t_max = np.ones(3) if target_range is None else y.max(axis=0)
    np.testing.assert_array_equal(model.target_min_, t_min)
    np.testing.assert_array_equal(model.target_max_, t_max)
    out, _ = _np_outputs(model.coefs_, model.intercepts_, activation, X)
    expected = t_min + (out - low) / (high - low) * (t_max - t_min)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12, atol=1e-12)
    assert model.n_layers_ == 4 and model.out_activation_ == "logistic"


@pytest.mark.parametrize(
    "activation, alpha, target_range, hidden",
    [
        ("logistic", 0.0, (0.05, 0.95), (6,)),
        ("logistic", 2.0, (0.05, 0.95), (6,)),
        ("tanh", 0.5, (0.2, 0.7), (5, 4)),
        ("relu", 0.1, (0.1, 0.6), (6,)),
    ],
    ids=["logistic", "logistic-alpha", "tanh-alpha-2-layers", "relu-alpha"],
)
def test_one_plain_step_is_minus_lr_times_the_numpy_gradient(
    rt_data, activation, alpha, target_range, hidden
):
    """One overshoot="ignore" iteration moves the weights by -lr times the
    hand-written gradient of 1/2 mean sum (o - d)^2 + alpha/2 |W|^2 / n on the
    min-max scaled targets; without L2, loss_ is the total error 1/2 sum (o - d)^2."""
    X, y = rt_data
    X, y = X[:40], y[:40, :4]
    lr = 0.5
    model = EOMRegressor(
        hidden_layer_sizes=hidden,
        activation=activation,
        alpha=alpha,
        target_range=target_range,
        learning_rate_init=lr,
        max_iter=1,
        warm_start=True,
        random_state=0,
    )
    _fit(model, X, y)
    coefs = [c.copy() for c in model.coefs_]
    intercepts = [b.copy() for b in model.intercepts_]
    _fit(model, X, y)
    D = _np_scaled_targets(y, *target_range)
    value, g_coefs, g_intercepts = _np_mean_error_and_grad(
        coefs, intercepts, activation, X, D, alpha
    )
    # The recorded errors are only pinned without L2: with alpha > 0 they
    # include the penalty today, which the docs do not mention.
    if alpha == 0:
        assert model.initial_loss_ == pytest.approx(len(X) * value, rel=1e-10)
    for before, after, grad in zip(
        coefs + intercepts,
        model.coefs_ + model.intercepts_,
        g_coefs + g_intercepts,
        strict=True,
    ):
        np.testing.assert_allclose(before - after, lr * grad, rtol=1e-9, atol=1e-14)
    value_after, _, _ = _np_mean_error_and_grad(
        model.coefs_, model.intercepts_, activation, X, D, alpha
    )
    if alpha == 0:
        assert model.loss_ == pytest.approx(len(X) * value_after, rel=1e-10)


def test_huge_gradient_tol_switches_every_correction_off(noisy_data):
    """No gradient reaches gradient_tol=1e9, so nothing is corrected: EOM is then
    exactly plain backprop; with gradient_tol=0 it corrects."""
    X, y = noisy_data
    common = dict(hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    plain = _fit(EOMRegressor(overshoot="ignore", **common), X, y)
    frozen = _fit(EOMRegressor(overshoot="eliminate", gradient_tol=1e9, **common), X, y)
    assert frozen.corrections_curve_ == [0] * 30
    assert frozen.correction_rounds_curve_ == [0] * 30
    assert frozen.loss_curve_ == plain.loss_curve_
    for a, b in zip(
        frozen.coefs_ + frozen.intercepts_,
        plain.coefs_ + plain.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    active = _fit(EOMRegressor(overshoot="eliminate", gradient_tol=0.0, **common), X, y)
    assert sum(active.corrections_curve_) > 0
    assert active.loss_curve_ != plain.loss_curve_


@pytest.mark.parametrize("max_corrections", [0, 1, 3])
def test_max_corrections_caps_the_rounds(noisy_data, max_corrections):
    """At most max_corrections rounds, each correcting the 2 layers once: the
    extra passes per iteration never exceed 2 * max_corrections and reach it
    on these data; with 0 EOM is exactly plain backprop."""
    X, y = noisy_data
    common = dict(hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    model = _fit(
        EOMRegressor(overshoot="eliminate", max_corrections=max_corrections, **common),
        X,
        y,
    )
    assert max(model.correction_rounds_curve_) == 2 * max_corrections
    if max_corrections == 0:
        plain = _fit(EOMRegressor(overshoot="ignore", **common), X, y)
        assert model.corrections_curve_ == [0] * 30
        assert model.loss_curve_ == plain.loss_curve_
        for a, b in zip(model.coefs_, plain.coefs_, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("overshoot", ["ignore", "eliminate"])
def test_tol_stops_at_the_first_total_error_below_it(noisy_data, overshoot):
    """n_iter_ is the first iteration whose total error (from a run with tol=0)
    is below tol; the curve is that run's prefix; no max_iter warning."""
    X, y = noisy_data
    common = dict(hidden_layer_sizes=(6,), overshoot=overshoot, random_state=0)
    full = _fit(EOMRegressor(max_iter=25, tol=0.0, **common), X, y)
    tol = (full.loss_curve_[11] + full.loss_curve_[12]) / 2
    expected = 1 + next(i for i, v in enumerate(full.loss_curve_) if v < tol)
    assert expected < 25
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = EOMRegressor(max_iter=25, tol=tol, **common).fit(X, y)
    assert model.n_iter_ == expected
    assert model.loss_curve_ == full.loss_curve_[:expected]
    assert model.loss_ == full.loss_curve_[expected - 1] < tol


def test_verbose_prints_each_iteration(noisy_data, capsys):
    """One line per iteration with the recorded error, overshoot and corrections."""
    X, y = noisy_data
    model = _fit(
        EOMRegressor(
            hidden_layer_sizes=(6,),
            overshoot="eliminate",
            max_iter=6,
            verbose=True,
            random_state=0,
        ),
        X,
        y,
    )
    pattern = (
        r"Iteration (\d+), total error = ([0-9.e+-]+), "
        r"overshoot = ([0-9.]+), corrections = (\d+)"
    )
    lines = re.findall(pattern, capsys.readouterr().out)
    assert [int(line[0]) for line in lines] == list(range(1, 7))
    np.testing.assert_allclose(
        [float(line[1]) for line in lines], model.loss_curve_, rtol=1e-7
    )
    np.testing.assert_allclose(
        [float(line[2]) for line in lines], model.overshoot_curve_, atol=5e-4
    )
    assert [int(line[3]) for line in lines] == model.corrections_curve_
    _fit(EOMRegressor(hidden_layer_sizes=(6,), max_iter=2, random_state=0), X, y)
    assert capsys.readouterr().out == ""


# -- sample weights -----------------------------------------------------------
@pytest.mark.parametrize("overshoot", ["ignore", "eliminate"])
def test_integer_weights_equal_repeated_rows_and_zero_weights_dropped_rows(overshoot):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(30, 4))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    weight = rng.randint(0, 4, size=30).astype(float)
    weight[:3] = [0, 2, 3]  # some rows dropped, some repeated
    common = dict(overshoot=overshoot, max_iter=60, random_state=0)
    weighted = EOMRegressor(**common).fit(X, y, sample_weight=weight)
    rows = np.repeat(np.arange(30), weight.astype(int))
    repeated = EOMRegressor(**common).fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9)
    assert weighted.corrections_curve_ == repeated.corrections_curve_
    # Unit weights change nothing at all.
    ones = EOMRegressor(**common).fit(X, y, sample_weight=np.ones(30))
    plain = EOMRegressor(**common).fit(X, y)
    np.testing.assert_array_equal(ones.predict(X), plain.predict(X))


@pytest.mark.parametrize("bad", [[-1.0] + [1.0] * 29, [0.0] * 30])
def test_negative_or_all_zero_weights_are_rejected(bad):
    X, y = np.random.RandomState(0).uniform(size=(30, 3)), np.arange(30.0)
    with pytest.raises(ValueError, match="sample_weight"):
        EOMRegressor(max_iter=2).fit(X, y, sample_weight=np.array(bad))


def test_sample_weight_reaches_fit_through_pipeline_and_grid_search():
    import sklearn
    from sklearn.metrics import make_scorer, r2_score
    from sklearn.model_selection import GridSearchCV, KFold

    rng = np.random.RandomState(1)
    X = rng.uniform(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5]
    weight = rng.uniform(0.5, 2.0, size=40)
    with sklearn.config_context(enable_metadata_routing=True):
        eom = (
            EOMRegressor(max_iter=30, random_state=0)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=False)
        )
        pipe = make_pipeline(MinMaxScaler(), eom).fit(X, y, sample_weight=weight)
        direct = EOMRegressor(max_iter=30, random_state=0).fit(
            MinMaxScaler().fit_transform(X), y, sample_weight=weight
        )
        np.testing.assert_array_equal(pipe[-1].coefs_[0], direct.coefs_[0])
        unweighted = make_pipeline(
            MinMaxScaler(), EOMRegressor(max_iter=30, random_state=0)
        )
        assert not np.array_equal(unweighted.fit(X, y)[-1].coefs_[0], direct.coefs_[0])
        weighted_r2 = make_scorer(r2_score).set_score_request(sample_weight=True)
        search = GridSearchCV(
            pipe, {"eomregressor__alpha": [0.0]}, cv=KFold(2), scoring=weighted_r2
        ).fit(X, y, sample_weight=weight)
        np.testing.assert_array_equal(
            search.best_estimator_[-1].coefs_[0], direct.coefs_[0]
        )


# -- input scale --------------------------------------------------------------
def test_warns_when_inputs_saturate_the_hidden_units():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, scaled=False)  # ages, blood pressures
    with pytest.warns(UserWarning, match="Scale X first"):
        EOMRegressor(max_iter=2, random_state=0).fit(X, y)
    X_scaled = MinMaxScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        EOMRegressor(max_iter=2, random_state=0).fit(X_scaled, y)
        # relu units do not saturate: no warning even unscaled
        EOMRegressor(activation="relu", max_iter=2, random_state=0).fit(X, y)


def test_predictions_stay_within_the_documented_widened_range():
    # The logistic output spans (0, 1): mapped back from target_range
    # (0.05, 0.95), that is the targets' range widened by 0.05 / 0.9 a side.
    X, y = np.linspace(0, 1, 20)[:, None], np.linspace(0, 9, 20)
    model = EOMRegressor(max_iter=5, random_state=0).fit(X, y)
    model.coefs_[-1][...] = 0.0
    for bias, expected in ((60.0, 9 + 9 * 0.05 / 0.9), (-60.0, -9 * 0.05 / 0.9)):
        model.intercepts_[-1][...] = bias
        np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12)


@pytest.mark.slow
def test_per_pattern_mode_does_not_stall_where_the_faithful_one_does():
    """The data of the poor_score test: the mean-error OD stalls at R^2 0.09."""
    from sklearn.preprocessing import scale
    from sklearn.utils.estimator_checks import _regression_dataset

    X, y = _regression_dataset()
    y = scale(y)
    common = dict(random_state=0, max_iter=300)
    tbp = _fit(EOMRegressor(**common), X, y)
    per_pattern = _fit(EOMRegressor(overshoot="per_pattern", **common), X, y)
    assert per_pattern.score(X, y) > 0.98 * tbp.score(X, y)
    # ... and it paid at most one extra pass in the iterations it corrected.
    assert max(per_pattern.passes_curve_) <= 2.0 + 1e-9
    assert (
        not EOMRegressor(overshoot="per_pattern")
        .__sklearn_tags__()
        .regressor_tags.poor_score
    )


def test_crossing_curve_counts_the_sign_flips_of_each_step():
    # Plain backprop makes no corrections, so outputs_curve_ holds the output
    # right after every plain step: count the flips with a double loop.
    rng = np.random.RandomState(3)
    X = rng.uniform(size=(15, 3))
    y = np.c_[np.sin(4 * X[:, 0]), X[:, 1] - X[:, 2]]
    model = EOMRegressor(
        learning_rate_init=8.0, max_iter=12, record_outputs=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    errors = model.outputs_curve_ - y
    expected = []
    for before, after in itertools.pairwise(errors):
        flips = sum(
            (a < 0 < b) or (b < 0 < a)
            for row_a, row_b in zip(before, after, strict=True)
            for a, b in zip(row_a, row_b, strict=True)
        )
        expected.append(flips / before.size)
    np.testing.assert_allclose(model.crossing_curve_, expected)
    assert max(expected) > 0  # the learning rate makes it overshoot
