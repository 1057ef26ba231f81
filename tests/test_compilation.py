"""How often fitting compiles: once per program and shape, never per value.

Hyperparameters are inputs of the compiled programs and row counts are padded
to shape buckets, so refits, grid searches and cross-validation folds reuse
the programs they have already compiled.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknn_neuron import NeuronClassifier, NeuronRegressor
from sknn_neuron._shapes import padded_rows


def _data(n_samples, n_features=5, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_samples, n_features)).astype(dtype)
    y = X @ rng.uniform(-1, 1, size=n_features) + 0.5 + rng.normal(0, 0.1, size=n_samples)
    return X, y.astype(dtype)


@pytest.mark.parametrize(
    "new_params",
    [{"learning_rate_init": 0.05}, {"alpha": 0.1}, {"momentum": 0.5}, {"learning_rate_init": 0.002, "alpha": 1e-6}],
    ids=repr,
)
def test_sgd_refit_with_new_hyperparameters_compiles_nothing(count_compilations, new_params):
    X, y = _data(300)
    NeuronRegressor(solver="sgd", max_iter=5, random_state=0).fit(X, y)
    X_new, y_new = _data(300, seed=1)
    with count_compilations() as compiled:
        NeuronRegressor(solver="sgd", max_iter=5, random_state=1, **new_params).fit(X_new, y_new)
    assert compiled.total == 0, compiled.names


def test_sgd_refits_stopping_at_other_epochs_compile_nothing(count_compilations):
    X, y = _data(300)
    params = {"solver": "sgd", "max_iter": 40, "n_iter_no_change": 2, "random_state": 0}
    NeuronRegressor(**params).fit(X, y)
    with count_compilations() as compiled:
        n_iter = {NeuronRegressor(tol=tol, **params).fit(X, y).n_iter_ for tol in (1e-1, 1e-2, 1e-3, 1e-4)}
    assert len(n_iter) > 1, "the fits should stop after different numbers of epochs"
    assert compiled.total == 0, compiled.names


def test_lbfgs_refit_with_new_alpha_compiles_nothing(count_compilations):
    X, y = _data(300)
    NeuronRegressor(alpha=1e-4).fit(X, y)
    with count_compilations() as compiled:
        norms = {round(float(np.linalg.norm(NeuronRegressor(alpha=a).fit(X, y).coef_)), 6) for a in (1e-3, 1e-1, 1.0)}
    assert len(norms) == 3, "each alpha should give its own weights"
    assert compiled.total == 0, compiled.names


def test_grid_search_compiles_the_training_program_at_most_twice(count_compilations):
    # Fresh feature count: no earlier test compiled these shapes.
    X, y = _data(500, n_features=6)
    grid = GridSearchCV(
        NeuronRegressor(solver="sgd", max_iter=5, random_state=0),
        {"learning_rate_init": [0.001, 0.003, 0.01, 0.03], "alpha": [1e-5, 1e-3, 1e-1]},
        cv=5,
    )
    with count_compilations() as compiled:
        grid.fit(X, y)
    n_fits = 5 * 12 + 1
    assert compiled.training <= 2, compiled.names
    assert compiled.total <= 2, compiled.summary()  # nothing else compiles either
    assert len(grid.cv_results_["mean_test_score"]) * 5 + 1 == n_fits


@pytest.mark.slow
def test_fits_of_many_sizes_compile_once_per_shape_bucket(count_compilations):
    sizes = np.random.RandomState(0).randint(50, 401, size=60)
    buckets = {padded_rows(int(n), min(200, int(n))) for n in sizes}
    assert len(buckets) < len(sizes) / 4, "the buckets should merge nearby sizes"
    with count_compilations() as compiled:
        for i, n in enumerate(sizes):
            X, y = _data(int(n), n_features=7, seed=i, dtype=np.float32)
            NeuronRegressor(solver="sgd", max_iter=2, random_state=i).fit(X, y)
    assert compiled.count("train_epochs") <= len(buckets), compiled.summary()
    assert compiled.total == compiled.count("train_epochs"), compiled.summary()


@pytest.mark.parametrize(
    "solver, grid",
    [
        ("sgd", {"learning_rate_init": [0.003, 0.03], "alpha": [1e-5, 1e-2], "momentum": [0.5, 0.9]}),
        ("adam", {"learning_rate_init": [0.003, 0.03], "alpha": [1e-5, 1e-2], "beta_1": [0.5, 0.9]}),
    ],
)
def test_grid_over_traced_hyperparameters_compiles_once(count_compilations, solver, grid):
    # Every fit on one data shape: all candidates share one program.
    X, y = _data(256, n_features=9)
    candidates = [dict(zip(grid, values)) for values in np.array(np.meshgrid(*grid.values())).T.reshape(-1, 3)]
    with count_compilations() as compiled:
        fits = [NeuronRegressor(solver=solver, max_iter=3, random_state=0, **p).fit(X, y) for p in candidates]
    assert len({tuple(np.round(f.coefs_[0].ravel(), 6)) for f in fits}) == len(candidates)
    assert compiled.total == 1, compiled.summary()


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_classifier_grid_search_compiles_the_training_program_at_most_twice(count_compilations, solver):
    X, y = _data(500, n_features=8)
    labels = np.digitize(y, np.quantile(y, [0.3, 0.7]))  # three classes
    grid = GridSearchCV(
        NeuronClassifier(solver=solver, max_iter=5, random_state=0),
        {"learning_rate_init": [0.001, 0.003, 0.01, 0.03], "alpha": [1e-5, 1e-3, 1e-1]},
        cv=5,
    )
    with count_compilations() as compiled, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, labels)
    assert compiled.training <= 2, compiled.names
    assert compiled.total <= 2, compiled.summary()
