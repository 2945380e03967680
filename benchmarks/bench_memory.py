"""Peak memory of LSTM inference and of the kernel-width estimate on long sequences.

What it measures
----------------
Issue 12, item 4: ``EEMLSTMClassifier.predict_proba`` and
``fit(kernel_width="silverman")`` must take memory independent of the number
of sequences. Both run the network's forward-only pass
(``SequenceNetwork.logits``) over chunks of sequences; before, they ran the
training forward pass over the whole batch, whose buffers for backward hold
about ``7 * hidden`` numbers per step and sequence.

For each ``n`` in ``--sizes`` (default 512 and 8192): X ~ N(0, 1) of shape
(n, T, 1) in float64 (T = ``--steps``, default 2000), balanced binary
labels, and

* ``fit``: ``EEMLSTMClassifier(kernel_width="silverman", max_iter=1,
  random_state=0).fit(X, y)`` (default ``hidden_size`` and ``batch_size``):
  input checks, the width estimate over all n sequences, one epoch of
  training, the end-of-fit pass (offset, chance check);
* ``predict_proba``: of that fitted model on X;
* ``inference``: the same after the input checks, i.e. the estimator's
  ``_proba`` on the validated X (the network's forward pass, the output
  activation, the normalisation).

The figure is tracemalloc's peak during the call (numpy reports its
buffers to tracemalloc), minus what was allocated when it started: X, y and
the fitted model are not counted. The ratio of the peaks at the largest and
the smallest n should be about 1: the targets are at most 1.25 for ``fit``,
``predict_proba`` and ``inference`` (what grows is the output). The input
checks run in chunks of sequences too (``check_padding``). For reference the table also
shows the buffers of the full-batch training forward pass (``LSTMCache`` of
n sequences, computed, not run): the peak of both calls before the
chunking.

Times are printed for information (tracemalloc slows Python down); the
fit at n = 8192, T = 2000 is an epoch of 256 batches, several minutes.

BLAS and OpenMP are pinned to one thread. The BLAS kernel (threadpoolctl's
``architecture``) is printed and recorded (see DESIGN.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_memory.py

How to run (from the repository root)
-------------------------------------
::

    python benchmarks/bench_memory.py                 # T = 2000, n = 512, 8192
    python benchmarks/bench_memory.py --sizes 512 2048
    python benchmarks/bench_memory.py --quick         # smoke test, seconds

``--quick`` uses T = 200 and n = 512, 2048. Raw results go to
``benchmarks/results/bench_memory.json``.
"""

# isort: off
import _common as bench

bench.pin_threads()  # BLAS/OpenMP on one thread: before numpy is imported
# isort: on
import gc
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skentropy import EEMLSTMClassifier
from skentropy._engine.lstm import LSTMCache

STEPS = 2000
SIZES = (512, 8192)
TARGET_RATIO = 1.25
QUICK = {"steps": 200, "sizes": (512, 2048)}
MIB = 2.0**20


def make_data(n, steps, seed=0):
    """X ~ N(0, 1) of shape (n, steps, 1) and balanced binary labels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, steps, 1))
    y = np.arange(n) % 2
    return X, y


def traced_peak(fn):
    """``(peak bytes above the start, seconds, result)`` of ``fn()``."""
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        t0 = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start, seconds, result


def full_batch_cache_bytes(estimator, n, steps):
    """Bytes of the training forward pass's buffers over n sequences."""
    network = estimator._network()
    lstm = network.lstm
    cache = LSTMCache(1, (), steps, lstm.n_inputs, lstm.hidden, lstm.n_gates, "f8")
    per_sequence = cache.state.nbytes + cache.step.nbytes + cache.tanh_cell.nbytes
    return n * per_sequence


def measure_size(n, steps):
    X, y = make_data(n, steps)
    estimator = EEMLSTMClassifier(kernel_width="silverman", max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_peak, fit_s, _ = traced_peak(lambda: estimator.fit(X, y))
    proba_peak, proba_s, proba = traced_peak(lambda: estimator.predict_proba(X))
    network, params, offset = estimator._network(), estimator.params_, estimator.offset_
    infer_peak, infer_s, _ = traced_peak(
        lambda: estimator._proba(network, params, X, offset)
    )
    row = {
        "n": n,
        "steps": steps,
        "hidden_size": estimator.hidden_size,
        "batch_size": estimator.batch_size,
        "input_mib": X.nbytes / MIB,
        "output_mib": proba.nbytes / MIB,
        "fit_peak_mib": fit_peak / MIB,
        "fit_s": fit_s,
        "predict_proba_peak_mib": proba_peak / MIB,
        "predict_proba_s": proba_s,
        "inference_peak_mib": infer_peak / MIB,
        "inference_s": infer_s,
        "full_batch_cache_mib": full_batch_cache_bytes(estimator, n, steps) / MIB,
    }
    print(
        f"  n={n}: fit {row['fit_peak_mib']:.1f} MiB ({fit_s:.1f} s), "
        f"predict_proba {row['predict_proba_peak_mib']:.2f} MiB ({proba_s:.1f} s), "
        f"inference {row['inference_peak_mib']:.2f} MiB ({infer_s:.1f} s)",
        flush=True,
    )
    return row


def report(rows, quick):
    table = bench.format_table(
        [
            "n",
            "T",
            "input MiB",
            "fit peak MiB",
            "predict_proba peak MiB",
            "inference peak MiB",
            "full-batch cache MiB (before)",
        ],
        [
            [
                r["n"],
                r["steps"],
                f"{r['input_mib']:.1f}",
                f"{r['fit_peak_mib']:.1f}",
                f"{r['predict_proba_peak_mib']:.2f}",
                f"{r['inference_peak_mib']:.2f}",
                f"{r['full_batch_cache_mib']:.0f}",
            ]
            for r in rows
        ],
    )
    print("\n" + table)
    small, large = rows[0], rows[-1]
    ratios = {
        name: large[f"{name}_peak_mib"] / small[f"{name}_peak_mib"]
        for name in ("fit", "predict_proba", "inference")
    }
    print(
        f"\npeak ratios n={large['n']} / n={small['n']}: "
        + ", ".join(f"{name} {ratio:.3f}" for name, ratio in ratios.items())
    )
    checks = [
        (
            f"{name} peak, n={large['n']} / n={small['n']}",
            f"{ratios[name]:.3f}",
            f"<= {TARGET_RATIO}",
            ratios[name] <= TARGET_RATIO,
        )
        for name in ("fit", "predict_proba", "inference")
    ]
    text, met = bench.pass_fail_table(checks, quick=quick)
    print(text)
    return ratios, met


def main(argv=None):
    parser = bench.parser(__doc__, "bench_memory", QUICK)
    parser.add_argument(
        "--steps",
        type=bench.positive_int,
        default=STEPS,
        help=f"sequence length T (default {STEPS})",
    )
    parser.add_argument(
        "--sizes",
        type=bench.positive_int,
        nargs="+",
        default=list(SIZES),
        help="numbers of sequences (default: 512 8192)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    settings = f"T={args.steps}, n={sizes}, 1 channel, 2 classes, float64"
    with bench.measure(settings, quick=args.quick) as run:
        rows = [measure_size(n, args.steps) for n in sizes]
    ratios, met = report(rows, args.quick)
    print(f"\ntotal wall time: {run.elapsed:.1f} s")
    bench.write_results(
        args.results,
        {
            "benchmark": "bench_memory",
            "quick": args.quick,
            "settings": {"steps": args.steps, "sizes": sizes},
            "target": {"max_ratio": TARGET_RATIO, "met": met},
            "ratios": ratios,
            "results": rows,
            "elapsed_seconds": run.elapsed,
        },
        run.machine,
    )


if __name__ == "__main__":
    main()
