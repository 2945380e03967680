"""Per-step read-out of the LSTM estimators (``readout="every_step"``).

Expectations are independent of the code under test where they can be: a
NumPy LSTM written from the documented formulas, the documented objective
(each sequence's step losses summed, averaged over the sequences) by
central differences, the engine's per-step network and its lockstep
trainer (the Reber benchmark's, which sums a string's step losses).
"""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from skentropy import EEMLSTMClassifier, EEMLSTMRegressor
from skentropy._engine.lockstep import Criterion, LockstepTrainer
from skentropy._engine.losses import LOSSES
from skentropy._engine.sequence_network import SequenceNetwork
from skentropy.datasets import make_reber


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _np_step_logits(params, X, hidden, k, forget_gate=True):
    """Logits (n, T, k) of the documented LSTM + dense head at every step."""
    n, steps, d = X.shape
    gates = 4 if forget_gate else 3
    H = hidden
    n_lstm = (d + H + 1) * gates * H
    assert params.shape == (n_lstm + H * k + k,)
    block = params[:n_lstm].reshape(d + H + 1, gates * H)
    w_x, w_h, b = block[:d], block[d : d + H], block[d + H]
    head = params[n_lstm : n_lstm + H * k].reshape(H, k)
    head_bias = params[n_lstm + H * k :]
    h, c = np.zeros((n, H)), np.zeros((n, H))
    out = np.empty((n, steps, k))
    for t in range(steps):
        a = X[:, t] @ w_x + h @ w_h + b
        o, i, g = expit(a[:, :H]), expit(a[:, H : 2 * H]), np.tanh(a[:, -H:])
        c = (expit(a[:, 2 * H : 3 * H]) * c if forget_gate else c) + i * g
        h = o * np.tanh(c)
        out[:, t] = h @ head + head_bias
    return out


def _np_init(seed, d, hidden, k, forget_gate=True):
    """The documented init: PyTorch-uniform LSTM, forget bias 1, Glorot head."""
    rng = np.random.RandomState(seed)
    gates = 4 if forget_gate else 3
    n_lstm = (d + hidden + 1) * gates * hidden
    params = np.zeros(n_lstm + hidden * k + k)
    params[:n_lstm] = rng.uniform(-1, 1, n_lstm) / np.sqrt(hidden)
    if forget_gate:
        bias = n_lstm - gates * hidden
        params[bias + 2 * hidden : bias + 3 * hidden] = 1.0
    bound = np.sqrt(6.0 / (hidden + k))
    params[n_lstm : n_lstm + hidden * k] = rng.uniform(-bound, bound, hidden * k)
    return params


def _task(n=12, steps=4, channels=2, k=2, seed=0):
    """Sequences, per-step regression targets (n, T * k) and a step mask."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, channels))
    Y = np.cumsum(X[:, :, :1], axis=1) * np.linspace(1, -1, k)
    lengths = rng.randint(2, steps + 1, size=n)
    mask = (np.arange(steps) < lengths[:, None]).astype(float)
    return X, Y.reshape(n, -1), mask


def _multihot(n=12, steps=4, channels=2, c=3, seed=0):
    """Per-step 0/1 targets (n, T * c), at least one label per step."""
    X, _, mask = _task(n, steps, channels, seed=seed)
    first = (X[:, :, 0] > 0).astype(int)
    Y = np.zeros((n, steps, c))
    Y[np.arange(n)[:, None], np.arange(steps), first] = 1
    Y[:, :, 2] = X[:, :, 1] > 0.5
    return X, Y.reshape(n, -1), mask


def _central_differences(objective, p0, step=1e-6):
    grad = np.empty_like(p0)
    for k in range(p0.size):
        e = np.zeros_like(p0)
        e[k] = step
        grad[k] = (objective(p0 + e) - objective(p0 - e)) / (2 * step)
    return grad


def _sgd(est, **params):
    """Plain SGD: no momentum, no shuffling, no stopping rule, no clipping."""
    return est.set_params(
        solver="sgd",
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=False,
        n_iter_no_change=np.inf,
        max_grad_norm=None,
        **params,
    )


# -- predictions --------------------------------------------------------------
@pytest.mark.parametrize("forget_gate", [True, False])
def test_predictions_are_a_numpy_lstm_read_at_every_step(forget_gate):
    X, Y, _ = _task()
    n, steps = X.shape[:2]
    for loss in ("eem", "squared_error"):
        reg = EEMLSTMRegressor(
            hidden_size=3,
            forget_gate=forget_gate,
            loss=loss,
            readout="every_step",
            max_iter=3,
            random_state=0,
        )
        _fit(reg, X, Y)
        z = _np_step_logits(reg.params_, X, 3, 2, forget_gate)
        expected = (z + reg.offset_).reshape(n, -1)  # time-major
        assert reg.n_outputs_ == 2 and reg.predict(X).shape == (n, steps * 2)
        np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-10, atol=1e-12)
        # The offset of eem is the mean error over every step (n * T rows).
        errors = (Y - z.reshape(n, -1)).reshape(-1, 2)
        offset = errors.mean(axis=0) if loss == "eem" else np.zeros(2)
        np.testing.assert_allclose(reg.offset_, offset, atol=1e-12)

    X, Y, _ = _multihot()
    clf = EEMLSTMClassifier(
        hidden_size=3, forget_gate=forget_gate, readout="every_step", max_iter=3
    )
    _fit(clf, X, Y)
    proba = expit(_np_step_logits(clf.params_, X, 3, 3, forget_gate)).reshape(n, -1)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_allclose(clf.predict_proba(X), proba, rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))


# -- the objective ----------------------------------------------------------
def test_per_step_cross_entropy_is_binary_cross_entropy_by_central_differences():
    """Each label's sigmoid and log loss, summed over a sequence's labels and
    steps, averaged over the sequences: a hand-written objective."""
    X, Y, mask = _multihot(n=5, steps=3, seed=3)
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    step_w = mask * w[:, None]
    p0 = _np_init(0, 2, 2, 3)
    target = Y.reshape(5, 3, 3)

    def objective(p):
        z = _np_step_logits(p, X, 2, 3)
        per_step = (np.logaddexp(0, z) - target * z).sum(axis=2)  # -log-lik
        return (step_w * per_step).sum() / w.sum()

    grad = _central_differences(objective, p0)
    clf = EEMLSTMClassifier(loss="cross_entropy", readout="every_step")
    clf = _sgd(clf, hidden_size=2, batch_size=5, max_iter=1, random_state=0)
    clf.set_params(learning_rate_init=0.05)
    _fit(clf, X, Y, sample_weight=step_w)
    np.testing.assert_allclose(clf.params_, p0 - 0.05 * grad, rtol=0, atol=1e-8)
    assert clf.loss_curve_[0] == pytest.approx(objective(p0), rel=1e-10)
    proba = expit(_np_step_logits(clf.params_, X, 2, 3)).reshape(5, -1)
    np.testing.assert_allclose(clf.predict_proba(X), proba, rtol=1e-10)


def test_objective_sums_steps_and_averages_sequences_by_central_differences():
    X, Y, mask = _task(n=5, steps=3, k=2, seed=1)
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    alpha = 0.3
    step_w = mask * w[:, None]
    p0 = _np_init(0, 2, 2, 2)
    n_lstm = (2 + 2 + 1) * 4 * 2
    weight_mask = np.ones(p0.size, dtype=bool)
    weight_mask[n_lstm - 8 : n_lstm] = False  # LSTM biases
    weight_mask[-2:] = False  # output biases

    def objective(p):
        z = _np_step_logits(p, X, 2, 2)
        per_step = 0.5 * ((z - Y.reshape(5, 3, 2)) ** 2).sum(axis=2)
        pen = p[weight_mask] @ p[weight_mask]
        return ((step_w * per_step).sum() + 0.5 * alpha * pen) / w.sum()

    grad = _central_differences(objective, p0)
    reg = _sgd(
        EEMLSTMRegressor(
            hidden_size=2,
            loss="squared_error",
            readout="every_step",
            batch_size=5,
            max_iter=1,
            alpha=alpha,
            learning_rate_init=0.05,
            random_state=0,
        )
    )
    _fit(reg, X, Y, sample_weight=step_w)
    np.testing.assert_allclose(reg.params_, p0 - 0.05 * grad, rtol=0, atol=1e-8)
    assert reg.loss_curve_[0] == pytest.approx(objective(p0), rel=1e-10)


@pytest.mark.parametrize(
    "estimator, loss, engine_loss, loss_params",
    [
        (EEMLSTMRegressor, "squared_error", "squared_error", {}),
        (
            EEMLSTMRegressor,
            "eem",
            "eem_samples",
            {"kernel_width": 0.7, "objective": "log"},
        ),
        (EEMLSTMClassifier, "mse", "squared_error", {}),
        (EEMLSTMClassifier, "cross_entropy", "cross_entropy", {}),
        (
            EEMLSTMClassifier,
            "eem",
            "eem_outputs",
            {"kernel_width": 0.7, "objective": "ip"},
        ),
    ],
)
def test_one_full_batch_sgd_step_is_the_engine_gradient(
    estimator, loss, engine_loss, loss_params
):
    X, Y, mask = (_task if estimator is EEMLSTMRegressor else _multihot)(seed=2)
    n, steps = mask.shape
    lr = 0.07
    kwargs = {"kernel_width": 0.7} if loss == "eem" else {}
    if estimator is EEMLSTMClassifier and loss == "eem":
        kwargs["eem_objective"] = "ip"
    est = _sgd(
        estimator(
            hidden_size=3,
            loss=loss,
            readout="every_step",
            batch_size=n,
            max_iter=1,
            learning_rate_init=lr,
            random_state=0,
            **kwargs,
        )
    )
    _fit(est, X, Y, sample_weight=mask)
    k = Y.shape[1] // steps
    p0 = _np_init(0, X.shape[2], 3, k)
    output = "identity" if estimator is EEMLSTMRegressor else "logistic"
    net = SequenceNetwork(X.shape[2], 3, k, output, readout="every")
    grad = np.empty_like(p0)
    net.loss_grad(
        p0,
        X,
        Y.reshape(n, steps, k),
        grad,
        LOSSES[engine_loss],
        sample_weight=mask,
        loss_params=loss_params,
    )
    # The engine averages over the n*T weighted steps; the estimator sums a
    # sequence's steps and averages over sequences (eem_samples: unchanged).
    factor = 1.0 if engine_loss == "eem_samples" else mask.sum() / n
    np.testing.assert_allclose(est.params_, p0 - lr * factor * grad, atol=1e-13)


@pytest.mark.parametrize("loss", ["eem", "mse"])
def test_online_sgd_is_the_lockstep_trainer_of_the_reber_benchmark(loss):
    """batch_size=1 SGD = LockstepTrainer (summed step losses, one update a string)."""
    X, y, strings = make_reber(
        25, task="next_symbol", return_strings=True, random_state=3
    )
    n, T, c = X.shape
    # Strings moved to the front (the LSTM is causal), the final E dropped.
    Xb, Yb, mask = (
        np.zeros((n, T - 1, c)),
        np.zeros((n, T - 1, c)),
        np.zeros((n, T - 1)),
    )
    examples = []
    for i, s in enumerate(strings):
        steps = slice(T - len(s), T - 1)
        L = len(s) - 1
        Xb[i, :L], Yb[i, :L], mask[i, :L] = X[i, steps], y[i, steps], 1
        examples.append((np.ascontiguousarray(X[i, steps])[None], y[i, steps]))
    net = SequenceNetwork(7, 3, 7, "logistic", forget_gate=False, readout="every")
    p0 = np.random.default_rng(0).uniform(-0.2, 0.2, net.n_params)
    clf = _sgd(
        EEMLSTMClassifier(
            hidden_size=3,
            forget_gate=False,
            loss=loss,
            eem_objective="ip",
            kernel_width=1.5,
            readout="every_step",
            batch_size=1,
            learning_rate_init=0.2,
            max_iter=1,
            warm_start=True,
            random_state=0,
        )
    )
    _fit(clf, Xb, Yb.reshape(n, -1), sample_weight=mask)
    clf.params_ = p0.copy()  # start both from the same weights
    crit = (
        Criterion("eem_outputs", 1.5, {"objective": "ip"})
        if loss == "eem"
        else Criterion()
    )
    trainer = LockstepTrainer(net, p0[None].copy(), 0.2, [crit])
    for _ in range(2):
        _fit(clf, Xb, Yb.reshape(n, -1), sample_weight=mask)
        trainer.train_epoch(examples, range(n))
        np.testing.assert_allclose(clf.params_, trainer.params[0], rtol=0, atol=1e-12)
    assert np.abs(clf.params_ - p0).max() > 1e-3


# -- padding ----------------------------------------------------------------
@pytest.mark.parametrize(
    "estimator, loss",
    [
        (EEMLSTMRegressor, "squared_error"),
        (EEMLSTMRegressor, "eem"),
        (EEMLSTMClassifier, "eem"),
        (EEMLSTMClassifier, "mse"),
    ],
)
def test_zero_weight_padded_steps_equal_the_unpadded_sequences(estimator, loss):
    X, Y, _ = (_task if estimator is EEMLSTMRegressor else _multihot)(steps=3)
    n, steps = X.shape[:2]
    k = Y.shape[1] // steps
    rng = np.random.RandomState(5)
    # Two garbage steps at the end, weight 0 (targets valid, but wrong).
    X_pad = np.concatenate([X, rng.normal(size=(n, 2, X.shape[2]))], axis=1)
    Y_pad = np.concatenate([Y, (rng.uniform(size=(n, 2 * k)) > 0.5) * 1.0], axis=1)
    w = rng.uniform(0.5, 2.0, n)
    mask = np.zeros((n, steps + 2))
    mask[:, :steps] = w[:, None]
    fits = []
    for XX, YY, ww in ((X, Y, w), (X_pad, Y_pad, mask)):
        est = estimator(
            hidden_size=3,
            loss=loss,
            readout="every_step",
            batch_size=4,
            max_iter=4,
            random_state=0,
        )
        fits.append(_fit(est, XX, YY, sample_weight=ww))
    plain, padded = fits
    # atol: eem's output biases have a zero gradient (the entropy is blind to
    # a shift), so Adam drives them by round-off alone.
    np.testing.assert_allclose(padded.params_, plain.params_, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(padded.offset_, plain.offset_, atol=1e-12)
    np.testing.assert_allclose(padded.loss_curve_, plain.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(
        padded.predict(X_pad)[:, : steps * k], plain.predict(X), atol=1e-10
    )


def test_score_counts_sequences_right_at_every_weighted_step():
    X, Y, mask = _multihot()
    clf = _fit(EEMLSTMClassifier(hidden_size=3, readout="every_step", max_iter=2), X, Y)
    pred = clf.predict(X)
    n, steps = mask.shape
    step_ok = (pred == Y).reshape(n, steps, -1).all(axis=2)
    assert clf.score(X, Y) == pytest.approx(step_ok.all(axis=1).mean())
    masked = (step_ok | (mask == 0)).all(axis=1)
    assert clf.score(X, Y, sample_weight=mask) == pytest.approx(masked.mean())
    # A perfect prediction scores 1, whatever the padded steps hold.
    assert clf.score(X, pred) == 1.0


def test_sequence_weights_equal_repeated_sequences_in_one_batch():
    X, Y, _ = _task(n=8)
    reps = np.array([1, 2, 1, 3, 1, 1, 2, 1])
    kwargs = {"hidden_size": 3, "readout": "every_step", "max_iter": 3}
    weighted = _fit(
        EEMLSTMRegressor(batch_size=8, random_state=0, **kwargs),
        X,
        Y,
        sample_weight=reps.astype(float),
    )
    repeated = _fit(
        EEMLSTMRegressor(batch_size=100, random_state=0, **kwargs),
        np.repeat(X, reps, axis=0),
        np.repeat(Y, reps, axis=0),
    )
    np.testing.assert_allclose(weighted.params_, repeated.params_, atol=1e-10)


def test_early_stopping_and_partial_fit_with_step_weights():
    X, Y, mask = _task(n=40)
    reg = EEMLSTMRegressor(
        hidden_size=3, readout="every_step", early_stopping=True, max_iter=5
    )
    _fit(reg, X, Y, sample_weight=mask)
    assert len(reg.validation_scores_) == reg.n_iter_
    X, Y, mask = _multihot(n=40)
    clf = EEMLSTMClassifier(
        hidden_size=3,
        loss="mse",
        entropy_over="samples",  # unused by mse
        readout="every_step",
        early_stopping=True,
        max_iter=5,
    )
    _fit(clf, X, Y, sample_weight=mask)
    assert all(0 <= s <= 1 for s in clf.validation_scores_)
    clf = EEMLSTMClassifier(hidden_size=3, readout="every_step", random_state=0)
    clf.partial_fit(X, Y, sample_weight=mask)  # no classes= needed
    params = clf.params_.copy()
    clf.partial_fit(X, Y, sample_weight=mask)
    assert clf.predict(X).shape == Y.shape and not np.allclose(clf.params_, params)


# -- errors -------------------------------------------------------------------
def test_per_step_layout_errors():
    X, Y, mask = _task(steps=4)
    reg = EEMLSTMRegressor(hidden_size=2, readout="every_step", max_iter=1)
    with pytest.raises(ValueError, match=r"n_timesteps=4, but y has 7 columns"):
        reg.fit(X, Y[:, :7])
    with pytest.raises(ValueError, match=r"n_timesteps=4, but y has a 1-D target"):
        reg.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match=r"shape \(n_samples,\) or \(n_samples, n_t"):
        reg.fit(X, Y, sample_weight=mask[:, :3])
    with pytest.raises(ValueError, match="non-negative"):
        reg.fit(X, Y, sample_weight=-mask)
    _fit(reg, X, Y)
    with pytest.raises(ValueError, match="has 1 outputs per step, but"):
        reg.partial_fit(X, Y[:, :4])

    X, Y, mask = _multihot(steps=4)
    clf = EEMLSTMClassifier(hidden_size=2, readout="every_step", max_iter=1)
    with pytest.raises(ValueError, match=r"n_timesteps=4, but y has 10 columns"):
        clf.fit(X, Y[:, :10])
    with pytest.raises(ValueError, match="indicator array of 0s and 1s"):
        clf.fit(X, 2 * Y)
    with pytest.raises(ValueError, match="a 1-D target"):
        clf.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="readout='every_step' supports"):
        EEMLSTMClassifier(readout="every_step", entropy_over="samples").fit(X, Y)
    _fit(clf, X, Y)
    with pytest.raises(ValueError, match="has 2 labels per step, but"):
        clf.partial_fit(X, Y[:, :8])
