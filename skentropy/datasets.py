"""Data generators: a toy microwave radiative-transfer problem.

Generators return ``(X, y)`` like scikit-learn's ``make_*`` functions, draw
everything from ``random_state`` and can return pandas objects with named
columns (``as_frame=True``).
"""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = [
    "RADIATIVE_TRANSFER_FREQUENCIES_GHZ",
    "RADIATIVE_TRANSFER_LEVELS_KM",
    "make_radiative_transfer",
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
        Number of profiles.
    noise : float, default=0.0
        Standard deviation (K) of Gaussian noise added to the brightness
        temperatures.
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

    Examples
    --------
    >>> from skentropy.datasets import make_radiative_transfer
    >>> X, y = make_radiative_transfer(n_samples=5, random_state=0)
    >>> X.shape, y.shape
    ((5, 22), (5, 58))
    >>> bool((y > 0).all() and (y < 320).all())
    True
    """
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    rng = check_random_state(random_state)
    temperature, density = _profiles(int(n_samples), rng)

    thickness = np.diff(RADIATIVE_TRANSFER_LEVELS_KM, append=11.0)  # km per layer
    tau = _absorption(temperature, density) * thickness  # (n, 58, 11)
    above = np.cumsum(tau, axis=2) - tau  # optical depth between ground and layer
    emission = temperature[:, None, :] * (1.0 - np.exp(-tau)) * np.exp(-above)
    brightness = emission.sum(axis=2) + _COSMIC_K * np.exp(-tau.sum(axis=2))
    if noise:
        brightness = brightness + rng.normal(0.0, noise, brightness.shape)

    X = np.hstack([temperature, density])
    if not as_frame:
        return X, brightness
    levels = [f"{z:g}km" for z in RADIATIVE_TRANSFER_LEVELS_KM]
    columns = [f"T_{lev}" for lev in levels] + [f"rho_{lev}" for lev in levels]
    targets = [f"Tb_{f:.2f}GHz" for f in RADIATIVE_TRANSFER_FREQUENCIES_GHZ]
    return pd.DataFrame(X, columns=columns), pd.DataFrame(brightness, columns=targets)
