"""Error-entropy metrics: information potential, Renyi error entropy, a scorer.

The error entropy measures how *concentrated* the errors ``e = y_true -
y_pred`` are, whatever their mean: the quadratic Renyi entropy of their
Parzen density. It is the quantity the EEM estimators of this package
minimise, and a model-selection criterion in its own right (lower is
better). Because it ignores a constant offset, a model that is right up to
a shift scores as well as an unbiased one; use it next to a bias-sensitive
metric, or on models that correct their offset (the EEM estimators do).

scikit-learn offers no public way to add a name to its scorer registry, so
``scoring="neg_error_entropy"`` cannot be made to work without patching
scikit-learn. Pass the scorer object instead::

    GridSearchCV(model, grid, scoring=skentropy.metrics.neg_error_entropy_scorer)

or look it up by name with :func:`skentropy.metrics.get_scorer`, which knows
``"neg_error_entropy"`` and defers to :func:`sklearn.metrics.get_scorer` for
every other name.
"""

import copy
from numbers import Real

import numpy as np
from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.metrics import get_scorer_names as _sklearn_get_scorer_names
from sklearn.metrics import make_scorer
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
)

from ._engine import information as _info

__all__ = [
    "ProbaErrorEntropyScorer",
    "error_entropy",
    "get_scorer",
    "get_scorer_names",
    "information_potential",
    "neg_error_entropy_scorer",
    "neg_proba_error_entropy_scorer",
]

_PARAMETERS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "kernel_width": [
        Interval(Real, 0, None, closed="neither"),
        StrOptions(set(_info.WIDTH_RULES)),
    ],
    "sample_weight": ["array-like", None],
    "method": [StrOptions({"auto", "exact", "binned"})],
    "multioutput": [StrOptions({"joint", "marginal", "raw_values"})],
}


def _check_errors(y_true, y_pred, sample_weight):
    """Errors ``y_true - y_pred`` as (n_samples, n_outputs) and the weights."""
    check_consistent_length(y_true, y_pred, sample_weight)
    dtypes = [np.float64, np.float32]
    y_true = check_array(y_true, ensure_2d=False, dtype=dtypes, input_name="y_true")
    y_pred = check_array(y_pred, ensure_2d=False, dtype=dtypes, input_name="y_pred")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim > 2:
            raise ValueError(f"{name} must be 1-D or 2-D; got shape {y.shape}")
    y_true = y_true.reshape(y_true.shape[0], -1)
    y_pred = y_pred.reshape(y_pred.shape[0], -1)
    if y_true.shape[1] != y_pred.shape[1]:
        raise ValueError(
            "y_true and y_pred have different numbers of outputs "
            f"({y_true.shape[1]} != {y_pred.shape[1]})"
        )
    # float32 only when both are float32; the difference is then float32.
    with np.errstate(over="ignore", invalid="ignore"):
        errors = y_true - y_pred
    if not (np.isfinite(errors.min()) and np.isfinite(errors.max())):
        raise ValueError(
            f"y_true - y_pred overflows {errors.dtype} (the targets and "
            "predictions differ by more than the largest float); rescale them"
        )
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, errors, dtype=np.float64, ensure_non_negative=True
        )
    return errors, sample_weight


def _per_output(errors, kernel_width, sample_weight, method, multioutput):
    """``log V`` jointly (a float) or per output column (an array)."""
    if multioutput == "joint":
        e = errors[:, 0] if errors.shape[1] == 1 else errors
        return _info.information_potential(
            e, kernel_width, sample_weight, method=method, log=True
        )
    return np.array(
        [
            _info.information_potential(
                errors[:, c], kernel_width, sample_weight, method=method, log=True
            )
            for c in range(errors.shape[1])
        ]
    )


@validate_params(_PARAMETERS, prefer_skip_nested_validation=True)
def information_potential(
    y_true,
    y_pred,
    *,
    kernel_width="silverman",
    sample_weight=None,
    method="auto",
    multioutput="joint",
):
    r"""Information potential of the errors ``e = y_true - y_pred``.

    With weights :math:`w_i` (all ones by default) and a Gaussian kernel of
    **pairwise** width :math:`s` (``kernel_width``), in :math:`d` dimensions,

    .. math::

        V = \frac{1}{(\sum_i w_i)^2} \sum_{i=1}^N \sum_{j=1}^N w_i w_j\,
            G_s(e_i - e_j), \qquad
        G_s(u) = (2 \pi s^2)^{-d/2} \exp\!\left(-\frac{\|u\|^2}{2 s^2}\right).

    The errors are scaled by a power of two into (-1, 1) first and
    :math:`\log V` is formed in the log domain, so the result is exact over
    the whole float range: scaling the errors and the width by :math:`c`
    divides :math:`V` by :math:`|c|^d` (the width rules scale with the
    errors). A :math:`V` beyond the largest float raises a ValueError; use
    :func:`error_entropy` then.

    :math:`V = \int \hat p(e)^2\,de` for the Parzen density estimate
    :math:`\hat p` of the errors with width :math:`\sigma = s / \sqrt{2}`:
    the pairwise width is :math:`s = \sqrt{2}\,\sigma_{Parzen}` (the
    convention of the MEE literature and of the EEM-LSTM paper). The
    diagonal :math:`i = j` is kept (a V-statistic), so :math:`V > 0` and
    integer weights are exactly repeated rows. Higher means more
    concentrated errors; ``V`` is shift invariant.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth targets.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions.
    kernel_width : float, "silverman" or "normal_reference", default="silverman"
        Pairwise kernel width :math:`s > 0`. ``"silverman"`` uses
        Silverman's rule of thumb on the (weighted) errors,
        :math:`\sigma = 0.9 \min(\mathrm{std}, \mathrm{IQR}/1.34) N^{-1/5}`
        in 1-D and the normal-reference
        :math:`\sigma = \mathrm{std}\,(4/((d+2)N))^{1/(d+4)}` in
        :math:`d` dimensions; ``"normal_reference"`` uses the latter in 1-D
        too (:math:`1.06\,\mathrm{std}\,N^{-1/5}`); then
        :math:`s = \sqrt{2}\sigma`. The same names mean the same rules in
        the estimators' ``kernel_width``. Note that a rule adapts to each
        model's errors; to compare models on one scale, give a float.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    method : {"auto", "exact", "binned"}, default="auto"
        ``"exact"`` sums all pairs (O(N^2)); ``"binned"`` (errors of 1 to 3
        dimensions) bins the errors linearly on a grid of spacing ``s / 8``
        (1-D), ``s / 4`` (2-D) or ``s / 3`` (3-D) and convolves by FFT
        (O(N + M log M) for a grid of M nodes; ``log V`` within about 1e-3 of
        the exact sums, typically 1e-4); ``"auto"`` is exact up to 2048
        samples and for joint errors of more than 3 dimensions, binned above
        (1e6 two-dimensional errors take about a second).
    multioutput : {"joint", "marginal", "raw_values"}, default="joint"
        For several outputs: ``"joint"`` treats each row of errors as one
        vector (an isotropic multivariate kernel); ``"marginal"`` multiplies
        the per-output potentials (a width rule such as ``"silverman"`` is
        applied to each output's errors on their own; a float width is used
        for every output); ``"raw_values"`` returns them as an array.

    Returns
    -------
    potential : float or ndarray of shape (n_outputs,)
        The information potential.

    See Also
    --------
    error_entropy : Its negative logarithm, the quadratic Renyi entropy.

    Examples
    --------
    >>> from skentropy.metrics import information_potential
    >>> y_true = [3.0, -0.5, 2.0, 7.0]
    >>> y_pred = [2.5, 0.0, 2.0, 8.0]
    >>> round(information_potential(y_true, y_pred, kernel_width=1.0), 4)
    0.3084
    >>> # A constant offset changes nothing.
    >>> y_shifted = [p + 10 for p in y_pred]
    >>> round(information_potential(y_true, y_shifted, kernel_width=1.0), 4)
    0.3084
    """
    errors, sample_weight = _check_errors(y_true, y_pred, sample_weight)
    log_v = _per_output(errors, kernel_width, sample_weight, method, multioutput)
    if multioutput == "marginal":
        return _info._exp_potential(float(log_v.sum()))
    if multioutput == "raw_values":
        return np.array([_info._exp_potential(float(v)) for v in log_v])
    return _info._exp_potential(float(log_v))


@validate_params(_PARAMETERS, prefer_skip_nested_validation=True)
def error_entropy(
    y_true,
    y_pred,
    *,
    kernel_width="silverman",
    sample_weight=None,
    method="auto",
    multioutput="joint",
):
    r"""Quadratic Renyi entropy of the errors ``e = y_true - y_pred``.

    .. math::

        H_2 = -\log V, \qquad
        V = \frac{1}{(\sum_i w_i)^2} \sum_{i,j} w_i w_j\, G_s(e_i - e_j),

    with a Gaussian kernel :math:`G_s` of **pairwise** width :math:`s`
    (``kernel_width``; :math:`s = \sqrt{2}\,\sigma_{Parzen}`), see
    :func:`information_potential`. It is computed in the log domain
    (the normalising constant enters as :math:`-\tfrac d2 \log(2\pi s^2)`,
    never formed), so it is finite for any number of outputs. Lower is
    better: concentrated errors have low entropy. It can be negative (it
    is a differential entropy) and it ignores a constant offset of the
    errors. It is exact across the float range: scaling the errors (and a
    float width) by :math:`c` adds :math:`d \log|c|`. For Gaussian errors
    of standard deviation :math:`\sigma_e` and
    a small width it approaches :math:`\log(2\sqrt{\pi}\,\sigma_e)`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth targets.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions.
    kernel_width : float, "silverman" or "normal_reference", default="silverman"
        Pairwise kernel width :math:`s > 0`, or a rule applied to the
        errors (see :func:`information_potential`).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    method : {"auto", "exact", "binned"}, default="auto"
        Estimator, see :func:`information_potential`.
    multioutput : {"joint", "marginal", "raw_values"}, default="joint"
        For several outputs: ``"joint"`` is the entropy of the error
        vectors; ``"marginal"`` sums the per-output entropies;
        ``"raw_values"`` returns them as an array.

    Returns
    -------
    entropy : float or ndarray of shape (n_outputs,)
        The error entropy, in nats.

    See Also
    --------
    information_potential : ``exp(-error_entropy)``.
    neg_error_entropy_scorer : The negated entropy as a scorer.

    Examples
    --------
    >>> import numpy as np
    >>> from skentropy.metrics import error_entropy
    >>> y_true = [3.0, -0.5, 2.0, 7.0]
    >>> y_pred = [2.5, 0.0, 2.0, 8.0]
    >>> round(error_entropy(y_true, y_pred, kernel_width=1.0), 4)
    1.1762
    >>> # Multi-output errors: one joint 2-D entropy.
    >>> y_true = np.array([[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]])
    >>> y_pred = np.array([[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]])
    >>> round(error_entropy(y_true, y_pred, kernel_width=1.0), 4)
    2.1439
    """
    errors, sample_weight = _check_errors(y_true, y_pred, sample_weight)
    log_v = _per_output(errors, kernel_width, sample_weight, method, multioutput)
    if multioutput == "marginal":
        return float(-log_v.sum())
    if multioutput == "raw_values":
        return -log_v
    return float(-log_v)


neg_error_entropy_scorer = make_scorer(error_entropy, greater_is_better=False)
neg_error_entropy_scorer.__doc__ = """Scorer: the negated error entropy of ``predict``.

Use it as ``GridSearchCV(..., scoring=neg_error_entropy_scorer)``; greater
is better, as for every scikit-learn scorer. Other settings of
:func:`error_entropy` go through :func:`sklearn.metrics.make_scorer`, e.g.
``make_scorer(error_entropy, greater_is_better=False, kernel_width=0.5)``.
"""


class ProbaErrorEntropyScorer:
    """Scorer for classifiers: the negated entropy of the probability errors.

    The errors are ``onehot(y) - predict_proba(X)``, one vector of
    ``n_classes`` per sample, columns in the order of the estimator's
    ``classes_``; their joint error entropy (:func:`error_entropy`, Renyi's
    quadratic entropy of a Gaussian Parzen estimate) is returned negated,
    so greater is better, as for every scikit-learn scorer. Concentrated
    errors (a model that is consistently right, or consistently equally
    unsure) score high. Labels of any type work, strings included; labels
    absent from ``classes_`` raise a ValueError.

    Use the instance :data:`neg_proba_error_entropy_scorer`, or
    ``get_scorer("neg_proba_error_entropy")``, in ``GridSearchCV(scoring=...)``
    or in a ``cross_validate(scoring={...})`` dictionary.

    Parameters
    ----------
    kernel_width : float, "silverman" or "normal_reference", default="silverman"
        Pairwise kernel width, as in :func:`error_entropy`.
    method : {"auto", "exact", "binned"}, default="auto"
        Estimator, as in :func:`error_entropy`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skentropy.metrics import neg_proba_error_entropy_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_val_score(
    ...     LogisticRegression(max_iter=500), X, y, cv=3,
    ...     scoring=neg_proba_error_entropy_scorer,
    ... )
    >>> scores.shape
    (3,)
    """

    def __init__(self, *, kernel_width="silverman", method="auto"):
        self.kernel_width = kernel_width
        self.method = method

    def __call__(self, estimator, X, y_true, sample_weight=None):
        """Score ``estimator`` on ``X`` against ``y_true``.

        Parameters
        ----------
        estimator : fitted classifier
            Any estimator with ``predict_proba`` and ``classes_``.
        X : array-like
            Input of ``predict_proba``.
        y_true : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The negated error entropy of the probability errors.
        """
        proba = np.asarray(estimator.predict_proba(X), dtype=float)
        classes = np.asarray(estimator.classes_)
        y_true = np.asarray(y_true)
        if y_true.ndim != 1 or proba.ndim != 2 or proba.shape[1] != len(classes):
            raise ValueError(
                "neg_proba_error_entropy scores single-label classifiers: y_true "
                "must be 1-D and predict_proba (n_samples, n_classes); got "
                f"y_true {y_true.shape} and predict_proba {proba.shape}."
            )
        position = {label: i for i, label in enumerate(classes.tolist())}
        index = np.array([position.get(label, -1) for label in y_true.tolist()])
        if (index < 0).any():
            raise ValueError(
                "y_true holds labels the estimator was not fitted on, e.g. "
                f"{y_true[index < 0][0]!r}; its classes_ are {classes.tolist()}."
            )
        onehot = np.eye(len(classes))[index]
        return -error_entropy(
            onehot,
            proba,
            kernel_width=self.kernel_width,
            sample_weight=sample_weight,
            method=self.method,
        )

    def __repr__(self):
        return (
            f"ProbaErrorEntropyScorer(kernel_width={self.kernel_width!r}, "
            f"method={self.method!r})"
        )


#: The negated error entropy of ``onehot(y) - predict_proba(X)``: the
#: classifier counterpart of :data:`neg_error_entropy_scorer`.
neg_proba_error_entropy_scorer = ProbaErrorEntropyScorer()

_SCORERS = {
    "neg_error_entropy": neg_error_entropy_scorer,
    "neg_proba_error_entropy": neg_proba_error_entropy_scorer,
}


def get_scorer(scoring):
    """A scorer by name, knowing skentropy's names as well as scikit-learn's.

    ``"neg_error_entropy"`` gives :data:`neg_error_entropy_scorer` (for
    regressors), ``"neg_proba_error_entropy"``
    :data:`neg_proba_error_entropy_scorer` (for classifiers); every other
    string, callable or None goes to :func:`sklearn.metrics.get_scorer`.
    scikit-learn has no public scorer registry, so these strings are not
    understood by ``GridSearchCV`` itself; pass ``get_scorer(name)`` (or the
    scorer object) instead.

    Parameters
    ----------
    scoring : str, callable or None
        Scorer name, or a scorer returned as it is.

    Returns
    -------
    scorer : callable
        A fresh copy for a name, as scikit-learn does.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skentropy.metrics import get_scorer
    >>> search = GridSearchCV(
    ...     Ridge(), {"alpha": [0.1, 10.0]}, scoring=get_scorer("neg_error_entropy")
    ... )
    """
    if isinstance(scoring, str) and scoring in _SCORERS:
        return copy.deepcopy(_SCORERS[scoring])
    return _sklearn_get_scorer(scoring)


def get_scorer_names():
    """Names :func:`get_scorer` understands: scikit-learn's and skentropy's.

    Returns
    -------
    names : list of str
        Sorted.
    """
    return sorted({*_sklearn_get_scorer_names(), *_SCORERS})
