"""EOMRegressor(correction="output_root"): the overshooting outputs' rows go
to the root of their error along the step.

Expectations are independent of the implementation: roots against SciPy's
``brentq``; landed outputs against their targets; the side of every output
against its side at the start (the paper's overshoot definition); modes
that never correct against the paper's rounds, bit for bit.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from skentropy import EOMRegressor
from skentropy._engine import FeedForwardNetwork, fit_overshoot
from skentropy._engine.overshoot import output_roots, target_logits
from skentropy.datasets import make_radiative_transfer

TOL = 1e-6


@pytest.fixture(scope="module")
def pool():
    """The paper's setting: inputs in [0, 1], targets in (0.05, 0.95) over
    the whole pool (as benchmarks/eom_paper.py prepares them)."""
    X, Y = make_radiative_transfer(n_samples=200, random_state=0)
    D = MinMaxScaler(feature_range=(0.05, 0.95)).fit_transform(Y)
    return MinMaxScaler().fit_transform(X), D


def _fit(pool, pattern, lr, correction="output_root", overshoot="eliminate", **kw):
    X, D = pool
    params = dict(
        hidden_layer_sizes=(30,),
        overshoot=overshoot,
        correction=correction,
        learning_rate_init=lr,
        max_iter=50,
        tol=TOL,
        target_range=None,
        random_state=0,
        record_outputs=True,
    )
    model = EOMRegressor(**{**params, **kw})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X[pattern : pattern + 1], D[pattern : pattern + 1])


# -- the root finder ------------------------------------------------------------
@pytest.mark.parametrize("n_samples", [1, 40])
@pytest.mark.parametrize("weighted", [False, True])
def test_output_roots_match_brentq(n_samples, weighted):
    rng = np.random.default_rng(n_samples)
    z_a = rng.normal(size=(n_samples, 12))
    z_b = z_a + 4 * rng.normal(size=(n_samples, 12))
    y = rng.uniform(0.05, 0.95, size=(n_samples, 12))
    w = rng.uniform(0.1, 3, size=n_samples) if weighted else None
    t = output_roots(z_a, z_b, y, w)
    if n_samples == 1 and not weighted:  # the fit's cached-logit path
        cached = output_roots(z_a, z_b, y, logit_y=target_logits(y))
        np.testing.assert_array_equal(cached, t)

    def mean_error(k, s):
        return np.average(
            expit(z_a[:, k] + s * (z_b[:, k] - z_a[:, k])) - y[:, k], weights=w
        )

    bracketed = 0
    for k in range(12):
        if mean_error(k, 0.0) * mean_error(k, 1.0) < 0:
            bracketed += 1
            expected = brentq(lambda s, k=k: mean_error(k, s), 0, 1, xtol=1e-15)
            assert t[k] == pytest.approx(expected, abs=1e-10)
        else:
            assert np.isnan(t[k])
    assert bracketed >= 3  # the test exercises both branches


# -- the fit --------------------------------------------------------------------
def test_crossed_outputs_land_on_their_targets(pool):
    """After the first step every output that plain backprop pushed across
    its target sits on it, from its own side."""
    _, D = pool
    tbp = _fit(pool, 0, 5.0, overshoot="ignore", max_iter=1)
    root = _fit(pool, 0, 5.0, max_iter=1)
    start = np.sign(tbp.outputs_curve_[0, 0] - D[0])
    crossed = np.sign(tbp.outputs_curve_[1, 0] - D[0]) == -start
    assert crossed.mean() > 0.9  # the regime the correction is for
    np.testing.assert_array_equal(root.outputs_curve_[0], tbp.outputs_curve_[0])
    landed = root.outputs_curve_[1, 0, crossed] - D[0, crossed]
    assert np.abs(landed).max() < 1e-6
    assert (np.sign(landed) != -start[crossed]).all()


@pytest.mark.parametrize("lr", [1.0, 2.5, 5.0, 10.0])
def test_outputs_stay_on_their_side(pool, lr):
    """No output crosses its target by more than round-off at any iteration
    with the paper's converged-output guard off (``gradient_tol=0``). With
    it on, an output may cross only as far as the guard excuses: its bias
    gradient ``e o (1 - o)`` (one pattern) below ``gradient_tol``. The
    paper's rounds allow crossings of up to about 1e-3 of the range."""
    _, D = pool
    for gradient_tol in (0.0, 1e-6):
        for pattern in range(6):
            model = _fit(pool, pattern, lr, gradient_tol=gradient_tol)
            outputs = model.outputs_curve_[:, 0]
            errors = outputs - D[pattern]
            across = np.sign(errors[1:]) == -np.sign(errors[0])
            if gradient_tol == 0:
                worst = np.where(across, np.abs(errors[1:]), 0.0).max()
                assert worst < 1e-12, (pattern, worst)
            else:
                slope = outputs[1:] * (1 - outputs[1:])
                worst = np.where(across, np.abs(errors[1:]) * slope, 0.0).max()
                assert worst < gradient_tol, (pattern, worst)


@pytest.mark.parametrize("lr", [3.0, 5.0, 10.0])
def test_reaches_the_target_in_fewer_iterations(pool, lr):
    """Where plain backprop overshoots (almost) every output, the crossed
    outputs land on their targets at once: E < 1e-6 on every pattern, in a
    median of at most two iterations, fewer than plain backprop needs."""
    iterations = {"root": [], "tbp": []}
    for pattern in range(6):
        root = _fit(pool, pattern, lr)
        tbp = _fit(pool, pattern, lr, overshoot="ignore")
        assert root.loss_curve_[-1] < TOL
        iterations["root"].append(root.n_iter_)
        iterations["tbp"].append(tbp.n_iter_)
    assert np.median(iterations["root"]) <= 2 < np.median(iterations["tbp"])


@pytest.mark.parametrize("lr", [3.0, 5.0, 10.0])
def test_fewer_passes_than_plain_backprop_and_the_paper_rounds(pool, lr):
    """Passes to E < 1e-6 (median over patterns): below plain backprop's,
    where that overshoots almost every output, and the paper's rounds'."""
    passes = {"tbp": [], "paper": [], "root": []}
    for pattern in range(6):
        tbp = _fit(pool, pattern, lr, overshoot="ignore")
        paper = _fit(pool, pattern, lr, correction="paper")
        root = _fit(pool, pattern, lr)
        assert root.loss_curve_[-1] < TOL
        for name, model in (("tbp", tbp), ("paper", paper), ("root", root)):
            passes[name].append(sum(model.passes_curve_))
    median = {name: np.median(v) for name, v in passes.items()}
    assert median["root"] < median["tbp"] < median["paper"]


def test_same_as_the_paper_where_nothing_overshoots(pool):
    """At a small learning rate no output crosses: no correction is made and
    the fit is the paper mode's, bit for bit."""
    paper = _fit(pool, 0, 0.05, correction="paper", max_iter=5)
    root = _fit(pool, 0, 0.05, max_iter=5)
    assert max(paper.overshoot_curve_) == 0
    np.testing.assert_array_equal(root.predict(pool[0][:5]), paper.predict(pool[0][:5]))
    assert root.loss_curve_ == paper.loss_curve_


@pytest.mark.parametrize("overshoot", ["ignore", "per_pattern"])
def test_other_modes_ignore_the_correction(pool, overshoot):
    X, D = pool
    fits = [
        EOMRegressor(
            hidden_layer_sizes=(6,),
            overshoot=overshoot,
            correction=correction,
            learning_rate_init=4.0,
            max_iter=15,
            random_state=0,
        ).fit(X[:40], D[:40])
        for correction in ("paper", "output_root")
    ]
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))


def test_many_patterns_keep_mean_errors_on_their_side(pool):
    """With many patterns the output-level definition judges mean errors:
    no mean error crosses by more than 1e-3 of the range."""
    X, D = pool
    model = EOMRegressor(
        hidden_layer_sizes=(8,),
        overshoot="eliminate",
        correction="output_root",
        learning_rate_init=5.0,
        max_iter=30,
        target_range=None,
        random_state=0,
        record_outputs=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[:50], D[:50])
    mean_errors = model.outputs_curve_.mean(axis=1) - D[:50].mean(axis=0)
    across = np.sign(mean_errors[1:]) == -np.sign(mean_errors[0])
    assert np.where(across, np.abs(mean_errors[1:]), 0).max() / 0.9 < 1e-3


def test_engine_rejects_an_unknown_correction():
    network = FeedForwardNetwork([2, 3, 1], "logistic", "logistic")
    params = network.init_params(np.random.RandomState(0), np.float64)
    with pytest.raises(ValueError, match="correction must be"):
        fit_overshoot(
            network,
            params,
            np.ones((2, 2)),
            np.full((2, 1), 0.5),
            learning_rate=1.0,
            max_iter=1,
            tol=0.0,
            correction="exact",
        )


def test_output_roots_converge_on_a_saturated_step():
    """A long step through the sigmoid's knee (plain regula falsi keeps one
    end and creeps): the Illinois rule still meets brentq's root."""
    z_a = np.array([[-8.0], [-9.0], [-7.5]])
    z_b = np.array([[14.0], [12.0], [16.0]])
    y = np.full((3, 1), 0.9)
    t = output_roots(z_a, z_b, y)

    def mean_error(s):
        return np.mean(expit(z_a[:, 0] + s * (z_b[:, 0] - z_a[:, 0])) - y[:, 0])

    assert t[0] == pytest.approx(brentq(mean_error, 0, 1, xtol=1e-15), abs=1e-10)
