"""Training that never fails silently: weights, solver switches, divergence.

Issue 12's findings on the training loops, each checked against an
independent expectation (dropped rows, an engine gradient step).
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skentropy import (
    EEMLSTMClassifier,
    EEMLSTMRegressor,
    EEMMLPClassifier,
    EEMMLPRegressor,
    EOMRegressor,
    MinEntMLPClassifier,
)
from skentropy._engine import LOSSES


def _data(sequences=False, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(40, 6, 2)) if sequences else rng.normal(size=(40, 3))
    y = (X.reshape(40, -1)[:, 0] > 0).astype(int)
    return X, y


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


# -- sample weights ------------------------------------------------------------
@pytest.mark.parametrize(
    "make, sequences",
    [
        (lambda: MinEntMLPClassifier(hidden_layer_sizes=(5,)), False),
        (lambda: EEMMLPClassifier(hidden_layer_sizes=(5,)), False),
        (lambda: EEMLSTMClassifier(hidden_size=4), True),
    ],
)
def test_a_batch_of_zero_weights_is_skipped_like_dropped_rows(make, sequences):
    # Batches of 10 in order: zero weights on rows 0-9 make the first batch
    # empty. Skipping it must give exactly the fit without those rows (the
    # other batches are the same rows in the same order).
    X, y = _data(sequences)
    weight = np.ones(40)
    weight[:10] = 0.0
    common = dict(batch_size=10, shuffle=False, max_iter=4, random_state=0)
    weighted = _quiet(make().set_params(**common).fit, X, y, sample_weight=weight)
    dropped = _quiet(make().set_params(**common).fit, X[10:], y[10:])
    # (unit weights and no weights round differently inside the LSTM loss)
    np.testing.assert_allclose(
        weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-12
    )


_WEIGHTED = [
    (MinEntMLPClassifier, False),
    (EEMMLPClassifier, False),
    (EEMMLPRegressor, False),
    (EOMRegressor, False),
    (EEMLSTMClassifier, True),
    (EEMLSTMRegressor, True),
]


@pytest.mark.parametrize("cls, sequences", _WEIGHTED)
@pytest.mark.parametrize(
    "weight, message",
    [
        ([-1.0] + [1.0] * 39, "sample_weight must be non-negative"),
        ([0.0] * 40, "sample_weight"),
    ],
    ids=["negative", "all zero"],
)
def test_negative_and_all_zero_weights_are_rejected_by_name(
    cls, sequences, weight, message
):
    X, y = _data(sequences)
    with pytest.raises(ValueError, match=message):
        cls(max_iter=2).fit(X, y, sample_weight=np.array(weight))


def test_negative_step_weights_are_rejected_by_name():
    X, _ = _data(sequences=True)
    Y = X[:, :, :1].reshape(40, -1)
    weight = np.ones((40, 6))
    weight[3, 2] = -0.5
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        EEMLSTMRegressor(readout="every_step", max_iter=2).fit(
            X, Y, sample_weight=weight
        )
    with pytest.raises(ValueError, match="sample_weight"):
        EEMLSTMRegressor(readout="every_step", max_iter=2).fit(
            X, Y, sample_weight=np.zeros((40, 6))
        )


# -- set_params(solver=...) between partial_fit calls -------------------------
def test_switching_solver_between_partial_fits_starts_a_fresh_optimizer():
    X, y = _data()
    clf = MinEntMLPClassifier(
        hidden_layer_sizes=(5,), loss="cross_entropy", solver="adam", random_state=0
    )
    clf.partial_fit(X, y, classes=[0, 1])
    # Plain full-batch gradient descent: one step of -lr * gradient from the
    # current weights, whatever state the previous solver left.
    lr = 0.1
    clf.set_params(
        solver="sgd",
        learning_rate_init=lr,
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=40,
        shuffle=False,
    )
    network = clf._build_network(X.astype(float), np.eye(2)[y][:, 1:])
    before = network.pack(clf.coefs_, clf.intercepts_)
    grad = np.empty_like(before)
    network.loss_grad(
        before,
        X,
        y[:, None].astype(float),
        grad,
        LOSSES["cross_entropy"],
        alpha=clf.alpha,
    )
    clf.partial_fit(X, y)
    after = network.pack(clf.coefs_, clf.intercepts_)
    np.testing.assert_allclose(after, before - lr * grad, rtol=1e-12, atol=1e-15)
    # ... and back to adam: a fresh Adam state, no KeyError.
    clf.set_params(solver="adam").partial_fit(X, y)
    assert np.isfinite(clf.loss_)


# -- divergence and extreme scales ---------------------------------------------
def _flat_and_sequences():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    Xs = rng.normal(size=(60, 5, 2))
    return X, (X[:, 0] > 0).astype(int), Xs, (Xs[:, 0, 0] > 0).astype(int)


_DIVERGING = {
    # name: (estimator, data kind, text the warning must contain)
    "MinEnt lr 1e10": (
        MinEntMLPClassifier(learning_rate_init=1e10),
        "flat",
        "learning_rate_init",
    ),
    "EEM MLP lr 1e300": (
        EEMMLPRegressor(learning_rate_init=1e300),
        "flat-reg",
        "learning_rate_init",
    ),
    "LSTM lr 1e10": (
        EEMLSTMClassifier(learning_rate_init=1e10, max_grad_norm=None),
        "seq",
        "learning_rate_init",
    ),
    "LSTM lr 1e300": (
        EEMLSTMClassifier(learning_rate_init=1e300),
        "seq",
        "learning_rate_init",
    ),
    "EEM MLP width 1e-300": (
        EEMMLPClassifier(kernel_width=1e-300),
        "flat",
        "kernel_width",
    ),
    "LSTM width 1e-300": (
        EEMLSTMClassifier(kernel_width=1e-300),
        "seq",
        "kernel_width",
    ),
    "LSTM regressor width 1e-300": (
        EEMLSTMRegressor(kernel_width=1e-300),
        "seq-reg",
        "kernel_width",
    ),
    "MinEnt X * 1e300": (MinEntMLPClassifier(), "flat-huge", "Scale X"),
    "MinEnt lbfgs X * 1e300": (
        MinEntMLPClassifier(solver="lbfgs"),
        "flat-huge",
        "Scale",
    ),
    "EOM lr 1e300": (
        EOMRegressor(learning_rate_init=1e300),
        "flat-reg",
        "learning_rate_init",
    ),
}


@pytest.mark.parametrize("case", list(_DIVERGING))
def test_divergence_is_reported_with_its_cause_and_nothing_leaks(case):
    estimator, kind, cause = _DIVERGING[case]
    X, y, Xs, ys = _flat_and_sequences()
    data = {
        "flat": (X, y),
        "flat-reg": (X, X[:, 0]),
        "flat-huge": (X * 1e300, y),
        "seq": (Xs, ys),
        "seq-reg": (Xs, Xs[:, 0, 0]),
    }[kind]
    estimator.set_params(max_iter=5, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(*data)
        prediction = estimator.predict(data[0])
        if hasattr(estimator, "predict_proba"):
            estimator.predict_proba(data[0])
    leaked = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not leaked, [str(w.message) for w in leaked]
    messages = [str(w.message) for w in caught]
    assert any(cause in m for m in messages), messages
    if "learning_rate_init" in cause or "kernel_width" in cause:
        assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if kind.endswith("reg") or kind == "flat-reg":
        assert np.isfinite(prediction).all()


def test_the_lbfgs_message_never_blames_the_learning_rate():
    X, y, _, _ = _flat_and_sequences()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MinEntMLPClassifier(solver="lbfgs", max_iter=5, random_state=0).fit(
            X * 1e300, y
        )
    assert not any("learning_rate_init" in str(w.message) for w in caught)


def test_exploded_weights_are_not_kept():
    # lr 1e10: the first epoch throws the weights to ~1e8 and beyond; the fit
    # keeps the starting weights instead (the last with a sane loss).
    X, y, _, _ = _flat_and_sequences()
    blown = _quiet(
        MinEntMLPClassifier(learning_rate_init=1e10, max_iter=5, random_state=0).fit,
        X,
        y,
    )
    assert max(np.abs(c).max() for c in blown.coefs_) < 1e3


# -- interruption ----------------------------------------------------------------
def _interrupt_after(estimator, calls):
    """Make the estimator's batch objective raise KeyboardInterrupt on call
    number ``calls + 1``, as Ctrl-C inside the epoch loop would."""
    original = estimator._objective

    def objective(*args, **kwargs):
        inner = original(*args, **kwargs)
        count = {"n": 0}

        def wrapped(params, rows, grad):
            count["n"] += 1
            if count["n"] > calls:
                raise KeyboardInterrupt
            return inner(params, rows, grad)

        return wrapped

    estimator._objective = objective
    return estimator


@pytest.mark.parametrize(
    "make, sequences",
    [
        (lambda: MinEntMLPClassifier(hidden_layer_sizes=(5,)), False),
        (lambda: EEMLSTMClassifier(hidden_size=4), True),
    ],
)
def test_ctrl_c_keeps_the_model_trained_so_far(make, sequences):
    # Batches of 20 over 40 rows: two batches an epoch; interrupting the
    # fifth batch call leaves exactly two finished epochs.
    X, y = _data(sequences)
    common = dict(batch_size=20, max_iter=10, random_state=0)
    interrupted = _interrupt_after(make().set_params(**common), 4)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        interrupted.fit(X, y)
    two_epochs = _quiet(make().set_params(**{**common, "max_iter": 2}).fit, X, y)
    assert interrupted.n_iter_ == 2
    np.testing.assert_array_equal(
        interrupted.predict_proba(X), two_epochs.predict_proba(X)
    )


def test_ctrl_c_in_the_eom_loop_keeps_the_last_accepted_iterate(monkeypatch):
    import skentropy._engine.overshoot as overshoot

    X, _ = _data()
    y = X[:, 0] ** 2
    calls = {"n": 0}
    original = overshoot._Evaluator.evaluate

    def evaluate(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 4:  # the initial pass, then three iterations
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(overshoot._Evaluator, "evaluate", evaluate)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        model = EOMRegressor(max_iter=50, random_state=0).fit(X, y)
    monkeypatch.setattr(overshoot._Evaluator, "evaluate", original)
    three = _quiet(EOMRegressor(max_iter=3, random_state=0).fit, X, y)
    assert model.n_iter_ == 3
    np.testing.assert_array_equal(model.predict(X), three.predict(X))


# -- versioned persistence ---------------------------------------------------------
def _fitted(cls, sequences):
    X, y = _data(sequences)
    if cls in (EEMMLPRegressor, EOMRegressor, EEMLSTMRegressor):
        y = X.reshape(40, -1)[:, 0]
    return _quiet(cls(max_iter=3, random_state=0).fit, X, y), X, y


@pytest.mark.parametrize("cls, sequences", _WEIGHTED)
def test_pickles_carry_versions_and_warn_under_another(cls, sequences):
    import pickle

    import sklearn

    import skentropy

    model, X, _ = _fitted(cls, sequences)
    state = model.__getstate__()
    assert state["_skentropy_version"] == skentropy.__version__
    assert state["_sklearn_version"] == sklearn.__version__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same versions: silent
        same = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(same.predict(X), model.predict(X))
    assert "_skentropy_version" not in vars(same)
    state["_skentropy_version"] = "0.0.1"
    clone = cls.__new__(cls)
    with pytest.warns(skentropy.InconsistentVersionWarning, match="0.0.1"):
        clone.__setstate__(state)
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))


@pytest.mark.parametrize("cls, sequences", _WEIGHTED)
def test_skops_round_trip_trusts_only_our_classes_and_training_continues(
    cls, sequences
):
    sio = pytest.importorskip("skops.io")
    model, X, y = _fitted(cls, sequences)
    payload = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=payload)
    assert all(name.startswith("skentropy.") for name in untrusted), untrusted
    loaded = sio.loads(payload, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # Training continues after the round trip exactly as before it.
    if hasattr(model, "partial_fit"):
        _quiet(model.partial_fit, X, y)
        _quiet(loaded.partial_fit, X, y)
    else:
        model.set_params(warm_start=True)
        loaded.set_params(warm_start=True)
        _quiet(model.fit, X, y)
        _quiet(loaded.fit, X, y)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
