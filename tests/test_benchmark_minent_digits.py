"""benchmarks/minent_digits.py: its ECE and a one-seed run of its command line.

The figures of docs/user_guide/minent.rst come from this script, so its
calibration metric is checked against a hand computation. The script is
loaded from its file; it pins the BLAS thread variables of ``os.environ`` on
import, which the fixture restores.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def minent_digits():
    environ = dict(os.environ)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "minent_digits", BENCHMARKS / "minent_digits.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
        for var in set(os.environ) - set(environ):
            del os.environ[var]
        os.environ.update(environ)
    return module


def test_top_label_ece_by_hand(minent_digits):
    # 15 bins of width 1/15 = 0.0667, right-closed: (lo, hi].
    proba = np.array(
        [
            [0.90, 0.05, 0.05],  # conf 0.90, bin (0.867, 0.933], correct
            [0.62, 0.30, 0.08],  # conf 0.62, bin (0.600, 0.667], wrong
            [0.20, 0.15, 0.65],  # conf 0.65, bin (0.600, 0.667], correct
            [0.10, 0.70, 0.20],  # conf 0.70, bin (0.667, 0.733], correct
            [1.00, 0.00, 0.00],  # conf 1.00, bin (0.933, 1.000], wrong
        ]
    )
    y = np.array([0, 1, 2, 1, 2])
    # (0.600, 0.667]: accuracy 1/2, mean confidence 0.635, gap 0.135.
    expected = (
        1 / 5 * abs(1 - 0.90)
        + 2 / 5 * abs(0.5 - 0.635)
        + 1 / 5 * abs(1 - 0.70)
        + 1 / 5 * abs(0 - 1.00)
    )
    assert expected == pytest.approx(0.334)
    assert minent_digits.top_label_ece(proba, y) == pytest.approx(0.334)
    # Binning matters: with 5 bins, (0.6, 0.8] holds the rows of confidence
    # 0.62, 0.65 and 0.70 (accuracy 2/3, mean confidence 0.6567) and
    # (0.8, 1.0] those of 0.90 and 1.00 (accuracy 1/2, confidence 0.95).
    assert minent_digits.top_label_ece(proba, y, n_bins=5) == pytest.approx(
        3 / 5 * abs(2 / 3 - 1.97 / 3) + 2 / 5 * abs(0.5 - 0.95)
    )
    assert 3 / 5 * abs(2 / 3 - 1.97 / 3) + 2 / 5 * abs(0.5 - 0.95) == pytest.approx(
        0.186
    )
    # Perfect confidence on correct predictions: no calibration error.
    assert minent_digits.top_label_ece(np.eye(3), [0, 1, 2]) == 0.0


def test_one_seed_run_prints_the_new_columns(minent_digits, tmp_path, capsys):
    output = tmp_path / "minent_digits.json"
    minent_digits.main(
        [
            "--seeds",
            "1",
            "--noise",
            "0.3",
            "--entropy-weights",
            "0.1",
            "1.0",
            "--early-stopping",
            "both",
            "--max-iter",
            "15",
            "--hidden",
            "16",
            "--output",
            str(output),
        ]
    )
    out = capsys.readouterr().out
    table = out[out.index("| noise | early stop | loss") :]
    header = table.splitlines()[0]
    for column in ("test log loss", "ECE (15 bins)", "test entropy, nats", "epochs"):
        assert column in header
    rows = [line for line in table.splitlines() if line.startswith("| 30 %")]
    labels = ["CE", "MIN-ENT, 0.1", "MIX-ENT, 0.1", "MIN-ENT, 1.0", "MIX-ENT, 1.0"]
    assert [[c.strip() for c in row.split("|")[2:4]] for row in rows[:10]] == [
        [es, label] for es in ("no", "yes") for label in labels
    ]
    assert "CE: early stop - none" in out
    assert "MIX-ENT, 1.0 - MIN-ENT, 1.0, early stop yes" in out

    results = json.loads(output.read_text())
    runs = results["runs"]
    assert len(runs) == 10
    for run in runs:
        assert 0.0 <= run["test_ece"] <= 1.0
        assert run["test_log_loss"] > 0.0
    summary = results["summary"]
    assert [(r["early_stopping"], r["entropy_weight"]) for r in summary[:3]] == [
        (False, None),
        (False, 0.1),
        (False, 0.1),
    ]
    assert all(r["n_iter_mean"] <= 15 for r in summary)


def test_single_entropy_weight_keeps_the_old_option(minent_digits):
    args = minent_digits.parse_args(["--entropy-weight", "0.05"])
    assert args.entropy_weights == [0.05]
    assert args.early_stopping == "no"
    assert minent_digits.variants(list(minent_digits.LOSSES), [0.05]) == [
        ("cross_entropy", None),
        ("min_ent", 0.05),
        ("mix_ent", 0.05),
    ]
