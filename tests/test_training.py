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
    X, y = tall_data()
    X, y = X.astype(np.float32), y.astype(np.float32)
    full = NeuronRegressor(alpha=0.0, tol=1e-6, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_fun=1"):
        short = NeuronRegressor(alpha=0.0, tol=1e-6, max_fun=1, random_state=0).fit(X, y)
    assert 1 <= short.n_iter_ < full.n_iter_
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
    W, b = sgd_reference(
        X, y, W0, b0, n_steps=n_steps, learning_rates=rates, momentum=momentum, nesterov=nesterovs_momentum
    )
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

    W, b = adam_reference(
        X, y, W0, b0, n_steps=n_steps, learning_rate=rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon
    )
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
    reg = NeuronRegressor(solver="sgd", learning_rate="adaptive", alpha=0.05, l1_ratio=1.0, random_state=0)
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
    assert reg.n_iter_ == stopping_epoch(reg.loss_curve_, tol, n_iter_no_change)
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

    assert twice.n_iter_ == once.n_iter_ == 10
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
    W, b = sgd_reference(X, y, W0, b0, n_steps=6, learning_rates=np.full(6, 0.1), momentum=0.9, nesterov=False)
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
    assert partial.n_iter_ == fitted.n_iter_ == 4
    assert partial.t_ == fitted.t_ == 4 * len(y)


def test_partial_fit_adds_one_epoch_and_the_rows_seen():
    X, y = small_batch_data()
    reg = NeuronRegressor(solver="sgd", shuffle=False, random_state=0)
    samples_seen = 0
    for epoch, n_rows in enumerate((100, 97, 100), 1):  # one shape bucket: one compilation
        reg.partial_fit(X[:n_rows], y[:n_rows])
        samples_seen += n_rows
        assert reg.t_ == samples_seen
        assert reg.n_iter_ == len(reg.loss_curve_) == len(reg.learning_rate_curve_) == epoch


def test_partial_fit_keeps_adam_moments_between_calls():
    X, y = small_batch_data()
    hyper = {"learning_rate": 0.3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    reg = at_known_start(X, solver="adam", learning_rate_init=0.3, alpha=0.0, shuffle=False)
    W0, b0 = reg.coef_.copy(), reg.intercept_.copy()
    reg.partial_fit(X, y)
    W1, b1 = reg.coef_.copy(), reg.intercept_.copy()
    reg.partial_fit(X, y)

    W_kept, b_kept = adam_reference(X, y, W0, b0, n_steps=2, **hyper)
    W_fresh, _ = adam_reference(X, y, W1, b1, n_steps=1, **hyper)  # moments forgotten
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
    assert len(reg.loss_curve_) == len(reg.learning_rate_curve_) == len(reg.validation_scores_) == reg.n_iter_ == 10
