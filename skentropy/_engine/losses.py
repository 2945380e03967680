"""Output losses: value and gradient with respect to the output logits.

Every loss takes the target matrix ``y`` (n x c), the output-layer
pre-activations ``z`` (n x c, **overwritten**: first with the activated
output, then with the gradient), the name of the output activation and
optional sample weights. It returns ``(value, delta)`` where ``value`` is the
sample-weighted mean loss and ``delta`` is the gradient of the weighted *sum*
``sum_i w_i l_i`` with respect to ``z`` (the caller divides by ``sum w`` after
the weight products, as scikit-learn's MLP does, so the arithmetic matches it).

For softmax outputs the terms are per sample; for logistic outputs (binary
and multilabel problems) each output column is a Bernoulli variable and the
terms are summed over columns.

Losses (``p`` the predicted distribution, ``q`` the target, ``lam`` the
entropy weight):

- ``cross_entropy``: ``-sum q log p``; gradient ``p - q``.
- ``min_ent``: ``CE + lam * H(p)``, ``H(p) = -sum p log p``;
  ``dH/dz_j = -p_j (log p_j + H)``.
- ``mix_ent``: ``CE + lam * RCE``, ``RCE = -sum p log(q + eps)``
  ``= H(p) + KL(p || q)``; ``dRCE/dz_j = p_j (r_j - RCE)``,
  ``r_j = -log(q_j + eps)``.
- ``squared_error``: ``1/2 sum (p - q)^2`` with any output activation.
"""

import math
from collections.abc import Callable
from numbers import Real

import numpy as np
from scipy.special import log_expit, xlogy

from .activations import ACTIVATIONS, DERIVATIVES
from .information import (
    _MAX_REACH,
    TRAINING_EXACT_MAX_SAMPLES,
    choose_method,
    error_entropy_and_grad,
    set_entropy_and_grad,
)

__all__ = ["LOSSES", "log_output", "output_values"]


def output_values(z: np.ndarray, output: str) -> np.ndarray:
    """Apply the output activation to the logits ``z`` in place and return it."""
    return ACTIVATIONS[output](z)


def log_output(z: np.ndarray, output: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Log-probabilities from the logits, computed stably.

    Returns ``(log p, None)`` for softmax outputs and ``(log p, log(1 - p))``
    for logistic (Bernoulli) outputs. ``z`` is not modified.
    """
    if output == "softmax":
        shifted = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        shifted -= log_norm
        return shifted, None
    if output == "logistic":
        return log_expit(z), log_expit(-z)
    raise ValueError(
        f"log-probabilities need a softmax or logistic output, got {output!r}"
    )


def _weighted_mean(per_sample: np.ndarray, sample_weight: np.ndarray | None) -> float:
    return float(np.average(per_sample, weights=sample_weight))


def _cross_entropy_value(y, p, output, sample_weight) -> float:
    # Computed exactly as scikit-learn's log_loss / binary_log_loss (clipped
    # probabilities, xlogy), so that loss curves and tol-based stopping agree
    # with MLPClassifier to the last bit.
    eps = np.finfo(p.dtype).eps
    # min(max(.)) is np.clip without its Python wrapper (same values).
    p = np.minimum(np.maximum(p, eps), 1 - eps)
    if output == "logistic":
        terms = xlogy(y, p) + xlogy(1 - y, 1 - p)
    else:
        terms = xlogy(y, p)
    if sample_weight is None:  # np.average's sum / n, without its overhead
        return float(-(np.add.reduce(terms, 0) / terms.shape[0]).sum())
    return float(-np.average(terms, weights=sample_weight, axis=0).sum())


def _scale_rows(delta: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    if sample_weight is not None:
        delta *= sample_weight.reshape(-1, 1)
    return delta


def cross_entropy(y, z, output, sample_weight=None, *, need_delta=True, **_):
    """Cross entropy with a softmax or logistic output (canonical link)."""
    p = output_values(z, output)
    value = _cross_entropy_value(y, p, output, sample_weight)
    if not need_delta:
        return value, None
    np.subtract(p, y, out=p)
    return value, _scale_rows(p, sample_weight)


def _entropy_term(y, p, logp, log1mp, output, eps):
    """Per-sample entropy ``H(p)`` and its gradient with respect to the logits."""
    if output == "softmax":
        h = -np.einsum("ij,ij->i", p, logp)
        return h, -p * (logp + h[:, np.newaxis])
    q = 1 - p
    h = -(p * logp + q * log1mp).sum(axis=1)
    # dH/dz = -p (1 - p) * logit, with the logit as log p - log(1 - p).
    return h, -(p * q) * (logp - log1mp)


def _reverse_ce_term(y, p, logp, log1mp, output, eps):
    """Per-sample reversed cross entropy ``-sum p log(q + eps)`` and its gradient."""
    y = y.astype(p.dtype)  # boolean targets; keep float32 math in float32
    r1 = -np.log(y + eps)
    if output == "softmax":
        rce = np.einsum("ij,ij->i", p, r1)
        return rce, p * (r1 - rce[:, np.newaxis])
    r0 = -np.log(1 - y + eps)
    q = 1 - p
    return (p * r1 + q * r0).sum(axis=1), (p * q) * (r1 - r0)


def _regularised_cross_entropy(term, name, doc):
    """Build ``CE + entropy_weight * term`` from a per-sample term function."""

    def loss(
        y,
        z,
        output,
        sample_weight=None,
        *,
        entropy_weight=0.1,
        eps=1e-6,
        need_delta=True,
    ):
        logp, log1mp = log_output(z, output)
        p = output_values(z, output)
        reg, reg_grad = term(y, p, logp, log1mp, output, eps)
        value = _cross_entropy_value(y, p, output, sample_weight)
        value += entropy_weight * _weighted_mean(reg, sample_weight)
        if not need_delta:
            return value, None
        np.subtract(p, y, out=p)
        reg_grad *= entropy_weight
        p += reg_grad
        return value, _scale_rows(p, sample_weight)

    loss.__name__ = loss.__qualname__ = name
    loss.__doc__ = doc
    return loss


min_ent = _regularised_cross_entropy(
    _entropy_term,
    "min_ent",
    "Cross entropy plus ``entropy_weight`` times the predictive entropy (MIN-ENT).",
)
mix_ent = _regularised_cross_entropy(
    _reverse_ce_term,
    "mix_ent",
    "Cross entropy plus ``entropy_weight`` times ``-sum p log(q + eps)``, the "
    "entropy plus the swapped K-L term (MIX-ENT).",
)


def squared_error(y, z, output, sample_weight=None, *, need_delta=True, **_):
    """Half the squared error summed over outputs, any output activation."""
    p = output_values(z, output)
    diff = p - y
    if sample_weight is None:  # one dot product instead of row sums, then a mean
        value = 0.5 * float(np.vdot(diff, diff)) / diff.shape[0]
    else:
        per_sample = np.einsum("ij,ij->i", diff, diff)
        value = 0.5 * _weighted_mean(per_sample, sample_weight)
    if not need_delta:
        return value, None
    DERIVATIVES[output](p, diff)
    return value, _scale_rows(diff, sample_weight)


def eem_outputs(
    y,
    z,
    output,
    sample_weight=None,
    *,
    kernel_width=1.0,
    objective="log",
    need_delta=True,
    **_,
):
    """Error entropy over each sample's output units (EEM-LSTM's formulation).

    For every sample the Parzen sample is its ``c`` output errors
    ``e = y - p`` (:func:`~.information.set_entropy_and_grad`), with a
    Gaussian of pairwise width ``s = kernel_width`` (a float, or one width
    per sample). ``objective="log"`` minimises the quadratic Renyi entropy
    ``-log V`` (scale-free); ``"ip"`` minimises ``-V``, the gradient ascent
    on V of Alexandre & Marques de Sa (2006). The output activation
    (logistic in the paper) is applied first and its derivative chained into
    the returned logit gradient.
    """
    p = output_values(z, output)
    errors = y.astype(p.dtype) - p
    per_sample, grad_errors = set_entropy_and_grad(
        errors, kernel_width, objective, need_grad=need_delta
    )
    value = _weighted_mean(per_sample, sample_weight)
    if not need_delta:
        return value, None
    delta = np.negative(grad_errors, out=grad_errors)  # dL/dp = -dL/de
    DERIVATIVES[output](p, delta)
    return value, _scale_rows(delta, sample_weight)


def eem_samples(
    y,
    z,
    output,
    sample_weight=None,
    *,
    kernel_width=1.0,
    objective="log",
    method="exact",
    need_delta=True,
    **_,
):
    """Error entropy over the batch: the joint error vectors are the Parzen sample.

    The batch's ``(n, c)`` errors ``y - p`` form one c-variate Parzen
    estimate (Santos, Alexandre & Marques de Sa); ``objective`` as in
    :func:`eem_outputs`; ``method`` (``"exact"``, ``"binned"`` for 1-D
    errors, ``"auto"``: exact for joint errors and batches of up to
    :data:`~.information.TRAINING_EXACT_MAX_SAMPLES` rows, binned above) is
    the estimator of :func:`~.information.error_entropy_and_grad`. Not a
    per-sample loss: the value is the batch's entropy and the returned delta
    is its gradient times ``sum w`` (the caller divides by it).
    Shift-invariant: estimators add the mean training error back at predict
    time. Non-finite errors (a diverged
    network, or errors more than ``1e150`` kernel widths apart) give a NaN
    value and a zero delta, which the training loops report as divergence.
    """
    p = output_values(z, output)
    errors = y.astype(p.dtype) - p
    span = float(errors.max() - errors.min())
    reach = _MAX_REACH * kernel_width if isinstance(kernel_width, Real) else math.inf
    if not span <= reach:  # NaN, inf, or beyond what the kernel sums accept
        return math.nan, (np.zeros_like(p) if need_delta else None)
    if method == "auto":
        method = choose_method(*errors.shape, max_exact=TRAINING_EXACT_MAX_SAMPLES)
    value, grad_errors = error_entropy_and_grad(
        errors, kernel_width, sample_weight, objective=objective, method=method
    )
    if not need_delta:
        return value, None
    scale = errors.shape[0] if sample_weight is None else float(sample_weight.sum())
    delta = grad_errors * -scale  # dL/dp = -dL/de
    DERIVATIVES[output](p, delta)
    return value, delta


LOSSES: dict[str, Callable] = {
    "cross_entropy": cross_entropy,
    "min_ent": min_ent,
    "mix_ent": mix_ent,
    "squared_error": squared_error,
    "eem_outputs": eem_outputs,
    "eem_samples": eem_samples,
}
