"""Scaling out: the recipes of docs/scaling_out.rst, run as tests.

- Many fits on a Dask cluster: ``GridSearchCV`` under
  ``joblib.parallel_config(backend="dask")`` on a two-worker ``LocalCluster``
  gives exactly the sequential search's ``cv_results_`` and ``best_params_``.
- Out of core: one ``partial_fit`` per block of a dask array, epoch after
  epoch, equals the same calls on the NumPy blocks, and, with
  ``shuffle=False`` and blocks of whole mini-batches, ``fit`` for as many
  epochs.
- BLAS threads: ``threadpool_limits(limits=1, user_api="blas")`` around a
  fit changes its speed, not its result.
"""

import faulthandler
import logging
import os
from contextlib import contextmanager

import joblib
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_info, threadpool_limits

from skentropy import (
    EEMLSTMClassifier,
    EEMLSTMRegressor,
    EEMMLPRegressor,
    MinEntMLPClassifier,
)

pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- data -------------------------------------------------------------------
def _tabular(n=120, seed=0):
    """Four standardised features; a binary label and a noisy real target."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    label = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    target = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.standard_t(2, size=n)
    return X, label, target


def _sequences(n=96, steps=5, channels=2, seed=0):
    """Sequences whose label / target needs the first step (memory)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, channels))
    label = np.where(X[:, 0, 0] > 0, "up", "down")
    target = X[:, 0, 0] + 0.5 * X[:, -1, 1]
    return X, label, target


# -- the out-of-core recipe (docs/scaling_out.rst shows this code) ----------
def partial_fit_blocks(estimator, X, y, *, n_epochs=1, classes=None, random_state=None):
    """Train ``estimator`` on dask arrays, one block of rows at a time.

    ``X`` and ``y`` are dask arrays chunked along the sample axis only, with
    the same row chunks. Each epoch calls ``partial_fit`` once per block:
    one pass over that block's rows, in mini-batches of ``batch_size``. Only
    one block is in memory at a time. ``random_state=None`` visits the
    blocks in order; an int visits them in a new random order each epoch.
    """
    kwargs = {} if classes is None else {"classes": classes}
    rng = None if random_state is None else np.random.default_rng(random_state)
    n_blocks = X.numblocks[0]
    for _ in range(n_epochs):
        order = range(n_blocks) if rng is None else rng.permutation(n_blocks)
        for i in order:
            X_block, y_block = dask.compute(X.blocks[i], y.blocks[i])
            estimator.partial_fit(X_block, y_block, **kwargs)
    return estimator


# -- out of core --------------------------------------------------------------
def _block_cases():
    X, label, target = _tabular()
    S, seq_label, seq_target = _sequences()
    mlp = {"hidden_layer_sizes": (8,), "random_state": 0}
    lstm = {"hidden_size": 4, "random_state": 0}
    return {
        "MinEntMLPClassifier-adam": (MinEntMLPClassifier(**mlp), X, label),
        "MinEntMLPClassifier-sgd": (
            MinEntMLPClassifier(solver="sgd", learning_rate_init=0.05, **mlp),
            X,
            label,
        ),
        "EEMMLPRegressor": (EEMMLPRegressor(kernel_width=1.0, **mlp), X, target),
        "EEMLSTMClassifier": (EEMLSTMClassifier(**lstm), S, seq_label),
        "EEMLSTMRegressor": (EEMLSTMRegressor(**lstm), S, seq_target),
    }


BLOCK_CASES = _block_cases()


def _fitted_arrays(est):
    """Every trained array of an estimator, by name."""
    names = ["coefs_", "intercepts_", "params_", "offset_", "classes_"]
    out = {}
    for name in names:
        value = getattr(est, name, None)
        if value is not None:
            arrays = value if isinstance(value, list) else [value]
            out.update({f"{name}{i}": np.asarray(a) for i, a in enumerate(arrays)})
    out["loss_curve_"] = np.asarray(est.loss_curve_)
    return out


def _assert_same_fit(a, b, *, exclude=()):
    """Bit-identical trained arrays (same float operations in the same order)."""
    arrays_a, arrays_b = _fitted_arrays(a), _fitted_arrays(b)
    names = [k for k in arrays_a if not k.startswith(tuple(exclude))]
    assert names and names == [k for k in arrays_b if not k.startswith(tuple(exclude))]
    for name in names:
        np.testing.assert_array_equal(arrays_a[name], arrays_b[name], err_msg=name)


def _classes(est, y):
    return np.unique(y) if is_classifier(est) else None


@quiet
@pytest.mark.parametrize("block_order_seed", [None, 7], ids=["in-order", "shuffled"])
@pytest.mark.parametrize("case", list(BLOCK_CASES))
def test_block_loop_equals_partial_fit_on_numpy_blocks(case, block_order_seed):
    """The dask loop makes exactly the partial_fit calls of an in-memory loop."""
    est, X, y = BLOCK_CASES[case]
    chunk, n_epochs = 30, 3  # blocks of 30, 30, 30, 6 rows for the sequences
    X_dask = da.from_array(X, chunks=(chunk,) + (-1,) * (X.ndim - 1))
    y_dask = da.from_array(y, chunks=chunk)
    assert X_dask.numblocks[0] == 4 and y_dask.chunks[0] == X_dask.chunks[0]
    classes = _classes(est, y)
    from_dask = partial_fit_blocks(
        clone(est),
        X_dask,
        y_dask,
        n_epochs=n_epochs,
        classes=classes,
        random_state=block_order_seed,
    )

    # In memory: the same NumPy blocks, in the same order.
    starts = np.arange(0, len(X), chunk)
    blocks = [(X[s : s + chunk], y[s : s + chunk]) for s in starts]
    rng = np.random.default_rng(block_order_seed)
    in_memory = clone(est)
    for _ in range(n_epochs):
        order = (
            range(len(blocks))
            if block_order_seed is None
            else rng.permutation(len(blocks))
        )
        for i in order:
            if classes is None:
                in_memory.partial_fit(*blocks[i])
            else:
                in_memory.partial_fit(*blocks[i], classes=classes)
    assert len(in_memory.loss_curve_) == n_epochs * len(blocks)
    _assert_same_fit(from_dask, in_memory)


@quiet
@pytest.mark.parametrize("batches_per_block", [1, 3])
@pytest.mark.parametrize("case", list(BLOCK_CASES))
def test_block_loop_equals_fit_for_as_many_epochs(case, batches_per_block):
    """What partial_fit over blocks means: the mini-batches of one ``fit``.

    ``partial_fit`` makes one pass over the rows it is given, in mini-batches
    of ``batch_size``, and keeps the optimiser's state between calls. With
    ``shuffle=False`` and blocks of whole mini-batches, the batches of
    ``n_epochs`` passes over the blocks are those of ``fit`` with
    ``max_iter=n_epochs``: same updates (Adam, or SGD at a constant rate),
    same weights. The loss curves differ: one entry per block, not per
    epoch.
    """
    est, X, y = BLOCK_CASES[case]
    batch_size, n_epochs = 8, 4
    est = clone(est).set_params(batch_size=batch_size, shuffle=False)
    chunk = batch_size * batches_per_block
    assert len(X) % chunk == 0  # whole mini-batches in every block
    X_dask = da.from_array(X, chunks=(chunk,) + (-1,) * (X.ndim - 1))
    y_dask = da.from_array(y, chunks=chunk)
    blocked = partial_fit_blocks(
        clone(est), X_dask, y_dask, n_epochs=n_epochs, classes=_classes(est, y)
    )
    # n_iter_no_change above n_epochs: fit's stopping rule cannot end it early.
    fitted = clone(est).set_params(max_iter=n_epochs, n_iter_no_change=10).fit(X, y)
    assert fitted.n_iter_ == n_epochs
    assert len(blocked.loss_curve_) == n_epochs * len(X) // chunk
    # offset_ (EEM regressors) is fitted on the rows of the last call only.
    _assert_same_fit(blocked, fitted, exclude=("loss_curve_", "offset_"))


@quiet
@pytest.mark.parametrize("case", ["EEMMLPRegressor", "EEMLSTMRegressor"])
def test_offset_comes_from_the_last_block(case):
    """The caveat the docs state: ``offset_`` is the mean error on the last block.

    The entropy is blind to a constant shift of the errors, so an EEM
    regressor stores the mean training error of the rows of its last
    ``fit`` / ``partial_fit`` call and adds it at predict time.
    """
    est, X, y = BLOCK_CASES[case]
    X_dask = da.from_array(X, chunks=(30,) + (-1,) * (X.ndim - 1))
    y_dask = da.from_array(y, chunks=30)
    est = partial_fit_blocks(clone(est), X_dask, y_dask, n_epochs=2)
    X_last, y_last = X[90:], y[90:]
    raw = est.predict(X_last) - est.offset_  # the network's outputs
    np.testing.assert_allclose(est.offset_, np.mean(y_last - raw), rtol=1e-12)
    assert abs(est.offset_[0] - np.mean(y - (est.predict(X) - est.offset_))) > 1e-6


# -- BLAS threads -------------------------------------------------------------
def _blas_threads():
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@quiet
@pytest.mark.parametrize("estimator", ["regressor", "classifier"])
def test_blas_threads_change_the_fit_only_by_round_off(estimator):
    """threadpool_limits(1, "blas") around a fit: the same weights to round-off.

    conftest.py already holds BLAS at one thread for the whole session, so
    the reference fit raises the limit to several threads explicitly. The
    matrices (400 x 64 inputs, 128 hidden units, whole-data batches) are
    large enough for OpenBLAS to split its products over threads. A given
    thread count repeats its fit bit for bit; across thread counts OpenBLAS
    may split a product's edge blocks differently (seen on an Intel Xeon
    with the SkylakeX kernel: 2e-16 apart after five epochs, where an AMD
    EPYC gave identical bits), so only agreement to round-off is promised.
    """
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 64))
    if estimator == "regressor":
        y = X @ rng.normal(size=64) / 8 + 0.1 * rng.standard_t(2, size=400)
        est = EEMMLPRegressor(entropy_estimator="exact", kernel_width=1.0)
    else:
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        est = MinEntMLPClassifier(loss="mix_ent")
    est.set_params(
        hidden_layer_sizes=(128,), batch_size=400, max_iter=5, random_state=0
    )
    many = max(2, os.cpu_count() or 1)
    with threadpool_limits(limits=many, user_api="blas"):
        assert _blas_threads() == {many}
        threaded = clone(est).fit(X, y)
        _assert_same_fit(clone(est).fit(X, y), threaded)
    with threadpool_limits(limits=1, user_api="blas"):
        assert _blas_threads() == {1}
        single = clone(est).fit(X, y)
    arrays_single, arrays_threaded = _fitted_arrays(single), _fitted_arrays(threaded)
    assert list(arrays_single) == list(arrays_threaded)
    for name, value in arrays_single.items():
        np.testing.assert_allclose(
            value, arrays_threaded[name], rtol=1e-10, atol=1e-14, err_msg=name
        )


# -- a Dask cluster ------------------------------------------------------------
@contextmanager
def _deadline(seconds):
    """Fail the run, never hang it: past ``seconds``, dump every thread's
    stack and exit (what pytest-timeout's "thread" method does)."""
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def dask_client():
    """Two single-threaded worker processes on this machine, and a Client.

    Processes, as on a real cluster: the tasks are pickled, the workers
    import skentropy themselves, and each has its own BLAS.
    """
    with _deadline(180):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
            death_timeout=120,  # a worker that cannot start gives up
        )
        client = distributed.Client(cluster, timeout="120s")
    try:
        yield client
    finally:
        with _deadline(120):
            client.close()
            cluster.close()


def _grid_cases():
    X, label, target = _tabular(n=90)
    S, seq_label, _ = _sequences(n=60)
    return {
        "EEMMLPRegressor": (
            EEMMLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
            {"kernel_width": [0.5, 2.0], "learning_rate_init": [1e-3, 1e-2]},
            X,
            target,
        ),
        "MinEntMLPClassifier": (
            MinEntMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
            {"loss": ["min_ent", "mix_ent"], "entropy_weight": [0.05, 0.3]},
            X,
            label,
        ),
        "EEMLSTMClassifier": (
            EEMLSTMClassifier(hidden_size=4, max_iter=10, random_state=0),
            {"kernel_width": [0.8, 1.5], "learning_rate_init": [0.01, 0.03]},
            S,
            seq_label,
        ),
    }


GRID_CASES = _grid_cases()


@quiet
@pytest.mark.parametrize("case", list(GRID_CASES))
def test_grid_search_on_dask_equals_sequential(case, dask_client):
    """Same random_state, same fits: the cluster changes where, not what.

    No tolerance: every fit runs the same float operations in the same order
    whichever process runs it (one random stream per fit, seeded by
    random_state; no global state), and the workers load the same BLAS,
    one thread each, as this process (see the next test).
    """
    estimator, param_grid, X, y = GRID_CASES[case]
    sequential = GridSearchCV(estimator, param_grid, cv=3, error_score="raise")
    sequential.fit(X, y)

    search = GridSearchCV(estimator, param_grid, cv=3, n_jobs=-1, error_score="raise")
    with (
        _deadline(300),
        distributed.get_task_stream(dask_client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        search.fit(X, y)
    assert tasks.data, "no task ran on the cluster"

    assert search.best_params_ == sequential.best_params_
    assert search.best_index_ == sequential.best_index_
    assert search.cv_results_["params"] == sequential.cv_results_["params"]
    scores = [k for k in sequential.cv_results_ if "score" in k and "time" not in k]
    assert "mean_test_score" in scores and "split2_test_score" in scores
    for key in scores:
        np.testing.assert_array_equal(
            search.cv_results_[key], sequential.cv_results_[key], err_msg=key
        )
    np.testing.assert_array_equal(search.predict(X), sequential.predict(X))


def test_dask_worker_processes_run_one_blas_thread(dask_client):
    """distributed's nanny starts each worker process with OPENBLAS_NUM_THREADS,
    MKL_NUM_THREADS and OMP_NUM_THREADS set to 1 (its default config,
    ``distributed.nanny.pre-spawn-environ``), as the docs say."""

    def worker_blas_threads():  # local: cloudpickle sends it by value
        from threadpoolctl import threadpool_info

        return sorted(
            {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
        )

    with _deadline(120):
        per_worker = dask_client.run(worker_blas_threads)
    assert len(per_worker) == 2
    assert all(threads == [1] for threads in per_worker.values()), per_worker
    assert dask.config.get("distributed.nanny.pre-spawn-environ")[
        "OPENBLAS_NUM_THREADS"
    ] in (1, "1")
