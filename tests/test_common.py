"""scikit-learn's estimator checks, with nothing excused.

For both estimators: every solver, a hidden layer with the default L-BFGS (whose preconditioner is
a continuous function of the data, so that integer weights and repeated rows
follow the same path and ``check_sample_weight_equivalence_on_dense_data``
holds), two hidden layers with ``sgd``, a sigmoid output (regressor) and
``class_weight="balanced"`` (classifier). The Poisson
loss is left out because ``check_regressor_multioutput`` draws negative
targets whatever the ``positive_only`` tag says; ``tests/test_training.py``
covers it.
"""

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sknn_neuron import NeuronClassifier, NeuronRegressor

pytestmark = pytest.mark.slow

CONFIGURATIONS = [
    NeuronRegressor(),
    NeuronRegressor(solver="sgd"),
    NeuronRegressor(solver="adam"),
    NeuronRegressor(hidden_layer_sizes=(8,)),
    NeuronRegressor(hidden_layer_sizes=(8, 4), solver="sgd"),
    NeuronRegressor(activation="sigmoid"),
    NeuronClassifier(),
    NeuronClassifier(solver="sgd"),
    NeuronClassifier(solver="adam"),
    NeuronClassifier(hidden_layer_sizes=(8,)),
    NeuronClassifier(class_weight="balanced"),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", CONFIGURATIONS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
