"""The model as pure functions: parameters, forward pass, losses and penalty.

Parameters are a list of ``(W, b)`` pairs, one per dense layer, with ``W`` of
shape ``(fan_in, fan_out)``. Every function takes the array namespace ``xp``
where it also serves NumPy (``predict`` runs on NumPy, training on JAX).
"""

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlogy

ACTIVATIONS = {
    "identity": lambda z, xp: z,
    # tanh form of the logistic: no overflow for large |z|, in NumPy and JAX.
    "logistic": lambda z, xp: 0.5 * (xp.tanh(0.5 * z) + 1.0),
    "tanh": lambda z, xp: xp.tanh(z),
    "relu": lambda z, xp: xp.maximum(z, 0.0),
    "exp": lambda z, xp: xp.exp(z),
}

LOSSES = ("squared_error", "huber", "absolute_error", "poisson")


def init_params(rng, layer_units, hidden_activation, output_activation, dtype):
    """Draw Glorot-uniform weights and biases, as ``MLPRegressor`` does.

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    layer_units : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    hidden_activation, output_activation : str
        Keys of ``ACTIVATIONS``; the logistic gets a narrower range.
    dtype : numpy dtype
        dtype of the returned arrays.

    Returns
    -------
    params : list of (ndarray, ndarray)
        One ``(W, b)`` pair per layer.

    Examples
    --------
    >>> import numpy as np
    >>> params = init_params(np.random.RandomState(0), [3, 1], "relu",
    ...                      "identity", np.float32)
    >>> [(W.shape, b.shape) for W, b in params]
    [((3, 1), (1,))]
    """
    params = []
    n_layers = len(layer_units) - 1
    for i, (fan_in, fan_out) in enumerate(zip(layer_units[:-1], layer_units[1:])):
        activation = output_activation if i == n_layers - 1 else hidden_activation
        factor = 2.0 if activation == "logistic" else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype)
        b = rng.uniform(-bound, bound, fan_out).astype(dtype)
        params.append((W, b))
    return params


def raw_output(params, X, hidden_activation, xp=jnp):
    """Return the output layer's pre-activation ``z = h W + b``.

    Examples
    --------
    >>> import numpy as np
    >>> params = [(np.array([[2.0]]), np.array([1.0]))]
    >>> raw_output(params, np.array([[3.0]]), "relu", xp=np)
    array([[7.]])
    """
    h = X
    for W, b in params[:-1]:
        h = ACTIVATIONS[hidden_activation](h @ W + b, xp)
    W, b = params[-1]
    return h @ W + b


def forward(params, X, hidden_activation, output_activation, xp=jnp):
    """Return the predictions ``f(z)``, shape ``(n_samples, n_outputs)``.

    Examples
    --------
    >>> import numpy as np
    >>> params = [(np.array([[0.0]]), np.array([0.0]))]
    >>> forward(params, np.array([[3.0]]), "relu", "logistic", xp=np)
    array([[0.5]])
    """
    z = raw_output(params, X, hidden_activation, xp)
    return ACTIVATIONS[output_activation](z, xp)


def row_losses(loss, output_activation, z, y, huber_delta):
    """Loss of each row, averaged over outputs, from raw outputs ``z``.

    ``"poisson"`` is the half Poisson deviance with a log link, computed from
    ``z`` directly (``exp`` is its output activation) so it never overflows
    through a ``log``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> row_losses("squared_error", "identity", jnp.array([[3.0]]),
    ...            jnp.array([[1.0]]), 1.0)
    Array([2.], dtype=float32)
    """
    if loss == "poisson":
        values = jnp.exp(z) - y * z + xlogy(y, y) - y
    else:
        r = ACTIVATIONS[output_activation](z, jnp) - y
        if loss == "squared_error":
            values = 0.5 * r**2
        elif loss == "absolute_error":
            values = jnp.abs(r)
        elif loss == "huber":
            a = jnp.abs(r)
            values = jnp.where(a <= huber_delta, 0.5 * r**2, huber_delta * (a - 0.5 * huber_delta))
        else:
            raise ValueError(f"Unknown loss {loss!r}; expected one of {LOSSES}.")
    return values.mean(axis=1)


def penalty(params, alpha, l1_ratio):
    """Elastic-net penalty on the weights (biases are not penalized).

    ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)``, the
    convention of ``SGDRegressor``, so that its strength does not depend on
    the batch size.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> penalty([(jnp.array([[2.0]]), jnp.array([5.0]))], 1.0, 0.0)
    Array(2., dtype=float32)
    """
    l2 = sum(jnp.sum(W**2) for W, _ in params)
    l1 = sum(jnp.sum(jnp.abs(W)) for W, _ in params)
    return alpha * ((1.0 - l1_ratio) * 0.5 * l2 + l1_ratio * l1)


def weighted_mean_loss(params, X, y, w, loss, hidden_activation, output_activation, huber_delta):
    """Sample-weighted mean loss; rows of weight zero contribute nothing.

    Returns the mean and the sum of the weights; an all-zero batch has a mean
    of zero.
    """
    z = raw_output(params, X, hidden_activation)
    values = row_losses(loss, output_activation, z, y, huber_delta)
    wsum = w.sum()
    return jnp.sum(w * values) / jnp.where(wsum > 0, wsum, 1.0), wsum


def r2_score(params, X, y, w, hidden_activation, output_activation):
    """Weighted R^2 averaged over outputs, as ``RegressorMixin.score``."""
    pred = forward(params, X, hidden_activation, output_activation)
    wsum = w.sum()
    mean = (w[:, None] * y).sum(0) / wsum
    ss_res = (w[:, None] * (y - pred) ** 2).sum(0)
    ss_tot = (w[:, None] * (y - mean) ** 2).sum(0)
    safe = jnp.where(ss_tot > 0, ss_tot, 1.0)
    scores = jnp.where(ss_tot > 0, 1.0 - ss_res / safe, jnp.where(ss_res > 0, 0.0, 1.0))
    return scores.mean()
