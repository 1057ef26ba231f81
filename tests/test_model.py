"""The model's math: forward pass, losses, penalty and their gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknn_neuron import _forward, _model, _shapes


@pytest.fixture
def neuron_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.normal(size=(40, 1)).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=40).astype(np.float32)
    params = [(rng.normal(size=(3, 1)).astype(np.float32), rng.normal(size=1).astype(np.float32))]
    return params, X, y, w


def test_gradient_of_linear_neuron_matches_closed_form(neuron_problem):
    params, X, y, w = neuron_problem
    alpha = 0.3

    def objective(p):
        mean, _ = _model.weighted_mean_loss(p, X, y, w, "squared_error", "relu", "identity", 1.0)
        return mean + _model.penalty(p, alpha, 0.0)

    (dW, db), = jax.grad(objective)(params)
    W, b = params[0]
    r = X @ W + b - y  # d/dz of 0.5 r^2
    expected_dW = X.T @ (w[:, None] * r) / w.sum() + alpha * W
    expected_db = (w[:, None] * r).sum(0) / w.sum()
    assert_allclose(dW, expected_dW, rtol=1e-5)
    assert_allclose(db, expected_db, rtol=1e-5)


def test_gradient_of_sigmoid_neuron_matches_closed_form(neuron_problem):
    params, X, y, w = neuron_problem

    def objective(p):
        return _model.weighted_mean_loss(p, X, y, w, "squared_error", "relu", "logistic", 1.0)[0]

    (dW, db), = jax.grad(objective)(params)
    W, b = params[0]
    s = 1 / (1 + np.exp(-(X @ W + b)))
    delta = w[:, None] * (s - y) * s * (1 - s) / w.sum()
    assert_allclose(dW, X.T @ delta, rtol=1e-4, atol=1e-7)
    assert_allclose(db, delta.sum(0), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_forward_is_the_same_in_numpy_and_jax(activation):
    rng = np.random.RandomState(1)
    params = _forward.init_params(rng, [4, 5, 2], "tanh", activation, np.float64)
    X = rng.normal(size=(7, 4))
    with jax.enable_x64(True):
        expected = np.asarray(_forward.forward(params, jnp.asarray(X), "tanh", activation, xp=jnp))
    assert_allclose(_forward.forward(params, X, "tanh", activation), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "loss, output, n_outputs", [("squared_error", "identity", 2), ("log_loss", "softmax", 3), ("huber", "identity", 1)]
)
def test_search_layout_gives_the_fit_loss_and_gradient(loss, output, n_outputs):
    # A search's programs lay the products out model by model (by_model=True):
    # the same loss and gradient as a fit's, vmapped over models or not.
    rng = np.random.RandomState(2)
    with jax.enable_x64(True):
        params = _forward.init_params(rng, [4, 5, n_outputs], "tanh", output, np.float64)
        X, w = jnp.asarray(rng.normal(size=(9, 4))), jnp.asarray(rng.uniform(0.5, 2.0, 9))
        labels = np.eye(n_outputs)[rng.randint(n_outputs, size=9)]
        y = jnp.asarray(labels if loss == "log_loss" else rng.normal(size=(9, n_outputs)))

        def loss_and_grad(p, by_model):
            objective = lambda q: _model.weighted_mean_loss(q, X, y, w, loss, "tanh", output, 1.0, by_model=by_model)[0]
            return jax.value_and_grad(objective)(p)

        fit = loss_and_grad(params, False)
        searched = loss_and_grad(params, True)
        stacked = jax.tree.map(lambda *a: jnp.stack(a), params, jax.tree.map(lambda a: 2 * a, params))
        vmapped = jax.vmap(lambda p: loss_and_grad(p, True))(stacked)
        for got, expected in zip(jax.tree.leaves(searched), jax.tree.leaves(fit)):
            assert_allclose(got, expected, rtol=1e-13)
        for got, expected in zip(jax.tree.leaves(vmapped), jax.tree.leaves(fit)):
            assert_allclose(got[0], expected, rtol=1e-13)


def test_logistic_does_not_overflow_for_large_inputs():
    z = np.array([-1e4, 0.0, 1e4])
    with np.errstate(all="raise"):
        assert_allclose(_forward.ACTIVATIONS["logistic"](z, np), [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "loss, residual, expected",
    [
        ("squared_error", 2.0, 2.0),
        ("absolute_error", -2.0, 2.0),
        ("huber", 0.5, 0.125),  # quadratic inside the threshold
        ("huber", 3.0, 2.5),  # linear outside: delta * (|r| - delta / 2)
    ],
)
def test_row_losses_follow_their_definitions(loss, residual, expected):
    z = jnp.array([[residual]])
    assert_allclose(_model.row_losses(loss, "identity", z, jnp.zeros((1, 1)), 1.0), [expected])


def test_poisson_loss_is_half_deviance_and_zero_at_the_target():
    y = jnp.array([[3.0]])
    assert_allclose(_model.row_losses("poisson", "exp", jnp.log(y), y, 1.0), [0.0], atol=1e-6)
    mu = 2.0
    expected = 3.0 * np.log(3.0 / mu) - 3.0 + mu
    assert_allclose(_model.row_losses("poisson", "exp", jnp.log(jnp.array([[mu]])), y, 1.0), [expected], rtol=1e-6)


def test_penalty_mixes_l2_and_l1_on_weights_only():
    params = [(jnp.array([[3.0], [-4.0]]), jnp.array([100.0]))]
    assert_allclose(_model.penalty(params, 2.0, 0.0), 2.0 * 0.5 * 25.0)
    assert_allclose(_model.penalty(params, 2.0, 1.0), 2.0 * 7.0)
    assert_allclose(_model.penalty(params, 2.0, 0.5), 2.0 * (0.25 * 25.0 + 0.5 * 7.0))


def test_zero_weight_rows_change_neither_loss_nor_gradient(neuron_problem):
    params, X, y, w = neuron_problem
    X_pad, y_pad, w_pad = _shapes.pad(X, y, w, 64)
    X_pad[40:] = 1e3  # whatever the padding holds, its weight is zero

    def loss(p, X, y, w):
        return _model.weighted_mean_loss(p, X, y, w, "squared_error", "relu", "identity", 1.0)[0]

    assert_allclose(loss(params, X_pad, y_pad, w_pad), loss(params, X, y, w), rtol=1e-6)
    grads_pad = jax.grad(loss)(params, X_pad, y_pad, w_pad)
    grads = jax.grad(loss)(params, X, y, w)
    for a, b in zip(jax.tree.leaves(grads_pad), jax.tree.leaves(grads)):
        assert_allclose(a, b, rtol=1e-5)


def test_r2_score_matches_sklearn():
    from sklearn.metrics import r2_score

    rng = np.random.RandomState(2)
    params = _forward.init_params(rng, [3, 2], "relu", "identity", np.float64)
    X, y, w = rng.normal(size=(30, 3)), rng.normal(size=(30, 2)), rng.uniform(size=30)
    pred = _forward.forward(params, X, "relu", "identity")
    with jax.enable_x64(True):
        ours = float(_model.r2_score(params, jnp.asarray(X), jnp.asarray(y), jnp.asarray(w), "relu", "identity"))
    assert_allclose(ours, r2_score(y, pred, sample_weight=w), rtol=1e-10)


@pytest.mark.parametrize("n", [1, 16, 17, 50, 199, 200, 201, 1000, 10**6])
def test_buckets_hold_the_rows_with_at_most_a_quarter_of_padding(n):
    size = _shapes.bucket_size(n)
    assert n <= size
    assert size <= max(16, 1.25 * n)
