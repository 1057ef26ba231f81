"""The neuron reaches the least-squares answer however the data are scaled.

References are exact where an exact answer exists: scikit-learn's
``LinearRegression`` on well-conditioned real data, and rational arithmetic
(``benchmarks/nist.py``) on NIST's certified problems and on designs of our
own, scored by NIST's log relative error of the fitted values (correct
digits). Real data come unscaled, as users have them.
"""

import importlib.util
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes, load_linnerud, make_regression
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sknn_neuron import NeuronRegressor

_spec = importlib.util.spec_from_file_location(
    "_benchmarks_nist", Path(__file__).resolve().parents[1] / "benchmarks" / "nist.py"
)
nist = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nist)
PROBLEMS = nist.load()
needs_nist = pytest.mark.skipif(PROBLEMS is None, reason=f"NIST StRD data not found at {nist.NIST_PATH}")


def raw_data(name):
    """Real data as users load them: unscaled features, raw targets."""
    if name == "diabetes":
        return load_diabetes(return_X_y=True, scaled=False)
    X, Y = load_linnerud(return_X_y=True)  # 3 targets of different scales
    return X.astype(float), Y.astype(float)


# ------------------------------------------------------------ real data
@pytest.mark.parametrize("scaler", [False, True], ids=["raw", "scaled"])
@pytest.mark.parametrize("name", ["diabetes", "linnerud"])
def test_default_neuron_predicts_as_linear_regression_on_raw_data(name, scaler):
    X, y = raw_data(name)
    make = (lambda model: make_pipeline(StandardScaler(), model)) if scaler else (lambda model: model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neuron = make(NeuronRegressor()).fit(X, y)
    ols = make(LinearRegression()).fit(X, y)
    assert_allclose(neuron.predict(X), ols.predict(X), rtol=1e-6)


@pytest.mark.parametrize("name", ["diabetes", "linnerud"])
def test_fit_intercept_false_is_least_squares_through_the_origin(name):
    X, y = raw_data(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neuron = NeuronRegressor(fit_intercept=False).fit(X, y)
    ols = LinearRegression(fit_intercept=False).fit(X, y)
    assert_allclose(neuron.predict(X), ols.predict(X), rtol=1e-6)
    assert_allclose(neuron.coef_, ols.coef_, rtol=1e-5)
    assert np.all(neuron.intercept_ == 0.0) and np.all(neuron.intercepts_[-1] == 0.0)


@pytest.mark.parametrize("name", ["diabetes", "linnerud"])
def test_float32_input_stays_float32_at_the_float64_optimum(name):
    X, y = raw_data(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neuron = NeuronRegressor().fit(X.astype(np.float32), y.astype(np.float32))
    assert neuron.coefs_[0].dtype == np.float32
    assert neuron.predict(X.astype(np.float32)).dtype == np.float32
    ols_r2 = LinearRegression().fit(X, y).score(X, y)
    assert abs(neuron.score(X.astype(np.float32), y) - ols_r2) <= 1e-4


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_defaults_behind_a_scaler_fit_raw_targets(solver):
    X, y = raw_data("diabetes")  # targets from 25 to 346
    cv = KFold(5, shuffle=True, random_state=0)
    ols = cross_val_score(LinearRegression(), X, y, cv=cv).mean()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = cross_val_score(make_pipeline(StandardScaler(), NeuronRegressor(solver=solver, random_state=0)), X, y, cv=cv)
    assert abs(ours.mean() - ols) <= 0.02


def test_default_fit_is_least_squares_not_ridge_on_an_ill_conditioned_design():
    """The default has no penalty: on a degree-8 polynomial design behind a
    scaler (condition number about 1e6) it returns the least-squares fit."""
    x = np.linspace(1.0, 3.0, 60)[:, None]
    y = np.sin(3 * x[:, 0]) + np.random.RandomState(0).normal(0, 0.01, 60)
    make = lambda model: make_pipeline(PolynomialFeatures(8, include_bias=False), StandardScaler(), model)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neuron = make(NeuronRegressor()).fit(x, y)
    exact = _exact_fitted(PolynomialFeatures(8, include_bias=False).fit_transform(x), y)
    assert nist.log_relative_error(neuron.predict(x), exact).min() >= 6


# ------------------------------------------------- certified problems
def _pipeline(problem):
    # Centring changes a model without intercept: only scale then.
    return make_pipeline(
        StandardScaler(with_mean=problem.intercept), NeuronRegressor(alpha=0.0, tol=1e-12, fit_intercept=problem.intercept)
    )


def _problem_ids():
    return [p.name for p in PROBLEMS] if PROBLEMS else []


@needs_nist
@pytest.mark.parametrize("problem", PROBLEMS or [], ids=_problem_ids())
def test_rational_arithmetic_reproduces_the_certified_coefficients(problem):
    coef = nist.exact_coefficients(problem.X, problem.y, problem.intercept)
    assert nist.log_relative_error([float(c) for c in coef], problem.certified).min() >= 14


@needs_nist
@pytest.mark.parametrize("problem", PROBLEMS or [], ids=_problem_ids())
def test_scaled_neuron_gets_the_certified_problems_digits(problem):
    X, y = problem.float_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=1e-12 can be below the rounding floor: it says so
        model = _pipeline(problem).fit(X, y)
    digits = nist.fitted_digits(model.predict, problem)
    assert digits >= (4 if problem.difficulty == "higher" else 6), digits


@needs_nist
@pytest.mark.parametrize(
    "problem", [p for p in PROBLEMS or [] if p.difficulty != "higher"], ids=lambda p: p.name
)
def test_default_neuron_gets_six_digits_on_lower_and_average_problems(problem):
    X, y = problem.float_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = NeuronRegressor(fit_intercept=problem.intercept).fit(X, y)
    assert nist.fitted_digits(model.predict, problem) >= 6


def _exact_fitted(X, y):
    return nist.exact_fitted_values(
        nist.Problem("generated", "", True, [[Fraction(v) for v in row] for row in X], [Fraction(v) for v in y], [])
    )


def _offset_collinear_design():
    """Columns at scales 1e6, 1, 1e-6 around offsets up to 1e4, two nearly collinear."""
    rng = np.random.RandomState(1)
    n = 80
    x1 = 1e4 + 1e6 * rng.uniform(-1, 1, n)
    x2 = rng.normal(size=n)
    x3 = 1e-6 * (x1 - 1e4) / 1e6 + 1e-9 * rng.normal(size=n)  # x1 again, to 1e-3, at scale 1e-6
    X = np.column_stack([x1, x2, x3])
    y = 3e-6 * x1 + 2.0 * x2 + 5e5 * x3 + 7.0 + rng.normal(0, 0.1, n)
    return X, y


def _steep_polynomial_design():
    """Powers 1 to 6 of x in [10, 11]: offset and nearly collinear, condition
    number 2.6e10 after standardizing (Filip's is 3.8e9)."""
    x = np.linspace(10.0, 11.0, 40)
    X = PolynomialFeatures(6, include_bias=False).fit_transform(x[:, None])
    y = np.log(x) + np.random.RandomState(2).normal(0, 1e-4, 40)
    return X, y


@pytest.mark.parametrize("design", [_offset_collinear_design, _steep_polynomial_design], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("scaler", [False, True], ids=["raw", "scaled"])
def test_generated_ill_conditioned_designs_reach_least_squares(design, scaler):
    X, y = design()
    model = NeuronRegressor(tol=1e-10)
    model = make_pipeline(StandardScaler(), model) if scaler else model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    digits = nist.log_relative_error(model.predict(X), _exact_fitted(X, y)).min()
    # A float64 QR keeps 10 digits on the polynomial, LinearRegression 4.7.
    assert digits >= 7, digits


# ------------------------------------------------------------ networks
@pytest.mark.parametrize("activation", ["identity", "relu", "tanh", "logistic"])
def test_lbfgs_network_trains_at_least_as_well_as_mlp_regressor(activation):
    X, y = make_regression(n_samples=200, n_features=10, bias=20, noise=100, random_state=7)
    y = (y - y.mean()) / y.std()
    settings = {"hidden_layer_sizes": 50, "max_iter": 200, "tol": 1e-3, "random_state": 1, "alpha": 1e-4}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPRegressor(activation=activation, solver="lbfgs", **settings).fit(X, y)
        ours = NeuronRegressor(hidden_activation=activation, **settings).fit(X, y)
    assert ours.score(X, y) >= mlp.score(X, y) - 0.01
