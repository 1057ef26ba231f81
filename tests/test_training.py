"""The training controls do what their names say.

Solvers, learning-rate schedules, losses and penalties, stopping rules,
``warm_start``, ``partial_fit``, the float64 path and the fitted curves.
Where a control has a closed form (OLS, ridge, lasso, the Poisson GLM, the
momentum and Adam updates on a full batch) the fit is compared with it.

Tests share a few data shapes so that they share compiled programs.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LinearRegression, PoissonRegressor, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from sknn_neuron import NeuronRegressor

# A run that neither the loss nor the validation score can stop.
NEVER_STOP = {"tol": 0.0, "n_iter_no_change": np.inf}
ignore_convergence = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def linear_data(n_samples=1000, coef=(1.5, -2.0, 0.5, 0.0, 1.0), intercept=1.0, noise=0.1, seed=0):
    """Standardized features and a linear target with Gaussian noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, len(coef)))
    y = X @ np.asarray(coef) + intercept + noise * rng.normal(size=n_samples)
    return X, y


def tall_data():
    """5,000 rows and 6 features, for the exact solver."""
    return linear_data(n_samples=5000, coef=(1.5, -2.0, 0.5, 0.0, 1.0, -0.7))


def small_batch_data():
    """100 rows: ``batch_size="auto"`` makes each epoch one full-batch step."""
    return linear_data(n_samples=100, seed=1)


def at_known_start(X, **params):
    """An estimator whose next ``fit`` or ``partial_fit`` starts from known weights.

    An exact least-squares fit of an unrelated target, kept by ``warm_start``;
    the requested solver then continues from these weights with a fresh
    optimizer state.
    """
    y_start = np.random.RandomState(2).normal(size=X.shape[0])
    start = NeuronRegressor(alpha=0.0, tol=1e-6, warm_start=True, random_state=0).fit(X, y_start)
    return start.set_params(**params)


class InternalCoordinates:
    """Where ``sgd`` and ``adam`` train a linear neuron: columns centred and
    scaled to unit variance, the target standardized, and the objective
    divided by the target's variance (see ``sknn_neuron._precondition``)."""

    def __init__(self, X, y):
        self.mu, self.s, self.nu, self.sigma = X.mean(0), X.std(0), y.mean(), y.std()
        self.X, self.y = (X - self.mu) / self.s, (y - self.nu) / self.sigma

    def internal(self, W, b):
        return self.s * W / self.sigma, (b + self.mu @ W - self.nu) / self.sigma

    def user(self, V, c):
        W = self.sigma * V / self.s
        return W, self.sigma * c + self.nu - self.mu @ W


def in_internal_coordinates(reference, X, y, W, b, **kwargs):
    """Run a NumPy reference of full-batch steps where the solver runs them."""
    coords = InternalCoordinates(X, y)
    V, c = reference(coords.X, coords.y, *coords.internal(W, b), **kwargs)
    return coords.user(V, c)


def squared_error_gradient(X, y, W, b):
    """Gradient of ``mean(0.5 * (X W + b - y) ** 2)`` for one output."""
    r = X @ W + b - y
    return X.T @ r / len(y), r.mean()


def sgd_reference(X, y, W, b, *, n_steps, learning_rates, momentum, nesterov):
    """Full-batch SGD with (Nesterov) momentum on the gradient's trace."""
    vW, vb = np.zeros_like(W), 0.0
    for rate in learning_rates[:n_steps]:
        gW, gb = squared_error_gradient(X, y, W, b)
        vW, vb = gW + momentum * vW, gb + momentum * vb
        uW, ub = (gW + momentum * vW, gb + momentum * vb) if nesterov else (vW, vb)
        W, b = W - rate * uW, b - rate * ub
    return W, b


def adam_reference(X, y, W, b, *, n_steps, learning_rate, beta_1, beta_2, epsilon):
    """Full-batch Adam (Kingma & Ba, bias-corrected), from fresh moments."""
    theta, m, v = np.append(W, b), np.zeros(W.size + 1), np.zeros(W.size + 1)
    for count in range(1, n_steps + 1):
        g = np.append(*squared_error_gradient(X, y, theta[:-1], theta[-1]))
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat, v_hat = m / (1 - beta_1**count), v / (1 - beta_2**count)
        theta = theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return theta[:-1], theta[-1]


def stopping_epoch(losses, tol, n_iter_no_change):
    """Epoch at which ``MLPRegressor``'s rule stops a run with these losses."""
    best, stalls = np.inf, 0
    for epoch, loss in enumerate(losses, 1):
        stalls = stalls + 1 if loss > best - tol else 0
        best = min(best, loss)
        if stalls > n_iter_no_change:
            return epoch
    return None


# ---------------------------------------------------------------- solvers
@pytest.mark.parametrize(
    "dtype, tol, max_distance",
    [(np.float32, 1e-6, 1e-4), (np.float64, 1e-10, 1e-8)],
    ids=["float32", "float64"],
)
def test_lbfgs_linear_neuron_reaches_least_squares(dtype, tol, max_distance):
    X, y = tall_data()
    ols = LinearRegression().fit(X, y)
    reg = NeuronRegressor(alpha=0.0, tol=tol, random_state=0).fit(X.astype(dtype), y.astype(dtype))
    distance = max(np.abs(reg.coef_ - ols.coef_).max(), abs(reg.intercept_ - ols.intercept_))
    assert distance <= max_distance


def test_lbfgs_stops_at_max_fun():
    X, y = linear_data()
    X, y = X.astype(np.float32), y.astype(np.float32)
    params = {"hidden_layer_sizes": (8,), "tol": 1e-6, "random_state": 0}  # a network takes many iterations
    full = NeuronRegressor(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_fun=1 reached"):
        short = NeuronRegressor(max_fun=1, **params).fit(X, y)
    # As scipy's maxfun: the evaluations are counted after each iteration, so one runs.
    assert short.n_iter_ == 1 < full.n_iter_
    assert short.loss_ > full.loss_


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_solver_defaults_fit_standardized_linear_data(solver):
    X, y = linear_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = NeuronRegressor(solver=solver, random_state=0).fit(X, y)
    assert reg.n_iter_ < reg.max_iter
    assert reg.score(X, y) >= 0.99


@ignore_convergence
@pytest.mark.parametrize(
    "momentum, nesterovs_momentum, learning_rate",
    [(0.0, False, "constant"), (0.9, False, "constant"), (0.9, True, "constant"), (0.0, False, "invscaling")],
    ids=["plain", "momentum", "nesterov", "invscaling"],
)
def test_sgd_steps_follow_momentum_and_schedule(momentum, nesterovs_momentum, learning_rate):
    X, y = small_batch_data()
    n_steps, rate, power_t = 6, 0.1, 0.5
    reg = at_known_start(
        X, solver="sgd", momentum=momentum, nesterovs_momentum=nesterovs_momentum, learning_rate=learning_rate,
        learning_rate_init=rate, power_t=power_t, alpha=0.0, shuffle=False, max_iter=n_steps, **NEVER_STOP,
    )  # fmt: skip
    W0, b0, t0 = reg.coef_.copy(), reg.intercept_.copy(), reg.t_
    reg.fit(X, y)

    if learning_rate == "constant":
        rates = np.full(n_steps, rate)
    else:
        rates = rate / (t0 + len(y) * np.arange(n_steps) + 1) ** power_t
    W, b = in_internal_coordinates(
        sgd_reference, X, y, W0, b0, n_steps=n_steps, learning_rates=rates, momentum=momentum,
        nesterov=nesterovs_momentum,
    )  # fmt: skip
    assert_allclose(reg.coef_, W, rtol=1e-5, atol=1e-6)
    assert_allclose(reg.intercept_, b, rtol=1e-5, atol=1e-6)


@ignore_convergence
@pytest.mark.parametrize("beta_1, beta_2, epsilon", [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-8), (0.9, 0.999, 1.0)], ids=repr)
def test_adam_steps_follow_beta_1_beta_2_and_epsilon(beta_1, beta_2, epsilon):
    X, y = small_batch_data()
    n_steps, rate = 6, 0.05
    reg = at_known_start(
        X, solver="adam", beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, learning_rate_init=rate,
        alpha=0.0, shuffle=False, max_iter=n_steps, **NEVER_STOP,
    )  # fmt: skip
    W0, b0 = reg.coef_.copy(), reg.intercept_.copy()
    reg.fit(X, y)

    W, b = in_internal_coordinates(
        adam_reference, X, y, W0, b0, n_steps=n_steps, learning_rate=rate, beta_1=beta_1, beta_2=beta_2,
        epsilon=epsilon,
    )  # fmt: skip
    assert_allclose(reg.coef_, W, rtol=1e-5, atol=1e-6)
    assert_allclose(reg.intercept_, b, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------ learning rates
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_constant_learning_rate_keeps_the_curve_flat(solver):
    X, y = linear_data()
    reg = NeuronRegressor(solver=solver, learning_rate_init=0.02, random_state=0).fit(X, y)
    assert len(reg.learning_rate_curve_) == reg.n_iter_ > 1
    assert_array_equal(reg.learning_rate_curve_, reg.learning_rate_curve_[0])
    assert reg.learning_rate_curve_[0] == pytest.approx(0.02, rel=1e-7)


@ignore_convergence
@pytest.mark.parametrize("power_t", [0.5, 0.25])
def test_invscaling_follows_inverse_power_of_samples_seen(power_t):
    X, y = linear_data()
    reg = NeuronRegressor(solver="sgd", learning_rate="invscaling", power_t=power_t, max_iter=20, random_state=0)
    reg.fit(X, y)
    samples_seen = len(y) * np.arange(reg.n_iter_)
    assert_allclose(reg.learning_rate_curve_, 0.01 / (samples_seen + 1) ** power_t, rtol=1e-6)
    assert reg.t_ == len(y) * reg.n_iter_


def test_adaptive_divides_learning_rate_by_5_when_loss_stalls():
    X, y = linear_data()
    constant = NeuronRegressor(solver="sgd", random_state=0).fit(X, y)
    adaptive = NeuronRegressor(solver="sgd", learning_rate="adaptive", random_state=0).fit(X, y)

    # Where the constant rate stops, the adaptive one is divided by 5 instead.
    stall = constant.n_iter_
    rates = np.asarray(adaptive.learning_rate_curve_)
    assert_allclose(rates[:stall], 0.01, rtol=1e-6)
    assert_allclose(rates[stall], 0.01 / 5, rtol=1e-6)
    assert_allclose(adaptive.loss_curve_[:stall], constant.loss_curve_)
    # Every change of rate is a division by 5, until the rate is below 1e-6.
    ratios = rates[:-1] / rates[1:]
    assert_allclose(ratios[ratios != 1], 5.0, rtol=1e-6)
    assert_allclose(np.unique(rates), 0.01 / 5.0 ** np.arange(6, -1, -1), rtol=1e-6)
    assert adaptive.n_iter_ < adaptive.max_iter


# ------------------------------------------------------ losses, penalty
def outlier_data():
    """The linear data with 10 % of the targets shifted up by 20."""
    X, y = linear_data()
    outliers = np.random.RandomState(3).rand(len(y)) < 0.1
    return X, y + 20.0 * outliers


def test_huber_is_less_pulled_by_outliers_than_squared_error():
    X, y = outlier_data()
    true = np.array([1.5, -2.0, 0.5, 0.0, 1.0, 1.0])

    def error(**params):
        reg = NeuronRegressor(alpha=0.0, random_state=0, **params).fit(X, y)
        return np.abs(np.append(reg.coef_, reg.intercept_) - true).max()

    squared = error(loss="squared_error")
    huber = [error(loss="huber", huber_delta=delta) for delta in (3.0, 1.0, 0.3)]
    assert squared > 1.0
    assert huber[0] < squared / 5
    assert huber[2] < huber[1] < huber[0]  # a smaller delta clips more


def test_huber_with_delta_above_every_residual_is_squared_error():
    X, y = outlier_data()
    squared = NeuronRegressor(alpha=0.0, random_state=0).fit(X, y)
    huber = NeuronRegressor(loss="huber", huber_delta=100.0, alpha=0.0, random_state=0).fit(X, y)
    assert_allclose(huber.coef_, squared.coef_, rtol=1e-5)
    assert_allclose(huber.intercept_, squared.intercept_, rtol=1e-5)


def test_absolute_error_fits_the_conditional_median():
    X, y = linear_data(noise=0.0)
    y = y + np.random.RandomState(4).exponential(size=len(y))  # median ln 2, mean 1
    median = NeuronRegressor(loss="absolute_error", alpha=0.0, random_state=0).fit(X, y)
    mean = NeuronRegressor(alpha=0.0, random_state=0).fit(X, y)

    assert np.mean(y > median.predict(X)) == pytest.approx(0.5, abs=0.02)
    assert np.mean(y > mean.predict(X)) == pytest.approx(np.exp(-1), abs=0.04)
    assert median.intercept_ == pytest.approx(1 + np.log(2), abs=0.05)
    assert mean.intercept_ == pytest.approx(2.0, abs=0.05)


def test_poisson_fits_a_log_linear_target_with_positive_predictions():
    rng = np.random.RandomState(5)
    X = 0.3 * rng.normal(size=(1000, 5))
    y = rng.poisson(np.exp(X @ np.array([1.5, -2.0, 0.5, 0.0, 1.0]) + 0.5)).astype(float)
    glm = PoissonRegressor(alpha=0.0, tol=1e-8).fit(X, y)
    reg = NeuronRegressor(loss="poisson", alpha=0.0, tol=1e-6, random_state=0).fit(X, y)

    assert reg.out_activation_ == "exp"
    assert_allclose(reg.coef_, glm.coef_, atol=1e-4)
    assert_allclose(reg.intercept_, glm.intercept_, atol=1e-4)
    assert np.all(reg.predict(X) > 0)
    assert np.all(reg.predict(-10 * np.abs(X)) > 0)


def test_alpha_shrinks_weights_as_ridge_does():
    X, y = linear_data()
    norms = []
    for alpha in (0.0, 0.01, 0.1, 1.0):
        reg = NeuronRegressor(alpha=alpha, tol=1e-6, random_state=0).fit(X, y)
        # mean(0.5 r^2) + alpha / 2 ||W||^2 is ridge's objective divided by n.
        assert_allclose(reg.coef_, Ridge(alpha=alpha * len(y)).fit(X, y).coef_, atol=1e-4)
        norms.append(np.linalg.norm(reg.coef_))
    assert np.all(np.diff(norms) < 0)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_l1_ratio_one_zeroes_irrelevant_weights(solver):
    X, y = linear_data(coef=(1.5, -2.0, 0.0, 0.0, 0.0), noise=1.0)
    irrelevant = slice(2, None)
    l1 = NeuronRegressor(solver=solver, alpha=0.05, l1_ratio=1.0, random_state=0).fit(X, y)
    l2 = NeuronRegressor(solver=solver, alpha=0.05, l1_ratio=0.0, random_state=0).fit(X, y)

    assert np.abs(l1.coef_[irrelevant]).max() < 0.01
    assert np.abs(l1.coef_[irrelevant]).max() < np.abs(l2.coef_[irrelevant]).max() / 5
    assert np.all(np.abs(l1.coef_[:2]) > 1.0)


def test_l1_penalty_with_decaying_sgd_steps_matches_lasso():
    X, y = linear_data(coef=(1.5, -2.0, 0.0, 0.0, 0.0), noise=1.0)
    # mean(0.5 r^2) + alpha ||W||_1 is exactly the lasso's objective.
    lasso = Lasso(alpha=0.05).fit(X, y)
    # tol is measured on the loss over the target's variance (about 7 here).
    reg = NeuronRegressor(
        solver="sgd", learning_rate="adaptive", alpha=0.05, l1_ratio=1.0, tol=1e-5, random_state=0
    )
    reg.fit(X, y)
    assert_allclose(reg.coef_, lasso.coef_, atol=1e-3)
    assert_allclose(np.abs(reg.coef_[2:]), 0.0, atol=1e-4)


# --------------------------------------------------------------- stopping
@pytest.mark.parametrize("tol, n_iter_no_change", [(1e-4, 10), (1e-4, 2), (1e-2, 10)])
def test_tol_and_n_iter_no_change_stop_a_converged_sgd_fit(tol, n_iter_no_change):
    X, y = linear_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = NeuronRegressor(solver="sgd", tol=tol, n_iter_no_change=n_iter_no_change, random_state=0).fit(X, y)
    assert reg.n_iter_ < reg.max_iter
    # The rule compares losses divided by the target's variance with tol.
    assert reg.n_iter_ == stopping_epoch(reg.loss_curve_, tol * y.var(), n_iter_no_change)
    assert reg.best_loss_ == min(reg.loss_curve_)


def overfitting_data():
    """Few noisy rows for a wide hidden layer."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5))
    return X, X[:, 0] + 0.5 * rng.normal(size=80)


OVERFITTING_NET = {"hidden_layer_sizes": (64,), "solver": "adam", "validation_fraction": 0.25, "random_state": 0}


def test_early_stopping_stops_an_overfitting_net_and_keeps_its_best_epoch():
    X, y = overfitting_data()
    reg = NeuronRegressor(early_stopping=True, max_iter=1000, **OVERFITTING_NET).fit(X, y)

    scores = reg.validation_scores_
    best_epoch = int(np.argmax(scores)) + 1
    assert reg.n_iter_ < reg.max_iter
    assert best_epoch < reg.n_iter_
    assert reg.loss_curve_[-1] < reg.loss_curve_[best_epoch - 1]  # still learning the training rows
    assert reg.best_validation_score_ == max(scores)
    assert reg.best_loss_ is None

    # The held-out rows are train_test_split's, drawn with the estimator's seed.
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=reg._seed)
    assert r2_score(y_val, reg.predict(X_val)) == pytest.approx(max(scores), rel=1e-5)
    # The same training rows, run for the best and for the last epoch's count.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        best = NeuronRegressor(max_iter=best_epoch, **NEVER_STOP, **OVERFITTING_NET).fit(X_train, y_train)
        last = NeuronRegressor(max_iter=reg.n_iter_, **NEVER_STOP, **OVERFITTING_NET).fit(X_train, y_train)
    assert_allclose(reg.predict(X), best.predict(X), rtol=1e-5, atol=1e-6)
    assert np.abs(reg.predict(X) - last.predict(X)).max() > 1e-2
    assert r2_score(y_val, last.predict(X_val)) == pytest.approx(scores[-1], rel=1e-5)


def test_early_stopping_with_warm_start_keeps_the_best_epoch_of_all_calls():
    X, y = overfitting_data()
    # With this seed the second call never beats the first call's best epoch.
    params = dict(OVERFITTING_NET, random_state=3)
    reg = NeuronRegressor(early_stopping=True, warm_start=True, max_iter=1000, **params).fit(X, y)
    first_best = reg.best_validation_score_
    reg.fit(X, y)

    _, X_val, _, y_val = train_test_split(X, y, test_size=0.25, random_state=reg._seed)
    assert reg.best_validation_score_ == max(reg.validation_scores_) >= first_best
    assert r2_score(y_val, reg.predict(X_val)) == pytest.approx(reg.best_validation_score_, rel=1e-5)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_convergence_warning_when_max_iter_ends_an_unconverged_fit(solver):
    X, y = linear_data()
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        reg = NeuronRegressor(solver=solver, max_iter=3, random_state=0).fit(X, y)
    assert reg.n_iter_ == 3


# ------------------------------------------------ warm_start, partial_fit
@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_continues_weights_and_optimizer_state(solver):
    X, y = small_batch_data()
    params = dict(solver=solver, shuffle=False, random_state=0, **NEVER_STOP)
    once = NeuronRegressor(max_iter=10, **params).fit(X, y)
    twice = NeuronRegressor(max_iter=5, warm_start=True, **params).fit(X, y).fit(X, y)

    # n_iter_ counts the last call's epochs, as MLPRegressor's; the curve grows.
    assert twice.n_iter_ == 5 and once.n_iter_ == 10
    assert_allclose(twice.coef_, once.coef_, rtol=1e-6)
    assert_allclose(twice.intercept_, once.intercept_, rtol=1e-6)
    assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-6)


@ignore_convergence
def test_warm_start_after_another_solver_starts_a_fresh_momentum():
    X, y = small_batch_data()
    sgd = {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": False, "learning_rate_init": 0.1, "max_iter": 6}
    reg = NeuronRegressor(warm_start=True, alpha=0.0, shuffle=False, random_state=0, **sgd, **NEVER_STOP)
    reg.fit(X, y)
    y_other = np.random.RandomState(2).normal(size=len(y))
    reg.set_params(solver="lbfgs", tol=1e-6, max_iter=200).fit(X, y_other)
    W0, b0 = reg.coef_.copy(), reg.intercept_.copy()
    reg.set_params(**sgd, **NEVER_STOP).fit(X, y)

    # The momentum of the first sgd run belongs to weights that lbfgs replaced.
    W, b = in_internal_coordinates(
        sgd_reference, X, y, W0, b0, n_steps=6, learning_rates=np.full(6, 0.1), momentum=0.9, nesterov=False
    )
    assert_allclose(reg.coef_, W, rtol=1e-5, atol=1e-6)
    assert_allclose(reg.intercept_, b, rtol=1e-5, atol=1e-6)


@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_repeated_equals_fit_for_as_many_epochs(solver):
    X, y = small_batch_data()
    params = dict(solver=solver, shuffle=False, random_state=0, **NEVER_STOP)
    fitted = NeuronRegressor(max_iter=4, **params).fit(X, y)
    partial = NeuronRegressor(**params)
    for _ in range(4):
        partial.partial_fit(X, y)

    assert_allclose(partial.coef_, fitted.coef_, rtol=1e-6)
    assert_allclose(partial.intercept_, fitted.intercept_, rtol=1e-6)
    assert_allclose(partial.loss_curve_, fitted.loss_curve_, rtol=1e-6)
    assert partial.n_iter_ == 1 and fitted.n_iter_ == 4
    assert partial.t_ == fitted.t_ == 4 * len(y)


def test_partial_fit_adds_one_epoch_and_the_rows_seen():
    X, y = small_batch_data()
    reg = NeuronRegressor(solver="sgd", shuffle=False, random_state=0)
    samples_seen = 0
    for epoch, n_rows in enumerate((100, 97, 100), 1):  # one shape bucket: one compilation
        reg.partial_fit(X[:n_rows], y[:n_rows])
        samples_seen += n_rows
        assert reg.t_ == samples_seen
        assert len(reg.loss_curve_) == len(reg.learning_rate_curve_) == epoch
        assert reg.n_iter_ == 1


def test_partial_fit_keeps_adam_moments_between_calls():
    X, y = small_batch_data()
    hyper = {"learning_rate": 0.3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    reg = at_known_start(X, solver="adam", learning_rate_init=0.3, alpha=0.0, shuffle=False)
    W0, b0 = reg.coef_.copy(), reg.intercept_.copy()
    reg.partial_fit(X, y)
    W1, b1 = reg.coef_.copy(), reg.intercept_.copy()
    reg.partial_fit(X, y)

    W_kept, b_kept = in_internal_coordinates(adam_reference, X, y, W0, b0, n_steps=2, **hyper)
    W_fresh, _ = in_internal_coordinates(adam_reference, X, y, W1, b1, n_steps=1, **hyper)  # moments forgotten
    assert_allclose(reg.coef_, W_kept, rtol=1e-5, atol=1e-6)
    assert_allclose(reg.intercept_, b_kept, rtol=1e-5, atol=1e-6)
    assert np.abs(W_kept - W_fresh).max() > 0.1


# ---------------------------------------------------------------- float64
@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_runs_in_the_input_float_dtype(solver, dtype):
    X, y = tall_data() if solver == "lbfgs" else small_batch_data()
    reg = NeuronRegressor(solver=solver, shuffle=False, random_state=0).fit(X.astype(dtype), y.astype(dtype))
    assert all(W.dtype == dtype for W in reg.coefs_)
    assert all(b.dtype == dtype for b in reg.intercepts_)
    assert reg.predict(X.astype(dtype)).dtype == dtype


def test_float64_fit_leaves_jax_default_dtype_alone():
    X, y = tall_data()
    NeuronRegressor(random_state=0).fit(X, y)
    assert jax.config.jax_enable_x64 is False
    assert jnp.ones(1).dtype == jnp.float32
    after = NeuronRegressor(random_state=0).fit(X.astype(np.float32), y.astype(np.float32))
    assert after.coef_.dtype == np.float32


def test_float64_fit_is_more_precise_than_float32():
    X, y = tall_data()
    ols = LinearRegression().fit(X, y)
    distance = {}
    for dtype in (np.float32, np.float64):
        reg = NeuronRegressor(alpha=0.0, tol=0.0, random_state=0).fit(X.astype(dtype), y.astype(dtype))
        distance[dtype] = np.abs(reg.coef_ - ols.coef_).max()
    assert distance[np.float64] < distance[np.float32] / 100


# ----------------------------------------------------------------- curves
def test_curves_have_one_entry_per_epoch():
    X, y = linear_data()
    plain = NeuronRegressor(solver="sgd", random_state=0).fit(X, y)
    lbfgs = NeuronRegressor(random_state=0).fit(X, y)
    stopped = NeuronRegressor(early_stopping=True, max_iter=1000, **OVERFITTING_NET).fit(*overfitting_data())

    for reg in (plain, stopped):
        assert len(reg.loss_curve_) == len(reg.learning_rate_curve_) == reg.n_iter_
    assert len(stopped.validation_scores_) == stopped.n_iter_
    assert len(lbfgs.loss_curve_) == lbfgs.n_iter_
    assert stopped.loss_ == stopped.loss_curve_[-1]


@ignore_convergence
def test_curves_grow_with_warm_start():
    X, y = overfitting_data()
    reg = NeuronRegressor(early_stopping=True, warm_start=True, max_iter=5, **OVERFITTING_NET)
    reg.fit(X, y).fit(X, y)
    assert len(reg.loss_curve_) == len(reg.learning_rate_curve_) == len(reg.validation_scores_) == 10
    assert reg.n_iter_ == 5


# ------------------------------------------ MLPRegressor's defined behaviours
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_with_a_larger_max_iter_runs_until_n_iter_reaches_it(solver):
    """scikit-learn's test_mlp_warm_start_no_convergence (issues #24764, #16812)."""
    X, y = linear_data()
    params = {"hidden_layer_sizes": (5,), "solver": solver, "tol": 0.0, "n_iter_no_change": np.inf}
    reg = NeuronRegressor(warm_start=True, max_iter=10, random_state=0, **params)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.n_iter_ == 10
    reg.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.n_iter_ == 20


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_validation_attributes_are_none_without_early_stopping(solver):
    reg = NeuronRegressor(solver=solver, random_state=0).fit(*linear_data())
    assert reg.validation_scores_ is None
    assert reg.best_validation_score_ is None


def test_partial_fit_refuses_early_stopping_as_mlp_regressor():
    X, y = linear_data()
    reg = NeuronRegressor(solver="sgd", random_state=0).partial_fit(X, y)
    before = reg.coef_.copy()
    reg.set_params(early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        reg.partial_fit(X, y)
    assert_array_equal(reg.coef_, before)


def test_divergence_under_early_stopping_keeps_the_best_weights_and_warns():
    """scikit-learn's test_mlp_diverging_loss (issue #29504): no error."""
    X, y = linear_data()
    reg = NeuronRegressor(
        hidden_layer_sizes=(100,), hidden_activation="identity", solver="sgd", learning_rate_init=1e4,
        momentum=0.9, early_stopping=True, max_iter=20, random_state=0,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="Solver produced non-finite parameter weights"):
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1]) and isinstance(reg.validation_scores_[-1], float)
    assert np.all(np.isfinite(reg.predict(X)))
    assert reg.best_validation_score_ == np.nanmax(reg.validation_scores_ + [-np.inf])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_non_finite_error_begins_with_scikit_learns_words(solver):
    X, y = linear_data()
    with pytest.raises(ValueError, match=r"^Solver produced non-finite parameter weights.*learning_rate_init"):
        NeuronRegressor(solver=solver, learning_rate_init=1e300, random_state=0).fit(X, y)


def test_divergence_of_an_unscaled_output_names_the_targets_and_the_fix():
    """A Poisson (exp) output does not standardize its targets: their scale
    is the likely cause, and TransformedTargetRegressor the fix."""
    X, y = linear_data()
    reg = NeuronRegressor(loss="poisson", solver="sgd", random_state=0)
    with pytest.raises(ValueError, match="targets reach .+TransformedTargetRegressor"):
        reg.fit(X, 1e200 * np.abs(y))


def test_divergence_of_an_identity_output_does_not_blame_the_targets():
    """An identity output standardizes its targets: their scale is no cause."""
    X, y = linear_data()
    with pytest.raises(ValueError, match="learning_rate_init") as error:
        NeuronRegressor(solver="sgd", learning_rate_init=1e300, random_state=0).fit(X, 1e200 * y)
    assert "targets" not in str(error.value)


# ----------------------------------------------------------- fit_intercept
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_fit_intercept_false_fixes_the_output_bias_at_zero(solver):
    X, y = linear_data(intercept=5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = NeuronRegressor(fit_intercept=False, solver=solver, tol=1e-8, random_state=0).fit(X, y)
    ols = LinearRegression(fit_intercept=False).fit(X, y)
    assert reg.intercept_ == 0.0
    assert_allclose(reg.coef_, ols.coef_, atol=1e-2 if solver == "sgd" else 1e-6)


def test_fit_intercept_false_keeps_the_hidden_biases():
    X, y = linear_data()
    reg = NeuronRegressor(hidden_layer_sizes=(6,), fit_intercept=False, random_state=0).fit(X, y)
    assert np.all(reg.intercepts_[-1] == 0.0)
    assert np.any(reg.intercepts_[0] != 0.0)


def test_changing_fit_intercept_needs_a_fresh_fit():
    X, y = linear_data()
    reg = NeuronRegressor(solver="sgd", warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="fit_intercept changed"):
        reg.set_params(fit_intercept=False).fit(X, y)


# ------------------------------------------------------------ honest stops
def test_lbfgs_warns_whenever_it_stops_above_tol():
    X, y = linear_data()
    with pytest.warns(ConvergenceWarning, match=r"max_iter=1 reached"):
        NeuronRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(X, y)
    # tol=0 cannot be met: the run ends at the rounding level, and says so.
    with pytest.warns(ConvergenceWarning, match="no further decrease"):
        NeuronRegressor(tol=0.0, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NeuronRegressor(random_state=0).fit(X, y)  # converged: silent


@ignore_convergence
@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_training_is_the_same_whatever_the_units_of_X_and_y(solver):
    """The preconditioned path does not depend on the data's units: the same
    losses (in the new units) and the same predictions, step for step."""
    X, y = linear_data()
    params = {"hidden_layer_sizes": (4,), "solver": solver, "max_iter": 12, **NEVER_STOP, "random_state": 0}
    plain = NeuronRegressor(**params).fit(X, y)
    units = NeuronRegressor(**params).fit(1e4 * X - 3e5, 1e-3 * y + 7.0)
    assert plain.n_iter_ == units.n_iter_ == 12
    assert_allclose(units.loss_curve_, 1e-6 * np.asarray(plain.loss_curve_), rtol=1e-6)
    assert_allclose(units.predict(1e4 * X - 3e5), 1e-3 * plain.predict(X) + 7.0, rtol=1e-6)
