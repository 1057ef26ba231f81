"""NeuronRegressor inside scikit-learn's workflows: searches, cross-validation,
pipelines, parallel backends, metadata routing, and forked processes."""

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV, cross_validate, learning_curve
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import sknn_neuron
from sknn_neuron import NeuronRegressor, _fork


def _data(n_samples=120, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = X @ rng.uniform(1, 3, n_features) + 0.5 + rng.normal(0, 0.3, n_samples)
    return X, y


def _pipe(**params):
    model = NeuronRegressor(solver="sgd", max_iter=15, random_state=0, **params)
    return Pipeline([("scale", StandardScaler()), ("model", model)])


CV = KFold(3, shuffle=True, random_state=0)


def _grid_search(X, y):
    search = GridSearchCV(_pipe(), {"model__learning_rate_init": [0.003, 0.03]}, cv=CV)
    return search.fit(X, y).cv_results_["mean_test_score"]


def _randomized_search(X, y):
    grid = {"model__learning_rate_init": [0.001, 0.003, 0.01, 0.03], "model__alpha": [1e-4, 1e-2]}
    search = RandomizedSearchCV(_pipe(), grid, n_iter=2, cv=CV, random_state=0)
    return search.fit(X, y).cv_results_["mean_test_score"]


def _cross_validate(X, y):
    results = cross_validate(_pipe(), X, y, cv=CV, return_estimator=True)
    coefs = [fitted["model"].coef_ for fitted in results["estimator"]]
    return np.concatenate([results["test_score"], *coefs])


def _learning_curve(X, y):
    _, train_scores, test_scores = learning_curve(_pipe(), X, y, train_sizes=[0.5, 1.0], cv=CV)
    return np.concatenate([train_scores.ravel(), test_scores.ravel()])


WORKFLOWS = [_grid_search, _randomized_search, _cross_validate, _learning_curve]


def _run(workflow, X, y, backend):
    if backend == "sequential":
        return workflow(X, y)
    if backend == "loky":
        with joblib.parallel_backend("loky", n_jobs=2):
            return workflow(X, y)
    with joblib.parallel_backend("threading", n_jobs=2):
        return workflow(X, y)


@pytest.fixture(scope="module")
def sequential_results():
    X, y = _data()
    return {workflow.__name__: workflow(X, y) for workflow in WORKFLOWS}


@pytest.mark.parametrize("backend", ["loky", "threading"])
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda f: f.__name__.strip("_"))
def test_parallel_workflow_equals_sequential(workflow, backend, sequential_results):
    X, y = _data()
    results = _run(workflow, X, y, backend)
    assert np.all(np.isfinite(results))
    assert_array_equal(results, sequential_results[workflow.__name__])


def test_grid_search_compares_neuron_with_linear_regression():
    X, y = _data()
    pipe = Pipeline([("scale", StandardScaler()), ("model", LinearRegression())])
    grid = [
        {"model": [LinearRegression()]},
        {"model": [NeuronRegressor(random_state=0, alpha=0.0)]},
        {"model": [NeuronRegressor(solver="sgd", max_iter=15, random_state=0)], "model__learning_rate_init": [0.01]},
    ]
    search = GridSearchCV(pipe, grid, cv=CV, n_jobs=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    # With no penalty, the identity neuron solved by L-BFGS is least squares.
    assert_allclose(scores[1], scores[0], rtol=1e-6)
    assert scores[2] > 0.9
    assert isinstance(search.best_estimator_["model"], (LinearRegression, NeuronRegressor))


def test_set_params_through_pipeline_reaches_the_model():
    pipe = _pipe().set_params(model__learning_rate_init=0.05, model__max_iter=7)
    assert pipe.named_steps["model"].learning_rate_init == 0.05
    X, y = _data()
    pipe.fit(X, y)
    assert pipe["model"].n_iter_ == 7


def test_clone_of_a_fitted_pipeline_is_unfitted_and_refits_identically():
    X, y = _data()
    pipe = _pipe(learning_rate_init=0.02).fit(X, y)
    copy = clone(pipe)
    assert not hasattr(copy["model"], "coefs_")
    assert copy.get_params()["model__learning_rate_init"] == 0.02
    copy.set_params(model__learning_rate_init=0.01)
    assert pipe["model"].learning_rate_init == 0.02
    copy.set_params(model__learning_rate_init=0.02).fit(X, y)
    assert_array_equal(copy.predict(X), pipe.predict(X))


def _weighted_pipe():
    model = NeuronRegressor(random_state=0, tol=1e-10)
    model.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
    return Pipeline([("scale", StandardScaler().set_fit_request(sample_weight=True)), ("model", model)])


def _half_weights(n_samples):
    weights = np.zeros(n_samples)
    weights[: n_samples // 2] = 1.0
    return weights


def test_sample_weight_is_routed_through_pipeline_and_grid_search():
    X, y = _data()
    y[60:] += 5.0 * X[60:, 0]  # the second half follows another model
    weights = _half_weights(len(y))
    with config_context(enable_metadata_routing=True):
        half = _weighted_pipe().fit(X[:60], y[:60]).predict(X)
        weighted = _weighted_pipe().fit(X, y, sample_weight=weights).predict(X)
        unweighted = _weighted_pipe().fit(X, y).predict(X)
        search = GridSearchCV(_weighted_pipe(), {"model__alpha": [0.0, 1e-2]}, cv=CV)
        searched = search.fit(X, y, sample_weight=weights).predict(X)
        best_half = _weighted_pipe().set_params(**search.best_params_).fit(X[:60], y[:60]).predict(X)
    assert_allclose(weighted, half, rtol=1e-6, atol=1e-6)
    assert_allclose(searched, best_half, rtol=1e-6, atol=1e-6)
    assert np.abs(unweighted - half).max() > 1.0


def test_sample_weight_is_routed_through_cross_validate():
    X, y = _data()
    y[60:] += 5.0 * X[60:, 0]
    weights = _half_weights(len(y))
    with config_context(enable_metadata_routing=True):
        results = cross_validate(
            _weighted_pipe(), X, y, params={"sample_weight": weights}, cv=CV,
            return_estimator=True, return_indices=True,
        )  # fmt: skip
        for fitted, train in zip(results["estimator"], results["indices"]["train"]):
            expected = _weighted_pipe().fit(X[train], y[train], sample_weight=weights[train])
            assert_array_equal(fitted.predict(X), expected.predict(X))
        unweighted = _weighted_pipe().fit(X[train], y[train])
    assert np.abs(fitted.predict(X) - unweighted.predict(X)).max() > 1.0


def test_sample_weight_needs_a_request_when_routing():
    X, y = _data()
    with config_context(enable_metadata_routing=True), pytest.raises(Exception, match="sample_weight"):
        cross_validate(_pipe(), X, y, params={"sample_weight": np.ones(len(y))}, cv=CV)


def test_fit_refuses_to_run_in_a_fork_of_a_process_that_used_jax(monkeypatch):
    X, y = _data()
    reg = NeuronRegressor(random_state=0).fit(X, y)
    coef = reg.coef_.copy()
    monkeypatch.setattr(_fork, "_runtime_pid", os.getpid() + 1)  # as if forked
    with pytest.raises(RuntimeError, match="forked from process .* after JAX had started"):
        reg.fit(X, 2 * y)
    assert_array_equal(reg.coef_, coef)
    assert_array_equal(reg.predict(X), X @ coef + reg.intercept_)


FORKED_WORKERS = """
import joblib, numpy as np
import jax.numpy as jnp
from sknn_neuron import NeuronRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(50, 2))
y = X @ [1.0, 2.0]

def fit(seed):
    return NeuronRegressor(random_state=seed).fit(X, y).coef_

def fit_in_forked_workers(when):
    try:
        with joblib.parallel_backend("multiprocessing", n_jobs=2):
            joblib.Parallel()(joblib.delayed(fit)(seed) for seed in range(2))
        print(when, "fitted")
    except RuntimeError as exc:
        print(when, "RuntimeError:", exc)

fit_in_forked_workers("before JAX:")
jnp.zeros(2).block_until_ready()  # JAX started by other code
fit_in_forked_workers("after jax.numpy:")
reg = NeuronRegressor().fit(X, y)
fit_in_forked_workers("after fit:")
with joblib.parallel_backend("multiprocessing", n_jobs=2):
    forked = joblib.Parallel()(joblib.delayed(reg.predict)(X[:3]) for _ in range(2))
print("predict:", all(np.array_equal(p, reg.predict(X[:3])) for p in forked))
"""


@pytest.mark.slow
@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_forked_workers_raise_instead_of_hanging():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(sknn_neuron.__file__).parents[1]), env.get("PYTHONPATH", "")])
    # A hang would be the bug: the timeout turns it into a failure.
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FORKED_WORKERS)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "before JAX: fitted"
    for line in lines[1:3]:
        assert "RuntimeError: NeuronRegressor cannot train in process" in line
        assert "forked from process" in line and "'loky'" in line
    assert lines[3] == "predict: True"
