"""Error-entropy estimator benchmark: time for V and its gradient, exact vs binned.

What it measures
----------------
For N = 10^3, 10^4, 10^5, 10^6 scalar errors, drawn from a standard normal
and from a Student-t with 3 degrees of freedom (heavy tails), it times one
call of ``skentropy._engine.information.error_entropy_and_grad`` (the loss
``-log V`` *and* its full gradient with respect to the N errors) for

* ``exact`` float64: all pairs, blocked over rows (O(N^2)); only run up to
  ``--exact-max`` errors (default 30000), since 10^5 errors already take
  ~20 s per call;
* ``exact`` float32: the same on float32 errors (the training dtype of a
  float32 network);
* ``binned`` float64: linear binning on a grid of spacing ``s / 8``, FFT
  convolution with the kernel and its derivative, linear interpolation back
  (O(N + M log M)).

The kernel width is Silverman's rule on the errors (computed once, outside
the timed call, as an estimator does once per fit). Each time is the median
of ``--repeats`` back-to-back calls after one warm-up call (warm caches: at
N = 10^3 a cache-cold binned call costs about 0.3 ms more), with BLAS
pinned to one thread (environment variables set before numpy is imported,
and ``threadpoolctl.threadpool_limits(1)``).

Accuracy columns: the relative error of V and the relative L2 error of the
gradient against the exact float64 result where that was run, otherwise
against the binned estimator on an 8x finer grid (``s / 64``), marked "fine".

Target (checked and printed): binned V + gradient under 50 ms at N = 10^6,
for both error distributions.

A plain-text table is printed; the raw results (every individual time,
machine information, library versions) are written as JSON to
``benchmarks/results/bench_entropy.json`` (the directory is git-ignored).

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/bench_entropy.py              # full run, ~1 minute
    python benchmarks/bench_entropy.py --repeats 9
    python benchmarks/bench_entropy.py --quick      # smoke test, seconds

``--quick`` does 2 repeats and runs the exact estimator at 10^3 only; its
binned timings are still meaningful, the exact ones are not all there.
"""

# isort: off
# Pins BLAS/OpenMP to one thread, so it must come before numpy.
from _common import cpu_model

# isort: on
import argparse
import gc
import json
import math
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy
from threadpoolctl import threadpool_info, threadpool_limits

import skentropy
from skentropy._engine.information import error_entropy_and_grad, silverman_width

SKENTROPY_VERSION = getattr(skentropy, "__version__", "unknown")
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "bench_entropy.json"

SIZES = (10**3, 10**4, 10**5, 10**6)
DISTRIBUTIONS = ("normal", "t3")
EXACT_MAX = 30_000
QUICK_EXACT_MAX = 1_000
GRID_RATIO = 8.0
FINE_GRID_RATIO = 64.0
TARGET_N = 10**6
TARGET_MS = 50.0

# (label, method, dtype)
ESTIMATORS = (
    ("exact f64", "exact", np.float64),
    ("exact f32", "exact", np.float32),
    ("binned f64", "binned", np.float64),
)


def make_errors(distribution, n):
    rng = np.random.default_rng(n)
    if distribution == "normal":
        return rng.standard_normal(n)
    if distribution == "t3":
        return rng.standard_t(3, n)
    raise ValueError(f"unknown distribution {distribution!r}")


def time_call(errors, width, method, repeats):
    """Median seconds of ``repeats`` calls (after one warm-up) and the result."""
    result = error_entropy_and_grad(errors, width, method=method, grid_ratio=GRID_RATIO)
    times = []
    gc.collect()  # once: collecting before every call would also flush the caches
    for _ in range(repeats):
        t0 = time.perf_counter()
        error_entropy_and_grad(errors, width, method=method, grid_ratio=GRID_RATIO)
        times.append(time.perf_counter() - t0)
    return times, result


def relative_errors(result, reference):
    """Relative error of V and relative L2 error of the gradient."""
    loss, grad = result
    ref_loss, ref_grad = reference
    grad = grad.astype(np.float64)
    v_err = abs(math.expm1(ref_loss - loss))
    g_err = float(np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad))
    return v_err, g_err


def bench_one(distribution, n, exact_max, repeats):
    errors = make_errors(distribution, n)
    t0 = time.perf_counter()
    width = silverman_width(errors)
    silverman_s = time.perf_counter() - t0
    rows = []
    results = {}
    for label, method, dtype in ESTIMATORS:
        if method == "exact" and n > exact_max:
            continue
        x = errors.astype(dtype)
        times, result = time_call(x, width, method, repeats)
        results[label] = result
        rows.append(
            {
                "distribution": distribution,
                "n": n,
                "estimator": label,
                "method": method,
                "dtype": np.dtype(dtype).name,
                "kernel_width": width,
                "grid_ratio": GRID_RATIO if method == "binned" else None,
                "times_s": times,
                "median_s": statistics.median(times),
                "silverman_s": silverman_s,
            }
        )
        print(
            f"  {distribution:<6} N={n:>8} {label:<10} "
            f"{1e3 * statistics.median(times):10.3f} ms",
            flush=True,
        )
    if "exact f64" in results:
        reference, ref_name = results["exact f64"], "exact"
    else:
        reference = error_entropy_and_grad(
            errors, width, method="binned", grid_ratio=FINE_GRID_RATIO
        )
        ref_name = "fine"
    for row in rows:
        if row["estimator"] == "exact f64":
            row.update(v_rel_err=0.0, grad_rel_err=0.0, reference="exact")
            continue
        v_err, g_err = relative_errors(results[row["estimator"]], reference)
        row.update(v_rel_err=v_err, grad_rel_err=g_err, reference=ref_name)
    return rows


def format_table(rows):
    header = (
        "| errors | N         | estimator  | median ms   | ns / error | "
        "V rel err | grad rel err | vs    |"
    )
    rule = "|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|"
    lines = [header, rule]
    for r in rows:
        lines.append(
            f"| {r['distribution']:<6} "
            f"| {r['n']:>9,} "
            f"| {r['estimator']:<10} "
            f"| {1e3 * r['median_s']:>11.3f} "
            f"| {1e9 * r['median_s'] / r['n']:>10.1f} "
            f"| {r['v_rel_err']:>9.1e} "
            f"| {r['grad_rel_err']:>12.1e} "
            f"| {r['reference']:<5} |"
        )
    return "\n".join(lines)


def check_target(rows):
    lines = [
        f"Target: binned V + gradient under {TARGET_MS:.0f} ms at "
        f"N = {TARGET_N:,} (1 thread)."
    ]
    hits = [r for r in rows if r["method"] == "binned" and r["n"] == TARGET_N]
    if not hits:
        lines.append("  (N = 10^6 not benchmarked in this run: no verdict.)")
        return lines, None
    ok_all = True
    for r in hits:
        ms = 1e3 * r["median_s"]
        ok = ms < TARGET_MS
        ok_all = ok_all and ok
        lines.append(
            f"  {r['distribution']:<6} {ms:8.2f} ms  {'PASS' if ok else 'FAIL'}"
        )
    lines.append(f"  overall: {'PASS' if ok_all else 'FAIL'}")
    return lines, ok_all


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=7,
        help="timed calls per estimator and size, median reported (default 7)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        help="numbers of errors (default: 1000 10000 100000 1000000)",
    )
    parser.add_argument(
        "--exact-max",
        type=int,
        default=EXACT_MAX,
        help=f"largest N for the O(N^2) exact estimator (default {EXACT_MAX})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: 2 repeats, exact only up to N = {QUICK_EXACT_MAX}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS_PATH,
        help=f"JSON output file (default: {RESULTS_PATH})",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.quick:
        args.repeats = min(args.repeats, 2)
        args.exact_max = min(args.exact_max, QUICK_EXACT_MAX)
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        pools = threadpool_info()
        print(f"CPU: {cpu_model()}")
        print(
            f"python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}, skentropy {SKENTROPY_VERSION}"
        )
        print(
            "thread pools: "
            + ", ".join(
                f"{p.get('internal_api')}={p.get('num_threads')}" for p in pools
            )
        )
        print(
            f"settings: repeats={args.repeats}, exact up to N={args.exact_max}, "
            f"grid spacing s/{GRID_RATIO:g}" + (" [--quick]" if args.quick else "")
        )
        rows = []
        for distribution in DISTRIBUTIONS:
            for n in args.sizes:
                rows.extend(bench_one(distribution, n, args.exact_max, args.repeats))
    elapsed = time.perf_counter() - start

    print("\n" + "=" * 90)
    print(
        f"V = information potential, -log V and its gradient w.r.t. all N errors\n"
        f"per call; median of {args.repeats} call(s), 1 thread. Kernel width:\n"
        "Silverman's rule on the errors (pairwise s = sqrt(2) sigma). Errors of\n"
        "V (relative) and of the gradient (relative L2) are against exact f64,\n"
        "or, where exact was not run, against binned with spacing "
        f"s/{FINE_GRID_RATIO:g}."
    )
    print(format_table(rows))
    silverman = {
        (r["distribution"], r["n"]): r["silverman_s"]
        for r in rows
        if r["method"] == "binned"
    }
    print("Silverman width (computed once per fit, not in the times above):")
    for (d, n), t in silverman.items():
        print(f"  {d:<6} N={n:>9,}: {1e3 * t:8.2f} ms")
    print()
    target_lines, target_met = check_target(rows)
    print("\n".join(target_lines))
    print(f"\ntotal wall time: {elapsed:.1f} s")

    record = {
        "benchmark": "bench_entropy",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "quick": args.quick,
        "settings": {
            "sizes": args.sizes,
            "distributions": list(DISTRIBUTIONS),
            "exact_max": args.exact_max,
            "repeats": args.repeats,
            "grid_ratio": GRID_RATIO,
            "fine_grid_ratio": FINE_GRID_RATIO,
            "objective": "log",
            "kernel_width": "silverman (pairwise)",
        },
        "machine": {
            "cpu": cpu_model(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "skentropy": SKENTROPY_VERSION,
            "threadpools": pools,
        },
        "target": {
            "n": TARGET_N,
            "binned_max_ms": TARGET_MS,
            "met": target_met,
        },
        "total_wall_time_s": elapsed,
        "results": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"raw results written to {args.output}")


if __name__ == "__main__":
    main()
