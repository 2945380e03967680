"""Sequence layouts: 2-D <-> 3-D helpers and lagged columns from time series.

The sequence estimators (``EEMLSTMClassifier``) work on 3-D arrays
``(n_samples, n_timesteps, n_channels)``, channels last. They also take 2-D
arrays: the C-order flattening of that layout, i.e. time-major with the
oldest step first and ``n_channels`` consecutive columns per step::

    [x1(t-L+1), x2(t-L+1), ..., x1(t-1), x2(t-1), x1(t), x2(t)]

:func:`to_3d` and :func:`to_2d` convert between the two (a reshape, no
copy when the input is C-contiguous). :class:`LagFeatures` and
:func:`make_lagged_frame` turn a frame of time series (rows are time steps,
columns are channels) into lagged columns in exactly that order, so that
``to_3d(lagged, n_channels=n_series)[:, -1, :]`` holds the most recent values.

Sequences of different lengths: the estimators take a list of 2-D arrays
directly, or a 3-D array padded with NaN steps; :func:`pad_sequences` builds
that array (and the lengths) from a list, in either layout.
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._sequence_input import LAYOUTS, pad_list

__all__ = ["LagFeatures", "make_lagged_frame", "pad_sequences", "to_2d", "to_3d"]


@validate_params(
    {
        "sequences": [list, tuple],
        "layout": [StrOptions(set(LAYOUTS))],
        "padding": [StrOptions({"post", "pre"})],
        "value": [Real],
    },
    prefer_skip_nested_validation=True,
)
def pad_sequences(sequences, *, layout="ntc", padding="post", value=np.nan):
    """Pad sequences of different lengths into one 3-D array.

    Parameters
    ----------
    sequences : list of array-like
        Each of shape (n_timesteps_i, n_channels) (``layout="ntc"``),
        (n_channels, n_timesteps_i) (``layout="nct"``, aeon's "np-list"
        convention for unequal-length collections), or (n_timesteps_i,)
        (one channel). At least one step each, finite, the same channels.
    layout : {"ntc", "nct"}, default="ntc"
        Axis order of the sequences, and of the returned array.
    padding : {"post", "pre"}, default="post"
        Pad after (``"post"``) or before (``"pre"``) each sequence.
    value : float, default=np.nan
        Fill value of the padded steps. With NaN (the default) the
        estimators read the padded steps as padding: the LSTM carries its
        state over them, so each sequence gets the prediction it gets
        unpadded. Any other value makes the padded steps real input.

    Returns
    -------
    X : ndarray of shape (n_samples, max_length, n_channels) or \
            (n_samples, n_channels, max_length)
        The padded sequences, in ``layout``; float64, or float32 when every
        sequence is float32.
    lengths : ndarray of shape (n_samples,)
        The length of each sequence.

    Raises
    ------
    ValueError
        For an empty list or sequence, NaN or infinity inside a sequence,
        different channel counts, or a bad ``sequences``, ``layout``,
        ``padding`` or ``value`` (the message names it).

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy.sequences import pad_sequences
    >>> X, lengths = pad_sequences([np.ones((3, 2)), np.zeros((1, 2))])
    >>> X.shape, lengths.tolist()
    ((2, 3, 2), [3, 1])
    >>> X[1].tolist()
    [[0.0, 0.0], [nan, nan], [nan, nan]]
    """
    if not sequences:
        raise ValueError("sequences must be a non-empty list of arrays.")
    X, lengths = pad_list(
        sequences, layout, value=value, where=padding, input_name="sequences"
    )
    if layout == "nct":
        X = np.ascontiguousarray(X.transpose(0, 2, 1))
    return X, lengths


def to_3d(X, n_channels=1):
    """Reshape 2-D time-major sequences to ``(n_samples, n_timesteps, n_channels)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps * n_channels)
        Each row one sequence, oldest step first, ``n_channels`` consecutive
        columns per step (the estimators' 2-D layout). A DataFrame is
        converted with ``np.asarray``.
    n_channels : int, default=1
        Columns per time step. With the default every column is a step.

    Returns
    -------
    X3 : ndarray of shape (n_samples, n_timesteps, n_channels)
        A view of ``X`` when ``X`` is a C-contiguous array.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, or its column count is not a multiple of
        ``n_channels``.

    See Also
    --------
    to_2d : The inverse.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy.sequences import to_3d
    >>> X = np.array([[1, 10, 2, 20, 3, 30]])  # 3 steps of 2 channels
    >>> to_3d(X, n_channels=2)[0].tolist()
    [[1, 10], [2, 20], [3, 30]]
    """
    if isinstance(n_channels, bool) or not isinstance(n_channels, Integral):
        raise TypeError(f"n_channels must be an int, got {type(n_channels).__name__}.")
    if n_channels < 1:
        raise ValueError(f"n_channels must be >= 1, got {n_channels}.")
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            "X must be 2-D (n_samples, n_timesteps * n_channels); "
            f"got {X.ndim}-D input of shape {X.shape}."
        )
    if X.shape[1] % n_channels:
        raise ValueError(
            f"X has {X.shape[1]} columns, not a multiple of n_channels={n_channels}."
        )
    return X.reshape(X.shape[0], X.shape[1] // n_channels, n_channels)


def to_2d(X):
    """Flatten ``(n_samples, n_timesteps, n_channels)`` sequences to 2-D.

    The C-order flattening: time-major, oldest step first, the channels of a
    step in consecutive columns. ``to_3d(to_2d(X3), X3.shape[2])`` gives
    ``X3`` back.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_channels)
        The sequences.

    Returns
    -------
    X2 : ndarray of shape (n_samples, n_timesteps * n_channels)
        A view of ``X`` when ``X`` is a C-contiguous array.

    Raises
    ------
    ValueError
        If ``X`` is not 3-D.

    See Also
    --------
    to_3d : The inverse.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy.sequences import to_2d
    >>> to_2d(np.array([[[1, 10], [2, 20], [3, 30]]])).tolist()
    [[1, 10, 2, 20, 3, 30]]
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(
            "X must be 3-D (n_samples, n_timesteps, n_channels); "
            f"got {X.ndim}-D input of shape {X.shape}."
        )
    return X.reshape(X.shape[0], X.shape[1] * X.shape[2])


class LagFeatures(TransformerMixin, BaseEstimator):
    """Lagged columns of time series, in the sequence estimators' 2-D layout.

    The input is a frame of time series: rows are time steps (oldest
    first), columns are channels. Each output row is the window of the last
    ``lags`` steps ending at one input row, flattened time-major with the
    oldest step first and the channels interleaved within a step::

        [x1_lag{L-1}, x2_lag{L-1}, ..., x1_lag1, x2_lag1, x1_lag0, x2_lag0]

    where ``L = lags`` and ``x1_lag0`` is the current value. That is exactly
    the 2-D layout the sequence estimators take with ``n_channels`` equal to
    the number of series, so ``to_3d(Xt, n_channels=n_series)[:, -1, :]``
    holds the current values.

    **The first** ``lags - 1`` **rows are dropped** (their windows are
    incomplete): output row ``i`` belongs to input row ``i + lags - 1``. Align
    targets with ``y[lags - 1:]``. Because it changes the number of rows,
    the transformer belongs *before* a :class:`~sklearn.pipeline.Pipeline`,
    not inside one. With pandas output (``set_output(transform="pandas")``)
    the result keeps the index of the input rows it belongs to.

    Parameters
    ----------
    lags : int
        Window length ``L`` (time steps per output row, lags 0 to ``L - 1``);
        ``lags=1`` keeps the input as it is.
    columns : list of str or int, default=None
        The series (channels) to lag, in output order: column names of a
        DataFrame or column positions. None: all columns, in input order.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during fit; only when they are all strings.
    columns_ : ndarray of shape (n_channels_,)
        Positions of the lagged columns in the input.
    n_channels_ : int
        Number of lagged series: pass it as ``n_channels`` to the estimators
        or to :func:`to_3d`.

    See Also
    --------
    make_lagged_frame : The function form, returning a DataFrame.
    to_3d : Reshape the output to ``(n_samples, lags, n_channels_)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skentropy.sequences import LagFeatures, to_3d
    >>> frame = pd.DataFrame({"x1": [1, 2, 3, 4], "x2": [10, 20, 30, 40]})
    >>> lagger = LagFeatures(lags=3).set_output(transform="pandas")
    >>> lagged = lagger.fit_transform(frame)
    >>> lagged.columns.tolist()
    ['x1_lag2', 'x2_lag2', 'x1_lag1', 'x2_lag1', 'x1_lag0', 'x2_lag0']
    >>> lagged.index.tolist()
    [2, 3]
    >>> to_3d(lagged.to_numpy(), n_channels=2)[:, -1, :].tolist()
    [[3, 30], [4, 40]]
    """

    _parameter_constraints: ClassVar[dict] = {
        "lags": [Interval(Integral, 1, None, closed="left")],
        "columns": ["array-like", None],
    }

    def __init__(self, lags, columns=None):
        self.lags = lags
        self.columns = columns

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the input and resolve ``columns``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_timesteps, n_series)
            The time series, oldest row first.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = validate_data(self, X, dtype="numeric", ensure_all_finite="allow-nan")
        self.columns_ = self._resolve_columns(X.shape[1])
        self.n_channels_ = int(self.columns_.size)
        return self

    def transform(self, X):
        """Lag the series.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_timesteps, n_features_in_)
            The time series, oldest row first; at least ``lags`` rows.

        Returns
        -------
        Xt : ndarray or DataFrame of shape (n_timesteps - lags + 1, lags * n_channels_)
            One row per complete window, oldest step first, channels
            interleaved within a step (see the class docstring).
        """
        check_is_fitted(self)
        index = X.index if isinstance(X, pd.DataFrame) else None
        X = validate_data(
            self, X, reset=False, dtype="numeric", ensure_all_finite="allow-nan"
        )
        if X.shape[0] < self.lags:
            raise ValueError(
                f"X has {X.shape[0]} rows (time steps), fewer than lags="
                f"{self.lags}: no complete window."
            )
        series = X[:, self.columns_]
        windows = np.lib.stride_tricks.sliding_window_view(series, self.lags, axis=0)
        # windows: (n_out, n_channels, lags) -> (n_out, lags, n_channels), C order.
        n_windows = windows.shape[0]
        Xt = np.ascontiguousarray(windows.transpose(0, 2, 1)).reshape(n_windows, -1)
        pandas_output = _get_output_config("transform", self)["dense"] == "pandas"
        if index is not None and pandas_output:
            # Keep the rows' own index (sklearn's wrapper would reuse the
            # input's, which is longer); the wrapper then sets the columns.
            return pd.DataFrame(Xt, index=index[self.lags - 1 :], copy=False)
        return Xt

    def get_feature_names_out(self, input_features=None):
        """Output column names, ``"<name>_lag<k>"``, in output order.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names. None: ``feature_names_in_`` if fitted on a
            frame with string column names, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``[x1_lag{L-1}, x2_lag{L-1}, ..., x1_lag0, x2_lag0]``.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)[self.columns_]
        return np.asarray(
            [
                f"{name}_lag{lag}"
                for lag in range(self.lags - 1, -1, -1)
                for name in names
            ],
            dtype=object,
        )

    def _resolve_columns(self, n_features):
        """Positions of ``columns`` in the input."""
        if self.columns is None:
            return np.arange(n_features)
        wanted = list(self.columns)
        if not wanted:
            raise ValueError("columns must name at least one column, got [].")
        names = getattr(self, "feature_names_in_", None)
        positions = []
        for column in wanted:
            if isinstance(column, str):
                if names is None:
                    raise ValueError(
                        f"columns holds the name {column!r}, but X has no string "
                        "column names; pass a DataFrame or column positions."
                    )
                found = np.flatnonzero(names == column)
                if found.size == 0:
                    raise ValueError(f"Column {column!r} is not in X.")
                positions.append(int(found[0]))
            elif isinstance(column, Integral) and not isinstance(column, bool):
                if not -n_features <= column < n_features:
                    raise ValueError(
                        f"Column position {column} is out of range for X with "
                        f"{n_features} columns."
                    )
                positions.append(int(column) % n_features)
            else:
                raise ValueError(
                    f"columns must hold column names (str) or positions (int), "
                    f"got {column!r}."
                )
        if len(set(positions)) != len(positions):
            raise ValueError(f"columns lists a column twice: {wanted!r}.")
        return np.asarray(positions, dtype=np.intp)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def make_lagged_frame(frame, lags, *, columns=None):
    """Lagged columns of a frame of time series, as a DataFrame.

    The function form of :class:`LagFeatures`: columns
    ``[x1_lag{L-1}, x2_lag{L-1}, ..., x1_lag0, x2_lag0]`` (oldest step first,
    channels interleaved within a step), the first ``lags - 1`` rows dropped,
    the index of the remaining rows kept.

    Parameters
    ----------
    frame : DataFrame or Series
        The time series: rows are time steps, oldest first; columns are
        channels. A Series is one channel.
    lags : int
        Window length ``L`` (lags 0 to ``L - 1``).
    columns : list of str or int, default=None
        The series to lag, in output order. None: all columns.

    Returns
    -------
    lagged : DataFrame of shape (len(frame) - lags + 1, lags * n_series)
        In the sequence estimators' 2-D layout, with
        ``n_channels = n_series``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skentropy.sequences import make_lagged_frame
    >>> frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    >>> make_lagged_frame(frame, 2)
       a_lag1  b_lag1  a_lag0  b_lag0
    1     1.0     4.0     2.0     5.0
    2     2.0     5.0     3.0     6.0
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name="x0" if frame.name is None else str(frame.name))
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"frame must be a pandas DataFrame or Series, got {type(frame).__name__}."
        )
    lagger = LagFeatures(lags, columns=columns).set_output(transform="pandas")
    return lagger.fit_transform(frame)
