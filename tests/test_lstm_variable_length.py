"""LSTM estimators on real-world sequence input: layouts and variable lengths.

Expectations come from outside the code under test: each sequence run on
its own (no padding), the engine's network trained by a hand-written SGD
loop over the unpadded sequences, transposes done by hand, and
scikit-learn's conventions for errors.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skentropy import EEMLSTMClassifier, EEMLSTMRegressor
from skentropy._engine.losses import LOSSES
from skentropy._engine.sequence_network import SequenceNetwork
from skentropy.datasets import make_embedded_reber
from skentropy.sequences import pad_sequences

ESTIMATORS = [
    (EEMLSTMClassifier, {"loss": "eem"}),
    (EEMLSTMClassifier, {"loss": "cross_entropy"}),
    (EEMLSTMClassifier, {"loss": "eem", "entropy_over": "samples"}),
    (EEMLSTMRegressor, {"loss": "eem"}),
    (EEMLSTMRegressor, {"loss": "squared_error"}),
]
IDS = [f"{cls.__name__}-{'-'.join(p.values())}" for cls, p in ESTIMATORS]


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _ragged(n=40, channels=2, seed=0, lengths=(3, 9)):
    """Sequences of lengths 3..8 (list of (T_i, C)) and a label that needs memory."""
    rng = np.random.RandomState(seed)
    seqs = [rng.normal(size=(k, channels)) for k in rng.randint(*lengths, size=n)]
    first = np.array([s[0, 0] for s in seqs])
    return seqs, (first > 0).astype(int), first + 0.1 * rng.normal(size=n)


def _outputs(est, X):
    if isinstance(est, EEMLSTMClassifier):
        return est.predict_proba(X)
    return est.predict(X)


# -- padding changes nothing --------------------------------------------------
@pytest.mark.parametrize("estimator, params", ESTIMATORS, ids=IDS)
def test_a_padded_sequence_predicts_as_the_unpadded_one(estimator, params):
    seqs, labels, values = _ragged()
    y = labels if estimator is EEMLSTMClassifier else values
    est = _fit(estimator(hidden_size=5, max_iter=3, random_state=0, **params), seqs, y)
    together = _outputs(est, seqs)
    alone = np.concatenate([_outputs(est, s[None]) for s in seqs])
    np.testing.assert_allclose(together, alone, rtol=1e-12, atol=1e-14)
    # NaN padding at the front, the back or both, by hand: the same.
    front, _ = pad_sequences(seqs, padding="pre")
    back, _ = pad_sequences(seqs)
    both = np.full((len(seqs), 12, 2), np.nan)
    for row, seq in zip(both, seqs, strict=True):
        row[2 : 2 + len(seq)] = seq
    for X in (front, back, both):
        np.testing.assert_allclose(_outputs(est, X), alone, rtol=1e-12, atol=1e-14)
    # The list is padded as pad_sequences does: the same fit, bit for bit.
    again = estimator(hidden_size=5, max_iter=3, random_state=0, **params)
    again = _fit(again, back, y)
    np.testing.assert_array_equal(again.params_, est.params_)


@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("loss", ["eem", "mse", "cross_entropy"])
def test_online_sgd_on_a_list_is_sgd_on_each_unpadded_sequence(loss, forget_gate):
    """batch_size=1 without shuffling: every update is the engine's gradient
    of one unpadded sequence (a hand-written SGD loop)."""
    seqs, labels, _ = _ragged(n=12, seed=1)
    lr = 0.05
    clf = EEMLSTMClassifier(
        hidden_size=3,
        loss=loss,
        forget_gate=forget_gate,
        solver="sgd",
        momentum=0.0,
        batch_size=1,
        shuffle=False,
        learning_rate_init=lr,
        max_iter=1,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    clf = _fit(clf, seqs, labels)
    output = "softmax" if loss == "cross_entropy" else "logistic"
    net = SequenceNetwork(2, 3, 2, output, forget_gate=forget_gate)
    params = net.init_params(np.random.RandomState(0), np.float64)
    engine_loss = {"eem": "eem_outputs", "mse": "squared_error"}.get(loss, loss)
    loss_params = {"kernel_width": 1.0, "objective": "log"} if loss == "eem" else {}
    grad = np.empty_like(params)
    for seq, label in zip(seqs, labels, strict=True):
        target = np.eye(2, dtype=bool)[[label]]
        loss_fn = LOSSES[engine_loss]
        net.loss_grad(params, seq[None], target, grad, loss_fn, loss_params=loss_params)
        params -= lr * grad
    np.testing.assert_allclose(clf.params_, params, rtol=1e-10, atol=1e-13)


def test_predict_takes_other_lengths_and_every_step_read_out_takes_lists():
    seqs, _, values = _ragged()
    reg = EEMLSTMRegressor(hidden_size=4, max_iter=2, random_state=0)
    reg = _fit(reg, seqs, values)
    assert reg.n_timesteps_ == max(map(len, seqs)) and reg.n_channels_ == 2
    long = np.random.RandomState(5).normal(size=(3, 20, 2))
    assert reg.predict(long).shape == (3,)
    assert reg.predict(long[:, :2]).shape == (3,)
    # Per-step targets of the padded length; the padded steps weigh nothing.
    X, lengths = pad_sequences(seqs)
    steps = np.arange(X.shape[1]) < lengths[:, None]
    Y = np.where(steps, np.nan_to_num(X[..., 0]), 0.0)
    common = dict(hidden_size=4, readout="every_step", max_iter=2, random_state=0)
    a = _fit(EEMLSTMRegressor(**common), seqs, Y, sample_weight=steps * 1.0)
    b = _fit(EEMLSTMRegressor(**common), X, Y, sample_weight=steps * 1.0)
    np.testing.assert_array_equal(a.params_, b.params_)
    assert a.predict(seqs).shape == Y.shape


@pytest.mark.parametrize("estimator, params", ESTIMATORS, ids=IDS)
def test_score_and_partial_fit_take_lists(estimator, params):
    seqs, labels, values = _ragged()
    y = labels if estimator is EEMLSTMClassifier else values
    est = _fit(estimator(hidden_size=4, max_iter=2, random_state=0, **params), seqs, y)
    expected = est.score(pad_sequences(seqs)[0], y)
    assert est.score(seqs, y) == expected
    kwargs = {"classes": [0, 1]} if estimator is EEMLSTMClassifier else {}
    online = estimator(hidden_size=4, random_state=0, **params)
    online.partial_fit(seqs, y, **kwargs)
    again = estimator(hidden_size=4, random_state=0, **params)
    again.partial_fit(pad_sequences(seqs)[0], y, **kwargs)
    np.testing.assert_array_equal(online.params_, again.params_)


def test_inputs_are_not_modified():
    seqs, labels, _ = _ragged(n=20)
    copies = [s.copy() for s in seqs]
    clf = _fit(EEMLSTMClassifier(hidden_size=3, max_iter=2), seqs, labels)
    clf.predict(seqs)
    for seq, copy in zip(seqs, copies, strict=True):
        np.testing.assert_array_equal(seq, copy)


# -- layouts ------------------------------------------------------------------
def test_channels_first_layout_is_the_transpose():
    seqs, labels, _ = _ragged(n=30, channels=3, lengths=(7, 8))
    X = np.stack(seqs)  # (n, T, C)
    common = dict(hidden_size=4, max_iter=3, random_state=0)
    ntc = _fit(EEMLSTMClassifier(**common), X, labels)
    X_nct = np.ascontiguousarray(X.transpose(0, 2, 1))
    nct = _fit(EEMLSTMClassifier(layout="nct", **common), X_nct, labels)
    np.testing.assert_array_equal(nct.params_, ntc.params_)
    assert (nct.n_timesteps_, nct.n_channels_) == (7, 3)
    # 2-D, channel-major: the 7 steps of channel 0, then channel 1, ...
    table = X_nct.reshape(len(X), -1)
    flat = _fit(EEMLSTMClassifier(layout="nct", n_channels=3, **common), table, labels)
    np.testing.assert_array_equal(flat.params_, ntc.params_)
    # Lists of (C, T_i), aeon's "np-list".
    seqs, labels, _ = _ragged(n=30, channels=3)
    a = _fit(EEMLSTMClassifier(**common), seqs, labels)
    b = _fit(EEMLSTMClassifier(layout="nct", **common), [s.T for s in seqs], labels)
    np.testing.assert_array_equal(a.params_, b.params_)
    np.testing.assert_array_equal(
        a.predict_proba(seqs), b.predict_proba([s.T for s in seqs])
    )


@pytest.mark.parametrize(
    "shape, layout, warns",
    [
        ((20, 1, 150), "ntc", True),  # aeon's univariate (n, 1, T) read as ntc
        ((20, 6, 100), "ntc", True),  # BasicMotions-like (n, 6, 100)
        ((20, 1, 150), "nct", False),
        ((20, 150, 1), "nct", True),
        ((20, 50, 3), "ntc", False),
        ((20, 5, 40), "ntc", False),  # 8x: not "by far"
    ],
)
def test_a_transposed_looking_array_warns(shape, layout, warns):
    X = np.random.RandomState(0).normal(size=shape)
    y = np.arange(shape[0]) % 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EEMLSTMClassifier(hidden_size=2, max_iter=1, layout=layout).fit(X, y)
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert any("looks transposed" in m for m in messages) == warns
    if warns:
        other = "nct" if layout == "ntc" else "ntc"
        assert any(f"layout={other!r}" in m for m in messages)


# -- bad input ----------------------------------------------------------------
def test_clear_errors_for_bad_sequences():
    seqs, labels, _ = _ragged(n=6)
    clf = EEMLSTMClassifier(hidden_size=2, max_iter=1)
    with pytest.raises(ValueError, match=r"X\[2\] is an empty sequence"):
        clf.fit([*seqs[:2], np.zeros((0, 2)), *seqs[3:]], labels)
    with pytest.raises(ValueError, match=r"X\[1\] has 3 channels, but X\[0\] has 2"):
        clf.fit([seqs[0], np.zeros((4, 3)), *seqs[2:]], labels)
    bad = [s.copy() for s in seqs]
    bad[4][1, 0] = np.nan
    with pytest.raises(ValueError, match=r"X\[4\] contains NaN"):
        clf.fit(bad, labels)
    X, _ = pad_sequences(seqs)
    inside = X.copy()
    inside[3, 1, :] = np.nan  # a whole NaN step between real ones
    with pytest.raises(ValueError, match="NaN inside a sequence: sequence 3"):
        clf.fit(inside, labels)
    partial = X.copy()
    partial[0, 0, 1] = np.nan
    with pytest.raises(ValueError, match="sequence 0, step 0 has NaN in some"):
        clf.fit(partial, labels)
    empty = X.copy()
    empty[5] = np.nan
    with pytest.raises(ValueError, match=r"X\[5\] is an empty sequence"):
        clf.fit(empty, labels)
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(np.where(np.isnan(X), np.inf, X), labels)
    _fit(clf, seqs, labels)
    with pytest.raises(ValueError, match=r"3 channels per time step.*fitted with 2"):
        clf.predict([np.zeros((4, 3))])
    # 2-D tables keep scikit-learn's contract: the fitted column count.
    table = _fit(clf, np.stack([s[:3] for s in seqs]).reshape(6, -1), labels)
    with pytest.raises(ValueError, match="features"):
        table.predict(np.zeros((2, 8)))


def test_pad_sequences_helper():
    seqs = [np.arange(6.0).reshape(3, 2), np.array([[7.0, 8.0]])]
    X, lengths = pad_sequences(seqs)
    np.testing.assert_array_equal(lengths, [3, 1])
    np.testing.assert_array_equal(X[0], seqs[0])
    np.testing.assert_array_equal(X[1, 0], [7.0, 8.0])
    assert np.isnan(X[1, 1:]).all()
    X, _ = pad_sequences(seqs, padding="pre", value=0.0)
    np.testing.assert_array_equal(X[1], [[0, 0], [0, 0], [7, 8]])
    X, lengths = pad_sequences([s.T for s in seqs], layout="nct")
    assert X.shape == (2, 2, 3)
    np.testing.assert_array_equal(X[0], seqs[0].T)
    X, lengths = pad_sequences([np.ones(4, np.float32), np.ones(2, np.float32)])
    assert X.shape == (2, 4, 1) and X.dtype == np.float32
    for bad, match in [
        ([], "non-empty list"),
        ([np.ones((2, 2)), np.ones((2, 3))], "channels"),
        ([np.array([[np.inf]])], "infinity"),
    ]:
        with pytest.raises(ValueError, match=match):
            pad_sequences(bad)
    with pytest.raises(ValueError, match="layout"):
        pad_sequences(seqs, layout="tnc")
    with pytest.raises(ValueError, match="padding"):
        pad_sequences(seqs, padding="middle")


def test_make_embedded_reber_unpadded_lists():
    X, y, strings = make_embedded_reber(8, return_strings=True, random_state=0)
    seqs, labels = make_embedded_reber(8, random_state=0, padded=False)
    np.testing.assert_array_equal(labels, y)
    assert [len(s) for s in seqs] == [len(s) for s in strings]
    for padded, seq in zip(X, seqs, strict=True):  # the front padding removed
        np.testing.assert_array_equal(padded[len(padded) - len(seq) :], seq)
        assert not padded[: len(padded) - len(seq)].any()
    Xn, Yn = make_embedded_reber(5, task="next_symbol", random_state=1)
    seqs, targets = make_embedded_reber(
        5, task="next_symbol", random_state=1, padded=False
    )
    for x, t, s, ty in zip(Xn, Yn, seqs, targets, strict=True):
        assert s.shape == ty.shape == (len(s), 7)
        np.testing.assert_array_equal(x[len(x) - len(s) :], s)
        np.testing.assert_array_equal(t[len(t) - len(s) :], ty)


def test_padding_check_reports_the_right_sequence_across_chunks(monkeypatch):
    import skentropy._sequence_input as sequence_input

    # Chunks of 2 sequences (2 * 3 steps * 1 channel elements): the bad
    # sequences sit in the third chunk, and the messages name them by their
    # index in the whole array.
    monkeypatch.setattr(sequence_input, "_PADDING_CHUNK_ELEMENTS", 6)
    X = np.zeros((6, 3, 1))
    sequence_input.check_padding(X)  # clean: no error
    X[4, 1] = np.nan  # a hole between real steps
    with pytest.raises(ValueError, match="sequence 4 has NaN steps"):
        sequence_input.check_padding(X)
    X[4, 1], X[5] = 0.0, np.nan  # an all-padding sequence
    with pytest.raises(ValueError, match=r"X\[5\] is an empty sequence"):
        sequence_input.check_padding(X)
