"""Bad input is refused with a clear error, and a refused call loses nothing.

Each case is one bad call: ``fit``, ``partial_fit`` (``solver="sgd"``) or
``predict`` with one thing wrong. ``test_bad_input_raises_clear_error`` makes
it on a new estimator (or on a fitted one where only a fitted one applies)
and expects a ``ValueError``, ``TypeError`` or ``NotFittedError`` raised by
scikit-learn or by sknn_neuron, never one from NumPy or XLA, whose message
names the input. ``test_refused_call_leaves_fitted_model_untouched`` makes the
same call on a fitted model and checks that every fitted attribute and every
prediction is bitwise the one before. The divergence tests at the end do the
same for training that blows up.
"""

import copy
import warnings
from typing import NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_allclose
import scipy.sparse as sp
from _assertions import assert_bitwise_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sknn_neuron import NeuronRegressor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(20, 3))
Y = X @ np.array([1.0, 2.0, 3.0]) + 0.5
X32 = X.astype(np.float32)
X_NEW = RNG.normal(size=(7, 3))

# Exceptions must come from Python, scikit-learn or sknn_neuron themselves.
CLEAR_ERROR_MODULES = {"builtins", "sklearn.exceptions", "sklearn.utils._param_validation"}
NON_FINITE = "non-finite parameter weights"


class Case(NamedTuple):
    method: str  # "fit", "partial_fit" or "predict"
    name: str
    args: tuple  # positional arguments of the call
    error: type
    match: str
    params: dict | None = None
    sample_weight: object = None
    fitted_only: bool = False  # the case needs a fitted model
    fresh_only: bool = False  # the case needs an unfitted model


def _set(array, value, index=(0, 0), dtype=None):
    out = np.array(array, dtype=dtype if dtype is not None else array.dtype)
    out[index] = value
    return out


def _as_float32(array):
    with np.errstate(over="ignore"):
        return array.astype(np.float32)


def _object_with_none():
    out = X.astype(object)
    out[0, 0] = None
    return out


def _weights(value, index=0):
    w = np.ones(len(X))
    w[index] = value
    return w


# Bad data for fit and partial_fit: (name, X, y, sample_weight, error, match).
DATA_CASES = [
    ("nan_in_X", _set(X, np.nan), Y, None, ValueError, "Input X contains NaN"),
    ("inf_in_X", _set(X, np.inf), Y, None, ValueError, "Input X contains infinity"),
    ("nan_in_y", X, _set(Y, np.nan, 0), None, ValueError, "Input y contains NaN"),
    ("inf_in_y", X, _set(Y, -np.inf, 0), None, ValueError, "Input y contains infinity"),
    ("empty_X", np.empty((0, 3)), np.empty(0), None, ValueError, r"0 sample\(s\) \(shape=\(0, 3\)\)"),
    ("zero_features", np.empty((20, 0)), Y, None, ValueError, r"0 feature\(s\) \(shape=\(20, 0\)\)"),
    ("1d_X", X[:, 0], Y, None, ValueError, "Expected 2D array, got 1D array"),
    ("3d_X", X[:, :, None], Y, None, ValueError, "Found array with dim 3"),
    ("3d_y", X, np.ones((20, 1, 1)), None, ValueError, "Found array with dim 3"),
    ("length_mismatch", X, Y[:-1], None, ValueError, r"inconsistent numbers of samples: \[20, 19\]"),
    ("string_X", np.full((20, 3), "a"), Y, None, ValueError, "could not convert string to float"),
    ("complex_X", X + 1j, Y, None, ValueError, "Complex data not supported"),
    ("object_X_with_None", _object_with_none(), Y, None, ValueError, "Input X contains NaN"),
    ("sparse_nan_in_X", sp.csr_matrix(_set(X, np.nan)), Y, None, ValueError, "Input X contains NaN"),
    ("sparse_length_mismatch", sp.csr_matrix(X), Y[:-1], None, ValueError, r"inconsistent numbers of samples"),
    ("string_y", X, np.full(20, "a"), None, ValueError, "could not convert string to float"),
    ("sample_weight_wrong_length", X, Y, np.ones(19), ValueError, r"sample_weight.shape == \(19,\), expected \(20,\)"),
    ("sample_weight_2d", X, Y, np.ones((20, 1)), ValueError, "Sample weights must be 1D array or scalar"),
    ("sample_weight_negative", X, Y, _weights(-1.0), ValueError, "Negative values in data passed to `sample_weight`"),
    ("sample_weight_nan", X, Y, _weights(np.nan), ValueError, "Input sample_weight contains NaN"),
    ("sample_weight_inf", X, Y, _weights(np.inf), ValueError, "Input sample_weight contains infinity"),
    ("sample_weight_all_zero", X, Y, np.zeros(20), ValueError, "Sample weights must contain at least one non-zero"),
    ("sample_weight_string", X, Y, np.full(20, "a"), ValueError, "could not convert string to float"),
    # float64 values beyond float32's range, given as float32 or cast to it.
    ("X_beyond_float32", _as_float32(_set(X, 1e300)), Y, None, ValueError,
     r"Input X contains infinity or a value too large for dtype\('float32'\)"),
    ("y_beyond_float32", X32, _set(Y, 1e300, 0), None, ValueError,
     r"Input y contains infinity or a value too large for dtype\('float32'\)"),
    ("sample_weight_beyond_float32", X32, Y, _weights(1e300), ValueError,
     r"Input sample_weight contains infinity or a value too large for dtype\('float32'\)"),
]  # fmt: skip


def _invalid(name, shown):
    return rf"The '{name}' parameter of NeuronRegressor must be .* Got {shown} instead"


# Parameters out of range or of the wrong type: (params, error, match).
PARAM_CASES = [
    ({"learning_rate_init": 0.0}, ValueError, _invalid("learning_rate_init", "0.0")),
    ({"learning_rate_init": -1.0}, ValueError, _invalid("learning_rate_init", "-1.0")),
    ({"learning_rate_init": np.nan}, ValueError, _invalid("learning_rate_init", "nan")),
    ({"learning_rate_init": "fast"}, ValueError, _invalid("learning_rate_init", "'fast'")),
    ({"alpha": -1.0}, ValueError, _invalid("alpha", "-1.0")),
    ({"alpha": np.inf}, ValueError, _invalid("alpha", "inf")),
    ({"alpha": "x"}, ValueError, _invalid("alpha", "'x'")),
    ({"max_iter": 0}, ValueError, _invalid("max_iter", "0")),
    ({"max_iter": 1.5}, ValueError, _invalid("max_iter", "1.5")),
    ({"max_iter": "10"}, ValueError, _invalid("max_iter", "'10'")),
    ({"batch_size": 0}, ValueError, _invalid("batch_size", "0")),
    ({"batch_size": -5}, ValueError, _invalid("batch_size", "-5")),
    ({"batch_size": 2.5}, ValueError, _invalid("batch_size", "2.5")),
    ({"batch_size": "big"}, ValueError, _invalid("batch_size", "'big'")),
    ({"hidden_layer_sizes": (0,)}, ValueError, r"hidden_layer_sizes must be positive integers, got \(0,\)"),
    ({"hidden_layer_sizes": (4, -3)}, ValueError, r"hidden_layer_sizes must be positive integers, got \(4, -3\)"),
    ({"hidden_layer_sizes": 0}, ValueError, _invalid("hidden_layer_sizes", "0")),
    ({"hidden_layer_sizes": (2.5,)}, ValueError, r"hidden_layer_sizes must be positive integers, got \(2.5,\)"),
    ({"hidden_layer_sizes": "10"}, ValueError, _invalid("hidden_layer_sizes", "'10'")),
    ({"activation": "softmax"}, ValueError, _invalid("activation", "'softmax'")),
    ({"hidden_activation": "swish"}, ValueError, _invalid("hidden_activation", "'swish'")),
    ({"solver": "newton"}, ValueError, _invalid("solver", "'newton'")),
    ({"loss": "hinge"}, ValueError, _invalid("loss", "'hinge'")),
    ({"momentum": 2.0}, ValueError, _invalid("momentum", "2.0")),
    ({"validation_fraction": 0.0}, ValueError, _invalid("validation_fraction", "0.0")),
    ({"validation_fraction": 1.0}, ValueError, _invalid("validation_fraction", "1.0")),
    ({"validation_fraction": 1.5}, ValueError, _invalid("validation_fraction", "1.5")),
    ({"validation_fraction": -0.1}, ValueError, _invalid("validation_fraction", "-0.1")),
]  # fmt: skip

# Parameters that partial_fit reads: their bad values apply to it too.
PARTIAL_FIT_PARAMS = {
    "learning_rate_init", "alpha", "batch_size", "hidden_layer_sizes", "activation",
    "hidden_activation", "solver", "loss", "momentum",
}  # fmt: skip

PREDICT_CASES = [
    ("nan_in_X", _set(X_NEW, np.nan), ValueError, "Input X contains NaN"),
    ("inf_in_X", _set(X_NEW, -np.inf), ValueError, "Input X contains infinity"),
    ("empty_X", np.empty((0, 3)), ValueError, r"0 sample\(s\) \(shape=\(0, 3\)\)"),
    ("1d_X", X_NEW[0], ValueError, "Expected 2D array, got 1D array"),
    ("3d_X", X_NEW[:, :, None], ValueError, "Found array with dim 3"),
    ("string_X", np.full((2, 3), "a"), ValueError, "could not convert string to float"),
    ("complex_X", X_NEW + 1j, ValueError, "Complex data not supported"),
    ("object_X_with_None", np.array([[1.0, None, 2.0]], dtype=object), ValueError, "Input X contains NaN"),
    ("sparse_inf_in_X", sp.csr_matrix(_set(X_NEW, -np.inf)), ValueError, "Input X contains infinity"),
    ("sparse_another_number_of_features", sp.csc_matrix(X_NEW[:, :2]), ValueError,
     "X has 2 features, but NeuronRegressor is expecting 3"),
    ("X_beyond_float32", _as_float32(_set(X_NEW, 1e300)), ValueError,
     r"Input X contains infinity or a value too large for dtype\('float32'\)"),
    ("another_number_of_features", X_NEW[:, :2], ValueError, "X has 2 features, but NeuronRegressor is expecting 3"),
    ("zero_features", np.empty((7, 0)), ValueError, r"0 feature\(s\)"),
]  # fmt: skip


def _cases():
    cases = []
    for method in ("fit", "partial_fit"):
        for name, X_bad, y_bad, weight, error, match in DATA_CASES:
            cases.append(Case(method, name, (X_bad, y_bad), error, match, sample_weight=weight))
        for params, error, match in PARAM_CASES:
            ((key, value),) = params.items()
            if method == "partial_fit" and key not in PARTIAL_FIT_PARAMS:
                continue
            cases.append(Case(method, f"{key}={value!r}", (X, Y), error, match, params=params))
    cases += [
        Case("partial_fit", "another_number_of_features", (X[:, :2], Y), ValueError,
             "X has 2 features, but NeuronRegressor is expecting 3", fitted_only=True),
        Case("partial_fit", "another_number_of_targets", (X, np.c_[Y, Y]), ValueError,
             "y has 2 targets, but NeuronRegressor was fitted with 1", fitted_only=True),
        Case("partial_fit", "other_hidden_layers", (X, Y), ValueError,
             r"hidden_layer_sizes=\(3,\) differs from the fitted layers \[4\]",
             params={"hidden_layer_sizes": (3,)}, fitted_only=True),
        Case("partial_fit", "other_output_activation", (X, Y), ValueError,
             "activation or loss changed since the model was fitted", params={"activation": "tanh"},
             fitted_only=True),
        Case("fit", "warm_start_another_number_of_features", (X[:, :2], Y), ValueError,
             "X has 2 features, but NeuronRegressor is expecting 3", params={"warm_start": True},
             fitted_only=True),
        Case("fit", "warm_start_another_number_of_targets", (X, np.c_[Y, Y]), ValueError,
             "y has 2 targets, but NeuronRegressor was fitted with 1", params={"warm_start": True},
             fitted_only=True),
        Case("fit", "validation_set_too_small", (X[:5], Y[:5]), ValueError, "The validation set is too small",
             params={"solver": "sgd", "early_stopping": True}),
        Case("fit", "poisson_with_negative_y", (X, Y - 100), ValueError,
             "Some value.s. of y are negative which is not allowed for Poisson", params={"loss": "poisson"}),
        Case("fit", "poisson_with_bounded_activation", (X, np.abs(Y)), ValueError,
             "loss='poisson' uses a log link .* activation must be 'identity'",
             params={"loss": "poisson", "activation": "tanh"}),
        Case("predict", "before_fit", (X_NEW,), NotFittedError, "This NeuronRegressor instance is not fitted yet",
             fresh_only=True),
    ]  # fmt: skip
    for name, X_bad, error, match in PREDICT_CASES:
        cases.append(Case("predict", name, (X_bad,), error, match, fitted_only=True))
    return cases


CASES = _cases()


def _params(cases):
    return [pytest.param(case, id=f"{case.method}-{case.name}") for case in cases]


@pytest.fixture(scope="module")
def fitted():
    """A fitted two-layer sgd model: weights, biases and optimizer state."""
    estimator = NeuronRegressor(hidden_layer_sizes=(4,), solver="sgd", batch_size=5, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, Y)


def _call(estimator, case):
    kwargs = {} if case.method == "predict" else {"sample_weight": case.sample_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(estimator, case.method)(*case.args, **kwargs)


def _assert_clear(excinfo):
    assert type(excinfo.value).__module__ in CLEAR_ERROR_MODULES, type(excinfo.value)


def _fitted_state(estimator):
    """Every attribute that fitting sets: public ``name_`` and private ``_name``."""
    return copy.deepcopy({k: v for k, v in vars(estimator).items() if k.endswith("_") or k.startswith("_")})


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input_raises_clear_error(case, fitted):
    if case.fitted_only:
        estimator = copy.deepcopy(fitted).set_params(**(case.params or {}))
    else:
        solver = {"solver": "sgd"} if case.method == "partial_fit" else {}
        estimator = NeuronRegressor(random_state=0, **{**solver, **(case.params or {})})
    with pytest.raises(case.error, match=case.match) as excinfo:
        _call(estimator, case)
    _assert_clear(excinfo)


@pytest.mark.parametrize("case", _params([case for case in CASES if not case.fresh_only]))
def test_refused_call_leaves_fitted_model_untouched(case, fitted):
    estimator = copy.deepcopy(fitted)
    state, predictions, params = _fitted_state(estimator), estimator.predict(X_NEW), estimator.get_params()
    estimator.set_params(**(case.params or {}))
    with pytest.raises(case.error, match=case.match) as excinfo:
        _call(estimator, case)
    _assert_clear(excinfo)
    estimator.set_params(**params)
    assert_bitwise_equal(state, _fitted_state(estimator))
    assert estimator.predict(X_NEW).tobytes() == predictions.tobytes()


def test_partial_fit_is_unavailable_with_lbfgs():
    estimator = NeuronRegressor().fit(X, Y)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as excinfo:
        estimator.partial_fit(X, Y)
    # The message itself says why and what to do, not only a chained cause.
    assert "available with solver='sgd' or solver='adam' only" in str(excinfo.value)
    assert not hasattr(estimator, "partial_fit")
    assert hasattr(NeuronRegressor(solver="sgd"), "partial_fit")


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize(
    "dtype, batch_size",
    [(np.float32, "auto"), (np.float32, 5), (np.float64, 5)],
    ids=["float32-auto", "float32-batch5", "float64-batch5"],
)
def test_fit_raises_when_learning_rate_blows_up(dtype, batch_size):
    estimator = NeuronRegressor(solver="sgd", learning_rate_init=1e6, batch_size=batch_size, random_state=0)
    with pytest.raises(ValueError, match=NON_FINITE), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit((100 * X).astype(dtype), 100 * Y)
    assert not hasattr(estimator, "coefs_")


def test_fit_warns_when_float64_loss_explodes_without_overflow():
    """float64 holds the exploding loss (about 1e233 here) until the stopping
    rule ends the run: no value overflows, so there is no error to raise, but
    weights of 1e125 must not come back without a word."""
    estimator = NeuronRegressor(solver="sgd", learning_rate_init=1e6, random_state=0)
    with pytest.warns(ConvergenceWarning, match="learning_rate_init"):
        estimator.fit(100 * X, 100 * Y)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_inputs_of_1e30_in_float32_fit_as_the_unscaled_inputs(solver):
    """The preconditioner scales columns without overflow: the fit is the
    unscaled one, with weights 1e30 smaller."""
    params = {"solver": solver, "max_iter": 5, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scaled = NeuronRegressor(**params).fit((1e30 * X).astype(np.float32), Y)
        plain = NeuronRegressor(**params).fit(X.astype(np.float32), Y)
    assert_allclose(scaled.predict((1e30 * X).astype(np.float32)), plain.predict(X.astype(np.float32)), rtol=1e-4, atol=1e-5)


def test_targets_whose_loss_overflows_float32_are_refused():
    """Squared residuals of 1e30 overflow float32 whatever the coordinates."""
    estimator = NeuronRegressor(solver="sgd", max_iter=5, random_state=0)
    with pytest.raises(ValueError, match=NON_FINITE):
        estimator.fit(X.astype(np.float32), (1e30 * Y).astype(np.float32))
    assert not hasattr(estimator, "coefs_")


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("scale_y", [False, True], ids=["y", "y_times_1e30"])
def test_fit_on_inputs_of_1e30_never_predicts_non_finite(solver, scale_y):
    """float64 holds 1e30 squared: a fit either succeeds finitely or refuses."""
    estimator = NeuronRegressor(solver=solver, max_iter=5, random_state=0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(1e30 * X, 1e30 * Y if scale_y else Y)
    except ValueError as error:
        assert NON_FINITE in str(error)
        assert not hasattr(estimator, "coefs_")
    else:
        assert np.all(np.isfinite(estimator.predict(1e30 * X)))


@pytest.mark.parametrize(
    "method, params, scale",
    [
        ("partial_fit", {"learning_rate_init": 1e6}, 100.0),
        ("partial_fit", {}, 1e30),
        ("partial_fit", {}, 1e200),
        ("fit", {"learning_rate_init": 1e6, "warm_start": True}, 100.0),
        ("fit", {"learning_rate_init": 1e6}, 100.0),
    ],
    ids=["partial_fit-lr1e6", "partial_fit-X_times_1e30", "partial_fit-X_times_1e200", "fit-warm_start-lr1e6",
         "fit-lr1e6"],
)  # fmt: skip
def test_divergence_keeps_previous_model_bitwise(fitted, method, params, scale):
    estimator = copy.deepcopy(fitted)
    state, predictions, original = _fitted_state(estimator), estimator.predict(X_NEW), estimator.get_params()
    estimator.set_params(**params)
    with pytest.raises(ValueError, match=NON_FINITE), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(estimator, method)(scale * X, scale * Y)
    estimator.set_params(**original)
    assert_bitwise_equal(state, _fitted_state(estimator))
    assert estimator.predict(X_NEW).tobytes() == predictions.tobytes()


def test_model_trains_on_after_refused_call(fitted):
    """A restored model is a working model: the next call matches a clean one."""
    refused, clean = copy.deepcopy(fitted), copy.deepcopy(fitted)
    with pytest.raises(ValueError, match=NON_FINITE):
        refused.partial_fit(1e200 * X, Y)
    refused.partial_fit(X, Y)
    clean.partial_fit(X, Y)
    for a, b in zip(refused.coefs_ + refused.intercepts_, clean.coefs_ + clean.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_predict_uses_the_fitted_hidden_activation(fitted):
    """Changing a parameter after fitting does not change the fitted model."""
    estimator = copy.deepcopy(fitted)
    predictions = estimator.predict(X_NEW)
    estimator.set_params(hidden_activation="tanh")
    assert estimator.predict(X_NEW).tobytes() == predictions.tobytes()
