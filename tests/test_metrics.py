"""skentropy.metrics: information potential, error entropy and the scorer."""

import math
import warnings

import numpy as np
import pytest
import sklearn.metrics
from sklearn.datasets import make_regression
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score

from skentropy._engine import information as engine
from skentropy.metrics import (
    error_entropy,
    get_scorer,
    get_scorer_names,
    information_potential,
    neg_error_entropy_scorer,
)


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    y_true = rng.standard_normal(300)
    y_pred = y_true + 0.3 * rng.standard_t(3, 300)
    return y_true, y_pred


def test_entropy_is_minus_log_potential(regression):
    y_true, y_pred = regression
    for width in (0.2, "silverman"):
        v = information_potential(y_true, y_pred, kernel_width=width)
        h = error_entropy(y_true, y_pred, kernel_width=width)
        assert isinstance(h, float)
        assert h == pytest.approx(-math.log(v), rel=1e-12)


def test_matches_engine(regression):
    y_true, y_pred = regression
    errors = y_true - y_pred
    s = engine.silverman_width(errors)
    assert error_entropy(y_true, y_pred) == pytest.approx(
        -engine.information_potential(errors, s, log=True), rel=1e-12
    )
    w = np.linspace(0.5, 2.0, 300)
    assert information_potential(
        y_true, y_pred, kernel_width=0.3, sample_weight=w
    ) == pytest.approx(engine.information_potential(errors, 0.3, w), rel=1e-12)


def test_direct_formula():
    y_true = np.array([1.0, 2.0, 4.0])
    y_pred = np.array([0.5, 2.5, 4.0])
    e = y_true - y_pred
    s = 0.7
    d2 = (e[:, None] - e[None, :]) ** 2
    v = np.exp(-d2 / (2 * s * s)).sum() / 9 / math.sqrt(2 * math.pi * s * s)
    assert information_potential(y_true, y_pred, kernel_width=s) == pytest.approx(v)
    assert error_entropy(y_true, y_pred, kernel_width=s) == pytest.approx(-np.log(v))


def test_column_vector_equals_1d(regression):
    y_true, y_pred = regression
    assert error_entropy(y_true[:, None], y_pred[:, None]) == pytest.approx(
        error_entropy(y_true, y_pred), rel=1e-12
    )
    assert error_entropy(y_true, y_pred[:, None]) == pytest.approx(
        error_entropy(y_true, y_pred), rel=1e-12
    )


def test_multioutput():
    rng = np.random.default_rng(1)
    y_true = rng.standard_normal((200, 3))
    y_pred = y_true + rng.standard_normal((200, 3)) * [0.1, 0.5, 1.0]
    joint = error_entropy(y_true, y_pred, kernel_width=0.5)
    assert joint == pytest.approx(
        -engine.information_potential(y_true - y_pred, 0.5, log=True), rel=1e-12
    )
    raw = error_entropy(y_true, y_pred, kernel_width=0.5, multioutput="raw_values")
    assert raw.shape == (3,)
    assert raw[0] < raw[1] < raw[2]  # wider errors, higher entropy
    for c in range(3):
        assert raw[c] == pytest.approx(
            error_entropy(y_true[:, c], y_pred[:, c], kernel_width=0.5)
        )
    marginal = error_entropy(y_true, y_pred, kernel_width=0.5, multioutput="marginal")
    assert marginal == pytest.approx(raw.sum())
    v_raw = information_potential(
        y_true, y_pred, kernel_width=0.5, multioutput="raw_values"
    )
    np.testing.assert_allclose(v_raw, np.exp(-raw))
    v_marginal = information_potential(
        y_true, y_pred, kernel_width=0.5, multioutput="marginal"
    )
    assert v_marginal == pytest.approx(np.prod(v_raw))


def test_integer_weights_equal_repeated_rows(regression):
    y_true, y_pred = regression
    w = np.arange(300) % 3
    repeated = (np.repeat(y_true, w), np.repeat(y_pred, w))
    for width in (0.25, "silverman"):
        assert error_entropy(
            y_true, y_pred, kernel_width=width, sample_weight=w
        ) == pytest.approx(error_entropy(*repeated, kernel_width=width), rel=1e-10)


def test_shift_invariance(regression):
    y_true, y_pred = regression
    assert error_entropy(y_true, y_pred + 5.0, kernel_width=0.3) == pytest.approx(
        error_entropy(y_true, y_pred, kernel_width=0.3), rel=1e-10
    )


def test_concentrated_errors_have_lower_entropy(regression):
    y_true, y_pred = regression
    tight = y_true + 0.1 * (y_pred - y_true)
    assert error_entropy(y_true, tight, kernel_width=0.1) < error_entropy(
        y_true, y_pred, kernel_width=0.1
    )


def test_gaussian_errors_limit():
    # Small width: H2 -> log(2 sqrt(pi) sigma_e) for Gaussian errors.
    rng = np.random.default_rng(2)
    e = 2.0 * rng.standard_normal(20000)
    h = error_entropy(e, np.zeros_like(e), kernel_width=0.05)
    assert h == pytest.approx(math.log(2 * math.sqrt(math.pi) * 2.0), abs=0.02)


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_methods_agree(method):
    rng = np.random.default_rng(3)
    y_true = rng.standard_normal(3000)
    y_pred = 0.5 * y_true
    h = error_entropy(y_true, y_pred, method=method)
    assert h == pytest.approx(error_entropy(y_true, y_pred, method="exact"), abs=1e-3)
    # Independently: the documented 1-D Silverman width and a direct double sum.
    e = y_true - y_pred
    q1, q3 = np.quantile(e, [0.25, 0.75])
    sigma = 0.9 * min(e.std(), (q3 - q1) / 1.34) * len(e) ** (-0.2)
    s = math.sqrt(2.0) * sigma
    total = sum(
        np.exp(-((block[:, None] - e[None, :]) ** 2) / (2 * s * s)).sum()
        for block in np.array_split(e, 6)
    )
    v = total / len(e) ** 2 / math.sqrt(2 * math.pi * s * s)
    tolerance = {"exact": 1e-10 * abs(math.log(v)), "binned": 1e-3}[method]
    assert h == pytest.approx(-math.log(v), abs=tolerance)


def test_float32_input():
    rng = np.random.default_rng(4)
    y_true = rng.standard_normal(500)
    y_pred = y_true + 0.2 * rng.standard_normal(500)
    h64 = error_entropy(y_true, y_pred)
    h32 = error_entropy(y_true.astype(np.float32), y_pred.astype(np.float32))
    assert isinstance(h32, float)
    assert h32 == pytest.approx(h64, rel=1e-5)
    mixed = error_entropy(y_true.astype(np.float32), y_pred)
    assert mixed == pytest.approx(h64, rel=1e-5)


def test_list_and_integer_input():
    assert error_entropy([1, 2, 3], [1, 1, 1], kernel_width=1.0) == pytest.approx(
        error_entropy([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], kernel_width=1.0)
    )


# Validation -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("where", ["y_true", "y_pred"])
def test_non_finite_rejected(bad, where):
    y_true = np.array([1.0, 2.0, 3.0])
    y_pred = np.array([1.0, 2.5, 3.0])
    (y_true if where == "y_true" else y_pred)[1] = bad
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        error_entropy(y_true, y_pred)
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        information_potential(y_true, y_pred)


@pytest.mark.parametrize("width", [0.0, -1.0, "scott"])
def test_bad_kernel_width_rejected(width):
    with pytest.raises(ValueError, match="kernel_width"):
        error_entropy([1.0, 2.0], [1.0, 1.0], kernel_width=width)


def test_infinite_kernel_width_rejected():
    with pytest.raises(ValueError, match="kernel_width"):
        error_entropy([1.0, 2.0], [1.0, 1.0], kernel_width=np.inf)


def test_inconsistent_input_rejected():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        error_entropy([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        error_entropy([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0])
    with pytest.raises(ValueError, match="numbers of outputs"):
        error_entropy(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="Negative values"):
        error_entropy([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="method"):
        error_entropy([1.0, 2.0], [1.0, 2.0], method="fft")
    with pytest.raises(ValueError, match="1 to 3 dimensions"):
        error_entropy(np.zeros((3, 4)), np.ones((3, 4)), method="binned")
    with pytest.raises(ValueError, match="overflows"):
        error_entropy([1e308, 0.0], [-1e308, 0.0])


# Scale and large joint errors -------------------------------------------------


def _hand_entropy(e):
    """-log V by hand: Silverman / normal-reference width, all pairs."""
    n, d = e.shape
    if d == 1:
        q1, q3 = np.percentile(e[:, 0], [25, 75])
        sigma = 0.9 * min(e.std(), (q3 - q1) / 1.34) * n ** (-0.2)
    else:
        sigma = math.sqrt(e.var(axis=0).mean()) * (4 / ((d + 2) * n)) ** (1 / (d + 4))
    s2 = 2 * sigma**2
    d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(axis=-1)
    v = np.exp(-d2 / (2 * s2)).sum() / n**2 / (2 * math.pi * s2) ** (d / 2)
    return -math.log(v)


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1.0, 1e150, 1e300])
@pytest.mark.parametrize("d", [1, 2])
def test_entropy_is_scale_free_across_the_float_range(scale, d):
    # H(c e) = H(e) + d log c with the default width, everywhere in float64
    # (this returned inf at 1e300 and -17.16 at 1e-300), without a warning.
    e = np.random.default_rng(30).standard_normal((200, d))
    expected = _hand_entropy(e) + d * math.log(scale)
    y_true = e * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = error_entropy(y_true, np.zeros_like(y_true))
        raw = error_entropy(y_true, np.zeros_like(y_true), multioutput="raw_values")
    assert h == pytest.approx(expected, abs=1e-9)
    hand_raw = [_hand_entropy(e[:, [c]]) + math.log(scale) for c in range(d)]
    np.testing.assert_allclose(raw, hand_raw, rtol=0, atol=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1.0, 1e300])
def test_potential_scales_as_one_over_scale(scale):
    e = np.random.default_rng(31).standard_normal(200)
    expected = math.exp(-_hand_entropy(e[:, None])) / scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = information_potential(e * scale, np.zeros(200))
        v_width = information_potential(e * scale, np.zeros(200), kernel_width=scale)
    assert v == pytest.approx(expected, rel=1e-9)
    ref = information_potential(e, np.zeros(200), kernel_width=1.0)
    assert v_width == pytest.approx(ref / scale, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_entropy_scale_free_float32(scale):
    e = np.random.default_rng(32).standard_normal((200, 2))
    y_true = (e * scale).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = error_entropy(y_true, np.zeros_like(y_true))
    assert h == pytest.approx(_hand_entropy(e) + 2 * math.log(scale), abs=1e-4)


def test_potential_beyond_float_range_is_a_clear_error():
    e = np.random.default_rng(33).standard_normal((50, 2)) * 1e-300
    assert error_entropy(e, np.zeros_like(e)) < -1300  # V ~ 1e600
    with pytest.raises(ValueError, match="exceeds the float range"):
        information_potential(e, np.zeros_like(e))


@pytest.mark.parametrize("d", [2, 3])
def test_auto_bins_large_joint_errors(d):
    # Past the crossover the default is the binned estimator (fast for 1e6
    # rows), within 1e-3 of the exact entropy.
    rng = np.random.default_rng(34)
    y_true = rng.standard_t(5, size=(engine.AUTO_EXACT_MAX_JOINT_SAMPLES + 1, d))
    y_pred = np.zeros_like(y_true)
    assert (
        engine.choose_method(
            len(y_true), d, max_exact_joint=engine.AUTO_EXACT_MAX_JOINT_SAMPLES
        )
        == "binned"
    )
    h = error_entropy(y_true, y_pred)
    assert h == error_entropy(y_true, y_pred, method="binned")
    assert h == pytest.approx(error_entropy(y_true, y_pred, method="exact"), abs=1e-3)


# Scorer ---------------------------------------------------------------------


def test_scorer_is_negated_entropy():
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
    model = Ridge().fit(X, y)
    score = neg_error_entropy_scorer(model, X, y)
    assert score == pytest.approx(-error_entropy(y, model.predict(X)))


@pytest.mark.slow
def test_scorer_in_grid_search():
    X, y = make_regression(n_samples=150, n_features=5, noise=10.0, random_state=0)
    grid = {"alpha": [1e-3, 1.0, 1e4]}
    search = GridSearchCV(Ridge(), grid, scoring=neg_error_entropy_scorer, cv=3)
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    # Heavy shrinkage spreads the errors out: it must not win.
    assert search.best_params_["alpha"] != 1e4
    assert scores[2] < scores[0]


@pytest.mark.slow
def test_get_scorer_by_name_in_grid_search():
    X, y = make_regression(n_samples=90, n_features=3, noise=1.0, random_state=1)
    scorer = get_scorer("neg_error_entropy")
    assert scorer is not neg_error_entropy_scorer  # a fresh copy, like sklearn
    search = GridSearchCV(
        Ridge(), {"alpha": [0.1, 100.0]}, scoring=scorer, cv=3, refit=False
    ).fit(X, y)
    assert search.best_params_ == {"alpha": 0.1}
    # Multi-metric scoring with a scikit-learn name next to ours.
    search = GridSearchCV(
        Ridge(),
        {"alpha": [0.1, 100.0]},
        scoring={"h": scorer, "r2": get_scorer("r2")},
        refit="h",
        cv=3,
    ).fit(X, y)
    assert "mean_test_h" in search.cv_results_


def test_scorer_cross_val_score_with_dummy():
    X, y = make_regression(n_samples=60, n_features=2, noise=1.0, random_state=2)
    dummy = cross_val_score(DummyRegressor(), X, y, scoring=neg_error_entropy_scorer)
    ridge = cross_val_score(Ridge(), X, y, scoring=neg_error_entropy_scorer)
    assert ridge.mean() > dummy.mean()


def test_get_scorer_defers_to_sklearn():
    assert type(get_scorer("r2")) is type(sklearn.metrics.get_scorer("r2"))
    assert get_scorer(None) is None
    with pytest.raises(ValueError):
        get_scorer("not_a_scorer")
    names = get_scorer_names()
    assert "neg_error_entropy" in names and "r2" in names
    assert names == sorted(names)


def test_sklearn_registry_not_patched():
    assert "neg_error_entropy" not in sklearn.metrics.get_scorer_names()
