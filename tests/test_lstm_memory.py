"""Bounded memory of LSTM inference (issue 12, item 4).

Predictions, scores, the validation loss and the kernel-width estimate run a
forward-only pass over chunks of sequences: their values are those of the
full-batch forward pass, and their peak memory beyond the input and the
output does not grow with the number of sequences. The chunk sizes are the
engine's private constants, set small here so that small data is chunked.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skentropy._engine.sequence_network as sequence_network
from skentropy import EEMLSTMClassifier, EEMLSTMRegressor
from skentropy._engine.losses import LOSSES
from skentropy._engine.lstm import _EXP_ACTIVATION_ELEMENTS, LSTM
from skentropy._engine.sequence_network import SequenceNetwork


def _padded_sequences(rng, n, steps, channels, dtype=np.float64):
    """Normal sequences, some NaN-padded at the front and some at the back."""
    x = rng.normal(size=(n, steps, channels)).astype(dtype)
    x[::3, :2] = np.nan
    x[1::4, -3:] = np.nan
    return x


@pytest.fixture
def tiny_chunks(monkeypatch):
    """``tiny_chunks(size)``: ``size`` sequences per chunk of forward-only passes."""

    def set_size(size):
        monkeypatch.setattr(
            SequenceNetwork, "_chunk_size", lambda self, steps, models: size
        )

    return set_size


# -- engine: forward-only pass ------------------------------------------------
@pytest.mark.parametrize("forget_gate", [True, False])
@pytest.mark.parametrize("models", [(), (3,)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [2, 40])  # tanh and exp activations
def test_forward_states_is_forward_bit_for_bit(forget_gate, models, dtype, n):
    rng = np.random.RandomState(0)
    lstm = LSTM(2, 5, forget_gate=forget_gate)
    params = rng.uniform(-1, 1, (*models, lstm.n_params)).astype(dtype)
    x = _padded_sequences(rng, n, 7, 2, dtype)
    mask = ~np.isnan(x[..., 0])
    outputs = lstm.forward(params, x, mask=mask).outputs
    last = lstm.forward_states(params, x, mask)
    np.testing.assert_array_equal(last, outputs[..., -1, :])
    every = np.full_like(outputs, np.nan)
    assert lstm.forward_states(params, x, mask, out=every) is every
    np.testing.assert_array_equal(every, outputs)


@pytest.mark.parametrize("readout", ["last", "every"])
@pytest.mark.parametrize("models", [(), (3,)])
@pytest.mark.parametrize("size", [1, 3])
def test_chunked_logits_equal_the_full_batch_forward(
    tiny_chunks, readout, models, size
):
    rng = np.random.RandomState(1)
    network = SequenceNetwork(2, 6, 3, "logistic", readout=readout)
    params = np.stack([network.init_params(rng, np.float64) for _ in range(3)])
    params = params[0] if not models else params
    x = _padded_sequences(rng, 40, 9, 2)  # 40 * 24 gate elements: exp activation
    z = network.forward(params, x, network.buffers(40, np.float64))
    expected = z.reshape(*models, 40, 9, 3) if readout == "every" else z.copy()
    tiny_chunks(size)
    np.testing.assert_allclose(
        network.logits(params, x), expected, rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("n", [3, 31, 32, 40])
def test_chunks_use_the_activation_of_the_whole_batch(tiny_chunks, monkeypatch, n):
    # The tanh and exp forms of the sigmoid differ in the last bits; the
    # whole batch's choice keeps the chunks' values those of forward().
    network = SequenceNetwork(2, 4, 3, "logistic")  # 16 gate rows: 32 * 16 = 512
    params = network.init_params(np.random.RandomState(0), np.float64)
    x = np.random.RandomState(1).normal(size=(n, 5, 2))
    cache = network.lstm.forward(params, x)
    whole = cache.gates[0].size >= _EXP_ACTIVATION_ELEMENTS  # forward()'s choice
    assert network.lstm.exp_activation(n) == whole
    seen = []
    forward_states = LSTM.forward_states

    def spy(self, *args, exp_activation=None, **kwargs):
        seen.append(exp_activation)
        return forward_states(self, *args, exp_activation=exp_activation, **kwargs)

    monkeypatch.setattr(LSTM, "forward_states", spy)
    tiny_chunks(2)
    network.logits(params, x)
    assert seen == [whole] * len(range(0, n, 2))


@pytest.mark.parametrize("readout", ["last", "every"])
def test_chunked_loss_value_is_the_objective(tiny_chunks, readout):
    rng = np.random.RandomState(2)
    network = SequenceNetwork(2, 4, 3, "logistic", readout=readout)
    params = network.init_params(rng, np.float64)
    x = _padded_sequences(rng, 11, 6, 2)
    y = rng.uniform(size=(11, 3) if readout == "last" else (11, 6, 3))
    weight = rng.uniform(0.5, 2, 11)
    loss = LOSSES["squared_error"]
    grad = np.empty_like(params)
    expected = network.loss_grad(
        params, x, y, grad, loss, sample_weight=weight, alpha=0.1
    )
    tiny_chunks(2)
    value = network.loss_value(params, x, y, loss, sample_weight=weight, alpha=0.1)
    assert value == pytest.approx(expected, rel=1e-12)


# -- estimators: chunked == unchunked -------------------------------------------
def _data(n, steps, rng, readout, regressor, channels=2):
    X = rng.normal(size=(n, steps, channels))
    if readout == "every_step":
        y = rng.integers(0, 2, (n, steps * 2))
        return X, y.astype(float) if regressor else y
    return X, rng.normal(size=n) if regressor else rng.integers(0, 3, n)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("estimator", [EEMLSTMClassifier, EEMLSTMRegressor])
@pytest.mark.parametrize("readout", ["last", "every_step"])
@pytest.mark.parametrize("eem", [True, False])
def test_chunked_predictions_equal_unchunked(tiny_chunks, estimator, readout, eem):
    rng = np.random.default_rng(3)
    regressor = estimator is EEMLSTMRegressor
    X, y = _data(30, 8, rng, readout, regressor)
    loss = "eem" if eem else "squared_error" if regressor else "mse"
    kwargs = {"entropy_over": "outputs"} if estimator is EEMLSTMClassifier else {}
    fitted = _fit(
        estimator(
            hidden_size=4,
            max_iter=2,
            batch_size=10,
            loss=loss,
            readout=readout,
            kernel_width="silverman",
            random_state=0,
            **kwargs,
        ),
        X,
        y,
    )
    methods = ["predict", "score"]
    if estimator is EEMLSTMClassifier:
        methods.append("predict_proba")
    unchunked = {
        m: getattr(fitted, m)(X, y) if m == "score" else getattr(fitted, m)(X)
        for m in methods
    }
    tiny_chunks(1)
    for m in methods:
        chunked = getattr(fitted, m)(X, y) if m == "score" else getattr(fitted, m)(X)
        np.testing.assert_allclose(chunked, unchunked[m], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("estimator", [EEMLSTMClassifier, EEMLSTMRegressor])
@pytest.mark.parametrize("readout", ["last", "every_step"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_chunked_width_and_fit_equal_unchunked(
    tiny_chunks, estimator, readout, early_stopping
):
    rng = np.random.default_rng(4)
    X, y = _data(40, 6, rng, readout, estimator is EEMLSTMRegressor)

    def fit():
        return _fit(
            estimator(
                hidden_size=4,
                max_iter=2,
                batch_size=10,
                readout=readout,
                kernel_width="silverman",
                early_stopping=early_stopping,
                n_iter_no_change=5,
                random_state=0,
            ),
            X,
            y,
        )

    unchunked = fit()
    tiny_chunks(3)
    chunked = fit()
    assert chunked.kernel_width_ == pytest.approx(unchunked.kernel_width_, rel=1e-12)
    np.testing.assert_allclose(chunked.params_, unchunked.params_, rtol=1e-9)
    np.testing.assert_allclose(
        chunked.loss_curve_, unchunked.loss_curve_, rtol=1e-9, atol=1e-12
    )
    if early_stopping:
        np.testing.assert_allclose(
            chunked.validation_loss_curve_,
            unchunked.validation_loss_curve_,
            rtol=1e-9,
            atol=1e-12,
        )


# -- estimators: peak memory independent of n_samples -----------------------------
STEPS = 200
# Large enough for the recurrent state of a sequence (~15 * HIDDEN elements)
# to outweigh its input (STEPS elements).
HIDDEN = 64


def _peak(call):
    """Bytes allocated at the peak of ``call()`` (tracemalloc)."""
    tracemalloc.start()
    try:
        result = call()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def _peaks(monkeypatch, make, method, readout, regressor):
    """Peak bytes of ``method`` at n = 64 and n = 512, and the input/output
    bytes at n = 512."""
    # Chunks of 16 sequences (HIDDEN cells, 1 channel, 200 steps).
    monkeypatch.setattr(sequence_network, "_CHUNK_ELEMENTS", 1 << 14)
    monkeypatch.setattr(sequence_network, "_ROWS_ELEMENTS", 1 << 18)
    peaks = []
    for n in (64, 512):
        rng = np.random.default_rng(n)
        X, y = _data(n, STEPS, rng, readout, regressor, channels=1)
        if method == "fit":
            peak, result = _peak(lambda X=X, y=y: _fit(make(), X, y))
        else:
            fitted = _fit(make(), X[:32], y[:32])
            peak, result = _peak(lambda f=fitted, X=X: getattr(f, method)(X))
        peaks.append(peak)
    sizes = X.nbytes + np.asarray(y).nbytes
    if method != "fit":
        sizes += np.asarray(result).nbytes
    return peaks, sizes


def test_chunk_sizes(monkeypatch):
    network = SequenceNetwork(2, 16, 2, "logistic", readout="every")
    monkeypatch.setattr(sequence_network, "_CHUNK_ELEMENTS", 4096)
    monkeypatch.setattr(sequence_network, "_ROWS_ELEMENTS", 1 << 16)
    assert network._chunk_size(STEPS, ()) == 16
    assert network._chunk_size(4 * STEPS, ()) == 4  # every step's rows
    assert network._chunk_size(STEPS, (3,)) == 5
    assert network._chunk_size(10**6, ()) == 1
    network.readout = "last"
    assert network._chunk_size(10**6, ()) == 16


@pytest.mark.parametrize("estimator", [EEMLSTMClassifier, EEMLSTMRegressor])
@pytest.mark.parametrize("readout", ["last", "every_step"])
def test_predict_memory_is_independent_of_n_samples(monkeypatch, estimator, readout):
    regressor = estimator is EEMLSTMRegressor
    method = "predict" if regressor else "predict_proba"

    def make():
        return estimator(
            hidden_size=HIDDEN, max_iter=1, readout=readout, random_state=0
        )

    (small, large), sizes = _peaks(monkeypatch, make, method, readout, regressor)
    # The full-batch forward pass took 7 * HIDDEN elements per step and
    # sequence (350 MiB at n = 512); an unchunked forward-only pass 15 *
    # HIDDEN per sequence (4 MiB). Chunks hold 16 sequences.
    assert large - small <= 2 * sizes, (small, large, sizes)


@pytest.mark.parametrize("readout", ["last", "every_step"])
def test_silverman_fit_memory_is_independent_of_n_samples(monkeypatch, readout):
    def make():
        return EEMLSTMClassifier(
            hidden_size=HIDDEN,
            max_iter=1,
            batch_size=16,
            readout=readout,
            kernel_width="silverman",
            random_state=0,
        )

    (small, large), sizes = _peaks(monkeypatch, make, "fit", readout, False)
    # Training holds one batch of 16; the width estimate one chunk of 16.
    assert large - small <= 2 * sizes, (small, large, sizes)
