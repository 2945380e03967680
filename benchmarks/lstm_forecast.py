"""One-step forecasting: EEMLSTMRegressor vs Ridge and MLPRegressor on lags.

What it measures
----------------
Three series:

* ``sunspots``: the yearly sunspot numbers 1700-2008 (309 values) bundled
  with statsmodels (``statsmodels.datasets.sunspots``; statsmodels is a
  benchmark-only dependency);
* ``heavy_tailed``: a synthetic series of ``SYNTHETIC_LENGTH`` steps, a
  sine of period 11 plus an AR(1) process (coefficient ``PHI``) driven by
  heavy-tailed shocks ``SHOCK_SCALE * t(nu=1.5)``, drawn with
  ``numpy.random.default_rng(SYNTHETIC_SEED)``. Its one-step conditional
  mean ``E[x_t | past] = s_t + PHI (x_{t-1} - s_{t-1})`` is known, so the
  forecasts are also scored against it (``RMSE vs E``), which the shocks of
  the test steps do not blur;
* ``co2``: the weekly Mauna Loa CO2 concentrations (ppm) 1958-2001 bundled
  with statsmodels (``statsmodels.datasets.co2``), averaged to monthly
  means (``resample("MS").mean()``: 526 months; the weekly gaps are
  skipped by the mean), the 5 months without any weekly value filled by
  linear interpolation in time order. Its trend dominates the level, so
  for this series (and only this one) every model, Ridge, the MLP and
  ``naive`` included, works on the first difference
  ``d_t = x_t - x_{t-1}``: it forecasts ``d_t`` from the window of the
  last ``LAGS`` differences, and the level forecast ``x_{t-1} + d_t``
  (``x_{t-1}`` is observed) is what is scored, in ppm. Its error is the
  error of the difference forecast, so the scores are those of the
  differences too. For ``naive`` the last value of the window is the last
  difference, i.e. the level forecast ``x_{t-1} + (x_{t-1} - x_{t-2})``.

Every model forecasts ``x_t`` (``d_t`` for ``co2``) from the window of the
last ``LAGS`` values (``skentropy.sequences.LagFeatures``; the LSTMs read
the window as a sequence, Ridge and the MLP as ``LAGS`` columns):

* ``EEMLSTMRegressor(loss="eem", kernel_width="silverman")``;
* ``EEMLSTMRegressor(loss="squared_error")``;
* ``Ridge(alpha=1.0)``;
* ``MLPRegressor(hidden_layer_sizes=(32,), solver="adam")``;
* ``naive``: the last value of the window (no fit), for reference.

The LSTMs have ``hidden_size=16``, ``batch_size=32``, Adam with
``learning_rate_init=0.01`` and the MLP ``learning_rate_init=0.001``,
``batch_size=32``; all networks run a fixed number of epochs (``tol=0``,
``n_iter_no_change=10**9``; ``LSTM_EPOCHS`` and ``MLP_EPOCHS``). Nothing
is tuned.

Rolling-origin evaluation: ``--origins`` origins (default 10), the last
one ``--horizon`` steps (default 10) before the end of the series and each one
``--horizon`` steps before the next. At an origin ``o`` (origin number
``k = 0, 1, ...``, oldest first) every model is fitted on the windows whose
target lies before ``o`` (an expanding window), and forecasts the
``--horizon`` steps from ``o`` on, one step ahead each (the windows hold
the observed values). The modelled series (``x``, or ``d`` for ``co2``) is
standardised by the mean and standard deviation of its training part
(steps before ``o``); forecasts are mapped back and scored in the series'
units.

Seeds: each network (the two LSTMs and the MLP) is fitted ``--seeds``
times per origin (default 3), with ``random_state = seeds * k + s`` for
``s = 0, ..., seeds - 1`` (with ``--seeds 1`` this is ``k``); Ridge and
``naive`` are deterministic and fitted once.

Reported per series and model: the RMSE and the MAE of the forecasts (and,
for ``heavy_tailed``, the RMSE against the conditional mean), each taken
per origin as the median over the seeds, then as the median over origins;
the seed spread, the median over origins of the range (max - min) over the
seeds of the RMSE (``-`` for the deterministic models); and the median fit
time over all fits (seconds, BLAS on one thread). There is no goal: the
issue asks for the comparison. The raw results, one row per (origin,
model, seed), go to ``benchmarks/results/lstm_forecast.json`` with the
summaries.

How to run (from ``benchmarks/``)
---------------------------------
::

    python lstm_forecast.py                  # full run, about ten minutes
    python lstm_forecast.py --origins 5 --horizon 20 --seeds 5
    python lstm_forecast.py --series co2 --seeds 1
    python lstm_forecast.py --quick          # smoke test, seconds

``--quick`` uses 2 origins, a horizon of 10, 2 seeds and a few epochs; its
numbers are not meaningful.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import statistics
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPRegressor

from skentropy import EEMLSTMRegressor
from skentropy.sequences import LagFeatures

LAGS = 12
HIDDEN_LSTM = 16
HIDDEN_MLP = 32
BATCH_SIZE = 32
LSTM_EPOCHS = 150
MLP_EPOCHS = 300
RIDGE_ALPHA = 1.0
SEEDS = 3

SYNTHETIC_LENGTH = 600
SYNTHETIC_SEED = 0
PERIOD = 11
PHI = 0.6
SHOCK_SCALE = 0.3
T_NU = 1.5

SERIES = ("sunspots", "heavy_tailed", "co2")
#: Series whose first difference the models forecast (levels are scored).
DIFFERENCED = ("co2",)
MODELS = ("LSTM eem", "LSTM squared_error", "Ridge", "MLPRegressor", "naive")
#: Models fitted once per seed; the others are deterministic.
SEEDED = ("LSTM eem", "LSTM squared_error", "MLPRegressor")

QUICK = {"origins": 2, "horizon": 10, "seeds": 2, "lstm_epochs": 5, "mlp_epochs": 10}


def load_series(name):
    """(values, conditional mean or None, description) of series ``name``."""
    if name == "sunspots":
        from statsmodels.datasets import sunspots

        data = sunspots.load_pandas().data
        values = data["SUNACTIVITY"].to_numpy(dtype=float)
        years = data["YEAR"].astype(int)
        return values, None, f"yearly sunspots {years.iloc[0]}-{years.iloc[-1]}"
    if name == "heavy_tailed":
        rng = np.random.default_rng(SYNTHETIC_SEED)
        t = np.arange(SYNTHETIC_LENGTH)
        s = np.sin(2 * np.pi * t / PERIOD)
        shocks = SHOCK_SCALE * rng.standard_t(T_NU, size=SYNTHETIC_LENGTH)
        z = np.zeros(SYNTHETIC_LENGTH)
        for i in range(1, SYNTHETIC_LENGTH):
            z[i] = PHI * z[i - 1] + shocks[i]
        x = s + z
        cond = np.full(SYNTHETIC_LENGTH, np.nan)
        cond[1:] = s[1:] + PHI * (x[:-1] - s[:-1])
        return (
            x,
            cond,
            (f"sin(period {PERIOD}) + AR(1) phi={PHI}, shocks {SHOCK_SCALE} t({T_NU})"),
        )
    if name == "co2":
        from statsmodels.datasets import co2

        weekly = co2.load_pandas().data["co2"]
        monthly = weekly.resample("MS").mean()
        gaps = int(monthly.isna().sum())
        values = monthly.interpolate(method="linear").to_numpy(dtype=float)
        if np.isnan(values).any():  # a gap at either end: not interpolated
            raise ValueError("co2: gaps left after interpolation")
        first, last = monthly.index[0], monthly.index[-1]
        return (
            values,
            None,
            (
                f"Mauna Loa CO2 ppm, monthly means {first:%Y-%m} to {last:%Y-%m} "
                f"({int(weekly.isna().sum())} of {len(weekly)} weeks missing, "
                f"{gaps} empty months interpolated); models forecast the first "
                "difference, levels scored"
            ),
        )
    raise ValueError(f"unknown series {name!r}")


def make_model(name, seed, args):
    """The unfitted model ``name``."""
    fixed = {"tol": 0.0, "n_iter_no_change": 10**9, "random_state": seed}
    if name in ("LSTM eem", "LSTM squared_error"):
        loss = name.split()[1]
        return EEMLSTMRegressor(
            hidden_size=HIDDEN_LSTM,
            loss=loss,
            kernel_width="silverman",
            batch_size=BATCH_SIZE,
            learning_rate_init=0.01,
            max_iter=args.lstm_epochs,
            **fixed,
        )
    if name == "Ridge":
        return Ridge(alpha=RIDGE_ALPHA)
    if name == "MLPRegressor":
        return MLPRegressor(
            hidden_layer_sizes=(HIDDEN_MLP,),
            solver="adam",
            learning_rate_init=0.001,
            batch_size=BATCH_SIZE,
            max_iter=args.mlp_epochs,
            **fixed,
        )
    raise ValueError(f"unknown model {name!r}")


def origins_of(n, args):
    """The forecast origins, oldest first."""
    return [n - args.horizon * k for k in range(args.origins, 0, -1)]


def by_origin(rows, name, key):
    """``{origin: [value of key for each seed]}`` of model ``name``."""
    values = {}
    for r in rows:
        if r["model"] == name:
            values.setdefault(r["origin"], []).append(r[key])
    return values


def median_of_medians(rows, name, key):
    """Median over origins of the median over seeds of ``key``."""
    per_origin = by_origin(rows, name, key)
    return statistics.median(statistics.median(v) for v in per_origin.values())


def seed_range(rows, name, key="rmse"):
    """Median over origins of the range (max - min) over seeds of ``key``."""
    per_origin = by_origin(rows, name, key)
    return statistics.median(max(v) - min(v) for v in per_origin.values())


def evaluate(series, values, cond, args):
    """One row per (origin, model, seed); Ridge and naive have one row."""
    differenced = series in DIFFERENCED
    # the models see u; u[j] belongs to step j + start of the series
    start = 1 if differenced else 0
    u = np.diff(values) if differenced else values
    rows = []
    for k, origin in enumerate(origins_of(len(values), args)):
        train = u[: origin - start]  # the steps before the origin
        mu, sd = train.mean(), train.std()
        z = (u - mu) / sd
        windows = LagFeatures(lags=LAGS).fit_transform(z.reshape(-1, 1))
        # window i ends at step i + LAGS - 1 + start and forecasts the next one
        target_step = np.arange(len(windows)) + LAGS + start
        fit_rows = target_step < origin
        test_rows = (target_step >= origin) & (target_step < origin + args.horizon)
        X, y = windows[fit_rows], z[target_step[fit_rows] - start]
        X_test, steps = windows[test_rows], target_step[test_rows]
        truth = values[steps]
        # level forecast = previous observed level + forecast difference
        base = values[steps - 1] if differenced else 0.0
        first_row = len(rows)
        for name in MODELS:
            seeds = range(args.seeds) if name in SEEDED else [None]
            for s in seeds:
                random_state = None if s is None else args.seeds * k + s
                if name == "naive":
                    seconds, pred_z = 0.0, X_test[:, -1]
                else:
                    model = make_model(name, random_state, args)
                    seconds, _ = bench.time_call(model.fit, X, y)
                    pred_z = model.predict(X_test)
                pred = base + pred_z * sd + mu
                err = pred - truth
                row = {
                    "series": series,
                    "origin": int(origin),
                    "model": name,
                    "seed": s,
                    "random_state": random_state,
                    "n_train": int(fit_rows.sum()),
                    "rmse": float(np.sqrt(np.mean(err**2))),
                    "mae": float(np.mean(np.abs(err))),
                    "fit_s": seconds,
                }
                if cond is not None:
                    row["rmse_cond"] = float(
                        np.sqrt(np.mean((pred - cond[steps]) ** 2))
                    )
                rows.append(row)
        here = rows[first_row:]
        print(
            f"  {series} origin {origin} ({int(fit_rows.sum())} training windows), "
            "RMSE (median over seeds): "
            + ", ".join(
                f"{name}={median_of_medians(here, name, 'rmse'):.3f}" for name in MODELS
            ),
            flush=True,
        )
    return rows


def summarise(rows, with_cond):
    """Per model, the medians reported in the table (None where not defined)."""
    out = {}
    for name in MODELS:
        sel = [r for r in rows if r["model"] == name]
        out[name] = {
            "rmse": median_of_medians(rows, name, "rmse"),
            "mae": median_of_medians(rows, name, "mae"),
            "rmse_cond": (
                median_of_medians(rows, name, "rmse_cond") if with_cond else None
            ),
            "rmse_seed_range": seed_range(rows, name) if name in SEEDED else None,
            "fit_s": (
                None if name == "naive" else statistics.median(r["fit_s"] for r in sel)
            ),
        }
    return out


def summary_table(summary, with_cond):
    headers = ["model", "RMSE (median)", "MAE (median)"]
    headers += ["RMSE vs E (median)"] if with_cond else []
    headers += ["RMSE seed range (median)", "fit s (median)"]
    body = []
    for name in MODELS:
        s = summary[name]
        line = [name, f"{s['rmse']:.3f}", f"{s['mae']:.3f}"]
        if with_cond:
            line.append(f"{s['rmse_cond']:.3f}")
        line.append(
            "-" if s["rmse_seed_range"] is None else f"{s['rmse_seed_range']:.3f}"
        )
        line.append("-" if s["fit_s"] is None else f"{s['fit_s']:.2f}")
        body.append(line)
    return bench.format_table(headers, body)


def parse_args(argv=None):
    parser = bench.parser(__doc__, "lstm_forecast", QUICK)
    parser.add_argument(
        "--origins", type=bench.positive_int, default=10, help="origins (default 10)"
    )
    parser.add_argument(
        "--horizon",
        type=bench.positive_int,
        default=10,
        help="one-step forecasts per origin (default 10)",
    )
    parser.add_argument(
        "--seeds",
        type=bench.positive_int,
        default=SEEDS,
        help=f"fits of each network per origin (default {SEEDS})",
    )
    bench.add_choice_list(parser, "--series", SERIES, "series to run")
    parser.set_defaults(lstm_epochs=LSTM_EPOCHS, mlp_epochs=MLP_EPOCHS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    try:  # only the sunspots and co2 series need it
        import statsmodels

        statsmodels_version = statsmodels.__version__
    except ImportError:
        statsmodels_version = "not installed"

    settings = (
        f"lags={LAGS}, origins={args.origins}, horizon={args.horizon}, "
        f"seeds={args.seeds}, "
        f"LSTM hidden={HIDDEN_LSTM} epochs={args.lstm_epochs}, "
        f"MLP hidden=({HIDDEN_MLP},) epochs={args.mlp_epochs}, batch={BATCH_SIZE}"
    )
    sections = []
    with bench.measure(
        settings, quick=args.quick, statsmodels=statsmodels_version
    ) as run:
        rows = []
        for series in args.series:
            values, cond, description = load_series(series)
            print(f"\n{series}: {description}, {len(values)} values", flush=True)
            section = evaluate(series, values, cond, args)
            rows.extend(section)
            summary = summarise(section, cond is not None)
            sections.append((series, description, cond is not None, summary))

    print("\n" + "=" * 100)
    print(
        f"One-step-ahead forecasts, {args.origins} rolling origin(s) x "
        f"{args.horizon} steps, {args.seeds} seed(s) per network; per origin the "
        "median over seeds, then the median over origins; errors in the series' "
        "units; seed range: max - min RMSE over seeds."
    )
    for series, description, with_cond, summary in sections:
        print(f"\n{series} ({description})")
        print(summary_table(summary, with_cond))
    print(f"\ntotal wall time: {run.elapsed:.1f} s")

    bench.write_results(
        args.results,
        {
            "benchmark": "lstm_forecast",
            "quick": args.quick,
            "settings": {
                "lags": LAGS,
                "origins": args.origins,
                "horizon": args.horizon,
                "seeds": args.seeds,
                "seeded_models": list(SEEDED),
                "random_state": "seeds * origin_number + seed",
                "lstm_hidden": HIDDEN_LSTM,
                "lstm_epochs": args.lstm_epochs,
                "mlp_hidden": HIDDEN_MLP,
                "mlp_epochs": args.mlp_epochs,
                "batch_size": BATCH_SIZE,
                "ridge_alpha": RIDGE_ALPHA,
                "series": list(args.series),
                "differenced": list(DIFFERENCED),
                "synthetic": {
                    "length": SYNTHETIC_LENGTH,
                    "seed": SYNTHETIC_SEED,
                    "period": PERIOD,
                    "phi": PHI,
                    "shock_scale": SHOCK_SCALE,
                    "t_nu": T_NU,
                },
                "co2": {
                    "resample": "MS mean",
                    "gaps": "linear interpolation",
                    "modelled": "first difference, levels scored",
                },
            },
            "descriptions": {s: d for s, d, _, _ in sections},
            "summary": {s: summary for s, _, _, summary in sections},
            "results": rows,
            "total_wall_time_s": run.elapsed,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
