"""Properties that hold for any data: hypothesis draws shapes, dtypes, scales,
row orders, batchings and integer weights.

Fits are tiny (at most 16 rows: one shape bucket) and short, so the few
compiled programs are shared by all examples.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sknn_neuron import NeuronRegressor

FLOATS = st.sampled_from([np.float32, np.float64])
# predict is a NumPy forward pass: BLAS may sum a row in another order when
# the number of rows changes, so agreement is to rounding, not to the bit.
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def examples(n):
    """Run ``n`` examples, however long the first ones take to compile."""
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _fit(estimator, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y, sample_weight=sample_weight)


@st.composite
def problems(draw):
    """A tiny regression problem: X, y (1-D or 2-D), any scale and float dtype."""
    n_samples = draw(st.integers(2, 16))
    n_features = draw(st.sampled_from([1, 3]))
    n_outputs = draw(st.sampled_from([1, 2]))
    y_1d = n_outputs == 1 and draw(st.booleans())
    dtype = draw(FLOATS)
    scale = 10.0 ** draw(st.floats(-3, 3))
    rng = np.random.RandomState(draw(st.integers(0, 2**31 - 1)))
    X = (scale * rng.normal(size=(n_samples, n_features))).astype(dtype)
    y = rng.normal(size=n_samples if y_1d else (n_samples, n_outputs))
    return X, y


@examples(80)
@given(problem=problems(), n_new=st.integers(1, 50), predict_dtype=FLOATS, seed=st.integers(0, 1000))
def test_predictions_have_the_training_shape_the_input_dtype_and_are_finite(problem, n_new, predict_dtype, seed):
    X, y = problem
    estimator = _fit(NeuronRegressor(solver="sgd", max_iter=3, random_state=seed), X, y)
    X_new = np.random.RandomState(seed).normal(size=(n_new, X.shape[1])).astype(predict_dtype)
    X_new *= np.abs(X).max()
    predictions = estimator.predict(X_new)
    assert predictions.shape == (n_new,) + y.shape[1:]
    assert predictions.dtype == predict_dtype
    assert np.all(np.isfinite(predictions))


# Fitted once per dtype: the predict properties need no new fits.
_MODELS = {}


def _model(dtype):
    if dtype not in _MODELS:
        rng = np.random.RandomState(0)
        X = rng.normal(size=(16, 3)).astype(dtype)
        y = np.c_[X.sum(axis=1), np.tanh(X[:, 0])]
        estimator = NeuronRegressor(hidden_layer_sizes=(5,), hidden_activation="tanh", solver="sgd", max_iter=3)
        _MODELS[dtype] = _fit(estimator.set_params(random_state=0), X, y)
    return _MODELS[dtype]


@st.composite
def inputs(draw, max_rows=60):
    dtype = draw(FLOATS)
    n = draw(st.integers(1, max_rows))
    scale = 10.0 ** draw(st.floats(-3, 3))
    X = scale * np.random.RandomState(draw(st.integers(0, 2**31 - 1))).normal(size=(n, 3))
    return X.astype(dtype)


@examples(60)
@given(X=inputs(), data=st.data())
def test_predictions_do_not_depend_on_how_rows_are_batched(X, data):
    cuts = sorted(data.draw(st.lists(st.integers(1, max(1, len(X) - 1)), max_size=5), label="cuts"))
    estimator = _model(X.dtype.type)
    whole = estimator.predict(X)
    pieces = np.concatenate([estimator.predict(part) for part in np.split(X, cuts) if len(part)])
    assert pieces.shape == whole.shape and pieces.dtype == whole.dtype
    assert_allclose(pieces, whole, rtol=RTOL[X.dtype], atol=RTOL[X.dtype] * np.abs(whole).max())


@examples(40)
@given(X=inputs(), data=st.data())
def test_permuting_rows_permutes_predictions(X, data):
    order = data.draw(st.permutations(range(len(X))), label="order")
    estimator = _model(X.dtype.type)
    whole = estimator.predict(X)
    assert_allclose(
        estimator.predict(X[order]), whole[order], rtol=RTOL[X.dtype], atol=RTOL[X.dtype] * np.abs(whole).max()
    )


@examples(50)
@given(
    n_samples=st.integers(2, 5),
    weights=st.lists(st.integers(0, 3), min_size=5, max_size=5),
    shuffle=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_integer_sample_weights_equal_repeated_rows(n_samples, weights, shuffle, seed):
    """float64, full batch: weighting a row by k is the same as k copies of it."""
    weights = np.array(weights[:n_samples])
    if weights.sum() == 0:
        weights[0] = 1
    rng = np.random.RandomState(seed)
    X, y = rng.normal(size=(n_samples, 2)), rng.normal(size=n_samples)
    params = {"solver": "sgd", "batch_size": 32, "max_iter": 5, "shuffle": shuffle, "random_state": seed}
    weighted = _fit(NeuronRegressor(**params), X, y, sample_weight=weights.astype(np.float64))
    repeated = _fit(NeuronRegressor(**params), np.repeat(X, weights, axis=0), np.repeat(y, weights))
    for a, b in zip(weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert weighted.t_ == repeated.t_
