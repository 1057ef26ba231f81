"""The estimators on a Dask cluster: grid search and out-of-core training.

A real ``LocalCluster`` of two worker processes stands in for a cluster of
machines: the estimator is pickled to the workers, JAX compiles there, and
the results come back as NumPy. The workers are *spawned* processes: this
one runs JAX, which does not survive ``os.fork()``, and it is never forked.
"""

import logging
import os
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold

from sknn_neuron import NeuronClassifier, NeuronRegressor

# One worker of pytest-xdist runs them all: one cluster, started once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

N_ROWS, N_FEATURES, CHUNK_ROWS = 20_000, 10, 2_000


_FORKS = []  # processes forked from this one (spawning a process does not count)
os.register_at_fork(before=lambda: _FORKS.append(os.getpid()))


@pytest.fixture(scope="module")
def client():
    n_forks = len(_FORKS)
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
    with cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        yield client
    assert len(_FORKS) == n_forks, "this process, where JAX runs, was forked"


def _small_regression():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + rng.normal(scale=0.1, size=150)
    return X, y


def _grid_search():
    param_grid = [
        {"solver": ["lbfgs"], "alpha": [1e-4, 1.0]},
        {"solver": ["sgd"], "alpha": [1e-4, 1.0], "max_iter": [30]},
    ]
    cv = KFold(3, shuffle=True, random_state=0)
    return GridSearchCV(NeuronRegressor(random_state=0), param_grid, cv=cv, refit=False)


def test_grid_search_on_dask_workers_equals_serial_search(client):
    X, y = _small_regression()
    serial = _grid_search().fit(X, y)

    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        on_dask = _grid_search().set_params(n_jobs=-1).fit(X, y)

    assert_allclose(on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-12)
    assert on_dask.best_params_ == serial.best_params_
    # joblib names each task "batch_of_<function>_<calls>_calls-<uuid>":
    # every (candidate, fold) fit ran in a worker process.
    workers = set(client.scheduler_info()["workers"])
    fits = [
        (int(match.group(1)), task["worker"])
        for task in stream.data
        if (match := re.match(r"batch_of__fit_and_score_(\d+)_calls", str(task["key"])))
    ]
    n_fits = len(serial.cv_results_["params"]) * serial.n_splits_
    assert sum(calls for calls, _ in fits) == n_fits
    assert {worker for _, worker in fits} <= workers


@pytest.fixture(scope="module")
def chunked_linear_data():
    X = da.random.RandomState(0).normal(size=(N_ROWS, N_FEATURES), chunks=(CHUNK_ROWS, N_FEATURES))
    X = X.astype(np.float32)
    y = X @ np.linspace(-1, 1, N_FEATURES, dtype=np.float32) + 0.5
    return X, y


def test_incremental_streams_chunks_through_partial_fit(client, chunked_linear_data):
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, y = chunked_linear_data
    model = Incremental(NeuronRegressor(solver="sgd", learning_rate_init=0.01, random_state=0), random_state=0)
    with distributed.get_task_stream(client) as stream:
        model.fit(X, y)

    reg = model.estimator_
    n_chunks = X.numblocks[0]
    assert len(reg.loss_curve_) == n_chunks  # one epoch per partial_fit call, one call per chunk
    assert reg.n_iter_ == 1  # the last call's epochs, as MLPRegressor
    assert reg.t_ == N_ROWS
    assert reg.coef_.dtype == np.float32
    X_test, y_test = dask.compute(X[:CHUNK_ROWS], y[:CHUNK_ROWS])
    assert r2_score(y_test, reg.predict(X_test)) > 0.9
    # dask-ml names the partial_fit tasks ("fit-<token>", chunk number).
    fit_tasks = [task for task in stream.data if isinstance(task["key"], tuple) and task["key"][0].startswith("fit-")]
    assert sorted(task["key"][1] for task in fit_tasks if task["key"][1] >= 0) == list(range(n_chunks))
    assert {task["worker"] for task in fit_tasks} <= set(client.scheduler_info()["workers"])


def test_incremental_equals_partial_fit_on_the_same_chunks(client, chunked_linear_data):
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, y = chunked_linear_data
    estimator = NeuronRegressor(solver="sgd", learning_rate_init=0.01, random_state=0)
    on_dask = Incremental(estimator, shuffle_blocks=False).fit(X, y).estimator_

    local = NeuronRegressor(**estimator.get_params())
    for X_chunk, y_chunk in zip(X.to_delayed().ravel(), y.to_delayed()):
        local.partial_fit(*dask.compute(X_chunk, y_chunk))

    assert len(on_dask.loss_curve_) == len(local.loss_curve_) == X.numblocks[0]
    assert_allclose(on_dask.loss_curve_, local.loss_curve_, rtol=1e-6)
    assert_allclose(on_dask.coef_, local.coef_, rtol=1e-6)


# ---------------------------------------------------------------- classifier
@pytest.fixture(scope="module")
def chunked_labels(chunked_linear_data):
    X, y = chunked_linear_data
    labels = np.array(["low", "mid", "high"])
    return X, da.map_blocks(lambda v: labels[np.digitize(v, [-0.5, 1.5])], y, dtype=object)


def test_classifier_streams_chunks_through_partial_fit(client, chunked_labels):
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, y = chunked_labels
    classes = np.array(["high", "low", "mid"])
    model = Incremental(NeuronClassifier(solver="sgd", random_state=0), shuffle_blocks=False)
    model.fit(X, y, classes=classes)  # given once, passed to every partial_fit call

    clf = model.estimator_
    assert_array_equal(clf.classes_, classes)
    assert len(clf.loss_curve_) == X.numblocks[0]
    local = NeuronClassifier(solver="sgd", random_state=0)
    for X_chunk, y_chunk in zip(X.to_delayed().ravel(), y.to_delayed()):
        local.partial_fit(*dask.compute(X_chunk, y_chunk), classes=classes)
    assert_allclose(clf.coefs_[0], local.coefs_[0], rtol=1e-6)
    X_test, y_test = dask.compute(X[:CHUNK_ROWS], y[:CHUNK_ROWS])
    assert clf.score(X_test, y_test) > 0.9


def test_classifier_grid_search_on_dask_workers_equals_serial_search(client):
    X, y = _small_regression()
    labels = np.digitize(y, np.quantile(y, [0.33, 0.66]))

    def search():
        grid = {"alpha": [1e-4, 1e-1], "solver": ["lbfgs", "adam"]}
        return GridSearchCV(NeuronClassifier(max_iter=50, random_state=0), grid, cv=3, refit=False)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        serial = search().fit(X, labels)
        with joblib.parallel_backend("dask"):
            on_dask = search().set_params(n_jobs=-1).fit(X, labels)
    assert_allclose(on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-12)
    assert on_dask.best_params_ == serial.best_params_
