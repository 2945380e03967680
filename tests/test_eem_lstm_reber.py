"""The pieces of benchmarks/eem_lstm_reber.py (the Table 6.9 reproduction)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from skentropy.datasets import REBER_ALPHABET, is_reber

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# The Reber grammar written out again (research notes, 2.4), independent of
# skentropy.datasets: state -> {symbol: next state}; "end" after E.
ARCS = {
    0: {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": 6},
    5: {"P": 4, "V": 6},
    6: {"E": "end"},
}


@pytest.fixture(scope="module")
def bench():
    """The benchmark script, imported as a module (``_common`` on the path)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "eem_lstm_reber", BENCHMARKS / "eem_lstm_reber.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def _stack(bench, criteria, lrs, restarts, cells=3, seed=0):
    """Initial weights, learning rates and groups in the script's stack order."""
    net = bench.Network(cells)
    grid = [
        (c, lr, r) for c in range(len(criteria)) for lr in lrs for r in range(restarts)
    ]
    groups = np.array([g[0] for g in grid])
    lr_of = np.array([g[1] for g in grid])
    restart_of = np.array([g[2] for g in grid])
    params = net.init_params(seed, range(restarts))[restart_of]
    return net, params, lr_of, groups


def test_lockstep_equals_networks_alone(bench):
    criteria = [bench.Criterion(None), bench.Criterion(1.3), bench.Criterion(1.6)]
    net, params, lrs, groups = _stack(bench, criteria, [0.1, 0.3], restarts=2)
    seqs = bench.make_sequences(15, random_state=3)
    orders = [np.random.default_rng(e).permutation(len(seqs)) for e in range(2)]

    stacked = bench.LockstepTrainer(net, params.copy(), lrs, groups, criteria)
    flags = [stacked.train_epoch(seqs, order) for order in orders]

    for k in range(params.shape[0]):
        alone = bench.LockstepTrainer(
            net, params[k : k + 1].copy(), lrs[k : k + 1], groups[k : k + 1], criteria
        )
        alone_flags = [alone.train_epoch(seqs, order) for order in orders]
        np.testing.assert_allclose(
            alone.params[0], stacked.params[k], rtol=0, atol=1e-10
        )
        assert [f[0] for f in alone_flags] == [f[k] for f in flags]
    # Training moved every network, by an amount that depends on its loss.
    moved = np.abs(stacked.params - params).max(axis=1)
    assert (moved > 0).all()


def test_output_deltas_are_the_papers(bench):
    # Each network gets its own criterion's delta, written out directly:
    # MSE (y - t) y (1 - y); EEM -Q sum_j exp(-(e_k - e_j)^2 / 2h^2)(e_k - e_j)
    # y (1 - y) with e = t - y and Q = 2 / (n^2 h^3 sqrt(2 pi)).
    criteria = [bench.Criterion(None), bench.Criterion(1.4), bench.Criterion(1.5)]
    net, params, lrs, groups = _stack(bench, criteria, [0.2], restarts=2, seed=5)
    trainer = bench.LockstepTrainer(net, params.copy(), lrs, groups, criteria)
    seq = bench.make_sequences(3, random_state=4)[0]
    steps = seq.target.shape[0]
    buffers = trainer._buffers_for(steps)
    logits = np.random.default_rng(0).normal(size=buffers["z"].shape)
    buffers["z"][...] = logits
    trainer._deltas(seq, buffers)
    y = 1 / (1 + np.exp(-logits))
    n = y.shape[-1]
    for k, group in enumerate(groups):
        h = criteria[group].kernel_width
        if h is None:
            want = (y[k] - seq.target) * y[k] * (1 - y[k])
        else:
            e = seq.target - y[k]
            pair = e[:, :, None] - e[:, None, :]
            pull = (np.exp(-(pair**2) / (2 * h * h)) * pair).sum(axis=2)
            q = 2 / (n * n * h**3 * np.sqrt(2 * np.pi))
            want = -q * pull * y[k] * (1 - y[k])
        np.testing.assert_allclose(buffers["delta"][k], want, rtol=1e-10, atol=1e-15)


def test_dropping_networks_leaves_the_others_unchanged(bench):
    criteria = [bench.Criterion(None), bench.Criterion(1.5)]
    net, params, lrs, groups = _stack(bench, criteria, [0.3], restarts=3)
    seqs = bench.make_sequences(10, random_state=6)
    order = np.arange(len(seqs))
    full = bench.LockstepTrainer(net, params.copy(), lrs, groups, criteria)
    part = bench.LockstepTrainer(net, params.copy(), lrs, groups, criteria)
    full.train_epoch(seqs, order)
    part.train_epoch(seqs, order)
    keep = np.array([True, False, True, False, True, True])
    part.keep(keep)
    full.train_epoch(seqs, order)
    part.train_epoch(seqs, order)
    np.testing.assert_allclose(part.params, full.params[keep], rtol=0, atol=1e-10)


def test_correctness_criterion(bench):
    # 2 networks x 2 strings x 3 steps x 7 outputs; the second string has
    # one padded step at the end.
    target = np.zeros((2, 3, 7))
    target[:, 0, [1, 2]] = 1.0  # after B: T or P
    target[:, 1, 3] = 1.0
    target[0, 2, 6] = 1.0
    mask = np.array([[True, True, True], [True, True, False]])
    outputs = np.where(target == 1.0, 0.9, 0.1)[None].repeat(2, axis=0)
    outputs[:, 1, 2] = 0.5  # padding: anything goes
    outputs[:, 1, 2, 0] = np.nan

    wrong = bench.correct_networks(outputs, target, mask, threshold=0.5)
    np.testing.assert_array_equal(wrong, [[0, 0], [0, 0]])

    outputs[1, 0, 0, 2] = 0.49  # a legal next symbol just under 0.5
    outputs[1, 1, 1, 5] = 0.51  # an illegal one just over
    outputs[0, 0, 1, 0] = 0.5  # a tie is wrong too
    wrong = bench.correct_networks(outputs, target, mask, threshold=0.5)
    np.testing.assert_array_equal(wrong, [[1, 0], [1, 1]])
    # On logits the threshold is 0; without a mask the padded step counts.
    logits = np.log(outputs / (1 - outputs))
    wrong = bench.correct_networks(logits, target, mask, threshold=0.0)
    np.testing.assert_array_equal(wrong, [[1, 0], [1, 1]])
    wrong = bench.correct_networks(logits, target, None, threshold=0.0)
    np.testing.assert_array_equal(wrong, [[1, 1], [1, 2]])


def test_sequences_follow_the_grammar(bench):
    seqs = bench.make_sequences(60, random_state=11)
    assert len(seqs) == 60
    for seq in seqs:
        s = seq.string
        assert is_reber(s)
        steps = len(s) - 1  # the final E is never an input
        assert seq.x.shape == (1, steps, 7) and seq.target.shape == (steps, 7)
        np.testing.assert_array_equal(
            seq.x[0].argmax(axis=1), [REBER_ALPHABET.index(c) for c in s[:-1]]
        )
        assert (seq.x.sum(axis=2) == 1).all()
        state = 0
        for t, symbol in enumerate(s[:-1]):
            state = ARCS[state][symbol]
            legal = np.zeros(7)
            legal[[REBER_ALPHABET.index(c) for c in ARCS[state]]] = 1.0
            np.testing.assert_array_equal(seq.target[t], legal, err_msg=f"{s} @ {t}")
        np.testing.assert_array_equal(seq.sign, 2 * seq.target - 1)
    # Separately drawn sets differ; the same seed draws the same strings.
    assert [s.string for s in bench.make_sequences(60, 12)] != [s.string for s in seqs]
    assert [s.string for s in bench.make_sequences(60, 11)] == [s.string for s in seqs]


def test_buckets_pad_at_the_back_and_count_duplicates(bench):
    seqs = bench.make_sequences(80, random_state=2)
    buckets = bench.make_buckets(seqs, size=7)
    strings = [s.string for s in seqs]
    assert sum(b.weight.sum() for b in buckets) == len(seqs)
    assert sum(b.weight.size for b in buckets) == len(set(strings))
    steps = sum(len(s) - 1 for s in strings)
    assert bench.total_steps(buckets) == steps
    by_string = {s.string: s for s in seqs}
    for b in buckets:
        for x, target, mask in zip(b.x, b.target, b.mask, strict=True):
            length = int(mask.sum())
            assert mask[:length].all()  # real steps first
            assert not x[length:].any() and not target[length:].any()
            symbols = "".join(REBER_ALPHABET[i] for i in x[:length].argmax(axis=1))
            np.testing.assert_array_equal(
                target[:length], by_string[symbols + "E"].target
            )
    # Evaluating the buckets equals evaluating every string on its own.
    net = bench.Network(3)
    params = net.init_params(1, range(3))
    wrong = bench.count_errors(net, params, buckets)
    alone = np.zeros(3)
    for s in seqs:
        z, _ = net.logits(params, s.x)
        alone += bench.correct_networks(z, s.target, None, threshold=0.0)[:, 0]
    np.testing.assert_array_equal(wrong, alone)


def test_small_experiment_learns(bench):
    criteria = [bench.Criterion(None), bench.Criterion(1.5)]
    result = bench.run_experiment(
        criteria, [0.3], 4, n_train=40, n_test=40, max_epochs=12, seed=1, log=None
    )
    nets = result["networks"]
    assert len(nets) == 8
    assert [n["criterion"] for n in nets] == ["MSE"] * 4 + ["EEM h=1.5"] * 4
    for n in nets:  # converged means no error left, on both sets
        if n["converged"]:
            assert n["train_step_error"] == 0 and n["test_step_error"] == 0
            assert n["sequences"] == 40 * n["epochs"]
        else:
            assert n["sequences"] is None

    # Same data again, from the recorded seeds: errors before training.
    train = bench.make_sequences(40, result["seeds"]["train"])
    buckets = bench.make_buckets(train)
    n_steps = bench.total_steps(buckets)
    net = bench.Network(3)
    before = {
        unit: bench.count_errors(net, result["initial_params"], buckets, unit)
        / (n_steps * (1 if unit == "step" else 7))
        for unit in ("step", "output")
    }
    after = {
        unit: np.array([n[f"train_{unit}_error"] for n in nets])
        for unit in ("step", "output")
    }
    # MSE: every network predicts more steps right. EEM moves more slowly
    # (its deltas are 10-100x smaller): fewer wrong output units on average.
    assert (after["step"][:4] < before["step"][:4]).all()
    assert after["output"][4:].mean() < before["output"][4:].mean()
    assert (after["output"] < before["output"]).mean() >= 0.75

    cells = bench.summarise(nets, criteria, [0.3])
    assert cells["MSE"][0.3]["runs"] == 4
    converged = sum(n["converged"] for n in nets[:4])
    assert cells["MSE"][0.3]["percent"] == 100 * converged / 4


def test_judge_claim_on_the_paper_table(bench):
    lrs = [0.1, 0.2, 0.3]
    rates = {
        "MSE" if w is None else f"EEM h={w:g}": {lr: v[2] for lr, v in row.items()}
        for w, row in bench.PAPER.items()
    }
    eem = [k for k in rates if k != "MSE"]
    verdict = bench.judge_claim(rates, "MSE", eem, lrs)
    # The paper's own table: EEM ahead only at eta = 0.1 (h >= 1.4).
    assert verdict["lrs_best_eem_wins"] == [0.1]
    assert verdict["eem_wins"] == 3 and verdict["cells"] == 11
    assert not verdict["supported"]
    flipped = {
        k: {lr: 100 - v for lr, v in row.items() if v is not None}
        for k, row in rates.items()
    }
    assert bench.judge_claim(flipped, "MSE", eem, lrs)["supported"]


def test_main_quick_writes_json(bench, tmp_path, capsys):
    out = tmp_path / "r.json"
    record = bench.main(
        ["--quick", "--strings", "12", "--max-epochs", "2", "--output", str(out)]
    )
    assert out.exists()
    text = capsys.readouterr().out
    assert "per-string BPTT" in text and "38 % |" in text
    assert len(record["networks"]) == 2 * 2 * 2
    assert record["settings"]["max_sequences"] == 24


def test_initial_weights(bench):
    assert bench.block_sizes(3) == (2, 1) and bench.block_sizes(4) == (2, 2)
    net = bench.Network(3)
    params = net.init_params(7, range(4))
    gate_bias = net.layer.bias(params)[:, net.layer.o_cols]
    np.testing.assert_array_equal(gate_bias, np.tile([-1.0, -1.0, -2.0], (4, 1)))
    rest = params.copy()
    net.layer.bias(rest)[:, net.layer.o_cols] = 0.0
    assert np.abs(rest).max() <= 0.2 and np.abs(rest).max() > 0.15
    # Restart r's weights depend on (seed, r) only.
    np.testing.assert_array_equal(net.init_params(7, [2, 3]), params[2:])
    assert not np.allclose(params[0], params[1])
    assert not np.allclose(net.init_params(8, [0]), params[:1])
