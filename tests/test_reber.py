"""Reber and embedded Reber generators and validators (skentropy.datasets)."""

import itertools

import numpy as np
import pytest

from skentropy.datasets import (
    REBER_ALPHABET,
    is_embedded_reber,
    is_reber,
    make_embedded_reber,
    make_reber,
)

# The grammar, written out here independently of the library's tables:
# (state, symbol, next state); state 7 is "after the end symbol".
ARCS = [
    (0, "B", 1),
    (1, "T", 2),
    (1, "P", 3),
    (2, "S", 2),
    (2, "X", 4),
    (3, "T", 3),
    (3, "V", 5),
    (4, "X", 3),
    (4, "S", 6),
    (5, "P", 4),
    (5, "V", 6),
    (6, "E", 7),
]
STEP = {(state, symbol): target for state, symbol, target in ARCS}
KNOWN = ["BTSSXXTVVE", "BPVVE", "BTXXVPSE", "BPVPXVPXVPXVVE"]
GENERATORS = {"reber": make_reber, "embedded": make_embedded_reber}
VALIDATORS = {"reber": is_reber, "embedded": is_embedded_reber}


def _reber_language(max_length):
    """Every Reber string of at most ``max_length`` symbols, by breadth-first search."""
    found, frontier = set(), [("", 0)]
    while frontier:
        grown = []
        for prefix, state in frontier:
            for (source, symbol), target in STEP.items():
                if source != state or len(prefix) >= max_length:
                    continue
                if target == 7:
                    found.add(prefix + symbol)
                else:
                    grown.append((prefix + symbol, target))
        frontier = grown
    return found


def _accepts(string):
    """Whether ``string`` is a Reber string (the test's own automaton)."""
    state = 0
    for symbol in string:
        state = STEP.get((state, symbol))
        if state is None:
            return False
    return state == 7


def _viable(prefix, embedded):
    """Whether ``prefix`` starts some grammatical string (independent parser)."""
    if embedded:
        if prefix[:1] not in ("", "B") or prefix[1:2] not in ("", "T", "P"):
            return False
        inner, state = prefix[2:], 0
    else:
        inner, state = prefix, 0
    for position, symbol in enumerate(inner):
        if state == 7:  # the inner string is complete: only the wrap-up follows
            return embedded and inner[position:] in (prefix[1], prefix[1] + "E")
        state = STEP.get((state, symbol))
        if state is None:
            return False
    return True


def _legal_next(prefix, embedded):
    """Multi-hot of the symbols that can follow ``prefix``."""
    return np.array(
        [_viable(prefix + symbol, embedded) for symbol in REBER_ALPHABET], dtype=float
    )


def _mutations(string):
    """All single-symbol substitutions, deletions and insertions."""
    for i in range(len(string) + 1):
        if i < len(string):
            yield string[:i] + string[i + 1 :]
        for symbol in REBER_ALPHABET:
            yield string[:i] + symbol + string[i:]
            if i < len(string) and symbol != string[i]:
                yield string[:i] + symbol + string[i + 1 :]


LANGUAGE_12 = _reber_language(12)

# ---------------------------------------------------------------- validators


def test_alphabet_order():
    assert REBER_ALPHABET == "BTPSXVE"


@pytest.mark.parametrize("string", KNOWN)
def test_validators_accept_known_examples(string):
    assert is_reber(string)
    assert is_embedded_reber("BT" + string + "TE")
    assert is_embedded_reber("BP" + string + "PE")
    assert not is_embedded_reber(string)
    assert not is_reber("BT" + string + "TE")


@pytest.mark.parametrize("string", KNOWN)
def test_validators_reject_mutations_of_known_examples(string):
    for mutant in set(_mutations(string)) - {string}:
        assert is_reber(mutant) == _accepts(mutant), mutant
        for wrap in "TP":
            embedded = "B" + wrap + mutant + wrap + "E"
            assert is_embedded_reber(embedded) == is_reber(mutant), embedded


def test_validator_matches_the_enumerated_language():
    assert len(LANGUAGE_12) > 50
    assert {"BPVVE", "BTXSE"} <= LANGUAGE_12
    assert min(map(len, LANGUAGE_12)) == 5
    for string in LANGUAGE_12:
        assert is_reber(string)
        for mutant in _mutations(string):
            if len(mutant) <= 12:
                assert is_reber(mutant) == (mutant in LANGUAGE_12), mutant
    # Every string over the alphabet up to length 6 (about 140,000 strings).
    for length in range(7):
        for symbols in itertools.product(REBER_ALPHABET, repeat=length):
            string = "".join(symbols)
            assert is_reber(string) == (string in LANGUAGE_12)


@pytest.mark.parametrize(
    "string",
    ["", "B", "E", "BTE", "BPVVEE", "BPVV", "btssxxtvve", "BPVVE ", "BPVQE", "XBPVVE"],
)
def test_is_reber_rejects_malformed(string):
    assert not is_reber(string)


@pytest.mark.parametrize(
    "string",
    [
        "",
        "BTBPVVETE" + "E",
        "BTBPVVEPE",  # penultimate does not match the second symbol
        "BPBPVVETE",
        "BSBPVVESE",  # wrapper must be T or P
        "BTBPVVTE",  # inner string incomplete
        "TBPVVET",
        "BTBPVVET",
        "BTBPVVETEE",
        "BTBTBPVVETETE",  # nested twice
    ],
)
def test_is_embedded_reber_rejects(string):
    assert not is_embedded_reber(string)


@pytest.mark.parametrize("validator", [is_reber, is_embedded_reber])
def test_validators_need_a_str(validator):
    with pytest.raises(TypeError, match="must be a str"):
        validator(list("BPVVE"))


# ---------------------------------------------------------------- generators


def _decode(X):
    """One-hot rows back to strings, padding dropped."""
    out = []
    for row in X:
        steps = row[row.any(axis=1)]
        out.append("".join(REBER_ALPHABET[i] for i in steps.argmax(axis=1)))
    return out


@pytest.mark.parametrize("kind", ["reber", "embedded"])
def test_generated_strings_are_grammatical(kind):
    validate = VALIDATORS[kind]
    for seed in range(40):
        X, _, strings = GENERATORS[kind](
            100, task="next_symbol", return_strings=True, random_state=seed
        )
        assert all(map(validate, strings))
        assert _decode(X) == strings


@pytest.mark.parametrize("kind", ["reber", "embedded"])
def test_corrupted_strings_and_only_they_are_ungrammatical(kind):
    validate = VALIDATORS[kind]
    for seed in range(40):
        X, y, strings = GENERATORS[kind](100, return_strings=True, random_state=seed)
        assert [int(validate(s)) for s in strings] == y.tolist()
        assert _decode(X) == strings


def test_embedded_corruption_is_only_the_penultimate_symbol():
    _, y, strings = make_embedded_reber(400, return_strings=True, random_state=3)
    for string, label in zip(strings, y, strict=True):
        assert string[1] in "TP" and string[-2] in "TP"
        assert (string[-2] == string[1]) == bool(label)
        assert is_reber(string[2:-2])  # the embedded string itself is intact
        repaired = string[:-2] + string[1] + "E"
        assert is_embedded_reber(repaired)


def test_plain_corruption_swaps_the_penultimate_symbol():
    _, y, strings = make_reber(400, return_strings=True, random_state=3)
    swap = {"S": "V", "V": "S"}
    for string, label in zip(strings, y, strict=True):
        assert string[-2] in "SV"
        if not label:
            assert is_reber(string[:-2] + swap[string[-2]] + "E")


@pytest.mark.parametrize("kind", ["reber", "embedded"])
@pytest.mark.parametrize("task", ["classification", "next_symbol"])
def test_shapes_front_padding_and_final_e(kind, task):
    X, y, strings = GENERATORS[kind](60, task=task, return_strings=True, random_state=1)
    lengths = np.array([len(s) for s in strings])
    n_steps = lengths.max()
    assert X.shape == (60, n_steps, 7) and X.dtype == np.float64
    assert len(np.unique(lengths)) > 1  # some rows are padded
    # Every real step is one-hot; padding is all-zero and comes first.
    real = X.any(axis=2)
    np.testing.assert_array_equal(X.sum(axis=2), real)
    np.testing.assert_array_equal(
        real, np.arange(n_steps) >= (n_steps - lengths)[:, None]
    )
    # One-hot order B, T, P, S, X, V, E: the first real step is B, the last E.
    np.testing.assert_array_equal(X[:, -1], np.eye(7)[np.full(60, 6)])
    first = X[np.arange(60), n_steps - lengths]
    np.testing.assert_array_equal(first, np.eye(7)[np.zeros(60, dtype=int)])
    if task == "classification":
        assert y.shape == (60,) and y.dtype.kind == "i"
    else:
        assert y.shape == X.shape and y.dtype == np.float64


@pytest.mark.parametrize("kind", ["reber", "embedded"])
def test_next_symbol_targets_are_the_legal_next_symbols(kind):
    embedded = kind == "embedded"
    X, y, strings = GENERATORS[kind](
        150, task="next_symbol", return_strings=True, random_state=7
    )
    n_steps = X.shape[1]
    for row, string in enumerate(strings):
        pad = n_steps - len(string)
        assert not y[row, :pad].any()  # zero on padding
        for i in range(len(string)):
            expected = _legal_next(string[: i + 1], embedded)
            np.testing.assert_array_equal(y[row, pad + i], expected)
        assert not y[row, -1].any()  # nothing follows the final E
    if embedded:  # after the inner E only the remembered wrapper is legal
        string = strings[0]
        np.testing.assert_array_equal(
            y[0, -3], np.eye(7)[REBER_ALPHABET.index(string[1])]
        )


@pytest.mark.parametrize("kind", ["reber", "embedded"])
@pytest.mark.parametrize("task", ["classification", "next_symbol"])
def test_determinism(kind, task):
    make = GENERATORS[kind]
    first = make(50, task=task, return_strings=True, random_state=11)
    second = make(
        50, task=task, return_strings=True, random_state=np.random.RandomState(11)
    )
    other = make(50, task=task, return_strings=True, random_state=12)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[2] != other[2]


@pytest.mark.parametrize("kind", ["reber", "embedded"])
@pytest.mark.parametrize("n_samples", [1, 2, 101, 1000])
def test_balanced_shuffled_labels(kind, n_samples):
    _, y = GENERATORS[kind](n_samples, random_state=0)
    assert set(np.unique(y)) <= {0, 1}
    assert (y == 0).sum() == n_samples // 2
    if n_samples > 100:  # shuffled, not sorted by class
        assert 0 < np.flatnonzero(y == 0).mean() / n_samples < 1
        assert np.any(np.diff(y) > 0) and np.any(np.diff(y) < 0)


@pytest.mark.parametrize("kind", ["reber", "embedded"])
def test_return_strings_false(kind):
    result = GENERATORS[kind](5, random_state=0)
    assert isinstance(result, tuple) and len(result) == 2


@pytest.mark.parametrize("kind", ["reber", "embedded"])
def test_max_length_fixes_the_number_of_steps(kind):
    make, validate = GENERATORS[kind], VALIDATORS[kind]
    X, y, strings = make(
        300, task="next_symbol", max_length=12, return_strings=True, random_state=0
    )
    assert X.shape == y.shape == (300, 12, 7)
    assert max(map(len, strings)) <= 12 and all(map(validate, strings))
    X_test, _ = make(5, max_length=12, random_state=1)
    assert X_test.shape == (5, 12, 7)
    # Longer than anything drawn: pure front padding.
    X_long, _ = make(5, max_length=200, random_state=1)
    assert X_long.shape == (5, 200, 7) and not X_long[:, :100].any()


@pytest.mark.parametrize(("kind", "shortest"), [("reber", 5), ("embedded", 9)])
def test_parameter_errors(kind, shortest):
    make = GENERATORS[kind]
    make(3, max_length=shortest, random_state=0)  # the shortest is allowed
    with pytest.raises(ValueError, match=r"'max_length' parameter .* must be"):
        make(3, max_length=shortest - 1)
    with pytest.raises(ValueError, match=r"'max_length' parameter .* must be"):
        make(3, max_length=10.5)
    with pytest.raises(ValueError, match=r"'task' parameter .* must be a str among"):
        make(3, task="regression")
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match=r"'n_samples' parameter .* an int"):
            make(bad)
