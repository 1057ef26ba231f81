"""The compiled L-BFGS is scipy's L-BFGS-B without bounds, step for step.

``MLPRegressor(solver="lbfgs")`` runs scipy's L-BFGS-B; ``_lbfgs.minimize``
follows the same algorithm (direction, first step, Moré-Thuente line search,
pair skipping, restarts), so on the same function from the same start both
visit the same points, to rounding, with the same number of evaluations.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from numpy.testing import assert_allclose

from sknn_neuron import _lbfgs


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def tanh_network(theta):
    """Squared error of a 3-4-1 tanh network on fixed data: non-convex."""
    rng = np.random.RandomState(0)
    X, y = jnp.asarray(rng.normal(size=(30, 3))), jnp.asarray(np.sin(rng.normal(size=30)))
    W1, b1, W2, b2 = theta[:12].reshape(3, 4), theta[12:16], theta[16:20], theta[20]
    return 0.5 * jnp.mean((jnp.tanh(X @ W1 + b1) @ W2 + b2 - y) ** 2)


def scipy_lbfgsb(fun, x0, n_iter):
    value_and_grad = jax.jit(jax.value_and_grad(fun))
    return scipy.optimize.minimize(
        lambda x: [np.asarray(a) for a in value_and_grad(x)], np.asarray(x0), jac=True, method="L-BFGS-B",
        options={"maxiter": n_iter, "gtol": 0.0, "ftol": 0.0},
    )  # fmt: skip


def ours(fun, x0, n_iter, **kwargs):
    run = jax.jit(
        lambda x: _lbfgs.minimize(jax.value_and_grad(fun), x, tol=0.0, max_iter=n_iter, max_fun=10_000,
                                  history_size=64, **kwargs)
    )  # fmt: skip
    return run(x0)


@pytest.mark.parametrize(
    "fun, x0",
    [
        (rosenbrock, np.array([-1.2, 1.0, -0.5, 0.8, 1.3])),
        (tanh_network, np.random.RandomState(1).uniform(-0.5, 0.5, 21)),
    ],
    ids=["rosenbrock", "tanh_network"],
)
@pytest.mark.parametrize("n_iter", [1, 2, 5, 15])
def test_iterates_and_evaluations_equal_scipy_lbfgsb(fun, x0, n_iter):
    with jax.enable_x64(True):
        x0 = jnp.asarray(x0)
        result = ours(fun, x0, n_iter)
        reference = scipy_lbfgsb(fun, x0, n_iter)
        assert int(result.n_iter) == reference.nit == n_iter
        assert int(result.n_fun) == reference.nfev
        assert_allclose(np.asarray(result.x), reference.x, rtol=1e-9, atol=1e-12)
        assert float(result.f) == pytest.approx(reference.fun, rel=1e-12)


def test_losses_record_each_iteration():
    with jax.enable_x64(True):
        x0 = jnp.asarray([-1.2, 1.0, -0.5])
        result = ours(rosenbrock, x0, 10)
        losses = np.asarray(result.losses)
        assert np.all(np.diff(losses[:10]) < 0)  # every accepted step decreases the objective
        assert np.isnan(losses[10:]).all()
        assert losses[9] == float(result.f)


def test_gradient_tolerance_stops_the_run():
    with jax.enable_x64(True):
        f = jax.value_and_grad(lambda x: jnp.sum((x - 3.0) ** 2) + jnp.sum(x**4) / 100)
        result = jax.jit(lambda x: _lbfgs.minimize(f, x, tol=1e-8, max_iter=100, max_fun=1000, history_size=128))(
            jnp.zeros(4)
        )
        assert float(result.grad_max) <= 1e-8
        assert 2 < int(result.n_iter) < 100


@pytest.mark.parametrize("line_search", ["more_thuente", "backtracking"])
def test_a_wrong_gradient_ends_the_run_without_a_step(line_search):
    """No decrease along the (reversed) gradient, even after a restart: the
    run stops where it started and reports its gradient."""
    with jax.enable_x64(True):
        f = jax.value_and_grad(lambda x: jnp.sum((x - 1.0) ** 2))

        def reversed_gradient(x):
            value, grad = f(x)
            return value, -grad

        result = jax.jit(
            lambda x: _lbfgs.minimize(reversed_gradient, x, tol=1e-6, max_iter=50, max_fun=1000,
                                      history_size=64, line_search=line_search)
        )(jnp.zeros(3))  # fmt: skip
        assert int(result.n_iter) == 0
        assert_allclose(np.asarray(result.x), 0.0)
        assert float(result.grad_max) == pytest.approx(2.0)
        assert bool(result.finite)


def test_backtracking_reaches_past_the_objectives_rounding():
    """A quadratic with a large constant: its value cannot resolve the last
    digits of the minimizer, its gradient can (approximate Wolfe steps)."""
    with jax.enable_x64(True):
        target = jnp.asarray([1.0, -2.0, 3.0])
        scales = jnp.asarray([1.0, 10.0, 100.0])
        f = jax.value_and_grad(lambda x: 1e8 + 0.5 * jnp.sum(scales * (x - target) ** 2))
        result = jax.jit(
            lambda x: _lbfgs.minimize(f, x, tol=1e-12, max_iter=100, max_fun=2000, history_size=128,
                                      line_search="backtracking")
        )(jnp.zeros(3))  # fmt: skip
        assert float(result.grad_max) <= 1e-12
        assert_allclose(np.asarray(result.x), np.asarray(target), rtol=1e-13)
