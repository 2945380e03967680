"""Parameters of ``skentropy.datasets`` and ``skentropy.sequences`` helpers.

Issue 12, item 7: ``n_samples`` = nan/inf/None, ``max_length=nan`` and
``noise`` = inf/"1"/None met raw ``int()``, comparison or overflow errors,
and ``noise=inf`` returned non-finite targets. The generators validate
their parameters the scikit-learn way (``validate_params``), so every
message names the parameter and the function, as scikit-learn's own
``make_*`` functions do.
"""

import numpy as np
import pytest

from skentropy.datasets import (
    make_embedded_reber,
    make_radiative_transfer,
    make_reber,
)
from skentropy.sequences import pad_sequences

GENERATORS = [make_radiative_transfer, make_reber, make_embedded_reber]
REBER = {make_reber: 5, make_embedded_reber: 9}  # generator: shortest string


def _raises_naming(function, parameter):
    return pytest.raises(
        ValueError, match=f"'{parameter}' parameter of {function.__name__} must be"
    )


@pytest.mark.parametrize("value", [np.nan, np.inf, None, "5", 0, -1, 2.5, 5.0])
@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_n_samples_is_validated(make, value):
    with _raises_naming(make, "n_samples"):
        make(n_samples=value, random_state=0)


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_valid_parameters_still_work(make):
    X, y = make(np.int64(3), random_state=np.random.RandomState(0))
    assert len(X) == len(y) == 3


@pytest.mark.parametrize("value", [np.inf, "1", None, -1, np.nan])
def test_noise_is_validated(value):
    with _raises_naming(make_radiative_transfer, "noise"):
        make_radiative_transfer(5, noise=value, random_state=0)


def test_noise_that_overflows_is_an_error():
    """A finite noise so large the targets overflow: an error, not inf."""
    with pytest.raises(ValueError, match=r"noise=1e\+308 is too large"):
        make_radiative_transfer(20, noise=1e308, random_state=0)
    _, y = make_radiative_transfer(20, noise=np.float32(2.0), random_state=0)
    assert np.isfinite(y).all()


@pytest.mark.parametrize(
    ("make", "parameter", "value"),
    [
        (make_radiative_transfer, "as_frame", "yes"),
        (make_radiative_transfer, "random_state", "seed"),
        (make_reber, "task", None),
        (make_reber, "padded", "no"),
        (make_reber, "return_strings", None),
        (make_reber, "random_state", "seed"),
        (make_embedded_reber, "task", "regression"),
        (make_embedded_reber, "padded", None),
        (make_embedded_reber, "return_strings", "yes"),
    ],
)
def test_other_parameters_are_validated(make, parameter, value):
    with _raises_naming(make, parameter):
        make(5, **{parameter: value})


@pytest.mark.parametrize("make", list(REBER), ids=lambda f: f.__name__)
def test_max_length_is_validated(make):
    shortest = REBER[make]
    make(3, max_length=shortest, random_state=0)  # the shortest is allowed
    for value in (np.nan, np.inf, "12", 12.0, 12.5, shortest - 1):
        with _raises_naming(make, "max_length"):
            make(3, max_length=value, random_state=0)


@pytest.mark.parametrize("value", ["a", None, [1.0]])
def test_pad_sequences_value_is_validated(value):
    """A neighbour: ``value`` met float() or broadcast silently (None, [1])."""
    with _raises_naming(pad_sequences, "value"):
        pad_sequences([np.ones((2, 2)), np.ones((1, 2))], value=value)


def test_pad_sequences_none_sequence():
    """A neighbour: a None sequence read as "contains NaN"."""
    with pytest.raises(ValueError, match=r"sequences\[1\] is None"):
        pad_sequences([np.ones((2, 2)), None])
