"""The estimator base: a new estimator is a short class (CONTRIBUTING.md).

The regressor below is the one CONTRIBUTING.md shows, written only with the
base's hooks; it must pass scikit-learn's estimator checks and train as
the engine says it does.
"""

import warnings
from typing import ClassVar

import numpy as np
import pytest
from sklearn.base import RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted, validate_data

from skentropy._base import (
    BaseStochasticEstimator,
    check_hidden_layer_sizes,
    store_init_params,
)
from skentropy._engine import LOSSES, FeedForwardNetwork


class EntropyRegressor(RegressorMixin, BaseStochasticEstimator):
    """MLP regressor minimising the entropy of its errors (a test double)."""

    _parameter_constraints: ClassVar[dict] = {
        **BaseStochasticEstimator._parameter_constraints,
        "hidden_layer_sizes": ["array-like"],
        "solver": [StrOptions({"sgd", "adam"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(8,),
        *,
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=100,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
    ):
        store_init_params(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        return self._fit(X, y, sample_weight, incremental=False)

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        network = self._build_network(X, None)
        return network.logits(self.params_, X)[:, 0] + self.offset_

    def _validate_fit_data(self, X, y, sample_weight, *, incremental, reset):
        X, y = validate_data(
            self, X, y, y_numeric=True, dtype=(np.float64, np.float32), reset=reset
        )
        Y = y.reshape(-1, 1).astype(X.dtype, copy=False)
        return X, Y, self._check_sample_weight(sample_weight, X)

    def _build_network(self, X, Y):
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        return FeedForwardNetwork([X.shape[1], *hidden, 1], "relu", "identity")

    def _loss(self):
        return LOSSES["eem_samples"], {"kernel_width": 1.0}

    def _fitted_params(self, network, dtype):
        return self.params_.astype(dtype, copy=True)

    def _set_fitted_params(self, network, params):
        self.params_ = params

    def _validation_score(self, network, params, X_val, Y_val, w_val, train):
        return r2_score(Y_val, network.logits(params, X_val), sample_weight=w_val)

    def _finish_training(self, network, params, X, Y, sample_weight):
        errors = (Y - network.logits(params, X))[:, 0]
        self.offset_ = float(np.average(errors, weights=sample_weight))


@parametrize_with_checks([EntropyRegressor(max_iter=30)])
def test_a_short_class_on_the_base_is_a_scikit_learn_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_the_base_trains_with_the_engine():
    # One full-batch plain-SGD epoch is params - lr * grad of the engine's
    # objective at the initial weights, drawn from the same seed.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    est = EntropyRegressor(
        solver="sgd", momentum=0.0, batch_size=20, max_iter=1, shuffle=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_params(random_state=0).fit(X, y)
    network = FeedForwardNetwork([3, 8, 1], "relu", "identity")
    params = network.init_params(np.random.RandomState(0), np.float64)
    grad = np.empty_like(params)
    network.loss_grad(
        params,
        X,
        y[:, None],
        grad,
        LOSSES["eem_samples"],
        loss_params={"kernel_width": 1.0},
    )
    np.testing.assert_allclose(est.params_, params - 0.01 * grad, rtol=1e-12)


def test_warm_start_refuses_another_network():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = EntropyRegressor(max_iter=2, warm_start=True).fit(X, y)
        est.set_params(hidden_layer_sizes=(5,))
        with pytest.raises(ValueError, match="need the same network"):
            est.fit(X, y)
