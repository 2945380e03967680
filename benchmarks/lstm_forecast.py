"""One-step forecasting: EEMLSTMRegressor vs Ridge and MLPRegressor on lags.

What it measures
----------------
Two series:

* ``sunspots``: the yearly sunspot numbers 1700-2008 (309 values) bundled
  with statsmodels (``statsmodels.datasets.sunspots``; statsmodels is a
  benchmark-only dependency);
* ``heavy_tailed``: a synthetic series of ``SYNTHETIC_LENGTH`` steps, a
  sine of period 11 plus an AR(1) process (coefficient ``PHI``) driven by
  heavy-tailed shocks ``SHOCK_SCALE * t(nu=1.5)``, drawn with
  ``numpy.random.default_rng(SYNTHETIC_SEED)``. Its one-step conditional
  mean ``E[x_t | past] = s_t + PHI (x_{t-1} - s_{t-1})`` is known, so the
  forecasts are also scored against it (``RMSE vs E``), which the shocks of
  the test steps do not blur.

Every model forecasts ``x_t`` from the window of the last ``LAGS`` values
(``skentropy.sequences.LagFeatures``; the LSTMs read the window as a
sequence, Ridge and the MLP as ``LAGS`` columns):

* ``EEMLSTMRegressor(loss="eem", kernel_width="silverman")``;
* ``EEMLSTMRegressor(loss="squared_error")``;
* ``Ridge(alpha=1.0)``;
* ``MLPRegressor(hidden_layer_sizes=(32,), solver="adam")``;
* ``naive``: the last value (no fit), for reference.

The LSTMs have ``hidden_size=16``, ``batch_size=32``, Adam with
``learning_rate_init=0.01`` and the MLP ``learning_rate_init=0.001``,
``batch_size=32``; all networks run a fixed number of epochs (``tol=0``,
``n_iter_no_change=10**9``; ``LSTM_EPOCHS`` and ``MLP_EPOCHS``) with
``random_state`` equal to the origin's number. Nothing is tuned.

Rolling-origin evaluation: ``--origins`` origins (default 10), the last
one ``--horizon`` steps (default 10) before the end of the series and each one
``--horizon`` steps before the next. At an origin ``o`` every model is
fitted on the windows whose target lies before ``o`` (an expanding
window), and forecasts the ``--horizon`` steps from ``o`` on, one step
ahead each (the windows hold the observed values). The series is
standardised by the mean and standard deviation of the training part
``x[:o]``; forecasts are mapped back and scored in the series' units.

Reported per series and model: the medians over origins of the RMSE and
the MAE of the forecasts (and, for ``heavy_tailed``, of the RMSE against
the conditional mean), and the median fit time (seconds; one fit per
origin, BLAS on one thread). There is no goal: the issue asks for the
comparison. The raw results go to ``benchmarks/results/lstm_forecast.json``.

How to run (from ``benchmarks/``)
---------------------------------
::

    python lstm_forecast.py                  # full run, about two minutes
    python lstm_forecast.py --origins 5 --horizon 20
    python lstm_forecast.py --quick          # smoke test, seconds

``--quick`` uses 2 origins, a horizon of 10 and a few epochs; its numbers
are not meaningful.
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

SYNTHETIC_LENGTH = 600
SYNTHETIC_SEED = 0
PERIOD = 11
PHI = 0.6
SHOCK_SCALE = 0.3
T_NU = 1.5

SERIES = ("sunspots", "heavy_tailed")
MODELS = ("LSTM eem", "LSTM squared_error", "Ridge", "MLPRegressor", "naive")

QUICK = {"origins": 2, "horizon": 10, "lstm_epochs": 5, "mlp_epochs": 10}


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


def evaluate(series, values, cond, args):
    """One row per (origin, model)."""
    rows = []
    for k, origin in enumerate(origins_of(len(values), args)):
        train = values[:origin]
        mu, sd = train.mean(), train.std()
        z = (values - mu) / sd
        windows = LagFeatures(lags=LAGS).fit_transform(z.reshape(-1, 1))
        # window i ends at step i + LAGS - 1 and forecasts step i + LAGS
        target_step = np.arange(len(windows)) + LAGS
        fit_rows = target_step < origin
        test_rows = (target_step >= origin) & (target_step < origin + args.horizon)
        X, y = windows[fit_rows], z[target_step[fit_rows]]
        X_test, steps = windows[test_rows], target_step[test_rows]
        truth = values[steps]
        for name in MODELS:
            if name == "naive":
                seconds, pred_z = 0.0, X_test[:, -1]
            else:
                model = make_model(name, k, args)
                seconds, _ = bench.time_call(model.fit, X, y)
                pred_z = model.predict(X_test)
            pred = pred_z * sd + mu
            err = pred - truth
            row = {
                "series": series,
                "origin": int(origin),
                "model": name,
                "n_train": int(fit_rows.sum()),
                "rmse": float(np.sqrt(np.mean(err**2))),
                "mae": float(np.mean(np.abs(err))),
                "fit_s": seconds,
            }
            if cond is not None:
                row["rmse_cond"] = float(np.sqrt(np.mean((pred - cond[steps]) ** 2)))
            rows.append(row)
        print(
            f"  {series} origin {origin} ({int(fit_rows.sum())} training windows): "
            + ", ".join(f"{r['model']}={r['rmse']:.3f}" for r in rows[-len(MODELS) :]),
            flush=True,
        )
    return rows


def summary_table(rows, with_cond):
    headers = ["model", "RMSE (median)", "MAE (median)"]
    headers += ["RMSE vs E (median)"] if with_cond else []
    headers += ["fit s (median)"]
    body = []
    for name in MODELS:
        sel = [r for r in rows if r["model"] == name]
        line = [
            name,
            f"{statistics.median(r['rmse'] for r in sel):.3f}",
            f"{statistics.median(r['mae'] for r in sel):.3f}",
        ]
        if with_cond:
            line.append(f"{statistics.median(r['rmse_cond'] for r in sel):.3f}")
        line.append(
            "-"
            if name == "naive"
            else f"{statistics.median(r['fit_s'] for r in sel):.2f}"
        )
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
    bench.add_choice_list(parser, "--series", SERIES, "series to run")
    parser.set_defaults(lstm_epochs=LSTM_EPOCHS, mlp_epochs=MLP_EPOCHS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    import statsmodels

    settings = (
        f"lags={LAGS}, origins={args.origins}, horizon={args.horizon}, "
        f"LSTM hidden={HIDDEN_LSTM} epochs={args.lstm_epochs}, "
        f"MLP hidden=({HIDDEN_MLP},) epochs={args.mlp_epochs}, batch={BATCH_SIZE}"
    )
    sections = []
    with bench.measure(
        settings, quick=args.quick, statsmodels=statsmodels.__version__
    ) as run:
        rows = []
        for series in args.series:
            values, cond, description = load_series(series)
            print(f"\n{series}: {description}, {len(values)} values", flush=True)
            section = evaluate(series, values, cond, args)
            rows.extend(section)
            sections.append((series, description, cond is not None, section))

    print("\n" + "=" * 100)
    print(
        f"One-step-ahead forecasts, {args.origins} rolling origin(s) x "
        f"{args.horizon} steps; medians over origins; errors in the series' units."
    )
    for series, description, with_cond, section in sections:
        print(f"\n{series} ({description})")
        print(summary_table(section, with_cond))
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
                "lstm_hidden": HIDDEN_LSTM,
                "lstm_epochs": args.lstm_epochs,
                "mlp_hidden": HIDDEN_MLP,
                "mlp_epochs": args.mlp_epochs,
                "batch_size": BATCH_SIZE,
                "ridge_alpha": RIDGE_ALPHA,
                "synthetic": {
                    "length": SYNTHETIC_LENGTH,
                    "seed": SYNTHETIC_SEED,
                    "period": PERIOD,
                    "phi": PHI,
                    "shock_scale": SHOCK_SCALE,
                    "t_nu": T_NU,
                },
            },
            "results": rows,
            "total_wall_time_s": run.elapsed,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
