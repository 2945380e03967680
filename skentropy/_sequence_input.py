"""Sequence input of the LSTM estimators: layouts, variable lengths, padding.

The estimators work on one internal layout, ``(n_samples, n_timesteps,
n_channels)`` ("ntc"), C-contiguous, with NaN in every channel of a padded
step: the engine's LSTM carries its state over such steps unchanged
(:func:`skentropy._engine.sequence_network.real_steps`), so padding, at the
front or the back, changes nothing. This module turns what users hold into
that layout:

- 3-D arrays, ``"ntc"`` or channels-first ``"nct"`` (aeon, sktime); whole
  NaN steps at the start or the end of a sequence are padding;
- 2-D tables, sequences flattened time-major (``"ntc"``: ``n_channels``
  columns per step) or channel-major (``"nct"``: ``n_timesteps`` columns
  per channel); no NaN (scikit-learn's contract for tables);
- lists of 2-D arrays of different lengths, ``(T_i, n_channels)`` or
  ``(n_channels, T_i)`` with ``"nct"`` (aeon's "np-list"), or of 1-D
  arrays (one channel).
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.utils import check_array

__all__ = [
    "LAYOUTS",
    "check_padding",
    "check_sequence_array",
    "is_sequence_list",
    "pad_list",
    "table_to_sequences",
    "warn_if_transposed",
]

LAYOUTS = ("ntc", "nct")

# n_channels at least this many times n_timesteps looks transposed.
_TRANSPOSED_RATIO = 10


def is_sequence_list(X) -> bool:
    """Whether ``X`` is a list (or tuple) of sequences rather than a table.

    A list of 2-D arrays, or of 1-D arrays of different lengths, holds
    sequences; a list of equal-length 1-D rows is a 2-D table, as for any
    scikit-learn estimator.
    """
    if not isinstance(X, list | tuple) or not X:
        return False
    dims = {np.ndim(item) for item in X}
    if dims == {2}:
        return True
    if dims == {1}:
        return len({len(item) for item in X}) > 1
    return False


def pad_list(
    sequences, layout: str, *, value=np.nan, where: str = "post", input_name="X"
):
    """Validated list of sequences as one padded (n, T_max, C) array.

    Parameters
    ----------
    sequences : list of array-like
        Each of shape (T_i, C) (``layout="ntc"``), (C, T_i) (``"nct"``) or
        (T_i,) (one channel).
    layout : {"ntc", "nct"}
        Axis order of each 2-D sequence.
    value : float, default=nan
        Fill value of the padded steps.
    where : {"post", "pre"}, default="post"
        Pad after (``"post"``) or before (``"pre"``) each sequence.
    input_name : str, default="X"
        The argument's name, for the messages (``X[i]`` ...).

    Returns
    -------
    X : ndarray of shape (n_samples, T_max, n_channels)
        float64, or float32 when every sequence is float32.
    lengths : ndarray of shape (n_samples,)
        The length of each sequence.
    """
    arrays = []
    for i, item in enumerate(sequences):
        name = f"{input_name}[{i}]"
        if item is None:  # check_array would read it as NaN
            raise ValueError(f"{name} is None, not a sequence.")
        seq = check_array(
            item,
            ensure_2d=False,
            dtype=(np.float64, np.float32),
            ensure_min_samples=0,
            input_name=name,
        )
        if seq.ndim == 1:
            seq = seq[:, None]
        elif layout == "nct":
            seq = seq.T
        if seq.shape[0] == 0:
            raise ValueError(f"{name} is an empty sequence (0 time steps).")
        if arrays and seq.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"{name} has {seq.shape[1]} channels, but {input_name}[0] has "
                f"{arrays[0].shape[1]}; every sequence needs the same channels "
                f"({_layout_words(layout)})."
            )
        arrays.append(seq)
    dtype = np.result_type(*arrays)
    lengths = np.array([len(seq) for seq in arrays], dtype=np.intp)
    width = int(lengths.max())
    out = np.full((len(arrays), width, arrays[0].shape[1]), value, dtype=dtype)
    for row, seq in zip(out, arrays, strict=True):
        if where == "post":
            row[: len(seq)] = seq
        else:
            row[width - len(seq) :] = seq
    return out, lengths


def _layout_words(layout: str) -> str:
    if layout == "nct":
        return "layout='nct': each sequence is (n_channels, n_timesteps)"
    return "layout='ntc': each sequence is (n_timesteps, n_channels)"


def check_sequence_array(X, layout: str, estimator=None) -> np.ndarray:
    """A 3-D array of sequences as float, or a clear ValueError.

    NaN stays (whole NaN steps are padding, :func:`check_padding`). Rejected
    here, each with a message, is what the NaN reading would hide or the
    engine would trip on: ``None`` in an object array (missing data, which
    NumPy would silently turn into NaN, hence padding), and an array with
    no sequences, no time steps or no channels.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_channels) or \
            (n_samples, n_channels, n_timesteps)
        The sequences, in ``layout``.
    layout : {"ntc", "nct"}
        Axis order of ``X``.
    estimator : estimator instance, default=None
        Named in scikit-learn's messages.

    Returns
    -------
    X : ndarray
        float64, or float32 when ``X`` is float32; in ``layout``.
    """
    steps_axis = 1 if layout == "ntc" else 2
    if getattr(getattr(X, "dtype", None), "kind", None) == "O" and np.ndim(X) == 3:
        is_none = np.vectorize(lambda value: value is None, otypes=[bool])(X)
        if is_none.any():
            where = np.argwhere(is_none)[0]
            raise ValueError(
                f"X contains None (sequence {where[0]}, step "
                f"{where[steps_axis]}): a missing value, not padding. Mark "
                "padding steps with NaN in every channel, and fill in or drop "
                "missing values."
            )
    X = check_array(
        X,
        allow_nd=True,
        dtype=(np.float64, np.float32),
        ensure_all_finite="allow-nan",
        input_name="X",
        estimator=estimator,
    )
    axes = "n_timesteps, n_channels" if layout == "ntc" else "n_channels, n_timesteps"
    for axis, what in ((steps_axis, "time steps"), (3 - steps_axis, "channels")):
        if X.shape[axis] == 0:
            raise ValueError(
                f"X has 0 {what}: shape {X.shape}, read with layout={layout!r} "
                f"as (n_samples, {axes}). Every sequence needs at least one "
                "time step of at least one channel."
            )
    return X


#: Sequences checked at a time by :func:`check_padding`: its NaN masks are
#: (chunk, T, C), so the check's scratch memory does not grow with n.
_PADDING_CHUNK_ELEMENTS = 2**20


def check_padding(X: np.ndarray) -> None:
    """Reject NaN anywhere but whole steps at the start or end of a sequence.

    ``X`` is (n, T, C). A step is padding when all its channels are NaN;
    padding must form a run at the start and/or the end of each sequence,
    and each sequence needs one real step. Checked a chunk of sequences at
    a time, so the masks stay small however many sequences there are.
    """
    per_sequence = max(1, X.shape[1] * X.shape[2])
    chunk = max(1, _PADDING_CHUNK_ELEMENTS // per_sequence)
    for start in range(0, X.shape[0], chunk):
        _check_padding_chunk(X[start : start + chunk], start)


def _check_padding_chunk(X: np.ndarray, offset: int) -> None:
    nan = np.isnan(X)
    if not nan.any():
        return
    padded = nan.all(axis=2)
    partial = nan.any(axis=2) & ~padded
    if partial.any():
        i, t = np.argwhere(partial)[0]
        raise ValueError(
            f"X contains NaN inside a sequence: sequence {offset + i}, step {t} has "
            "NaN in some channels but not all. Only whole steps of NaN at the start "
            "or the end of a sequence are read as padding."
        )
    real = ~padded
    n_real = real.sum(axis=1)
    if not n_real.all():
        i = offset + int(np.flatnonzero(n_real == 0)[0])
        raise ValueError(f"X[{i}] is an empty sequence: every step is NaN (padding).")
    first = real.argmax(axis=1)
    last = X.shape[1] - 1 - real[:, ::-1].argmax(axis=1)
    holes = n_real != last - first + 1
    if holes.any():
        i = offset + int(np.flatnonzero(holes)[0])
        raise ValueError(
            f"X contains NaN inside a sequence: sequence {i} has NaN steps "
            "between real ones. Only whole steps of NaN at the start or the end "
            "of a sequence are read as padding."
        )


def warn_if_transposed(n_timesteps: int, n_channels: int, layout: str) -> None:
    """Warn when (T, C) looks like a channels-first array read the other way."""
    if n_channels > 1 and (
        n_timesteps == 1 or n_channels >= _TRANSPOSED_RATIO * n_timesteps
    ):
        other = "nct" if layout == "ntc" else "ntc"
        warnings.warn(
            f"X was read with layout={layout!r} as {n_timesteps} time step(s) of "
            f"{n_channels} channels, which looks transposed. aeon and sktime "
            "store collections channels-first, (n_samples, n_channels, "
            f"n_timesteps): if yours is stored the other way, pass "
            f"layout={other!r}.",
            UserWarning,
            stacklevel=4,
        )


def table_to_sequences(X: np.ndarray, n_channels: Integral, layout: str):
    """A validated 2-D table (n, T * C) as (n, T, C) sequences."""
    if X.shape[1] % n_channels:
        raise ValueError(
            f"X has {X.shape[1]} columns, not a multiple of n_channels={n_channels}."
        )
    if layout == "nct":  # channel-major columns: T steps of channel 0, ...
        return X.reshape(X.shape[0], n_channels, -1).transpose(0, 2, 1)
    return X.reshape(X.shape[0], -1, n_channels)
