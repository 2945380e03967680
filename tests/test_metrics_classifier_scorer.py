"""The probability error-entropy scorer for classifiers (issue 13, item 4)."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skentropy import MinEntMLPClassifier
from skentropy.metrics import (
    ProbaErrorEntropyScorer,
    get_scorer,
    get_scorer_names,
    neg_proba_error_entropy_scorer,
)


def _entropy_by_double_loop(errors, width):
    """Renyi's quadratic entropy of the Parzen estimate, pairwise width s."""
    n, d = errors.shape
    total = 0.0
    for i in range(n):
        for j in range(n):
            u = errors[i] - errors[j]
            total += (2 * math.pi * width**2) ** (-d / 2) * math.exp(
                -float(u @ u) / (2 * width**2)
            )
    return -math.log(total / n**2)


def _data(labels):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.array(labels)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    return X, y


@pytest.mark.parametrize(
    "labels", [[0, 1, 2], ["cat", "dog", "emu"], ["no", "no", "yes"]]
)
def test_score_is_the_negated_entropy_of_onehot_minus_proba(labels):
    X, y = _data(labels)
    model = LogisticRegression().fit(X, y)
    proba = model.predict_proba(X)
    onehot = (y[:, None] == model.classes_[None, :]).astype(float)
    expected = -_entropy_by_double_loop(onehot - proba, 0.3)
    score = ProbaErrorEntropyScorer(kernel_width=0.3)(model, X, y)
    assert score == pytest.approx(expected, rel=1e-10)


def test_by_name_and_in_cross_validate_with_string_labels():
    X, y = _data(["cat", "dog", "emu"])
    assert "neg_proba_error_entropy" in get_scorer_names()
    scorer = get_scorer("neg_proba_error_entropy")
    assert scorer is not neg_proba_error_entropy_scorer  # a fresh copy
    model = make_pipeline(StandardScaler(), LogisticRegression())
    result = cross_validate(
        model, X, y, cv=3, scoring={"entropy": scorer, "accuracy": "accuracy"}
    )
    assert np.isfinite(result["test_entropy"]).all()
    # The scorer, fold by fold, against the fitted folds by hand.
    result = cross_validate(
        model, X, y, cv=3, scoring={"entropy": scorer}, return_estimator=True,
        return_indices=True,
    )  # fmt: skip
    for fitted, test, score in zip(
        result["estimator"],
        result["indices"]["test"],
        result["test_entropy"],
        strict=True,
    ):
        assert score == pytest.approx(scorer(fitted, X[test], y[test]))


def test_selects_the_better_classifier_in_a_grid_search():
    X, y = _data([0, 1, 2])
    search = GridSearchCV(
        MinEntMLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0),
        {"alpha": [1e-4, 1e3]},  # the huge penalty flattens predict_proba
        scoring=neg_proba_error_entropy_scorer,
        cv=3,
    ).fit(X, y)
    assert search.best_params_["alpha"] == 1e-4


def test_labels_the_model_never_saw_are_refused_by_name():
    X, y = _data([0, 1, 2])
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"not fitted on.*7"):
        neg_proba_error_entropy_scorer(model, X[:3], np.array([0, 7, 1]))
