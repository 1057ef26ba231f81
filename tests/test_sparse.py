"""Sparse X: trained without densifying, with the dense fit's answers.

A sparse matrix trains as its stored entries (``_sparse.SparseRows``) and
predicts through scipy's sparse-dense product; every result must equal the
dense fit's to rounding. L-BFGS preconditions sparse data by column scaling
where dense data of a few features are whitened, so the two paths meet at
the optimum: those fits run to a tight ``tol``.
"""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sknn_neuron import NeuronClassifier, NeuronRegressor

from _assertions import assert_bitwise_equal

FORMATS = {"csr_matrix": sp.csr_matrix, "csc_matrix": sp.csc_matrix, "csr_array": sp.csr_array}
SOLVERS = {
    "lbfgs": {"tol": 1e-12, "max_iter": 1000},
    "sgd": {"solver": "sgd", "max_iter": 5, "batch_size": 16},
    "adam": {"solver": "adam", "max_iter": 5, "batch_size": 16},
}


def _data(n_samples=60, n_features=8, seed=0):
    """A sparse design (30 % stored, shifted values) and a linear target."""
    rng = np.random.default_rng(seed)
    X = sp.random(n_samples, n_features, density=0.3, format="csr", random_state=rng, dtype=np.float64)
    X.data = 3.0 * X.data + 1.0
    y = X @ rng.normal(size=n_features) + 0.5 + 0.01 * rng.normal(size=n_samples)
    return X, y


def _fit_quietly(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(*args, **kwargs)


def _make(kind, solver, **params):
    estimator = NeuronRegressor if kind == "regressor" else NeuronClassifier
    return estimator(random_state=0, **{**SOLVERS[solver], **params})


def _targets(kind, y):
    return y if kind == "regressor" else (y > np.median(y)).astype(int)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sparse_fit_equals_dense_fit(kind, solver, fmt):
    X, y = _data()
    y = _targets(kind, y)
    sparse_fit = _fit_quietly(_make(kind, solver), FORMATS[fmt](X), y)
    dense_fit = _fit_quietly(_make(kind, solver), X.toarray(), y)
    assert_allclose(sparse_fit.coefs_[0], dense_fit.coefs_[0], rtol=0, atol=1e-9)
    method = "predict" if kind == "regressor" else "predict_proba"
    assert_allclose(
        getattr(sparse_fit, method)(FORMATS[fmt](X)), getattr(dense_fit, method)(X.toarray()), rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_hidden_layer_sparse_fit_equals_dense_fit(kind):
    X, y = _data()
    y = _targets(kind, y)
    sparse_fit = _fit_quietly(_make(kind, "sgd", hidden_layer_sizes=(5,)), X, y)
    dense_fit = _fit_quietly(_make(kind, "sgd", hidden_layer_sizes=(5,)), X.toarray(), y)
    for W_sparse, W_dense in zip(sparse_fit.coefs_, dense_fit.coefs_):
        assert_allclose(W_sparse, W_dense, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_sparse_partial_fit_equals_dense_partial_fit(kind, solver):
    X, y = _data()
    y = _targets(kind, y)
    extra = {} if kind == "regressor" else {"classes": np.unique(y)}
    sparse_fit, dense_fit = _make(kind, solver), _make(kind, solver)
    for _ in range(3):
        sparse_fit.partial_fit(sp.csr_array(X), y, **extra)
        dense_fit.partial_fit(X.toarray(), y, **extra)
    assert_allclose(sparse_fit.coefs_[0], dense_fit.coefs_[0], rtol=0, atol=1e-10)
    assert_allclose(sparse_fit.intercepts_[0], dense_fit.intercepts_[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_predict_and_score_of_sparse_equal_those_of_dense(fmt):
    X, y = _data()
    regressor = _fit_quietly(NeuronRegressor(hidden_layer_sizes=(4,), random_state=0), X.toarray(), y)
    assert_allclose(regressor.predict(FORMATS[fmt](X)), regressor.predict(X.toarray()), rtol=0, atol=1e-12)
    assert regressor.score(FORMATS[fmt](X), y) == pytest.approx(regressor.score(X.toarray(), y), abs=1e-12)
    labels = _targets("classifier", y)
    classifier = _fit_quietly(NeuronClassifier(random_state=0), X.toarray(), labels)
    assert_allclose(
        classifier.decision_function(FORMATS[fmt](X)), classifier.decision_function(X.toarray()), rtol=0, atol=1e-12
    )
    assert classifier.score(FORMATS[fmt](X), labels) == classifier.score(X.toarray(), labels)


def test_sparse_float32_trains_in_float32():
    X, y = _data()
    estimator = _fit_quietly(NeuronRegressor(), X.astype(np.float32), y)
    assert estimator.coefs_[0].dtype == np.float32
    assert estimator.predict(X.astype(np.float32)).dtype == np.float32
    assert estimator.score(X.astype(np.float32), y) > 0.99


def test_sparse_sample_weight_equals_dense_sample_weight():
    X, y = _data()
    weight = np.random.default_rng(1).integers(0, 3, X.shape[0]).astype(float)  # zeros dropped
    sparse_fit = _fit_quietly(_make("regressor", "sgd"), X, y, sample_weight=weight)
    dense_fit = _fit_quietly(_make("regressor", "sgd"), X.toarray(), y, sample_weight=weight)
    assert_allclose(sparse_fit.coefs_[0], dense_fit.coefs_[0], rtol=0, atol=1e-10)


def test_sparse_early_stopping_equals_dense_early_stopping():
    X, y = _data(n_samples=200)
    params = {"early_stopping": True, "max_iter": 8}
    sparse_fit = _fit_quietly(_make("regressor", "sgd", **params), X, y)
    dense_fit = _fit_quietly(_make("regressor", "sgd", **params), X.toarray(), y)
    assert_allclose(sparse_fit.validation_scores_, dense_fit.validation_scores_, rtol=0, atol=1e-10)


def test_explicit_zeros_and_duplicates_count_as_their_values():
    X, y = _data()
    coo = X.tocoo()
    # Each entry stored twice at half its value, and explicit zeros beside.
    rows = np.r_[coo.row, coo.row, np.arange(X.shape[0])]
    cols = np.r_[coo.col, coo.col, np.zeros(X.shape[0], int)]
    values = np.r_[coo.data / 2, coo.data / 2, np.zeros(X.shape[0])]
    redundant = sp.csr_matrix((values, (rows, cols)), shape=X.shape)
    redundant.has_canonical_format = False
    fitted = _fit_quietly(_make("regressor", "sgd"), redundant, y)
    expected = _fit_quietly(_make("regressor", "sgd"), X, y)
    assert_allclose(fitted.coefs_[0], expected.coefs_[0], rtol=0, atol=1e-10)


def test_wide_sparse_data_train_without_densifying():
    # Dense, X would take 16 GB: only its 4,000 stored entries are ever held.
    rng = np.random.default_rng(0)
    X = sp.random(2_000, 1_000_000, density=2e-6, format="csr", random_state=rng)
    y = X @ rng.normal(size=X.shape[1])
    for params in ({}, {"solver": "sgd", "max_iter": 3}):
        estimator = _fit_quietly(NeuronRegressor(**params), X, y)
        assert estimator.coefs_[0].shape == (1_000_000, 1)
        assert np.all(np.isfinite(estimator.predict(X)))


def _with_nan(X):
    X = X.copy()
    X.data[0] = np.nan
    return X


@pytest.mark.parametrize(
    "method, X_bad, match",
    [
        ("fit", _with_nan(_data()[0]), "Input X contains NaN"),
        ("partial_fit", _with_nan(_data()[0]), "Input X contains NaN"),
        ("partial_fit", _data()[0][:, :7], "X has 7 features, but NeuronRegressor is expecting 8"),
    ],
    ids=["fit-nan", "partial_fit-nan", "partial_fit-features"],
)
def test_refused_sparse_call_leaves_the_model_as_it_was(method, X_bad, match):
    X, y = _data()
    estimator = _fit_quietly(NeuronRegressor(solver="sgd", max_iter=3, random_state=0), X, y)
    before = copy.deepcopy(estimator.__dict__)
    with pytest.raises(ValueError, match=match):
        getattr(estimator, method)(X_bad, y)
    assert_bitwise_equal(before, estimator.__dict__)
