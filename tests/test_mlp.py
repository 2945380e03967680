"""MinEntMLPClassifier: MLPClassifier parity, entropy losses, sklearn workflows."""

import inspect
import io
import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import entr, xlogy
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

from skentropy import MinEntMLPClassifier

LOSSES = ("cross_entropy", "min_ent", "mix_ent")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def _targets(y):
    return {
        "multiclass": y,
        "binary": y % 2,
        "multilabel": np.c_[y % 2, y % 3 == 0, y > 4].astype(int),
    }


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


# -- drop-in parity with MLPClassifier -----------------------------------------
@pytest.mark.parametrize(
    "solver, params",
    [
        ("sgd", {"learning_rate_init": 0.05}),
        ("sgd", {"learning_rate": "invscaling", "learning_rate_init": 0.2}),
        ("adam", {}),
        ("lbfgs", {}),
    ],
)
@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
def test_cross_entropy_reproduces_mlpclassifier(digits, solver, params, target):
    X, y = digits
    y = _targets(y)[target]
    common = dict(
        hidden_layer_sizes=(32, 16),
        solver=solver,
        max_iter=20,
        random_state=0,
        **params,
    )
    ref = _quiet_fit(MLPClassifier(**common), X, y)
    ours = _quiet_fit(MinEntMLPClassifier(loss="cross_entropy", **common), X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6
    )
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.n_iter_ == ref.n_iter_
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-9)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-9)
        assert ours.t_ == ref.t_
    for a, b in zip(
        ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-8)


@pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPClassifier.fit).parameters,
    reason="the reference, MLPClassifier, takes sample_weight from scikit-learn 1.7",
)
def test_parity_with_early_stopping_sample_weight_and_partial_fit(digits):
    X, y = digits
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    common = dict(
        hidden_layer_sizes=(24,), max_iter=15, random_state=3, early_stopping=True
    )
    ref = _quiet_fit(MLPClassifier(**common), X, y, sample_weight=sw)
    ours = _quiet_fit(
        MinEntMLPClassifier(loss="cross_entropy", **common), X, y, sample_weight=sw
    )
    np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_)
    assert ours.best_validation_score_ == ref.best_validation_score_
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert len(ours.validation_loss_curve_) == ours.n_iter_

    ref = MLPClassifier(hidden_layer_sizes=(24,), random_state=0)
    ours = MinEntMLPClassifier(
        loss="cross_entropy", hidden_layer_sizes=(24,), random_state=0
    )
    for start in range(0, 600, 150):
        rows = slice(start, start + 150)
        ref.partial_fit(X[rows], y[rows], classes=np.arange(10))
        ours.partial_fit(X[rows], y[rows], classes=np.arange(10))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


# -- the entropy losses ------------------------------------------------------------
@pytest.mark.parametrize("loss", ["min_ent", "mix_ent"])
def test_zero_entropy_weight_is_cross_entropy(digits, loss):
    X, y = digits
    common = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    ce = _quiet_fit(MinEntMLPClassifier(loss="cross_entropy", **common), X, y)
    reg = _quiet_fit(MinEntMLPClassifier(loss=loss, entropy_weight=0.0, **common), X, y)
    np.testing.assert_array_equal(reg.predict_proba(X), ce.predict_proba(X))


@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
def test_min_ent_loss_value_is_cross_entropy_plus_entropy(digits, target):
    # The reported full-batch loss of a fitted model equals CE + lambda * H
    # recomputed independently from its probabilities.
    X, y = digits
    y = _targets(y)[target]
    lam = 0.7
    clf = _quiet_fit(
        MinEntMLPClassifier(
            loss="min_ent",
            entropy_weight=lam,
            alpha=0.0,
            solver="lbfgs",
            max_iter=5,
            hidden_layer_sizes=(8,),
            random_state=0,
        ),
        X,
        y,
    )
    proba = clf.predict_proba(X)
    if target == "multilabel":
        q = np.asarray(y, dtype=float)
        ce = -(xlogy(q, proba) + xlogy(1 - q, 1 - proba)).sum(axis=1).mean()
        h = (entr(proba) + entr(1 - proba)).sum(axis=1).mean()
    else:
        q = np.eye(proba.shape[1])[np.searchsorted(clf.classes_, y)]
        ce = -xlogy(q, proba).sum(axis=1).mean()
        h = entr(proba).sum(axis=1).mean()
    assert clf.loss_ == pytest.approx(ce + lam * h, rel=1e-8)


@pytest.mark.slow
def test_entropy_losses_lower_predictive_entropy_and_keep_accuracy():
    """Small version of benchmarks/minent_digits.py (the paper's claim, in shape)."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X / 16, y, test_size=0.3, random_state=0, stratify=y
    )
    acc, ent = {}, {}
    for loss in LOSSES:
        accs, ents = [], []
        for seed in range(3):
            clf = _quiet_fit(
                MinEntMLPClassifier(
                    loss=loss,
                    entropy_weight=0.3,
                    hidden_layer_sizes=(64,),
                    max_iter=40,
                    random_state=seed,
                ),
                X_tr,
                y_tr,
            )
            accs.append(clf.score(X_te, y_te))
            ents.append(entr(clf.predict_proba(X_te)).sum(axis=1).mean())
        acc[loss], ent[loss] = np.mean(accs), np.mean(ents)
    assert ent["min_ent"] < 0.85 * ent["cross_entropy"]
    assert ent["mix_ent"] < 0.8 * ent["cross_entropy"]
    assert acc["min_ent"] > acc["cross_entropy"] - 0.02
    assert acc["mix_ent"] > acc["cross_entropy"] - 0.02


@pytest.mark.slow
def test_mix_ent_resists_label_noise():
    """MIX-ENT's MAE-like term should beat CE under 40 % symmetric label noise."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X / 16, y, test_size=0.3, random_state=0, stratify=y
    )
    rng = np.random.default_rng(0)
    flip = rng.random(len(y_tr)) < 0.4
    noisy = y_tr.copy()
    noisy[flip] = (y_tr[flip] + rng.integers(1, 10, flip.sum())) % 10
    scores = {}
    for loss in ("cross_entropy", "mix_ent"):
        clf = _quiet_fit(
            MinEntMLPClassifier(
                loss=loss,
                entropy_weight=0.3,
                hidden_layer_sizes=(128,),
                max_iter=150,
                random_state=0,
            ),
            X_tr,
            noisy,
        )
        scores[loss] = clf.score(X_te, y_te)
    assert scores["mix_ent"] > scores["cross_entropy"] + 0.01


# -- sklearn workflows ------------------------------------------------------------
@pytest.mark.slow
def test_pipeline_and_grid_search_with_two_jobs():
    X, y = make_classification(240, 8, n_informative=5, n_classes=3, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        MinEntMLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
    )
    grid = GridSearchCV(
        pipe,
        param_grid={
            "minentmlpclassifier__learning_rate_init": [1e-3, 1e-2],
            "minentmlpclassifier__entropy_weight": [0.0, 0.2],
            "minentmlpclassifier__loss": list(LOSSES),
        },
        cv=3,
        n_jobs=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 12
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_score_ > 0.7
    assert grid.predict(X).shape == (240,)


def test_dataframe_input_and_string_labels():
    X, y = make_classification(
        150, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = pd.Series(np.array(["cat", "dog", "eel"])[y], name="animal")
    clf = _quiet_fit(MinEntMLPClassifier(max_iter=50, random_state=0), frame, labels)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    assert set(clf.predict(frame)) <= {"cat", "dog", "eel"}
    assert clf.score(frame, labels) > 0.75
    with pytest.raises(ValueError, match="Feature names"):
        clf.predict(frame[["b", "a", "c", "d"]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X)


def test_sparse_input_matches_dense(digits):
    X, y = digits
    common = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    dense = _quiet_fit(MinEntMLPClassifier(**common), X, y)
    sparse = _quiet_fit(MinEntMLPClassifier(**common), sp.csr_matrix(X), y)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X), atol=1e-10
    )


def test_float32_trains_in_float32(digits):
    X, y = digits
    clf = _quiet_fit(
        MinEntMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
        X.astype(np.float32),
        y,
    )
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_predict_log_proba_is_log_of_predict_proba(digits):
    X, y = digits
    clf = _quiet_fit(
        MinEntMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
        X,
        y % 2,
    )
    np.testing.assert_array_equal(
        clf.predict_log_proba(X), np.log(clf.predict_proba(X))
    )
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_multilabel_partial_fit_and_predict():
    X, Y = make_multilabel_classification(200, 10, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = MinEntMLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    for _ in range(100):
        clf.partial_fit(X, Y, classes=np.arange(4))
    assert clf.predict(X).shape == Y.shape
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.score(X, Y) > 0.35
    assert clf.out_activation_ == "logistic"


# -- errors -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "make_X, message",
    [
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), "NaN"),
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X),
            "infinity",
        ),
        (lambda X: X[:, :, None], "3"),
    ],
    ids=["nan", "inf", "3d"],
)
def test_bad_X_at_fit(digits, make_X, message):
    X, y = digits
    with pytest.raises(ValueError, match=message):
        MinEntMLPClassifier(max_iter=2).fit(make_X(X), y)


def test_bad_input_messages(digits):
    X, y = digits
    clf = _quiet_fit(MinEntMLPClassifier(hidden_layer_sizes=(8,), max_iter=2), X, y)
    with pytest.raises(
        ValueError,
        match="X has 63 features, but MinEntMLPClassifier is expecting 64 features",
    ):
        clf.predict(X[:, :63])
    with pytest.raises(ValueError, match="only one class"):
        MinEntMLPClassifier().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        MinEntMLPClassifier().fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(InvalidParameterError, match="entropy_weight"):
        MinEntMLPClassifier(entropy_weight=-0.1).fit(X, y)
    with pytest.raises(InvalidParameterError, match="eps"):
        MinEntMLPClassifier(eps=0.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="loss"):
        MinEntMLPClassifier(loss="mse").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive"):
        MinEntMLPClassifier(hidden_layer_sizes=(8, 0)).fit(X, y)


def test_partial_fit_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MinEntMLPClassifier().partial_fit(X, y)
    clf = MinEntMLPClassifier().partial_fit(X[y < 5], y[y < 5], classes=np.arange(5))
    with pytest.raises(
        ValueError, match=re.escape("classes not in `self.classes_`: [5 6 7 8 9]")
    ):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="X has 10 features"):
        clf.partial_fit(X[:, :10], y)
    lbfgs = MinEntMLPClassifier(solver="lbfgs")
    assert not hasattr(lbfgs, "partial_fit")
    with pytest.raises(AttributeError) as error:
        lbfgs.partial_fit(X, y, classes=np.arange(10))
    assert "only available for stochastic" in str(error.value.__cause__)
    with pytest.raises(ValueError, match="early_stopping"):
        MinEntMLPClassifier(early_stopping=True).partial_fit(
            X, y, classes=np.arange(10)
        )
    warm = _quiet_fit(MinEntMLPClassifier(warm_start=True, max_iter=2), X, y)
    with pytest.raises(ValueError, match="same classes"):
        warm.fit(X[y < 5], y[y < 5])
    with pytest.raises(ValueError, match="same network"):
        warm.set_params(hidden_layer_sizes=(7,)).fit(X, y)


def test_caller_arrays_are_not_modified(digits):
    X, y = digits
    sw = np.linspace(0.5, 1.5, len(y))
    copies = [X.copy(), y.copy(), sw.copy()]
    for arr in (X, y, sw):
        arr.setflags(write=False)
    for solver in ("adam", "sgd", "lbfgs"):
        clf = _quiet_fit(
            MinEntMLPClassifier(solver=solver, max_iter=3, shuffle=True),
            X,
            y,
            sample_weight=sw,
        )
        clf.predict_proba(X)
    MinEntMLPClassifier().partial_fit(X, y, classes=np.arange(10), sample_weight=sw)
    for arr, copy in zip((X, y, sw), copies, strict=True):
        np.testing.assert_array_equal(arr, copy)


# -- divergence ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "solver, learning_rate_init", [("sgd", 1e100), ("adam", 1e200)]
)
def test_divergence_stops_with_finite_weights_and_warns(solver, learning_rate_init):
    X, y = make_classification(200, 10, random_state=0)
    clf = MinEntMLPClassifier(
        solver=solver,
        learning_rate_init=learning_rate_init,
        max_iter=50,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages  # no numpy overflow chatter besides ours
    assert issubclass(caught[0].category, ConvergenceWarning)
    assert re.search(r"diverged in epoch \d+.*Lower learning_rate_init", messages[0])
    assert clf.n_iter_ < 50
    assert all(np.isfinite(w).all() for w in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert np.isfinite(clf.loss_curve_).all()


# -- determinism and persistence ----------------------------------------------------
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_same_random_state_same_result_bit_for_bit(digits, solver):
    X, y = digits
    params = dict(
        solver=solver,
        hidden_layer_sizes=(16,),
        max_iter=8,
        random_state=7,
        early_stopping=solver != "lbfgs",
    )
    a = _quiet_fit(MinEntMLPClassifier(**params), X, y)
    b = _quiet_fit(MinEntMLPClassifier(**params), X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_round_trip_and_partial_fit_after_unpickling(digits, dump):
    X, y = digits
    clf = MinEntMLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    clf.partial_fit(X, y, classes=np.arange(10))
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(clf))
    else:
        buffer = io.BytesIO()
        joblib.dump(clf, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    # Continuing from the copy gives exactly what continuing the original gives.
    clf.partial_fit(X, y)
    before = [w.copy() for w in restored.coefs_]
    restored.partial_fit(X, y)
    assert not np.array_equal(before[0], restored.coefs_[0])
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.t_ == clf.t_ == 2 * len(y)


def test_fitted_state_is_plain_data(digits):
    X, y = digits
    clf = _quiet_fit(MinEntMLPClassifier(hidden_layer_sizes=(8,), max_iter=2), X, y)

    def plain(value):
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        if isinstance(value, list | tuple):
            return all(plain(v) for v in value)
        return value is None or isinstance(
            value, np.ndarray | np.generic | int | float | str
        )

    assert all(plain(v) for v in vars(clf).values())


# -- sample weights -----------------------------------------------------------------
@pytest.mark.parametrize("loss", LOSSES)
def test_lbfgs_sample_weight_equals_repetition(loss):
    check_sample_weight_equivalence_on_dense_data(
        "MinEntMLPClassifier",
        MinEntMLPClassifier(loss=loss, solver="lbfgs", random_state=0),
    )


def test_warm_start_continues_from_previous_weights(digits):
    X, y = digits
    clf = MinEntMLPClassifier(
        hidden_layer_sizes=(16,), max_iter=3, warm_start=True, random_state=0, tol=0
    )
    _quiet_fit(clf, X, y)
    first = clf.loss_curve_[-1]
    _quiet_fit(clf, X, y)
    assert len(clf.loss_curve_) == 6
    assert clf.loss_curve_[-1] < first


def test_verbose_prints_progress(digits, capsys):
    X, y = digits
    _quiet_fit(
        MinEntMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, verbose=True), X, y
    )
    assert "Iteration 2, loss =" in capsys.readouterr().out


def test_warm_start_can_switch_early_stopping(digits):
    X, y = digits
    clf = MinEntMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, warm_start=True, random_state=0
    )
    _quiet_fit(clf, X, y)
    _quiet_fit(clf.set_params(early_stopping=True), X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ and clf.best_loss_ is None
    _quiet_fit(clf.set_params(early_stopping=False), X, y)
    assert np.isfinite(clf.best_loss_) and len(clf.loss_curve_) == 9


# -- safety net: every parameter against MLPClassifier ------------------------------
# MLPClassifier is the independent expectation: with loss="cross_entropy" and the
# same random_state, every shared parameter must act exactly as it does there.
PARITY_SETTINGS = [
    ("adam", {"activation": "identity"}),
    ("sgd", {"activation": "logistic", "learning_rate_init": 0.1}),
    ("adam", {"activation": "tanh"}),
    ("sgd", {"momentum": 0.5, "learning_rate_init": 0.05}),
    ("sgd", {"nesterovs_momentum": False, "learning_rate_init": 0.05}),
    (
        "sgd",
        {"learning_rate": "invscaling", "power_t": 0.25, "learning_rate_init": 0.1},
    ),
    ("adam", {"beta_1": 0.8, "beta_2": 0.99, "learning_rate_init": 0.01}),
    ("adam", {"epsilon": 1e-3, "learning_rate_init": 0.01}),
    ("adam", {"batch_size": 32}),
    ("sgd", {"batch_size": 50, "shuffle": False, "learning_rate_init": 0.05}),
    ("adam", {"shuffle": False, "batch_size": 64}),
    ("adam", {"early_stopping": True, "validation_fraction": 0.3}),
    ("sgd", {"early_stopping": True, "validation_fraction": 0.2, "momentum": 0.8}),
    ("adam", {"n_iter_no_change": 2, "tol": 5e-2}),
    (
        "sgd",
        {
            "learning_rate": "adaptive",
            "n_iter_no_change": 1,
            "tol": 0.2,
            "learning_rate_init": 0.05,
            "max_iter": 40,
        },
    ),
    ("adam", {"alpha": 0.5}),
    ("lbfgs", {"max_fun": 20, "max_iter": 200}),
    ("lbfgs", {"activation": "tanh", "alpha": 0.01}),
]


def _setting_id(value):
    if isinstance(value, str):
        return value
    return "-".join(f"{key}={v}" for key, v in value.items())


@pytest.mark.parametrize("target", ["multiclass", "binary"])
@pytest.mark.parametrize("solver, params", PARITY_SETTINGS, ids=_setting_id)
def test_every_shared_parameter_acts_as_in_mlpclassifier(
    digits, solver, params, target
):
    """Same random_state and setting: MLPClassifier's weights, probabilities,
    curves and iteration counts, to round-off."""
    X, y = digits
    X, y = X[:300], _targets(y[:300])[target]
    common = {
        "hidden_layer_sizes": (16,),
        "solver": solver,
        "max_iter": 15,
        "random_state": 0,
        **params,
    }
    ref = _quiet_fit(MLPClassifier(**common), X, y)
    ours = _quiet_fit(MinEntMLPClassifier(loss="cross_entropy", **common), X, y)
    atol = 1e-10 if solver == "lbfgs" else 1e-13
    np.testing.assert_allclose(
        ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=atol
    )
    for a, b in zip(
        ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    if solver != "lbfgs":  # MLPClassifier keeps no L-BFGS loss curve
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)
        assert ours.t_ == ref.t_
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_)
        assert ours.best_validation_score_ == ref.best_validation_score_
    if "max_fun" in params or "n_iter_no_change" in params:
        assert ours.n_iter_ < common["max_iter"]  # the setting stopped training
