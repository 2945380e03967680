"""Shared pieces of the benchmark scripts.

A benchmark script keeps its configuration, the paper's table and its report;
the set-up every script needs lives here:

* :func:`pin_threads` pins the BLAS/OpenMP runtimes to one thread. It must be
  called *before numpy is imported* (this module imports neither numpy nor
  scikit-learn at import time, and importing it changes nothing), so a
  script starts with::

      # isort: off
      import _common as bench

      bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
      # isort: on
      import numpy as np

* :func:`parser` builds the command line from the script's docstring, with
  the options every script has (``--quick``, ``--repeats`` or ``--rounds``,
  the JSON path); :func:`add_choice_list`, :func:`positive_int` and
  :func:`positive_float` help with the script's own options;
* :class:`measure` wraps the measurements: one BLAS thread, the machine
  printed (:func:`machine_record`, with the BLAS kernel that threadpoolctl
  reports), the wall clock;
* :func:`time_call`, :func:`repeat_times` and :func:`interleaved` time code;
* :func:`format_table` and :func:`pass_fail_table` print the tables;
* :func:`write_results` writes the raw results as JSON.

The scripts import this module as ``_common``, which works when they run as
``python benchmarks/<script>.py`` (the script's folder is on ``sys.path``).
What a test needs belongs in the package. The one exception is a script's own
measurement code: tests/test_benchmark_minent_digits.py loads
``minent_digits.py`` from its file to check its calibration error and its
command line, and restores the environment that :func:`pin_threads` changes.
"""

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "RESULTS_DIR",
    "THREAD_VARS",
    "add_choice_list",
    "blas_threads",
    "cpu_model",
    "format_table",
    "interleaved",
    "jsonable",
    "machine_record",
    "measure",
    "parser",
    "pass_fail_table",
    "pin_threads",
    "positive_float",
    "positive_int",
    "print_machine",
    "repeat_times",
    "time_call",
    "verdict",
    "write_results",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: Environment variables that size the BLAS / OpenMP thread pools.
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

#: OpenBLAS settings that change its kernel; recorded with the results, never
#: set or changed here (see DESIGN.md, "Tests").
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ---------------------------------------------------------------------------
# threads and machine
# ---------------------------------------------------------------------------
def pin_threads(n=1):
    """Size every BLAS / OpenMP thread pool to ``n`` threads.

    Sets the environment variables in :data:`THREAD_VARS`. The runtimes read
    them when they are loaded, so this must be called before numpy (or
    scipy, scikit-learn, torch) is imported; afterwards it has no effect on
    them, and :func:`blas_threads` is the way to limit threads.

    Parameters
    ----------
    n : int, default=1
        Number of threads.
    """
    for var in THREAD_VARS:
        os.environ[var] = str(n)


def blas_threads(n=1):
    """Context manager limiting the loaded BLAS / OpenMP pools to ``n`` threads.

    Parameters
    ----------
    n : int, default=1
        Number of threads.

    Returns
    -------
    threadpoolctl.threadpool_limits
        Use it in a ``with`` statement.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n)


def cpu_model():
    """The CPU's model name.

    Returns
    -------
    str
        From ``/proc/cpuinfo`` where available, else ``platform.processor()``
        or ``"unknown"``.
    """
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_record(**versions):
    """What the figures were measured on.

    Parameters
    ----------
    **versions
        Further entries for ``"versions"`` (for example ``torch=...``).

    Returns
    -------
    dict
        ``cpu``, ``cores``, ``platform``, ``python``, ``date`` (UTC, ISO
        8601), ``versions`` (numpy, scipy, scikit-learn, skentropy and
        ``versions``), ``threadpools`` (threadpoolctl's report of each
        loaded BLAS / OpenMP library: ``internal_api``, ``version``,
        ``architecture``, i.e. the BLAS kernel, ``threading_layer`` and
        ``num_threads``) and ``env`` (the values of :data:`THREAD_VARS`,
        ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``, None when unset).
    """
    import numpy
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    import skentropy

    keys = ("user_api", "internal_api", "version", "architecture")
    keys += ("threading_layer", "num_threads", "prefix")
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "skentropy": getattr(skentropy, "__version__", "unknown"),
            **versions,
        },
        "threadpools": [{k: pool.get(k) for k in keys} for pool in threadpool_info()],
        "env": {var: os.environ.get(var) for var in (*THREAD_VARS, *OPENBLAS_VARS)},
    }


def print_machine(settings, *, quick=False, **versions):
    """Print and return the :func:`machine_record` and the settings line.

    The parameters are those of :class:`measure`, which calls this inside
    :func:`blas_threads`, so that the thread counts shown are the ones the
    measurements run with.
    """
    record = machine_record(**versions)
    pools = ", ".join(
        " ".join(str(p[k]) for k in ("internal_api", "version", "architecture") if p[k])
        + f" x{p['num_threads']}"
        for p in record["threadpools"]
    )
    env = ", ".join(f"{v}={record['env'][v] or 'unset'}" for v in OPENBLAS_VARS)
    print(f"CPU: {record['cpu']} ({record['cores']} cores)")
    print(
        f"python {record['python']}, "
        + ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    )
    print(f"thread pools: {pools}; {env}")
    print(f"settings: {settings}" + (" [--quick]" if quick else ""), flush=True)
    return record


class measure:
    """Context manager around a script's measurements.

    On entry it limits the loaded BLAS / OpenMP pools to ``threads`` threads
    (:func:`blas_threads`), prints the machine and the settings
    (:func:`print_machine`) and starts the wall clock; on exit it stops the
    clock and lifts the limit.

    Parameters
    ----------
    settings : str
        The script's settings, printed after ``"settings: "``.
    quick : bool, default=False
        Mark the settings as ``--quick``.
    threads : int, default=1
        BLAS / OpenMP threads.
    **versions
        Passed to :func:`machine_record`.

    Attributes
    ----------
    machine : dict
        The :func:`machine_record`, for :func:`write_results`.
    elapsed : float
        Wall-clock seconds spent inside the ``with`` block.

    Examples
    --------
    ::

        with bench.measure(f"repeats={args.repeats}", quick=args.quick) as run:
            rows = ...
        bench.write_results(args.results, {"results": rows}, run.machine)
    """

    def __init__(self, settings, *, quick=False, threads=1, **versions):
        self._banner = (settings, quick, versions)
        self._threads = threads
        self.machine = None
        self.elapsed = None

    def __enter__(self):
        self._limits = blas_threads(self._threads)
        self._limits.__enter__()
        settings, quick, versions = self._banner
        self.machine = print_machine(settings, quick=quick, **versions)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.elapsed = time.perf_counter() - self._start
        return self._limits.__exit__(*exc_info)


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------
def positive_int(text):
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def positive_float(text):
    """argparse type: a float > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose ``--quick`` replaces defaults by smaller ones."""

    quick_defaults: dict

    def parse_known_args(self, args=None, namespace=None):
        # Parse once to learn whether --quick was given; if so, the quick
        # values become the defaults, so options given explicitly still win.
        first, _ = super().parse_known_args(args, namespace)
        if first.quick:
            self.set_defaults(**self.quick_defaults)
        return super().parse_known_args(args, namespace)


def parser(doc, name, quick, *, repeats=None, rounds=None, results_flag="--output"):
    """Command-line parser of a benchmark script.

    Parameters
    ----------
    doc : str
        The script's module docstring: the ``--help`` text.
    name : str
        The script's name; the results go to ``results/<name>.json``.
    quick : dict
        Values that ``--quick`` (a smoke test, seconds) puts in place of the
        defaults: of options, or of settings that are not options (give
        those their full-run value with ``set_defaults``). Options given
        explicitly on the command line still win.
    repeats : int, optional
        Add ``--repeats`` (timed runs of each contender) with this default.
    rounds : int, optional
        Add ``--rounds`` (interleaved rounds of timed runs) with this default.
    results_flag : str, default="--output"
        Name of the option for the JSON file; its value is ``args.results``.

    Returns
    -------
    argparse.ArgumentParser
        Add the script's own options, then call ``parse_args``.
    """
    p = _Parser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.quick_defaults = dict(quick)
    shown = ", ".join(
        f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in quick.items()
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test, numbers not meaningful ({shown})",
    )
    for flag, default, what in (
        ("--repeats", repeats, "timed runs of each contender"),
        ("--rounds", rounds, "interleaved rounds of timed runs"),
    ):
        if default is not None:
            p.add_argument(
                flag,
                type=positive_int,
                default=default,
                help=f"{what}, median reported (default {default})",
            )
    path = RESULTS_DIR / f"{name}.json"
    p.add_argument(
        results_flag,
        dest="results",
        type=Path,
        default=path,
        help=f"JSON output file (default: {path})",
    )
    return p


def add_choice_list(parser, flag, choices, what):
    """Add an option taking one or more of ``choices``, all of them by default.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    flag : str
        For example ``"--datasets"``.
    choices : sequence of str
        The allowed values, also the default.
    what : str
        Start of the help text.
    """
    parser.add_argument(
        flag,
        nargs="+",
        choices=choices,
        default=list(choices),
        help=f"{what} (default: {' '.join(choices)})",
    )


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------
def time_call(fn, *args, collect=True, **kwargs):
    """Wall-clock seconds of one call.

    Parameters
    ----------
    fn : callable
        Called as ``fn(*args, **kwargs)``.
    collect : bool, default=True
        Run the garbage collector first (not timed).

    Returns
    -------
    seconds : float
    result : object
        What ``fn`` returned.
    """
    if collect:
        gc.collect()
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def repeat_times(fn, repeats):
    """Times of ``repeats`` back-to-back calls after one untimed warm-up call.

    The garbage collector runs once before the timed calls, not before each
    (that would also flush the caches).

    Parameters
    ----------
    fn : callable
        Called without arguments.
    repeats : int
        Timed calls.

    Returns
    -------
    times : list of float
        Seconds of each timed call.
    result : object
        What the warm-up call returned.
    """
    result = fn()
    gc.collect()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times, result


def interleaved(names, rounds, run, *, warmup=False, label="round", show=None):
    """Time several contenders round by round: A, B, C, A, B, C, ...

    The machine's speed drifts, so contenders are interleaved rather than
    run one after the other; report the median of each one's times.

    Parameters
    ----------
    names : sequence of str
        The contenders.
    rounds : int
        Number of rounds.
    run : callable
        ``run(name) -> (seconds, result)``, for example through
        :func:`time_call`.
    warmup : bool, default=False
        Run every contender once, untimed, first.
    label : str, default="round"
        Start of the progress line printed after every round.
    show : callable, optional
        ``show(seconds) -> str`` for the progress line (default ``"1.234s"``).

    Returns
    -------
    times : dict
        ``name -> list of seconds``, one per round.
    results : dict
        ``name -> result`` of the last round.
    """
    show = show or (lambda s: f"{s:.3f}s")
    if warmup:
        for name in names:
            run(name)
    times = {name: [] for name in names}
    results = {}
    for r in range(rounds):
        for name in names:
            seconds, results[name] = run(name)
            times[name].append(seconds)
        print(
            f"  {label} {r + 1}/{rounds}: "
            + ", ".join(f"{n}={show(times[n][-1])}" for n in names),
            flush=True,
        )
    return times, results


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------
def format_table(headers, rows, align=None):
    """A plain-text (Markdown) table; columns as wide as their widest cell.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : iterable of sequences
        Cells (converted with ``str``).
    align : str, optional
        One ``"<"`` (left) or ``">"`` (right) per column; default: the
        first column left, the others right.

    Returns
    -------
    str
    """
    cells = [[str(c) for c in row] for row in rows]
    align = align or "<" + ">" * (len(headers) - 1)
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(items):
        parts = (f"{c:{a}{w}}" for c, a, w in zip(items, align, widths, strict=True))
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def verdict(ok):
    """``"PASS"`` or ``"FAIL"``."""
    return "PASS" if ok else "FAIL"


def pass_fail_table(rows, *, quick=False):
    """The targets of a benchmark as a table, with an overall verdict.

    Parameters
    ----------
    rows : iterable of (target, measured, limit, ok)
        What is checked, the measured value and the limit (both as text)
        and whether the target is met; the script does the comparison.
    quick : bool, default=False
        Add a line saying that ``--quick`` verdicts are not meaningful.

    Returns
    -------
    text : str
        The table (or a line saying that there is no verdict).
    met : bool or None
        Whether every target is met; None when ``rows`` is empty.
    """
    rows = list(rows)
    note = ["(--quick: the verdicts are NOT meaningful.)"] if quick else []
    if not rows:
        return "\n".join(["(no target measured in this run: no verdict.)", *note]), None
    met = all(ok for *_, ok in rows)
    body = [[t, m, lim, verdict(ok)] for t, m, lim, ok in rows]
    body.append(["overall", "", "", verdict(met)])
    table = format_table(["target", "measured", "limit", "verdict"], body, "<>><")
    return "\n".join([*note, table]), met


def jsonable(obj):
    """``obj`` with numpy scalars and arrays, tuples and paths made JSON-safe.

    Dict keys become strings; non-finite floats become ``"nan"``, ``"inf"``
    or ``"-inf"`` (JSON has no such numbers).
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return jsonable(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    return obj


def write_results(path, payload, machine=None):
    """Write the raw results as JSON, with the machine they were measured on.

    Parameters
    ----------
    path : path-like
        The JSON file; its folder (by default ``benchmarks/results/``,
        git-ignored) is created.
    payload : dict
        The script's results and settings.
    machine : dict, optional
        A :func:`machine_record` (default: taken now).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    record = {
        **payload,
        "argv": sys.argv[1:],
        "machine": machine if machine is not None else machine_record(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(record), indent=1) + "\n")
    print(f"raw results written to {path}")
    return path
