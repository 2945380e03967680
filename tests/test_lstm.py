"""EEMLSTMClassifier: learning, input layouts, workflows, errors, persistence."""

import pickle
import re
import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
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


@pytest.mark.slow
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
    assert grid.best_score_ > 0.85


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
    with pytest.raises(ValueError, match="ragged nested lists"):
        clf.fit([[[1.0], [2.0]], [1.0]], [0, 1])
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
        max_grad_norm=None,  # the default clipping turns geometric growth linear
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        clf.fit(X, y)
    assert clf.n_iter_ < 50
    assert np.isfinite(clf.params_).all()
    assert np.isfinite(clf.predict_proba(X)).all()
    # Clipped, every step is at most lr long: 50 epochs stay finite.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clipped = clf.set_params(max_grad_norm=1.0).fit(X, y)
    assert not [w for w in caught if "diverged" in str(w.message)]
    assert np.isfinite(clipped.params_).all()


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


# -- safety net: every parameter against an independent expectation -------------
# The helpers below re-implement, in plain NumPy and without the engine, the
# documented network (flat layout: LSTM block [W_x; W_h; b] with gate columns
# [o, i, f, g] or [o, i, g], then output weights, then output biases), its
# initialisation and the training objectives.


def _task3(n=30, steps=4, channels=2, seed=0):
    """Three classes that need the first and the last step."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, channels))
    score = X[:, 0, 0] + 0.5 * X[:, -1, 1]
    return X, np.array(["a", "b", "c"])[np.digitize(score, [-0.4, 0.4])]


def _sizes(n_inputs, hidden, n_classes, forget_gate=True):
    gates = 4 if forget_gate else 3
    n_lstm = (n_inputs + hidden + 1) * gates * hidden
    return gates, n_lstm, n_lstm + hidden * n_classes + n_classes


def _np_logits(params, X, hidden, n_classes, forget_gate=True):
    """Last-step output logits of the documented LSTM + dense head, by hand."""
    n, steps, d = X.shape
    gates, n_lstm, total = _sizes(d, hidden, n_classes, forget_gate)
    assert params.shape == (total,)
    H = hidden
    block = params[:n_lstm].reshape(d + H + 1, gates * H)
    w_x, w_h, b = block[:d], block[d : d + H], block[d + H]
    head = params[n_lstm : n_lstm + H * n_classes].reshape(H, n_classes)
    head_bias = params[n_lstm + H * n_classes :]
    h, c = np.zeros((n, H)), np.zeros((n, H))
    for t in range(steps):
        a = X[:, t] @ w_x + h @ w_h + b
        o, i, g = expit(a[:, :H]), expit(a[:, H : 2 * H]), np.tanh(a[:, -H:])
        c = (expit(a[:, 2 * H : 3 * H]) * c if forget_gate else c) + i * g
        h = o * np.tanh(c)
    return h @ head + head_bias


def _np_init(seed, n_inputs, hidden, n_classes, forget_gate=True):
    """The documented init (PyTorch-uniform LSTM, forget bias 1, Glorot head).

    Returns the parameters and the random stream after the draws, from which
    the fit then draws its validation split and its shuffles.
    """
    rng = np.random.RandomState(seed)
    gates, n_lstm, total = _sizes(n_inputs, hidden, n_classes, forget_gate)
    params = np.zeros(total)
    bound = 1.0 / np.sqrt(hidden)
    params[:n_lstm] = rng.uniform(-bound, bound, n_lstm)
    if forget_gate:
        bias = n_lstm - gates * hidden
        params[bias + 2 * hidden : bias + 3 * hidden] = 1.0
    bound = np.sqrt(6.0 / (hidden + n_classes))
    params[n_lstm : n_lstm + hidden * n_classes] = rng.uniform(
        -bound, bound, hidden * n_classes
    )
    return params, rng


def _weight_mask(n_inputs, hidden, n_classes, forget_gate=True):
    """True for weights (L2-penalised), False for the LSTM and output biases."""
    gates, n_lstm, total = _sizes(n_inputs, hidden, n_classes, forget_gate)
    mask = np.ones(total, dtype=bool)
    mask[n_lstm - gates * hidden : n_lstm] = False
    mask[total - n_classes :] = False
    return mask


def _np_objective(
    params, X, Y, w, *, hidden, loss, width, objective, over, alpha, forget_gate=True
):
    """The documented training objective of one batch, written from the formulas."""
    n, c = Y.shape
    w = np.ones(n) if w is None else w
    z = _np_logits(params, X, hidden, c, forget_gate)
    if loss == "cross_entropy":
        per_sample = -(Y * np.log(softmax(z, axis=1))).sum(axis=1)
        value = np.average(per_sample, weights=w)
    elif loss == "mse":
        value = np.average(0.5 * ((expit(z) - Y) ** 2).sum(axis=1), weights=w)
    elif over == "outputs":  # each sample's c output errors are the Parzen set
        e = Y - expit(z)
        d2 = (e[:, :, None] - e[:, None, :]) ** 2
        kernel = np.exp(-d2 / (2 * width**2)) / (width * np.sqrt(2 * np.pi))
        v = kernel.sum(axis=(1, 2)) / c**2
        value = np.average(-np.log(v) if objective == "log" else -v, weights=w)
    else:  # the batch's joint c-variate error vectors are the Parzen set
        e = Y - expit(z)
        d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(axis=2)
        kernel = np.exp(-d2 / (2 * width**2)) / (2 * np.pi * width**2) ** (c / 2)
        v = w @ kernel @ w / w.sum() ** 2
        value = -np.log(v) if objective == "log" else -v
    weights = params[_weight_mask(X.shape[2], hidden, c, forget_gate)]
    return value + 0.5 * alpha * (weights @ weights) / w.sum()


def _central_differences(f, x, h=1e-5):
    grad = np.empty_like(x)
    for k in range(x.size):
        step = np.zeros_like(x)
        step[k] = h
        grad[k] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def _one_hot(y, classes):
    return (np.asarray(y)[:, None] == classes[None, :]).astype(float)


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize(
    "loss, entropy_over",
    [
        ("eem", "outputs"),
        ("eem", "samples"),
        ("mse", "outputs"),
        ("cross_entropy", "outputs"),
    ],
)
def test_param_count_and_predict_proba_match_a_numpy_lstm(
    forget_gate, loss, entropy_over
):
    """params_ layout and size, offset_ and predict_proba recomputed in NumPy."""
    X, y = _task3()
    clf = _fit(
        EEMLSTMClassifier(
            hidden_size=3,
            loss=loss,
            entropy_over=entropy_over,
            forget_gate=forget_gate,
            max_iter=5,
            learning_rate_init=0.05,
            random_state=0,
        ),
        X,
        y,
    )
    gates = 4 if forget_gate else 3
    assert clf.params_.shape == ((2 + 3 + 1) * gates * 3 + 3 * 3 + 3,)
    z = _np_logits(clf.params_, X, 3, 3, forget_gate)
    Y = _one_hot(y, clf.classes_)
    if loss == "cross_entropy":
        out = softmax(z, axis=1)
    else:
        out = expit(z)
    if loss == "eem" and entropy_over == "samples":
        # The mean training error, which the entropy cannot see.
        np.testing.assert_allclose(clf.offset_, (Y - out).mean(axis=0), atol=1e-12)
        assert np.abs(clf.offset_).max() > 0.05
    else:
        np.testing.assert_array_equal(clf.offset_, 0.0)
    out = np.maximum(out + clf.offset_, 0)
    expected = out / out.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[expected.argmax(axis=1)])


@pytest.mark.parametrize("forget_gate", [True, False])
def test_initial_parameters_follow_the_documented_init(forget_gate):
    """A 1e-12 SGD step leaves params_ at the hand-drawn initialisation."""
    X, y = _task3()
    clf = _fit(
        EEMLSTMClassifier(
            hidden_size=3,
            forget_gate=forget_gate,
            solver="sgd",
            momentum=0.0,
            learning_rate_init=1e-12,
            max_iter=1,
            random_state=7,
        ),
        X,
        y,
    )
    expected, _ = _np_init(7, 2, 3, 3, forget_gate)
    np.testing.assert_allclose(clf.params_, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "loss, entropy_over, eem_objective, forget_gate, weighted, alpha",
    [
        ("eem", "outputs", "log", True, False, 0.0),
        ("eem", "outputs", "ip", True, False, 0.0),
        ("eem", "outputs", "log", False, True, 0.3),
        ("eem", "samples", "log", True, False, 0.0),
        ("eem", "samples", "ip", True, True, 0.0),
        ("eem", "samples", "log", True, True, 0.3),
        ("mse", "outputs", "log", True, True, 0.0),
        ("cross_entropy", "outputs", "log", True, False, 0.3),
    ],
)
def test_one_full_batch_sgd_step_follows_the_numpy_objective(
    loss, entropy_over, eem_objective, forget_gate, weighted, alpha
):
    """Plain full-batch SGD moves params_ by -lr times the finite-difference
    gradient of the objective written from the formulas (pairwise width s)."""
    X, y = _task3(n=12)
    sw = np.linspace(0.5, 2.0, len(y)) if weighted else None
    lr, width = 0.1, 0.8
    clf = EEMLSTMClassifier(
        hidden_size=2,
        loss=loss,
        kernel_width=width,
        entropy_over=entropy_over,
        eem_objective=eem_objective,
        forget_gate=forget_gate,
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
    before = _fit(clf, X, y, sample_weight=sw).params_.copy()
    after = _fit(clf, X, y, sample_weight=sw).params_
    Y = _one_hot(y, clf.classes_)
    settings = dict(
        hidden=2,
        loss=loss,
        width=width,
        objective=eem_objective,
        over=entropy_over,
        alpha=alpha,
        forget_gate=forget_gate,
    )
    expected = _central_differences(
        lambda p: _np_objective(p, X, Y, sw, **settings), before
    )
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose((before - after) / lr, expected, rtol=1e-5, atol=1e-8)
    assert clf.loss_curve_[0] == pytest.approx(
        _np_objective(_np_init(0, 2, 2, 3, forget_gate)[0], X, Y, sw, **settings),
        rel=1e-10,
    )


def _holdout(X, y, seed, fraction=0.25):
    """Early stopping's split, rebuilt: train_test_split (stratified) on the
    fit's random stream right after the initial weights are drawn."""
    params0, rng = _np_init(seed, 2, 3, 3)
    labels = np.searchsorted(np.unique(y), y)
    parts = train_test_split(
        X, y, random_state=rng, test_size=fraction, stratify=labels
    )
    return params0, parts


def _hand_width(rule, errors, counts, set_size):
    """A width rule by hand on errors repeated ``counts`` times (frequency
    weights): pooled 1-D errors, or joint error vectors (rows)."""
    e = np.repeat(errors, counts, axis=0) if counts is not None else errors
    e = e.reshape(len(e), -1)
    d = e.shape[1]
    std = np.sqrt(e.var(axis=0).mean())
    if rule == "silverman" and d == 1:
        q1, q3 = np.quantile(e[:, 0], [0.25, 0.75])
        sigma = 0.9 * min(std, (q3 - q1) / 1.34) * set_size ** (-0.2)
    else:  # the normal-reference rule
        sigma = std * (4.0 / ((d + 2) * set_size)) ** (1.0 / (d + 4))
    return np.sqrt(2.0) * sigma


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "rule, entropy_over",
    [
        ("silverman", "outputs"),
        ("normal_reference", "outputs"),
        ("normal_reference", "samples"),
    ],
)
def test_width_rules_are_the_hand_rules_and_mean_the_pairwise_width(
    rule, entropy_over, weighted
):
    """kernel_width_ is the rule applied by hand to the hand-computed initial
    errors of the Parzen sample the loss sees (the c output errors of one
    sequence, pooled, N = c; or joint error vectors, N = batch size times the
    mean weight), as a
    pairwise width; a fit given that float as kernel_width is the same fit."""
    X, y = _task3()
    counts = np.arange(len(y)) % 3 + 1 if weighted else None
    sw = None if counts is None else counts.astype(float)
    common = dict(
        hidden_size=3,
        max_iter=3,
        learning_rate_init=0.05,
        random_state=2,
        entropy_over=entropy_over,
        batch_size=16,
    )
    clf = _fit(EEMLSTMClassifier(kernel_width=rule, **common), X, y, sample_weight=sw)
    params0, _ = _np_init(2, 2, 3, 3)
    errors = _one_hot(y, clf.classes_) - expit(_np_logits(params0, X, 3, 3))
    if entropy_over == "outputs":
        pooled_counts = None if counts is None else np.repeat(counts, 3)
        width = _hand_width(rule, errors.ravel(), pooled_counts, 3)
    else:  # a batch of 16 rows, of the mean weight (integer weights: repeats)
        set_size = 16 if counts is None else 16 * counts.mean()
        width = _hand_width(rule, errors, counts, set_size)
    assert clf.kernel_width_ == pytest.approx(width, rel=1e-10)
    given = _fit(
        EEMLSTMClassifier(kernel_width=clf.kernel_width_, **common),
        X,
        y,
        sample_weight=sw,
    )
    np.testing.assert_array_equal(clf.params_, given.params_)


def test_early_stopping_split_scores_and_restored_weights():
    """The held-out rows are train_test_split(stratified) on the fit's stream after
    the init draws; each validation score is the accuracy, on those rows, of a
    plain fit of the remaining rows for that many epochs; the best is restored."""
    X, y = _task3(n=40)
    common = dict(
        hidden_size=3,
        learning_rate_init=0.05,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=100,
        random_state=0,
    )
    clf = _fit(
        EEMLSTMClassifier(
            early_stopping=True, validation_fraction=0.25, max_iter=15, **common
        ),
        X,
        y,
    )
    _, (X_tr, X_val, y_tr, y_val) = _holdout(X, y, 0)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == 15
    scores = []
    for epochs in range(1, 16):
        plain = _fit(EEMLSTMClassifier(max_iter=epochs, **common), X_tr, y_tr)
        scores.append(np.mean(plain.predict(X_val) == y_val))
        if epochs == 1:
            assert clf.loss_curve_[0] == plain.loss_curve_[0]
    np.testing.assert_allclose(clf.validation_scores_, scores, rtol=0, atol=1e-12)
    best = int(np.argmax(scores)) + 1
    assert best < 15  # the restoration matters in this run
    assert clf.best_validation_score_ == pytest.approx(max(scores))
    assert clf.best_loss_ is None
    restored = _fit(EEMLSTMClassifier(max_iter=best, **common), X_tr, y_tr)
    np.testing.assert_array_equal(clf.params_, restored.params_)
    val_loss = _np_objective(
        clf.params_,
        X_val,
        _one_hot(y_val, clf.classes_),
        None,
        hidden=3,
        loss="eem",
        width=1.0,
        objective="log",
        over="outputs",
        alpha=0.0,
    )
    assert clf.validation_loss_curve_[best - 1] == pytest.approx(val_loss, rel=1e-10)


def test_early_stopping_validation_accuracy_includes_the_offset():
    """With entropy_over="samples" the validation accuracy must be that of
    predict(), whose outputs include offset_."""
    X, y = _task3(n=40)
    clf = _fit(
        EEMLSTMClassifier(
            hidden_size=3,
            entropy_over="samples",
            early_stopping=True,
            validation_fraction=0.25,
            learning_rate_init=0.05,
            max_iter=15,
            shuffle=False,
            tol=0.0,
            n_iter_no_change=100,
            random_state=0,
        ),
        X,
        y,
    )
    _, (_, X_val, _, y_val) = _holdout(X, y, 0)
    assert np.any(clf.offset_ != 0)
    assert clf.best_validation_score_ == pytest.approx(
        np.mean(clf.predict(X_val) == y_val)
    )


def test_warm_start_continues_from_params():
    """With plain SGD and no shuffling, 2 epochs then 3 warm epochs are 5 epochs."""
    X, y = _task3()
    common = dict(
        hidden_size=3,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.3,
        batch_size=8,
        shuffle=False,
        random_state=0,
    )
    warm = EEMLSTMClassifier(max_iter=2, warm_start=True, **common)
    _fit(warm, X, y)
    _fit(warm.set_params(max_iter=3), X, y)
    cold = _fit(EEMLSTMClassifier(max_iter=5, **common), X, y)
    np.testing.assert_allclose(warm.params_, cold.params_, rtol=0, atol=1e-14)
    np.testing.assert_allclose(warm.loss_curve_, cold.loss_curve_, rtol=1e-14)
    assert warm.n_iter_ == 3 and warm.t_ == cold.t_ == 5 * len(y)
    # Without warm_start the second fit starts again from the initialisation.
    again = EEMLSTMClassifier(max_iter=2, **common)
    _fit(again, X, y)
    _fit(again.set_params(max_iter=3), X, y)
    np.testing.assert_array_equal(
        again.params_, _fit(EEMLSTMClassifier(max_iter=3, **common), X, y).params_
    )


def test_shuffle_visits_rows_in_the_documented_random_order():
    """Epoch k visits the rows in the order of k successive rng.shuffle draws
    (made after the init draws): the same as no shuffling on reordered rows."""
    X, y = _task3()
    common = dict(
        hidden_size=3,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.3,
        batch_size=8,
        random_state=4,
    )
    shuffled = _fit(EEMLSTMClassifier(shuffle=True, max_iter=2, **common), X, y)
    _, rng = _np_init(4, 2, 3, 3)
    order = np.arange(len(y))
    by_hand = EEMLSTMClassifier(shuffle=False, max_iter=1, warm_start=True, **common)
    for _ in range(2):
        permutation = np.arange(len(y))
        rng.shuffle(permutation)
        order = order[permutation]
        _fit(by_hand, X[order], y[order])
    np.testing.assert_allclose(shuffled.params_, by_hand.params_, rtol=0, atol=1e-14)
    unshuffled = _fit(EEMLSTMClassifier(shuffle=False, max_iter=2, **common), X, y)
    assert np.abs(unshuffled.params_ - shuffled.params_).max() > 1e-3


def _stopping_epoch(curve, tol, n_iter_no_change):
    """scikit-learn's rule, by hand: stop once more than n_iter_no_change epochs
    in a row failed to improve the best loss by tol."""
    best, bad = np.inf, 0
    for epoch, loss in enumerate(curve, start=1):
        bad = bad + 1 if loss > best - tol else 0
        best = min(best, loss)
        if bad > n_iter_no_change:
            return epoch
    return len(curve)


@pytest.mark.parametrize("tol, n_iter_no_change", [(1e9, 3), (2e-3, 2)])
def test_tol_and_n_iter_no_change_stop_training(tol, n_iter_no_change):
    """n_iter_ and loss_curve_ follow the stopping rule applied by hand to the
    curve of a run that never stops."""
    X, y = _task3()
    common = dict(hidden_size=3, learning_rate_init=0.02, max_iter=30, random_state=0)
    full = _fit(EEMLSTMClassifier(tol=0.0, n_iter_no_change=1000, **common), X, y)
    expected = _stopping_epoch(full.loss_curve_, tol, n_iter_no_change)
    assert expected < 30
    if tol > 1:  # nothing counts as an improvement after the first epoch
        assert expected == n_iter_no_change + 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf = EEMLSTMClassifier(tol=tol, n_iter_no_change=n_iter_no_change, **common)
        clf.fit(X, y)
    # A stop by the rule is no max-iterations stop (it may be one at chance).
    assert not [w for w in caught if "Maximum iterations" in str(w.message)]
    assert clf.n_iter_ == expected
    np.testing.assert_array_equal(clf.loss_curve_, full.loss_curve_[:expected])


def test_verbose_prints_every_epoch_loss(capsys):
    """One "Iteration k, loss = ..." line per epoch, with loss_curve_'s values."""
    X, y = _task3()
    clf = _fit(
        EEMLSTMClassifier(hidden_size=3, max_iter=4, verbose=True, random_state=0),
        X,
        y,
    )
    lines = re.findall(r"Iteration (\d+), loss = ([0-9.]+)", capsys.readouterr().out)
    assert [int(k) for k, _ in lines] == [1, 2, 3, 4]
    np.testing.assert_allclose(
        [float(v) for _, v in lines], clf.loss_curve_, rtol=0, atol=1e-8
    )
    _fit(EEMLSTMClassifier(hidden_size=3, max_iter=2, random_state=0), X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_optimizer_steps_by_hand_over_two_batches(solver):
    """Two mini-batches of one epoch, from the hand-drawn init: Nesterov momentum
    (v = mu v - lr g; p += mu v - lr g) or Adam's first two steps, with the
    gradients taken by finite differences of the NumPy objective."""
    X, y = _task3(n=12)
    lr, mu, width = 0.05, 0.5, 0.8
    clf = _fit(
        EEMLSTMClassifier(
            hidden_size=2,
            kernel_width=width,
            solver=solver,
            momentum=mu,
            learning_rate_init=lr,
            batch_size=6,
            shuffle=False,
            max_iter=1,
            random_state=0,
        ),
        X,
        y,
    )
    Y = _one_hot(y, clf.classes_)
    settings = dict(
        hidden=2, loss="eem", width=width, objective="log", over="outputs", alpha=0.0
    )
    params, _ = _np_init(0, 2, 2, 3)
    velocity, m, v = np.zeros_like(params), np.zeros_like(params), np.zeros_like(params)
    for t, rows in enumerate((slice(0, 6), slice(6, 12)), start=1):
        g = _central_differences(
            lambda p, rows=rows: _np_objective(p, X[rows], Y[rows], None, **settings),
            params,
        )
        if solver == "sgd":
            velocity = mu * velocity - lr * g
            params = params + mu * velocity - lr * g
        else:  # beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-8
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            step = lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            params = params - step * m / (np.sqrt(v) + 1e-8)
    # Adam divides by |g|: finite-difference noise on tiny gradients shows more.
    atol = 1e-9 if solver == "sgd" else 1e-7
    np.testing.assert_allclose(clf.params_, params, rtol=0, atol=atol)
    assert clf.t_ == 12 and clf.n_iter_ == 1


def test_offset_is_the_weighted_mean_training_error():
    """entropy_over="samples": offset_ = sum_i w_i (y_i - sigmoid(z_i)) / sum w,
    recomputed from params_ with the NumPy forward."""
    X, y = _task3()
    sw = np.linspace(0.1, 3.0, len(y))
    clf = _fit(
        EEMLSTMClassifier(
            hidden_size=3, entropy_over="samples", max_iter=4, random_state=1
        ),
        X,
        y,
        sample_weight=sw,
    )
    errors = _one_hot(y, clf.classes_) - expit(_np_logits(clf.params_, X, 3, 3))
    np.testing.assert_allclose(
        clf.offset_, np.average(errors, axis=0, weights=sw), rtol=0, atol=1e-12
    )
    unweighted = errors.mean(axis=0)
    assert np.abs(clf.offset_ - unweighted).max() > 1e-3


def test_a_warm_start_uses_a_changed_kernel_width():
    """After set_params(kernel_width=...) a warm fit trains with the new width:
    one full-batch plain SGD epoch is -lr times the engine's gradient with it."""
    from skentropy._engine import LOSSES, SequenceNetwork

    X, y = _task3()
    common = dict(
        hidden_size=3,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.3,
        batch_size=len(y),
        shuffle=False,
        random_state=0,
    )
    clf = _fit(EEMLSTMClassifier(max_iter=2, warm_start=True, **common), X, y)
    start = clf.params_.copy()
    _fit(clf.set_params(kernel_width=2.5, max_iter=1), X, y)
    network = SequenceNetwork(2, 3, 3, "logistic")
    grad = np.empty_like(start)
    network.loss_grad(
        start,
        X.reshape(len(y), -1, 2),
        _one_hot(y, clf.classes_),
        grad,
        LOSSES["eem_outputs"],
        loss_params={"kernel_width": 2.5, "objective": "log"},
    )
    np.testing.assert_allclose(clf.params_, start - 0.3 * grad, rtol=1e-12)
    # A rule's width, by contrast, is kept: never re-estimated from the
    # shrinking errors of a continued fit.
    clf.set_params(kernel_width="normal_reference")
    first = _fit(clf, X, y).kernel_width_
    assert _fit(clf, X, y).kernel_width_ == first


def test_the_width_rule_sees_the_training_rows_only():
    """With early stopping the rule is applied to the rows left after the
    hold-out split (rebuilt here from the fit's random stream)."""
    X, y = _task3(n=40)
    clf = _fit(
        EEMLSTMClassifier(
            hidden_size=3,
            kernel_width="normal_reference",
            early_stopping=True,
            validation_fraction=0.25,
            max_iter=2,
            random_state=0,
        ),
        X,
        y,
    )
    params0, (X_tr, _, y_tr, _) = _holdout(X, y, 0)
    errors = _one_hot(y_tr, clf.classes_) - expit(_np_logits(params0, X_tr, 3, 3))
    width = _hand_width("normal_reference", errors.ravel(), None, 3)
    assert clf.kernel_width_ == pytest.approx(width, rel=1e-10)


def test_a_fit_that_stops_at_chance_warns():
    """Stopped by the rule after a few epochs on a task that needs memory: the
    training accuracy is about the largest class's share, and a warning says
    so; a fit that learns the task does not warn."""
    X, y = _memory_task(n=120)
    y = np.where(np.arange(120) < 80, y, "up")  # unbalanced: chance is not 1/2
    chance = max(np.mean(y == "up"), np.mean(y == "down"))
    stalled = EEMLSTMClassifier(hidden_size=3, tol=1e9, n_iter_no_change=1)
    with pytest.warns(ConvergenceWarning, match="about chance") as record:
        stalled.set_params(random_state=0).fit(X, y)
    accuracy = stalled.score(X, y)
    assert accuracy <= chance + 0.1 * (1 - chance)
    assert f"training accuracy of {accuracy:.3f}" in str(record[0].message)
    assert f"({chance:.3f}, the largest" in str(record[0].message)
    learnt = EEMLSTMClassifier(hidden_size=8, max_iter=80, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Stochastic Optimizer", ConvergenceWarning)
        learnt.fit(X, y)
    assert learnt.score(X, y) > 0.85


@pytest.mark.parametrize("max_grad_norm", [None, 1e-3, 1e3])
def test_max_grad_norm_clips_the_step_to_that_length(max_grad_norm):
    """Full-batch SGD: the step is -lr times the objective's gradient (central
    differences of the hand-written objective), scaled to norm max_grad_norm
    when it is longer."""
    X, y = _task3(n=12)
    lr = 0.1
    clf = EEMLSTMClassifier(
        hidden_size=2,
        loss="mse",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        batch_size=len(y),
        shuffle=False,
        max_iter=1,
        warm_start=True,
        max_grad_norm=max_grad_norm,
        random_state=0,
    )
    before = _fit(clf, X, y).params_.copy()
    after = _fit(clf, X, y).params_
    settings = dict(hidden=2, loss="mse", width=1.0, objective="log", over="outputs")
    Y = _one_hot(y, clf.classes_)
    grad = _central_differences(
        lambda p: _np_objective(p, X, Y, None, alpha=0.0, **settings), before
    )
    norm = np.linalg.norm(grad)
    assert 1e-3 < norm < 1e3
    if max_grad_norm is not None:
        grad *= min(1.0, max_grad_norm / norm)
    np.testing.assert_allclose((before - after) / lr, grad, rtol=1e-5, atol=1e-9)


def _noisy_labels(n, seed):
    """Labels drawn with probability expit(2 x[0, 0]): a known Bayes posterior."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2))
    return X, (rng.uniform(size=n) < expit(2 * X[:, 0, 0])).astype(int)


@pytest.mark.parametrize("loss", ["eem", "mse"])
def test_calibrated_classifier_cv_recipe_gives_probabilities(loss):
    """eem/mse predict_proba are normalised scores; the documented recipe
    (CalibratedClassifierCV, sigmoid, on 3-D arrays and on lists) gives a
    lower held-out log loss, closer to the true posterior's."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.metrics import log_loss

    X, y = _noisy_labels(600, 0)
    X_test, y_test = _noisy_labels(600, 1)
    params = dict(hidden_size=6, max_iter=60, learning_rate_init=0.01, loss=loss)
    params["random_state"] = 0
    raw = _fit(EEMLSTMClassifier(**params), X, y).predict_proba(X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        calibrated = CalibratedClassifierCV(
            EEMLSTMClassifier(**params), method="sigmoid", cv=3
        ).fit(X, y)
    proba = calibrated.predict_proba(X_test)
    bayes = log_loss(y_test, expit(2 * X_test[:, 0, 0]))
    assert log_loss(y_test, proba) < log_loss(y_test, raw)
    assert log_loss(y_test, proba) < bayes + 0.1
    # Lists of sequences go through CalibratedClassifierCV's splits as well.
    seqs = [x[: 3 + i % 4] for i, x in enumerate(X)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        listed = CalibratedClassifierCV(
            EEMLSTMClassifier(**params), method="sigmoid", cv=3
        ).fit(seqs, y)
    np.testing.assert_allclose(listed.predict_proba(seqs).sum(axis=1), 1.0)


def test_late_rise_detects_a_loss_that_undid_training():
    from skentropy._lstm import late_rise

    assert late_rise([1.0, 0.5, 0.2, 0.25]) is None  # a wobble
    assert late_rise([1.0, 0.5, 0.2, 0.7]) == (0.2, 3, 0.7)  # back past halfway
    assert late_rise([1.0, 1.1, 1.2]) is None  # never improved
    assert late_rise([1.0, 0.5]) is None


def test_a_late_blow_up_warns_and_names_the_best_epoch():
    """30 calm epochs, then (warm start) a few at a huge unclipped rate: the
    loss ends far above its best and the fit says so."""
    X, y = _memory_task(n=80)
    clf = EEMLSTMClassifier(hidden_size=4, max_iter=30, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Stochastic Optimizer", ConvergenceWarning)
        clf.fit(X, y)  # no late-rise warning for a calm fit
    clf.set_params(learning_rate_init=50.0, max_grad_norm=None, max_iter=3)
    with pytest.warns(ConvergenceWarning, match="above its best") as record:
        clf.fit(X, y)
    curve = np.asarray(clf.loss_curve_)
    best = int(curve.argmin()) + 1
    message = [str(w.message) for w in record if "above its best" in str(w.message)]
    assert f"(epoch {best})" in message[0] and f"ended at {curve[-1]:.4g}" in message[0]
