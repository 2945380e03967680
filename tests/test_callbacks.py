"""Progress lines (``verbose``) and scikit-learn's callback API.

Each expectation is independent of the callback machinery: the score a
callback sees after epoch k is the score of a separate fit with
``max_iter=k``; a callback's stop after k epochs gives the weights of that
fit; the verbose line's values are the recorded curves.
"""

import importlib
import re
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skentropy import (
    EEMLSTMClassifier,
    EEMLSTMRegressor,
    EEMMLPClassifier,
    EEMMLPRegressor,
    EOMRegressor,
    MinEntMLPClassifier,
    _callbacks,
)

callbacks_api = pytest.importorskip("sklearn.callback")

TIME = r"time = ([0-9.]+) s"


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(120, 4, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X, (y - y.mean()) / y.std()


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:300]), y[:300]


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    return X, y


def _quiet(est, *args, method="fit", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(est, method)(*args, **kwargs)


class Recorder:
    """A FitCallback that records every hook call and may ask to stop."""

    def __init__(self, stop_after=None, score=None):
        self.stop_after = stop_after
        self.score = score
        self.events = []
        self.scores = []
        self.snapshots = []

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, fitted_estimator=None
    ):
        self.events.append(("end", context.task_name, context.task_id))
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.snapshots.append(fitted_estimator)
            if self.score is not None:
                self.scores.append(self.score(fitted_estimator, X, y))
            finished = sum(1 for e in self.events if e[:2] == ("end", "epoch"))
            return self.stop_after is not None and finished >= self.stop_after
        return False


# -- verbose ------------------------------------------------------------------
def _lines(out, pattern):
    return [m.groups() for m in re.finditer(pattern, out)]


def test_verbose_line_per_epoch_with_validation_score_and_time(digits, capsys):
    """One line per epoch: loss and validation score as recorded, and time."""
    X, y = digits
    clf = MinEntMLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=6,
        early_stopping=True,
        n_iter_no_change=100,
        verbose=True,
        random_state=0,
    )
    _quiet(clf, X, y)
    out = capsys.readouterr().out
    lines = _lines(
        out,
        r"Iteration (\d+), loss = ([-0-9.]+), validation score = ([0-9.]+), " + TIME,
    )
    assert len(lines) == len(out.strip().splitlines()) == 6
    assert [int(line[0]) for line in lines] == list(range(1, 7))
    np.testing.assert_allclose(
        [float(line[1]) for line in lines], clf.loss_curve_, atol=1e-8
    )
    np.testing.assert_allclose(
        [float(line[2]) for line in lines], clf.validation_scores_, atol=1e-6
    )
    times = [float(line[3]) for line in lines]
    assert times == sorted(times) and times[0] >= 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: EEMMLPRegressor(hidden_layer_sizes=(5,), max_iter=4),
        lambda: EEMMLPRegressor(hidden_layer_sizes=(5,), max_iter=4, solver="lbfgs"),
        lambda: EEMLSTMRegressor(hidden_size=3, max_iter=4),
    ],
    ids=["mlp-adam", "mlp-lbfgs", "lstm"],
)
def test_verbose_line_per_iteration_without_validation(make, regression, capsys):
    X, y = regression
    est = make().set_params(verbose=True, random_state=0, tol=0.0)
    if isinstance(est, EEMLSTMRegressor):
        X = X.reshape(len(X), 2, 2)
    _quiet(est, X, y)
    out = capsys.readouterr().out
    lines = _lines(out, r"Iteration (\d+), loss = ([-0-9.]+), " + TIME)
    assert len(lines) == len(out.strip().splitlines()) == len(est.loss_curve_)
    np.testing.assert_allclose(
        [float(line[1]) for line in lines], est.loss_curve_, atol=1e-8
    )


def test_eom_verbose_line_has_time(regression, capsys):
    X, y = regression
    model = EOMRegressor(hidden_layer_sizes=(4,), max_iter=3, verbose=True)
    _quiet(model, MinMaxScaler().fit_transform(X), y)
    out = capsys.readouterr().out
    pattern = r"Iteration (\d+), total error = ([0-9.e+-]+), .*, " + TIME
    lines = _lines(out, pattern)
    assert len(lines) == len(out.strip().splitlines()) == 3
    np.testing.assert_allclose(
        [float(line[1]) for line in lines], model.loss_curve_, rtol=1e-7
    )


# -- availability ---------------------------------------------------------------
def test_every_estimator_accepts_callbacks():
    for cls in (
        EEMLSTMClassifier,
        EEMLSTMRegressor,
        EEMMLPClassifier,
        EEMMLPRegressor,
        EOMRegressor,
        MinEntMLPClassifier,
    ):
        est = cls()
        assert est.set_callbacks(Recorder()) is est
        assert isinstance(est, callbacks_api.CallbackSupportMixin)


def test_degrades_cleanly_without_sklearn_callback(monkeypatch, regression):
    """With scikit-learn < 1.9 (no sklearn.callback) there is no set_callbacks
    and fitting never opens a task tree."""
    monkeypatch.setitem(sys.modules, "sklearn.callback", None)
    try:
        old = importlib.reload(_callbacks)
        assert not old.CALLBACKS_AVAILABLE
        assert not hasattr(old.CallbackSupportMixin, "set_callbacks")
        est = EEMMLPRegressor(max_iter=2)
        est._skl_callbacks = [Recorder()]  # even if something set one
        opened = old.fit_callbacks(est, *regression, None, max_iter=2, snapshot=None)
        assert opened is None
    finally:
        monkeypatch.undo()
        importlib.reload(_callbacks)
    assert _callbacks.CALLBACKS_AVAILABLE


# -- what callbacks see ---------------------------------------------------------
def _r2(est, X, y):
    return est.score(X, y)


def _check_epoch_scores(make, X, y, n_iter):
    """The score after epoch k equals a separate fit with max_iter=k."""
    recorder = Recorder(score=_r2)
    est = make(n_iter).set_callbacks(recorder)
    _quiet(est, X, y)
    assert est.n_iter_ == n_iter
    expected = [_quiet(make(k), X, y).score(X, y) for k in range(1, n_iter + 1)]
    np.testing.assert_allclose(recorder.scores, expected, rtol=1e-12, atol=1e-12)
    # Snapshots kept until after the fit still predict as at their epoch.
    later = [snapshot.score(X, y) for snapshot in recorder.snapshots]
    np.testing.assert_allclose(later, expected, rtol=1e-12, atol=1e-12)
    return recorder


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_epoch_snapshots_predict_as_shorter_fits_mlp(solver, regression):
    X, y = regression
    _check_epoch_scores(
        lambda k: EEMMLPRegressor(
            hidden_layer_sizes=(5,), solver=solver, max_iter=k, tol=0.0, random_state=0
        ),
        X,
        y,
        4,
    )


def test_epoch_snapshots_classifier_with_offset(digits):
    X, y = digits
    _check_epoch_scores(
        lambda k: EEMMLPClassifier(
            hidden_layer_sizes=(8,), max_iter=k, tol=0.0, random_state=0
        ),
        X,
        y,
        3,
    )


def test_epoch_snapshots_lstm(sequences):
    X, y = sequences
    _check_epoch_scores(
        lambda k: EEMLSTMClassifier(
            hidden_size=3, max_iter=k, tol=0.0, random_state=0, batch_size=16
        ),
        X,
        y,
        3,
    )


def test_epoch_snapshots_eom(regression):
    X, y = regression
    X = MinMaxScaler().fit_transform(X)
    _check_epoch_scores(
        lambda k: EOMRegressor(
            hidden_layer_sizes=(4,),
            overshoot="eliminate",
            max_iter=k,
            tol=0.0,
            random_state=0,
        ),
        X,
        y,
        4,
    )


def test_task_tree_one_subtask_per_epoch(regression):
    """Setup, the root task, one begun-and-ended subtask per epoch, teardown;
    a stop by the loop's own rule ends the begun next epoch as empty."""
    X, y = regression
    recorder = Recorder()
    est = EEMMLPRegressor(
        hidden_layer_sizes=(4,), max_iter=50, n_iter_no_change=1, tol=1e9
    ).set_callbacks(recorder)
    _quiet(est, X, y)
    n = est.n_iter_
    assert n < 50  # stopped by tol, before max_iter
    epochs = [("begin", "epoch", k) for k in range(n + 1)]
    ends = [("end", "epoch", k) for k in range(n + 1)]
    expected = [("setup", "fit"), ("begin", "fit", 0)]
    for begin, end in zip(epochs, ends, strict=True):
        expected += [begin, end]
    expected += [("end", "fit", 0), ("teardown", "fit")]
    assert recorder.events == expected


def test_partial_fit_is_one_epoch_task(regression):
    X, y = regression
    recorder = Recorder()
    est = EEMMLPRegressor(hidden_layer_sizes=(4,)).set_callbacks(recorder)
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    epochs = [e for e in recorder.events if e[:2] == ("end", "epoch")]
    assert epochs == [("end", "epoch", 0)] * 2


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callback_can_stop_training(solver, regression):
    """A callback's stop after 3 epochs leaves the weights of max_iter=3,
    with no convergence warning (the stop was asked for)."""
    X, y = regression
    params = dict(hidden_layer_sizes=(5,), solver=solver, tol=0.0, random_state=0)
    est = EEMMLPRegressor(max_iter=20, **params).set_callbacks(Recorder(stop_after=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    reference = _quiet(EEMMLPRegressor(max_iter=3, **params), X, y)
    assert est.n_iter_ == 3
    for a, b in zip(est.coefs_, reference.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_callback_stop_with_early_stopping_restores_best(digits):
    X, y = digits
    params = dict(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        n_iter_no_change=100,
        tol=0.0,
        random_state=0,
    )
    est = MinEntMLPClassifier(max_iter=30, **params).set_callbacks(
        Recorder(stop_after=4)
    )
    _quiet(est, X, y)
    reference = _quiet(MinEntMLPClassifier(max_iter=4, **params), X, y)
    assert est.validation_scores_ == reference.validation_scores_
    for a, b in zip(est.coefs_, reference.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_eom_callback_can_stop(regression):
    X, y = regression
    X = MinMaxScaler().fit_transform(X)
    params = dict(hidden_layer_sizes=(4,), tol=0.0, random_state=0)
    est = EOMRegressor(max_iter=20, **params).set_callbacks(Recorder(stop_after=2))
    _quiet(est, X, y)
    reference = _quiet(EOMRegressor(max_iter=2, **params), X, y)
    assert est.n_iter_ == 2
    np.testing.assert_array_equal(est.predict(X), reference.predict(X))


def test_callbacks_do_not_change_the_fit(regression):
    X, y = regression
    plain = _quiet(EEMMLPRegressor(max_iter=5, random_state=0), X, y)
    watched = EEMMLPRegressor(max_iter=5, random_state=0).set_callbacks(
        Recorder(score=_r2)
    )
    _quiet(watched, X, y)
    np.testing.assert_array_equal(plain.predict(X), watched.predict(X))
    assert plain.loss_curve_ == watched.loss_curve_


# -- scikit-learn's own callbacks and meta-estimators ---------------------------
def test_scoring_monitor_logs_every_epoch(regression):
    X, y = regression
    monitor = callbacks_api.ScoringMonitor(scoring="r2")
    est = EEMMLPRegressor(max_iter=3, tol=0.0, random_state=0).set_callbacks(monitor)
    _quiet(est, X, y)
    logs = monitor.get_logs().data_as_pandas
    epochs = logs[logs["task_name"] == "epoch"]
    expected = [
        _quiet(EEMMLPRegressor(max_iter=k, tol=0.0, random_state=0), X, y).score(X, y)
        for k in (1, 2, 3)
    ]
    np.testing.assert_allclose(epochs["r2"], expected, rtol=1e-12)
    # the root task's score is the fitted model's own
    root = logs[logs["task_name"] == "fit"]
    np.testing.assert_allclose(root["r2"], [est.score(X, y)], rtol=1e-12)


def test_progress_bar_propagates_through_search_without_warning(regression):
    """GridSearchCV and Pipeline hand ProgressBar down to our estimator (no
    "does not support callbacks" warning) and the search is unchanged."""
    pytest.importorskip("rich")
    X, y = regression

    def search():
        pipe = make_pipeline(
            StandardScaler(), EEMMLPRegressor(max_iter=3, random_state=0)
        )
        return GridSearchCV(pipe, {"eemmlpregressor__kernel_width": [0.5, 1.0]}, cv=2)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        watched = search().set_callbacks(
            callbacks_api.ProgressBar(max_propagation_depth=None)
        )
        watched.fit(X, y)
    assert not [w for w in caught if "callbacks" in str(w.message)]
    plain = _quiet(search(), X, y)
    np.testing.assert_array_equal(
        watched.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


def test_recorder_sees_epochs_inside_a_search(regression):
    """A callback set on the inner estimator survives clone in a search."""
    X, y = regression
    recorder = Recorder()
    est = EEMMLPRegressor(max_iter=2, tol=0.0, random_state=0).set_callbacks(recorder)
    _quiet(GridSearchCV(est, {"kernel_width": [0.5, 1.0]}, cv=2), X, y)
    # 2 candidates x 2 folds + the refit, 2 epochs each
    assert sum(1 for e in recorder.events if e[:2] == ("end", "epoch")) == 5 * 2


def test_clone_keeps_callbacks_and_pickle_round_trips(regression):
    import pickle

    X, y = regression
    recorder = Recorder()
    est = EEMMLPRegressor(max_iter=2).set_callbacks(recorder)
    assert clone(est)._skl_callbacks == [recorder]
    fitted = _quiet(est, X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
