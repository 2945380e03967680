"""EEMLSTMClassifier: learning, input layouts, workflows, errors, persistence."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

from skentropy import EEMLSTMClassifier

LOSSES = ("eem", "mse", "cross_entropy")


def _memory_task(n=160, steps=6, channels=2, seed=0):
    """The label is the sign of the first step's first channel: it needs memory."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, channels))
    return X, np.where(X[:, 0, 0] > 0, "up", "down")


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


@pytest.mark.parametrize("loss", LOSSES)
def test_learns_a_task_that_needs_memory(loss):
    X, y = _memory_task()
    clf = _fit(
        EEMLSTMClassifier(loss=loss, hidden_size=8, max_iter=80, random_state=0), X, y
    )
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert (clf.n_timesteps_, clf.n_channels_) == (6, 2)


def test_2d_time_major_input_equals_3d(tmp_path):
    X, y = _memory_task()
    three = _fit(EEMLSTMClassifier(hidden_size=4, max_iter=3, random_state=0), X, y)
    two = _fit(
        EEMLSTMClassifier(hidden_size=4, max_iter=3, n_channels=2, random_state=0),
        X.reshape(len(X), -1),
        y,
    )
    np.testing.assert_array_equal(three.params_, two.params_)
    np.testing.assert_array_equal(
        two.predict_proba(X), three.predict_proba(X.reshape(len(X), -1))
    )


def test_silverman_kernel_width_is_resolved_once():
    X, y = _memory_task()
    clf = _fit(
        EEMLSTMClassifier(kernel_width="silverman", max_iter=2, random_state=0), X, y
    )
    assert clf.kernel_width == "silverman" and clf.kernel_width_ > 0
    assert _fit(EEMLSTMClassifier(loss="mse", max_iter=2), X, y).kernel_width_ is None


def test_grid_search_over_kernel_width_and_learning_rate_on_3d_input():
    X, y = _memory_task(n=90)
    grid = GridSearchCV(
        EEMLSTMClassifier(hidden_size=6, max_iter=30, random_state=0),
        {"kernel_width": [0.8, 1.5], "learning_rate_init": [0.01, 0.03]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_score_ > 0.6


@pytest.mark.parametrize("loss", LOSSES)
def test_full_batch_sample_weights_equal_repeated_rows(loss):
    check_sample_weight_equivalence_on_dense_data(
        "EEMLSTMClassifier",
        EEMLSTMClassifier(loss=loss, batch_size=10_000, max_iter=20, random_state=0),
    )


def test_bad_input_errors():
    X, y = _memory_task()
    clf = _fit(EEMLSTMClassifier(hidden_size=4, max_iter=2), X, y)
    with pytest.raises(ValueError, match=r"3 channels per time step.*fitted with 2"):
        clf.predict(np.zeros((2, 6, 3)))
    with pytest.raises(ValueError, match="got 4-D input"):
        clf.fit(X[..., None], y)
    with pytest.raises(ValueError, match="equal length"):
        clf.fit([[1.0, 2.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(InvalidParameterError, match="kernel_width"):
        EEMLSTMClassifier(kernel_width=0.0).fit(X, y)
    with pytest.raises(ValueError, match="not a multiple of n_channels=5"):
        EEMLSTMClassifier(n_channels=5).fit(X.reshape(len(X), -1), y)
    with pytest.raises(ValueError, match="only one class"):
        EEMLSTMClassifier().fit(X, np.zeros(len(X)))


def test_divergence_warns_and_keeps_finite_weights():
    # Saturating gates freeze rather than overflow, but an L2 step far above
    # its stability limit grows the weights geometrically until they overflow.
    X, y = _memory_task()
    clf = EEMLSTMClassifier(
        solver="sgd",
        momentum=0.0,
        alpha=1.0,
        learning_rate_init=1e6,
        max_iter=50,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        clf.fit(X, y)
    assert clf.n_iter_ < 50
    assert np.isfinite(clf.params_).all()
    assert np.isfinite(clf.predict_proba(X)).all()


def test_determinism_pickle_and_partial_fit():
    X, y = _memory_task()
    a = _fit(EEMLSTMClassifier(hidden_size=4, max_iter=5, random_state=3), X, y)
    b = _fit(EEMLSTMClassifier(hidden_size=4, max_iter=5, random_state=3), X, y)
    np.testing.assert_array_equal(a.params_, b.params_)
    clf = EEMLSTMClassifier(hidden_size=4, random_state=0)
    clf.partial_fit(X, y, classes=["down", "up"])
    copy = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y)
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.params_, clf.params_)


def test_entropy_over_samples_learns_and_stores_the_offset():
    X, y = _memory_task()
    clf = _fit(
        EEMLSTMClassifier(
            entropy_over="samples", hidden_size=8, max_iter=80, random_state=0
        ),
        X,
        y,
    )
    assert clf.score(X, y) > 0.9
    assert clf.offset_.shape == (2,) and np.any(clf.offset_ != 0)
    assert not np.any(_fit(EEMLSTMClassifier(max_iter=2), X, y).offset_)
