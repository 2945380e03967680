"""Data generators: a toy microwave radiative-transfer problem and Reber strings.

Generators return ``(X, y)`` like scikit-learn's ``make_*`` functions and draw
everything from ``random_state``. ``make_radiative_transfer`` can return pandas
objects with named columns (``as_frame=True``); the Reber generators return
fixed-shape 3-D arrays ``(n_samples, n_timesteps, 7)`` for the sequence
estimators, and ``is_reber`` / ``is_embedded_reber`` validate strings.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = [
    "RADIATIVE_TRANSFER_FREQUENCIES_GHZ",
    "RADIATIVE_TRANSFER_LEVELS_KM",
    "REBER_ALPHABET",
    "is_embedded_reber",
    "is_reber",
    "make_embedded_reber",
    "make_radiative_transfer",
    "make_reber",
]

#: Heights of the 11 profile levels (km above ground).
RADIATIVE_TRANSFER_LEVELS_KM = np.linspace(0.0, 10.0, 11)

#: The 58 channel frequencies (GHz): 20-32 GHz around the 22.235 GHz water-vapour
#: line, then 50-60 GHz up the oxygen band's low-frequency shoulder.
RADIATIVE_TRANSFER_FREQUENCIES_GHZ = np.concatenate(
    [np.linspace(20.0, 32.0, 29), np.linspace(50.0, 58.4, 29)]
)

_WATER_LINE_GHZ = 22.235
_OXYGEN_BAND_GHZ = 60.0
_COSMIC_K = 2.73
_SCALE_HEIGHT_PRESSURE_KM = 8.0


def _saturation_density(temperature):
    """Saturation water-vapour density (g/m^3) from temperature (K), Magnus form."""
    celsius = temperature - 273.15
    pressure_hpa = 6.112 * np.exp(17.62 * celsius / (243.12 + celsius))
    return 216.7 * pressure_hpa / temperature


def _profiles(n_samples, rng):
    """Correlated temperature (K) and water-vapour density (g/m^3) profiles."""
    z = RADIATIVE_TRANSFER_LEVELS_KM
    surface_t = rng.normal(288.0, 8.0, (n_samples, 1))
    lapse = rng.normal(6.5, 0.8, (n_samples, 1))
    # AR(1) perturbations along height: neighbouring levels move together.
    wiggle = np.empty((n_samples, len(z)))
    wiggle[:, 0] = rng.normal(0.0, 1.0, n_samples)
    for j in range(1, len(z)):
        wiggle[:, j] = 0.8 * wiggle[:, j - 1] + 0.6 * rng.normal(0.0, 1.0, n_samples)
    temperature = surface_t - lapse * z + 1.5 * wiggle
    humidity = rng.uniform(0.3, 0.95, (n_samples, 1))
    scale_height = rng.normal(2.0, 0.3, (n_samples, 1)).clip(1.0, 3.5)
    moist = humidity * _saturation_density(surface_t) * np.exp(-z / scale_height)
    # Humidity perturbations share the temperature wiggle (warm layers are moister).
    density = moist * np.exp(0.15 * wiggle + 0.1 * rng.normal(0.0, 1.0, wiggle.shape))
    return temperature, density


def _absorption(temperature, density):
    """Absorption (1/km) per sample, frequency and level: (n, 58, 11)."""
    f = RADIATIVE_TRANSFER_FREQUENCIES_GHZ[None, :, None]
    t = temperature[:, None, :]
    rho = density[:, None, :]
    pressure = np.exp(-RADIATIVE_TRANSFER_LEVELS_KM / _SCALE_HEIGHT_PRESSURE_KM)
    p = pressure[None, None, :]
    theta = 300.0 / t
    # Water vapour: a pressure-broadened line at 22.235 GHz plus a continuum.
    width = 3.0 * p * theta**0.6
    line = 1.2e-2 * theta**2.5 * width / ((f - _WATER_LINE_GHZ) ** 2 + width**2)
    water = rho * (line + 1.0e-6 * f**2 * theta**3)
    # Oxygen: a weak non-resonant term plus the steep low-frequency edge of
    # the 60 GHz band complex (zenith opacity ~0.5 at 50 GHz, opaque by ~56).
    edge = 3.5 * np.exp(-(_OXYGEN_BAND_GHZ - f) / 3.0)
    oxygen = p**2 * theta**3 * (0.008 * (f / 30.0) ** 2 + edge)
    return water + oxygen


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, np.inf, closed="left")],
        "as_frame": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_radiative_transfer(
    n_samples=1000, *, noise=0.0, as_frame=False, random_state=None
):
    """Toy downwelling microwave radiative transfer: 22 profile inputs, 58 channels.

    **This is a toy model, not MonoRTM.** It stands in for the MonoRTM
    simulations of the EOM paper (which we cannot ship) with the same shape
    of problem: atmospheric profiles in, ground-based brightness
    temperatures out, a smooth and strongly nonlinear map with correlated
    inputs and outputs.

    Inputs are the temperature (K) and water-vapour density (g/m^3) at 11
    levels from 0 to 10 km: a surface temperature around 288 K, a lapse rate
    around 6.5 K/km, AR(1) perturbations correlated along height, and an
    exponential humidity profile with a random surface relative humidity and
    scale height, its perturbations tied to the temperature's.

    Outputs are the downwelling brightness temperatures (K) seen from the
    ground at 58 frequencies (``RADIATIVE_TRANSFER_FREQUENCIES_GHZ``): 29
    channels from 20 to 32 GHz across the 22.235 GHz water-vapour line and 29
    from 50 to 58.4 GHz up the shoulder of the 60 GHz oxygen band. Per layer,
    the absorption is a pressure-broadened Lorentzian water line plus a
    water continuum plus the Lorentzian wing of the oxygen band (pressure
    falls with an 8 km scale height); the non-scattering radiative transfer
    equation is then summed layer by layer:
    ``T_B = sum_j T_j (1 - exp(-tau_j)) exp(-sum_{i<j} tau_i) + 2.73 K exp(-tau)``.
    The line strengths are tuned for plausible values (tens of K in the
    window, near the air temperature in the opaque oxygen channels), not
    for accuracy.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of profiles, at least 1.
    noise : float, default=0.0
        Standard deviation (K) of Gaussian noise added to the brightness
        temperatures: finite and >= 0.
    as_frame : bool, default=False
        Return ``X`` as a DataFrame (columns ``T_0km`` ... ``T_10km``,
        ``rho_0km`` ... ``rho_10km``) and ``y`` as a DataFrame (columns
        ``Tb_20.00GHz`` ...).
    random_state : int, RandomState instance or None, default=None
        Seed of the profile and noise draws.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, 22)
        Temperatures then water-vapour densities, lowest level first.
    y : ndarray or DataFrame of shape (n_samples, 58)
        Brightness temperatures (K), in frequency order.

    Raises
    ------
    ValueError
        For a parameter of the wrong type or out of range (the message
        names it), or a ``noise`` so large that the targets overflow.

    Examples
    --------
    >>> from skentropy.datasets import make_radiative_transfer
    >>> X, y = make_radiative_transfer(n_samples=5, random_state=0)
    >>> X.shape, y.shape
    ((5, 22), (5, 58))
    >>> bool((y > 0).all() and (y < 320).all())
    True
    """
    rng = check_random_state(random_state)
    temperature, density = _profiles(n_samples, rng)

    thickness = np.diff(RADIATIVE_TRANSFER_LEVELS_KM, append=11.0)  # km per layer
    tau = _absorption(temperature, density) * thickness  # (n, 58, 11)
    above = np.cumsum(tau, axis=2) - tau  # optical depth between ground and layer
    emission = temperature[:, None, :] * (1.0 - np.exp(-tau)) * np.exp(-above)
    brightness = emission.sum(axis=2) + _COSMIC_K * np.exp(-tau.sum(axis=2))
    if noise:
        brightness = brightness + rng.normal(0.0, noise, brightness.shape)
        if not np.isfinite(brightness).all():
            raise ValueError(
                f"noise={noise!r} is too large: the noisy brightness "
                "temperatures overflow float64."
            )

    X = np.hstack([temperature, density])
    if not as_frame:
        return X, brightness
    levels = [f"{z:g}km" for z in RADIATIVE_TRANSFER_LEVELS_KM]
    columns = [f"T_{lev}" for lev in levels] + [f"rho_{lev}" for lev in levels]
    targets = [f"Tb_{f:.2f}GHz" for f in RADIATIVE_TRANSFER_FREQUENCIES_GHZ]
    return pd.DataFrame(X, columns=columns), pd.DataFrame(brightness, columns=targets)


# ---------------------------------------------------------------------------
# Reber grammar
# ---------------------------------------------------------------------------

#: The Reber symbols in one-hot column order.
REBER_ALPHABET = "BTPSXVE"

_N_SYMBOLS = len(REBER_ALPHABET)
_B, _T, _P, _S, _X, _V, _E = range(_N_SYMBOLS)
_END = 7  # the state after the end symbol E
_REBER_MIN_LENGTH = 5  # BTXSE, BPVVE
_EMBEDDED_MIN_LENGTH = _REBER_MIN_LENGTH + 4

# The arcs of the grammar: state -> ((symbol, next state), (symbol, next state)),
# each taken with probability 1/2. States 0 and 6 have a single arc (listed twice).
_REBER_ARCS = {
    0: ((_B, 1), (_B, 1)),
    1: ((_T, 2), (_P, 3)),
    2: ((_S, 2), (_X, 4)),
    3: ((_T, 3), (_V, 5)),
    4: ((_X, 3), (_S, 6)),
    5: ((_P, 4), (_V, 6)),
    6: ((_E, _END), (_E, _END)),
}
_ARC_SYMBOL = np.array([[s for s, _ in _REBER_ARCS[q]] for q in range(7)])
_ARC_TARGET = np.array([[t for _, t in _REBER_ARCS[q]] for q in range(7)])
_TRANSITIONS = {(q, s): t for q, arcs in _REBER_ARCS.items() for s, t in arcs}

# Multi-hot legal next symbols after entering each state (row _END: none).
_LEGAL_NEXT = np.zeros((_END + 1, _N_SYMBOLS))
for _state in range(7):
    _LEGAL_NEXT[_state, _ARC_SYMBOL[_state]] = 1.0
del _state

_TASKS = ("classification", "next_symbol")


def is_reber(string):
    """Whether ``string`` is a sentence of the Reber grammar.

    The grammar (states 0 to 6, each choice with probability 1/2 in the
    generators)::

        0 -B-> 1;  1 -T-> 2, 1 -P-> 3;  2 -S-> 2, 2 -X-> 4;  3 -T-> 3, 3 -V-> 5;
        4 -X-> 3, 4 -S-> 6;  5 -P-> 4, 5 -V-> 6;  6 -E-> end.

    Parameters
    ----------
    string : str
        Upper-case symbols from ``REBER_ALPHABET``.

    Returns
    -------
    valid : bool
        True when the whole string is one path from state 0 to the end.

    See Also
    --------
    is_embedded_reber : The embedded grammar.

    Examples
    --------
    >>> from skentropy.datasets import is_reber
    >>> is_reber("BTSSXXTVVE"), is_reber("BPVPXVPXVPXVVE"), is_reber("BTSSXXTVSE")
    (True, True, False)
    """
    if not isinstance(string, str):
        raise TypeError(f"string must be a str, got {type(string).__name__}.")
    state = 0
    for char in string:
        code = REBER_ALPHABET.find(char)
        state = _TRANSITIONS.get((state, code)) if code >= 0 else None
        if state is None:
            return False
    return state == _END


def is_embedded_reber(string):
    """Whether ``string`` is a sentence of the embedded Reber grammar.

    An embedded Reber string is ``B``, then ``T`` or ``P``, then a Reber
    string (see :func:`is_reber`), then the *same* ``T`` or ``P``, then ``E``.

    Parameters
    ----------
    string : str
        Upper-case symbols from ``REBER_ALPHABET``.

    Returns
    -------
    valid : bool

    See Also
    --------
    is_reber : The plain grammar.

    Examples
    --------
    >>> from skentropy.datasets import is_embedded_reber
    >>> is_embedded_reber("BTBPVVETE"), is_embedded_reber("BTBPVVEPE")
    (True, False)
    """
    if not isinstance(string, str):
        raise TypeError(f"string must be a str, got {type(string).__name__}.")
    return (
        len(string) >= _EMBEDDED_MIN_LENGTH
        and string[0] == "B"
        and string[1] in "TP"
        and string[-2] == string[1]
        and string[-1] == "E"
        and is_reber(string[2:-2])
    )


def _reber_walk(n, rng, max_symbols):
    """``n`` Reber strings by one random walk per row, vectorised over rows.

    Returns ``codes`` (n, L) symbol indices, back-padded with -1, ``targets``
    (n, L, 7) legal next symbols after each symbol (zero after E and on
    padding) and ``lengths`` (n,). Walks still running after ``max_symbols``
    symbols are cut and get length -1 (the caller redraws them).
    """
    state = np.zeros(n, dtype=np.intp)
    codes, states = [], []
    while (state != _END).any() and len(codes) < max_symbols:
        active = state != _END
        choice = rng.randint(0, 2, n)
        current = np.where(active, state, 0)
        codes.append(np.where(active, _ARC_SYMBOL[current, choice], -1))
        state = np.where(active, _ARC_TARGET[current, choice], _END)
        states.append(np.where(active, state, _END))
    codes = np.stack(codes, axis=1)
    lengths = (codes >= 0).sum(axis=1)
    lengths[state != _END] = -1
    return codes, _LEGAL_NEXT[np.stack(states, axis=1)], lengths


def _draw_reber(n, rng, max_length):
    """``n`` Reber strings of at most ``max_length`` symbols (None: any)."""
    limit = np.iinfo(np.intp).max if max_length is None else max_length
    parts, have = [], 0
    while have < n:
        codes, targets, lengths = _reber_walk(n - have, rng, limit)
        keep = np.flatnonzero(lengths > 0)[: n - have]
        parts.append((codes[keep], targets[keep], lengths[keep]))
        have += keep.size
    width = max(part[0].shape[1] for part in parts)
    codes = np.full((n, width), -1)
    targets = np.zeros((n, width, _N_SYMBOLS))
    start = 0
    for part_codes, part_targets, _ in parts:
        stop = start + part_codes.shape[0]
        codes[start:stop, : part_codes.shape[1]] = part_codes
        targets[start:stop, : part_codes.shape[1]] = part_targets
        start = stop
    lengths = np.concatenate([part[2] for part in parts])
    return codes, targets, lengths


def _embed(codes, targets, lengths, rng):
    """Wrap Reber strings as ``B a <string> a E`` with a = T or P at random."""
    n, width = codes.shape
    rows = np.arange(n)
    wrap = np.where(rng.randint(0, 2, n) == 0, _T, _P)
    out = np.full((n, width + 4), -1)
    out[:, 0] = _B
    out[:, 1] = wrap
    out[:, 2:-2] = codes
    out[rows, lengths + 2] = wrap
    out[rows, lengths + 3] = _E
    legal = np.zeros((n, width + 4, _N_SYMBOLS))
    legal[:, 0, [_T, _P]] = 1.0  # after the first B
    legal[:, 1, _B] = 1.0  # after T/P: the embedded string starts
    legal[:, 2:-2] = targets  # inside it: the plain grammar ...
    legal[rows, lengths + 1, wrap] = 1.0  # ... but after its E, the same T/P
    legal[rows, lengths + 2, _E] = 1.0  # after the closing T/P; zero after E
    return out, legal, lengths + 4


def _front_pad(codes, lengths, width):
    """Move each row's first ``lengths[i]`` entries to the end of ``width`` slots.

    Returns the gather index into the back-padded rows and the mask of real steps.
    """
    source = np.arange(width)[None, :] - (width - lengths)[:, None]
    valid = source >= 0
    return np.where(valid, source, 0), valid


def _strings(codes):
    """Back-padded code rows as a list of str."""
    letters = np.frombuffer(REBER_ALPHABET.encode("ascii"), dtype=np.uint8)
    data = np.where(codes >= 0, letters[np.maximum(codes, 0)], 0).astype(np.uint8)
    data = np.ascontiguousarray(data)
    return data.view(f"S{data.shape[1]}").ravel().astype(str).tolist()


def _reber_constraints(shortest):
    """``validate_params`` constraints of a Reber generator.

    ``shortest`` is the length of the grammar's shortest string, the least
    ``max_length`` that can hold one.
    """
    return {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "task": [StrOptions(set(_TASKS))],
        "return_strings": ["boolean"],
        "random_state": ["random_state"],
        "max_length": [Interval(Integral, shortest, None, closed="left"), None],
        "padded": ["boolean"],
    }


def _make_reber(
    n_samples, task, return_strings, random_state, max_length, embedded, padded
):
    """The Reber generators' body, on validated parameters."""
    n = int(n_samples)
    rng = check_random_state(random_state)
    inner_max = None if max_length is None else int(max_length) - (4 if embedded else 0)
    codes, legal, lengths = _draw_reber(n, rng, inner_max)
    if embedded:
        codes, legal, lengths = _embed(codes, legal, lengths, rng)

    rows = np.arange(n)
    if task == "classification":
        # Balanced, shuffled labels; label 0 rows get their penultimate symbol
        # swapped (embedded: T <-> P; plain: S <-> V).
        y = np.ones(n, dtype=np.int64)
        y[rng.permutation(n)[: n // 2]] = 0
        swap = np.arange(_N_SYMBOLS)
        swap[[_T, _P, _S, _V]] = [_P, _T, _V, _S]
        bad = rows[y == 0]
        codes[bad, lengths[bad] - 2] = swap[codes[bad, lengths[bad] - 2]]

    width = int(lengths.max()) if max_length is None else int(max_length)
    source, valid = _front_pad(codes, lengths, width)
    X = np.zeros((n, width, _N_SYMBOLS))
    step_rows, steps = np.nonzero(valid)
    X[step_rows, steps, codes[step_rows, source[step_rows, steps]]] = 1.0
    if task == "next_symbol":
        y = np.where(valid[:, :, None], legal[rows[:, None], source], 0.0)
    if not padded:  # each string's own steps: the last lengths[i] of its row
        X = [X[i, width - k :] for i, k in enumerate(lengths)]
        if task == "next_symbol":
            y = [y[i, width - k :] for i, k in enumerate(lengths)]
    if return_strings:
        return X, y, _strings(codes)
    return X, y


_REBER_PARAMETERS = """Parameters
    ----------
    n_samples : int, default=100
        Number of strings, at least 1.
    task : {"classification", "next_symbol"}, default="classification"
        The target to return with the one-hot strings (see Returns).
    return_strings : bool, default=False
        Also return the strings.
    random_state : int, RandomState instance or None, default=None
        Seed of the random walks, the corruptions and the label shuffle.
    max_length : int or None, default=None
        Number of time steps ``T`` of ``X``, at least the length of the
        grammar's shortest string (5; embedded: 9). None: the longest
        string drawn, so ``T`` varies between draws. An integer fixes ``T`` (draw the
        training and test sets with the same value): longer strings are
        redrawn, so the strings follow the grammar's distribution
        conditioned on their length being at most ``max_length``.
    padded : bool, default=True
        Return ``X`` (and the next-symbol ``y``) as one front-padded array.
        False: as lists of one array per string, each as long as its
        string, which the LSTM estimators take directly (variable-length
        sequences).

    Returns
    -------
    X : ndarray of shape (n_samples, T, 7), or list of ndarray
        One-hot symbols in ``REBER_ALPHABET`` order (B, T, P, S, X, V, E),
        oldest first. Shorter strings are padded *at the front* with
        all-zero steps, so the last step is always the end symbol E. With
        ``padded=False`` a list of (len(string), 7) arrays.
    y : ndarray of shape (n_samples,) or (n_samples, T, 7), or list of ndarray
        For ``task="classification"``: int labels, 1 for a grammatical
        string and 0 for a corrupted one (see above); ``n_samples // 2``
        zeros, in random order.
        For ``task="next_symbol"``: float multi-hot legal next symbols after
        each step, given the string so far. Padded steps and the final E
        step (nothing follows it) are all zero. With ``padded=False`` a
        list of (len(string), 7) arrays.
    strings : list of str
        Only with ``return_strings=True``: the strings (corrupted ones for
        label 0), without padding.

    Raises
    ------
    ValueError
        For a parameter of the wrong type or out of range; the message
        names it.
"""


@validate_params(
    _reber_constraints(_REBER_MIN_LENGTH), prefer_skip_nested_validation=True
)
def make_reber(
    n_samples=100,
    *,
    task="classification",
    return_strings=False,
    random_state=None,
    max_length=None,
    padded=True,
):
    """Reber grammar strings as one-hot sequences.

    The strings are random walks through the Reber grammar (see
    :func:`is_reber`), every choice between two arcs taken with probability
    1/2. With ``task="next_symbol"`` the target is the set of legal next
    symbols after every step (the classic prediction task). With
    ``task="classification"`` half the strings are corrupted: their
    penultimate symbol (always S or V, the arc into the final state) is
    swapped (S <-> V), which no grammatical string ends with after the same
    prefix, so :func:`is_reber` rejects every corrupted string. The plain
    grammar has no long-range dependency (its state is fixed by the last
    few symbols), so this corruption is a local one;
    :func:`make_embedded_reber` is the long-memory version.

    %s
    See Also
    --------
    make_embedded_reber : The long-memory version.
    is_reber : The validator.

    Examples
    --------
    >>> from skentropy.datasets import make_reber
    >>> X, y, strings = make_reber(
    ...     4, task="next_symbol", return_strings=True, random_state=0
    ... )
    >>> X.shape == y.shape == (4, max(map(len, strings)), 7)
    True
    >>> bool((X[:, -1, 6] == 1).all())  # the last step is E
    True
    """
    return _make_reber(
        n_samples,
        task,
        return_strings,
        random_state,
        max_length,
        embedded=False,
        padded=padded,
    )


@validate_params(
    _reber_constraints(_EMBEDDED_MIN_LENGTH), prefer_skip_nested_validation=True
)
def make_embedded_reber(
    n_samples=100,
    *,
    task="classification",
    return_strings=False,
    random_state=None,
    max_length=None,
    padded=True,
):
    """Embedded Reber grammar strings as one-hot sequences.

    An embedded Reber string is ``B``, then ``T`` or ``P`` (probability 1/2
    each), then a Reber string (see :func:`make_reber`), then the *same*
    ``T`` or ``P``, then ``E``. Predicting the penultimate symbol needs the
    memory of the second one across the whole inner string.

    With ``task="next_symbol"`` the target is the set of legal next symbols
    after every step: T and P after the first B, B after them, the plain
    grammar inside, the remembered T or P alone after the inner E, then E.
    With ``task="classification"`` half the strings are corrupted by
    swapping their penultimate symbol (T <-> P), so a corrupted string
    differs from a grammatical one only in that its penultimate symbol does
    not match the second; only the memory of the second symbol tells them
    apart.

    %s
    See Also
    --------
    make_reber : The plain grammar.
    is_embedded_reber : The validator.

    Examples
    --------
    >>> from skentropy.datasets import is_embedded_reber, make_embedded_reber
    >>> X, y, strings = make_embedded_reber(6, return_strings=True, random_state=0)
    >>> X.shape[0], X.shape[2], y.tolist() == [is_embedded_reber(s) for s in strings]
    (6, 7, True)
    """
    return _make_reber(
        n_samples,
        task,
        return_strings,
        random_state,
        max_length,
        embedded=True,
        padded=padded,
    )


if make_reber.__doc__:  # None under python -OO
    make_reber.__doc__ %= _REBER_PARAMETERS
    make_embedded_reber.__doc__ %= _REBER_PARAMETERS
