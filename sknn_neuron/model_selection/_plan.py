"""Which searches vectorize, and how their candidates group.

A candidate's neuron has traced hyperparameters (learning rate, alpha,
tol...: inputs of the compiled program) and static settings (layer sizes,
solver, activation, batch size...: they change the program). Candidates
whose static settings and preceding pipeline steps agree form a group,
trained in one program.
"""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.pipeline import Pipeline

from .._base import BaseNeuron

# The compiled programs' traced hyperparameters (``_train.HYPERPARAMETERS``),
# kept here so that planning a search does not import JAX.
TRACED = frozenset({
    "learning_rate_init", "alpha", "l1_ratio", "huber_delta", "momentum", "beta_1", "beta_2", "epsilon",
    "power_t", "tol", "n_iter_no_change", "fit_intercept",
})  # fmt: skip


def final_neuron(estimator):
    """The neuron ``estimator`` is or ends in, and the name of its step (``None`` if bare)."""
    if isinstance(estimator, Pipeline) and estimator.steps:
        name, last = estimator.steps[-1]
        return (last, name) if isinstance(last, BaseNeuron) else (None, None)
    return (estimator, None) if isinstance(estimator, BaseNeuron) else (None, None)


def why_not_vectorized(estimator, X, candidates, fit_params):
    """Why the search must fit its candidates one by one, or ``None`` if it need not."""
    neuron, step = final_neuron(estimator)
    if neuron is None:
        return f"{type(estimator).__name__} is not a NeuronRegressor, a NeuronClassifier or a Pipeline ending in one"
    if sparse.issparse(X):
        return "X is sparse"
    if getattr(neuron, "_skl_callbacks", None) or getattr(estimator, "_skl_callbacks", None):
        return "callbacks report on each fit"
    allowed = {"sample_weight"} if step is None else set()
    if set(fit_params) - allowed:
        return f"fit parameters {sorted(set(fit_params) - allowed)} are passed"
    for params in candidates:
        for name, value in params.items():
            if isinstance(value, BaseEstimator) or (step is not None and name == step):
                return f"candidates set the estimator {name!r} itself"
    return None


def group_key(neuron_params, candidate, step):
    """What the candidates of one group share: preceding steps' settings and the neuron's static ones."""
    static = sorted((k, repr(v)) for k, v in neuron_params.items() if k not in TRACED)
    return repr((preceding_key(candidate, step), static))


def preceding_key(candidate, step):
    """The candidate's settings of the steps before the neuron."""
    if step is None:
        return "()"
    return repr(sorted((k, repr(v)) for k, v in candidate.items() if not k.startswith(f"{step}__")))


def default_score(estimator):
    """``metric(y, predictions)`` giving ``estimator.score``, or ``None`` if its score is not the mixin's.

    The metric returns ``None`` where it would not equal scikit-learn's
    (constant targets, for R^2).
    """
    if type(estimator).score is RegressorMixin.score:
        return _r2
    if type(estimator).score is ClassifierMixin.score:
        return _accuracy
    return None


def _r2(y, predictions):
    """``r2_score(y, predictions)``: scikit-learn's sums, its uniform average of outputs."""
    y = np.asarray(y)
    if y.dtype.kind not in "fiu" or y.shape[0] != predictions.shape[0]:
        return None
    y, predictions = y.reshape(len(y), -1), predictions.reshape(len(y), -1)
    numerator = ((y - predictions) ** 2).sum(axis=0, dtype=np.float64)
    denominator = ((y - np.average(y, axis=0)) ** 2).sum(axis=0, dtype=np.float64)
    if not np.all(denominator != 0):
        return None
    return float(np.average(1 - numerator / denominator))


def _accuracy(y, predictions):
    """``accuracy_score(y, predictions)``: the share of rows (all of a row's labels) predicted right."""
    y = np.asarray(y)
    if y.shape != predictions.shape:
        return None
    right = y == predictions
    return float(np.average(right if right.ndim == 1 else right.all(axis=1)))
