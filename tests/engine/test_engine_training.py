"""Training loops on hand-written objectives: fit_stochastic, fit_lbfgs, History."""

import math

import numpy as np
import pytest
from sklearn.utils import shuffle as sklearn_shuffle

from skentropy._engine import SGD, Adam, History, fit_lbfgs, fit_stochastic

N_SAMPLES, N_FEATURES = 40, 3


def least_squares(seed=0):
    """``objective(params, rows, grad)``: half the mean squared residual."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=(N_SAMPLES, N_FEATURES))
    solution = np.array([1.0, -2.0, 0.5])
    b = a @ solution + 0.01 * rng.normal(size=N_SAMPLES)

    def objective(params, rows, grad):
        ar, br = a[rows], b[rows]
        residual = ar @ params - br
        grad[...] = ar.T @ residual / len(br)
        return 0.5 * float(residual @ residual) / len(br)

    def full_loss(params):
        residual = a @ params - b
        return 0.5 * float(residual @ residual) / N_SAMPLES

    return objective, full_loss, np.linalg.lstsq(a, b, rcond=None)[0]


def fit(objective, params, optimizer=None, **kwargs):
    options = {
        "batch_size": 8,
        "max_iter": 50,
        "shuffle": True,
        "rng": np.random.RandomState(0),
        "tol": 1e-4,
        "n_iter_no_change": 10,
        "history": History.start(False),
    }
    options.update(kwargs)
    if optimizer is None:
        optimizer = SGD(len(params), params.dtype, learning_rate_init=0.02)
    return fit_stochastic(objective, params, optimizer, N_SAMPLES, **options)


# -- fit_stochastic ----------------------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("shuffle", [True, False])
def test_loss_decreases_towards_the_least_squares_solution(solver, shuffle):
    objective, full_loss, solution = least_squares()
    params = np.zeros(N_FEATURES)
    optimizer = (
        SGD(N_FEATURES, np.float64, learning_rate_init=0.02)
        if solver == "sgd"
        else Adam(N_FEATURES, np.float64, learning_rate_init=0.05)
    )
    history = History.start(False)
    result = fit(
        objective, params, optimizer, shuffle=shuffle, history=history, tol=0.0
    )
    curve = history.loss_curve
    assert len(curve) == result.n_iter >= 2
    assert curve[-1] < 0.01 * curve[0]
    assert result.loss == curve[-1]
    assert full_loss(params) < 0.01 * full_loss(np.zeros(N_FEATURES))
    np.testing.assert_allclose(params, solution, atol=0.05)
    assert result.diverged_epoch is None
    assert history.t == N_SAMPLES * result.n_iter
    assert history.best_loss == min(curve)


def test_max_iter_is_respected():
    objective, _, _ = least_squares()
    history = History.start(False)
    result = fit(
        objective,
        np.zeros(N_FEATURES),
        max_iter=7,
        tol=0.0,
        n_iter_no_change=100,
        history=history,
    )
    assert result.n_iter == 7
    assert result.reached_max_iter
    assert len(history.loss_curve) == 7
    assert history.t == 7 * N_SAMPLES


def test_epoch_loss_is_the_size_weighted_mean_of_batch_losses():
    batch_values = {}

    def objective(params, rows, grad):
        grad[...] = 0.0
        value = float(rows.start)  # a distinct value per batch
        batch_values[rows.start] = (value, rows.stop - rows.start)
        return value

    history = History.start(False)
    fit(
        objective,
        np.zeros(2),
        batch_size=15,
        max_iter=1,
        shuffle=False,
        history=history,
    )
    # Batches [0, 15), [15, 30), [30, 40): the last one is shorter.
    assert sorted(batch_values) == [0, 15, 30]
    expected = sum(v * n for v, n in batch_values.values()) / N_SAMPLES
    assert history.loss_curve == [pytest.approx(expected, rel=1e-15)]


def test_shuffle_draws_rows_as_scikit_learn_does():
    seen = []

    def objective(params, rows, grad):
        seen.append(np.asarray(rows).copy())
        grad[...] = 0.0
        return 1.0

    fit(
        objective,
        np.zeros(2),
        batch_size=16,
        max_iter=3,
        rng=np.random.RandomState(42),
        tol=-1.0,
        n_iter_no_change=100,
    )
    rng = np.random.RandomState(42)
    sample_idx = np.arange(N_SAMPLES)
    expected = []
    for _ in range(3):
        sample_idx = sklearn_shuffle(sample_idx, random_state=rng)
        expected += [sample_idx[s : s + 16] for s in range(0, N_SAMPLES, 16)]
    assert len(seen) == len(expected) == 9
    for got, want in zip(seen, expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_stops_after_n_iter_no_change_epochs_without_improvement(n_iter_no_change):
    objective, _, _ = least_squares()
    history = History.start(False)
    # With a huge tol no epoch counts as an improvement; the first sets the
    # best loss, then the counter must exceed n_iter_no_change.
    result = fit(
        objective,
        np.zeros(N_FEATURES),
        tol=1e6,
        n_iter_no_change=n_iter_no_change,
        history=history,
        max_iter=100,
    )
    assert result.n_iter == n_iter_no_change + 2
    assert not result.reached_max_iter
    assert history.no_improvement_count == n_iter_no_change + 1


def test_a_flat_loss_stops_with_positive_tol_only():
    def objective(params, rows, grad):
        grad[...] = 0.0
        return 2.0

    result = fit(objective, np.zeros(2), tol=1e-8, n_iter_no_change=2, max_iter=30)
    assert result.n_iter == 4
    result = fit(objective, np.zeros(2), tol=0.0, n_iter_no_change=2, max_iter=30)
    assert result.n_iter == 30
    assert result.reached_max_iter


def test_adaptive_schedule_lowers_the_rate_before_stopping():
    def objective(params, rows, grad):
        grad[...] = 0.0
        return 1.0

    optimizer = SGD(2, np.float64, learning_rate_init=0.1, lr_schedule="adaptive")
    history = History.start(False)
    result = fit(
        objective,
        np.zeros(2),
        optimizer,
        tol=1e-3,
        n_iter_no_change=1,
        max_iter=200,
        history=history,
    )
    # Epoch 1 sets the best loss; every 2 epochs after that the rate is
    # divided by 5 (8 times, down to 0.1 / 5**8 < 1e-6), then training stops.
    assert optimizer.learning_rate == pytest.approx(0.1 / 5**8)
    assert result.n_iter == 1 + 9 * 2
    assert not result.reached_max_iter


def test_incremental_runs_exactly_one_epoch_and_history_continues():
    objective, _, _ = least_squares()
    params = np.zeros(N_FEATURES)
    optimizer = SGD(N_FEATURES, np.float64, learning_rate_init=0.02)
    history = History.start(False)
    for call in range(1, 4):
        result = fit(objective, params, optimizer, incremental=True, history=history)
        assert result.n_iter == 1
        assert not result.reached_max_iter
        assert len(history.loss_curve) == call
        assert history.t == call * N_SAMPLES
    assert history.loss_curve[-1] < history.loss_curve[0]


def test_incremental_with_max_iter_one_reports_no_max_iter():
    objective, _, _ = least_squares()
    result = fit(objective, np.zeros(N_FEATURES), incremental=True, max_iter=1)
    assert result.n_iter == 1
    assert not result.reached_max_iter


def test_nan_loss_stops_with_the_last_finite_epoch():
    objective, _, _ = least_squares()
    calls = {"n": 0}
    seen = []
    batches_per_epoch = N_SAMPLES // 8

    def diverging(params, rows, grad):
        calls["n"] += 1
        seen.append(params.copy())
        if calls["n"] == 3 * batches_per_epoch + 3:  # third batch of epoch 4
            return math.nan
        return objective(params, rows, grad)

    params = np.zeros(N_FEATURES)
    history = History.start(False)
    result = fit(diverging, params, history=history, tol=0.0)
    assert result.diverged_epoch == 4
    assert result.n_iter == 3
    assert len(history.loss_curve) == 3
    assert result.loss == history.loss_curve[-1]
    assert not result.reached_max_iter
    # Params as they were when epoch 4 started (the end of epoch 3), although
    # two batches of epoch 4 had already been applied.
    end_of_epoch_3 = seen[3 * batches_per_epoch]
    assert not np.array_equal(seen[-1], end_of_epoch_3)
    np.testing.assert_array_equal(params, end_of_epoch_3)


def test_divergence_in_the_first_epoch_restores_the_initial_params():
    def objective(params, rows, grad):
        grad[...] = 1.0
        return math.inf if params[0] < -0.15 else 1.0

    start = np.array([0.3, -0.7])
    params = start.copy()
    result = fit(objective, params, SGD(2, np.float64, learning_rate_init=0.1))
    assert result.diverged_epoch == 1
    assert result.n_iter == 0
    assert result.loss is None
    np.testing.assert_array_equal(params, start)


def test_huge_learning_rate_diverges_cleanly():
    objective, _, _ = least_squares()

    def guarded(params, rows, grad):
        with np.errstate(over="ignore", invalid="ignore"):
            return objective(params, rows, grad)

    params = np.zeros(N_FEATURES)
    optimizer = SGD(N_FEATURES, np.float64, learning_rate_init=10.0, momentum=0.9)
    history = History.start(False)
    result = fit(
        guarded,
        params,
        optimizer,
        shuffle=False,
        history=history,
        max_iter=200,
        n_iter_no_change=1000,
    )
    # The loss grows by ~1e5 per epoch, so the second epoch's is far beyond a
    # million times the first's: stopped as exploded before it overflows,
    # with the first epoch's history and finite weights kept.
    assert result.divergence == "exploded"
    assert result.diverged_epoch == 2
    assert result.n_iter == result.diverged_epoch - 1
    assert len(history.loss_curve) == result.n_iter
    assert np.isfinite(params).all()
    assert all(np.isfinite(history.loss_curve))
    # Re-run the same deterministic fit to the last completed epoch: the
    # returned params are that epoch's.
    replay = np.zeros(N_FEATURES)
    fit(
        guarded,
        replay,
        SGD(N_FEATURES, np.float64, learning_rate_init=10.0, momentum=0.9),
        shuffle=False,
        max_iter=result.n_iter,
        n_iter_no_change=1000,
    )
    np.testing.assert_array_equal(params, replay)


def test_non_finite_params_with_a_finite_loss_count_as_divergence():
    def objective(params, rows, grad):
        grad[...] = math.nan if params[0] > 0.25 else -1.0
        return 1.0

    params = np.zeros(2)
    optimizer = SGD(2, np.float64, learning_rate_init=0.01, momentum=0.0)
    history = History.start(False)
    result = fit(objective, params, optimizer, history=history, tol=0.0)
    # 5 batches of +0.01 per epoch: params[0] passes 0.25 during epoch 6.
    assert result.diverged_epoch == 6
    assert result.n_iter == 5
    np.testing.assert_allclose(params, [0.25, 0.25], rtol=1e-12)


def test_early_stopping_restores_the_best_params_and_fills_the_curves():
    objective, _, _ = least_squares()
    scores = [0.1, 0.5, 0.9, 0.9, 0.3, 0.2, 0.1, 0.95]
    snapshots = []

    def validation(params):
        snapshots.append(params.copy())
        epoch = len(snapshots)
        return scores[epoch - 1], 10.0 - epoch

    params = np.zeros(N_FEATURES)
    history = History.start(True)
    assert history.validation_scores == []
    assert history.validation_loss_curve == []
    result = fit(
        objective,
        params,
        history=history,
        validation=validation,
        tol=0.0,
        n_iter_no_change=2,
    )
    # The tie at epoch 4 resets the counter but does not replace the best
    # params (the first best is kept, as in scikit-learn); then 0.3, 0.2, 0.1:
    # the third bad epoch stops training.
    assert result.n_iter == 7
    assert history.validation_scores == scores[:7]
    assert history.validation_loss_curve == [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0]
    assert history.best_validation_score == 0.9
    assert len(history.loss_curve) == 7
    np.testing.assert_array_equal(params, snapshots[2])
    assert not np.array_equal(snapshots[2], snapshots[3])
    assert not np.array_equal(snapshots[2], snapshots[-1])


def test_early_stopping_counts_tol_against_the_best_score():
    objective, _, _ = least_squares()
    scores = iter([0.5, 0.505, 0.509, 0.6, 0.6, 0.6, 0.6])

    def validation(params):
        return next(scores), 0.0

    history = History.start(True)
    result = fit(
        objective,
        np.zeros(N_FEATURES),
        history=history,
        validation=validation,
        tol=0.01,
        n_iter_no_change=1,
    )
    # 0.505 and 0.509 fail to beat 0.5 + tol: stop after epoch 3.
    assert result.n_iter == 3
    assert history.best_validation_score == 0.509


def test_early_stopping_with_divergence_keeps_the_best_params():
    objective, _, _ = least_squares()
    calls = {"n": 0}
    snapshots = []

    def diverging(params, rows, grad):
        calls["n"] += 1
        if calls["n"] > 3 * (N_SAMPLES // 8):
            return math.nan
        return objective(params, rows, grad)

    def validation(params):
        snapshots.append(params.copy())
        return [0.2, 0.8, 0.5][len(snapshots) - 1], 1.0

    params = np.zeros(N_FEATURES)
    result = fit(
        diverging, params, history=History.start(True), validation=validation, tol=0.0
    )
    assert result.diverged_epoch == 4
    np.testing.assert_array_equal(params, snapshots[1])


def test_history_start():
    plain = History.start(False)
    assert plain.loss_curve == []
    assert plain.validation_scores is None
    assert plain.validation_loss_curve is None
    assert plain.best_loss == math.inf
    assert plain.best_validation_score is None
    assert (plain.no_improvement_count, plain.t) == (0, 0)
    early = History.start(True)
    assert early.best_loss is None
    assert early.best_validation_score == -math.inf
    # Fresh lists each time (no shared mutable defaults).
    assert History.start(False).loss_curve is not History.start(False).loss_curve


def test_verbose_prints_the_epoch_losses(capsys):
    objective, _, _ = least_squares()
    fit(objective, np.zeros(N_FEATURES), max_iter=2, tol=0.0, verbose=True)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out
    assert "Iteration 2, loss = " in out


# -- fit_lbfgs ---------------------------------------------------------------


def quadratic(seed=0, n=5):
    rng = np.random.RandomState(seed)
    m = rng.normal(size=(n, n))
    a = m @ m.T + n * np.eye(n)
    b = rng.normal(size=n)

    def fun(x):
        return float(0.5 * x @ a @ x - b @ x), a @ x - b

    return fun, np.linalg.solve(a, b)


def test_lbfgs_finds_the_minimum_of_a_quadratic():
    fun, solution = quadratic()
    x0 = np.zeros(len(solution))
    result = fit_lbfgs(fun, x0, max_iter=200, max_fun=15000, tol=1e-10)
    np.testing.assert_allclose(result.params, solution, rtol=1e-6, atol=1e-8)
    assert not result.diverged
    assert result.status == 0
    assert result.loss == pytest.approx(fun(solution)[0], rel=1e-12)
    assert 1 <= result.n_iter <= 200
    assert len(result.loss_curve) == result.n_iter
    assert all(np.diff(result.loss_curve) <= 0)
    assert result.loss_curve[-1] == pytest.approx(result.loss, rel=1e-12)
    np.testing.assert_array_equal(x0, 0.0)  # the start is not modified


def test_lbfgs_respects_max_iter_and_keeps_the_dtype():
    fun, solution = quadratic(seed=1, n=8)

    def fun32(x):
        return fun(x.astype(np.float64))

    x0 = np.zeros(len(solution), dtype=np.float32)
    result = fit_lbfgs(fun32, x0, max_iter=2, max_fun=15000, tol=1e-12)
    assert result.params.dtype == np.float32
    assert result.n_iter <= 2
    assert len(result.loss_curve) <= 2
    assert result.status == 1  # stopped by the iteration limit
    assert result.loss < fun(np.zeros(len(solution)))[0]


def test_lbfgs_verbose(capsys):
    fun, solution = quadratic()
    fit_lbfgs(
        fun, np.zeros(len(solution)), max_iter=3, max_fun=100, tol=0, verbose=True
    )
    assert "Iteration 1, loss = " in capsys.readouterr().out


def nan_beyond(threshold):
    """A quadratic whose minimum (x = 1) lies where the loss is nan."""

    def fun(x):
        if x[0] > threshold:
            return math.nan, np.full_like(x, math.nan)
        return float(0.5 * ((x - 1.0) ** 2).sum()), x - 1.0

    return fun


@pytest.mark.parametrize("threshold", [0.3, 0.7, 2.0])
def test_lbfgs_with_nan_regions_returns_finite_params(threshold):
    fun = nan_beyond(threshold)
    x0 = np.zeros(3)
    result = fit_lbfgs(fun, x0, max_iter=100, max_fun=1000, tol=1e-10)
    assert np.isfinite(result.params).all()
    assert math.isfinite(result.loss)
    assert result.diverged or result.status == 0
    # The reported loss is the loss at the returned params.
    assert result.loss == pytest.approx(fun(result.params)[0], rel=1e-12)
    if threshold > 1:
        np.testing.assert_allclose(result.params, 1.0, rtol=1e-6)


def test_lbfgs_all_nan_after_the_start_returns_the_start():
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] > 1:
            return math.nan, np.full_like(x, math.nan)
        return float(0.5 * ((x - 1.0) ** 2).sum()), x - 1.0

    x0 = np.array([0.2, -0.4])
    result = fit_lbfgs(fun, x0, max_iter=50, max_fun=500, tol=1e-10)
    assert result.diverged
    np.testing.assert_array_equal(result.params, x0)
    assert result.loss == pytest.approx(0.5 * (0.8**2 + 1.4**2))


def test_lbfgs_divergence_never_returns_a_point_worse_than_the_start():
    # 1-D: L-BFGS-B's first trial is x = 1 (finite, loss 0.49 > 0.09 at x0 = 0,
    # so the line search rejects it); the interpolated retry x = 0.3 is nan,
    # every later trial is nan too and SciPy ends with status 2 (ABNORMAL) and
    # fun = nan. The last finite *evaluation* is x = 1, worse than x0; the
    # result must not be.
    def fun(x):
        if 0.1 < x[0] < 0.9:
            return math.nan, np.array([math.nan])
        return float((x[0] - 0.3) ** 2), 2 * (x - 0.3)

    x0 = np.zeros(1)
    result = fit_lbfgs(fun, x0, max_iter=100, max_fun=1000, tol=1e-10)
    assert result.diverged
    assert result.loss <= fun(x0)[0]


def test_lbfgs_divergence_keeps_the_loss_curve_finite():
    def fun(x):
        if 0.1 < x[0] < 0.9:
            return math.nan, np.array([math.nan])
        return float((x[0] - 0.3) ** 2), 2 * (x - 0.3)

    result = fit_lbfgs(fun, np.zeros(1), max_iter=100, max_fun=1000, tol=1e-10)
    assert result.diverged
    assert all(math.isfinite(v) for v in result.loss_curve)
