"""Error-entropy estimator benchmark: time for V and its gradient, exact vs binned.

What it measures
----------------
For N = 10^3, 10^4, 10^5, 10^6 scalar errors, drawn from a standard normal
and from a Student-t with 3 degrees of freedom (heavy tails), it times one
call of ``skentropy._engine.error_entropy_and_grad`` (the loss
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
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import math
import statistics

import numpy as np

from skentropy._engine import error_entropy_and_grad, silverman_width

SIZES = (10**3, 10**4, 10**5, 10**6)
DISTRIBUTIONS = ("normal", "t3")
EXACT_MAX = 30_000
GRID_RATIO = 8.0
FINE_GRID_RATIO = 64.0
TARGET_N = 10**6
TARGET_MS = 50.0
QUICK = {"repeats": 2, "exact_max": 1_000}

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
    silverman_s, width = bench.time_call(silverman_width, errors, collect=False)
    rows = []
    results = {}
    for label, method, dtype in ESTIMATORS:
        if method == "exact" and n > exact_max:
            continue
        x = errors.astype(dtype)
        times, results[label] = bench.repeat_times(
            lambda x=x, m=method: error_entropy_and_grad(
                x, width, method=m, grid_ratio=GRID_RATIO
            ),
            repeats,
        )
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


def format_results(rows):
    headers = ["errors", "N", "estimator", "median ms", "ns / error"]
    headers += ["V rel err", "grad rel err", "vs"]
    body = [
        [
            r["distribution"],
            f"{r['n']:,}",
            r["estimator"],
            f"{1e3 * r['median_s']:.3f}",
            f"{1e9 * r['median_s'] / r['n']:.1f}",
            f"{r['v_rel_err']:.1e}",
            f"{r['grad_rel_err']:.1e}",
            r["reference"],
        ]
        for r in rows
    ]
    return bench.format_table(headers, body, "<><>>>><")


def check_target(rows):
    """The target table: binned V + gradient under TARGET_MS at TARGET_N."""
    hits = [r for r in rows if r["method"] == "binned" and r["n"] == TARGET_N]
    return bench.pass_fail_table(
        (
            f"{r['distribution']}: binned, N = {TARGET_N:,}",
            f"{1e3 * r['median_s']:.2f} ms",
            f"< {TARGET_MS:g} ms",
            1e3 * r["median_s"] < TARGET_MS,
        )
        for r in hits
    )


def parse_args(argv=None):
    parser = bench.parser(__doc__, "bench_entropy", QUICK, repeats=7)
    parser.add_argument(
        "--sizes",
        type=bench.positive_int,
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
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = (
        f"repeats={args.repeats}, exact up to N={args.exact_max}, "
        f"grid spacing s/{GRID_RATIO:g}"
    )
    with bench.measure(settings, quick=args.quick) as run:
        rows = []
        for distribution in DISTRIBUTIONS:
            for n in args.sizes:
                rows.extend(bench_one(distribution, n, args.exact_max, args.repeats))

    print("\n" + "=" * 90)
    print(
        f"V = information potential, -log V and its gradient w.r.t. all N errors\n"
        f"per call; median of {args.repeats} call(s), 1 thread. Kernel width:\n"
        "Silverman's rule on the errors (pairwise s = sqrt(2) sigma). Errors of\n"
        "V (relative) and of the gradient (relative L2) are against exact f64,\n"
        "or, where exact was not run, against binned with spacing "
        f"s/{FINE_GRID_RATIO:g}."
    )
    print(format_results(rows))
    print("Silverman width (computed once per fit, not in the times above):")
    for r in rows:
        if r["method"] == "binned":
            ms = 1e3 * r["silverman_s"]
            print(f"  {r['distribution']:<6} N={r['n']:>9,}: {ms:8.2f} ms")
    print(
        f"\nTarget: binned V + gradient under {TARGET_MS:.0f} ms at "
        f"N = {TARGET_N:,} (1 thread)."
    )
    target_table, target_met = check_target(rows)
    print(target_table)
    print(f"\ntotal wall time: {run.elapsed:.1f} s")

    bench.write_results(
        args.results,
        {
            "benchmark": "bench_entropy",
            "quick": args.quick,
            "settings": {
                "sizes": args.sizes,
                "distributions": DISTRIBUTIONS,
                "exact_max": args.exact_max,
                "repeats": args.repeats,
                "grid_ratio": GRID_RATIO,
                "fine_grid_ratio": FINE_GRID_RATIO,
                "objective": "log",
                "kernel_width": "silverman (pairwise)",
            },
            "target": {"n": TARGET_N, "binned_max_ms": TARGET_MS, "met": target_met},
            "total_wall_time_s": run.elapsed,
            "results": rows,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
