"""The forward pass, for NumPy and JAX alike: no JAX import here.

It also says which models train on standardized targets
(:func:`scales_target`), a fact the training programs act on and the
regressor's error messages report.

Parameters are a list of ``(W, b)`` pairs, one per dense layer, with ``W`` of
shape ``(fan_in, fan_out)``. Every function takes the array namespace ``xp``
(``numpy`` for ``predict``, ``jax.numpy`` inside the training programs), so
that prediction and serving never import JAX. ``X`` may be a scipy.sparse
matrix (``predict``) or ``_sparse.SparseRows`` (training): only the first
layer's ``X @ W`` touches it, a sparse-dense product that returns a dense
array.
"""

import operator

import numpy as np


def _softmax(z, xp):
    e = xp.exp(z - xp.max(z, axis=1, keepdims=True))  # no overflow
    return e / xp.sum(e, axis=1, keepdims=True)


ACTIVATIONS = {
    "identity": lambda z, xp: z,
    # tanh form of the logistic: no overflow for large |z|, in NumPy and JAX.
    "logistic": lambda z, xp: 0.5 * (xp.tanh(0.5 * z) + 1.0),
    "tanh": lambda z, xp: xp.tanh(z),
    "relu": lambda z, xp: xp.maximum(z, 0.0),
    "exp": lambda z, xp: xp.exp(z),
    "softmax": _softmax,
}

TARGET_SCALED_LOSSES = ("squared_error", "huber", "absolute_error")


def scales_target(output_activation, loss):
    """Whether training standardizes the targets: an identity output and a
    loss that shifting and scaling ``y`` maps onto itself.

    Examples
    --------
    >>> scales_target("identity", "squared_error"), scales_target("exp", "poisson")
    (True, False)
    """
    return output_activation == "identity" and loss in TARGET_SCALED_LOSSES


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


def raw_output(params, X, hidden_activation, xp=np, matmul=operator.matmul):
    """Return the output layer's pre-activation ``z = h W + b``.

    ``matmul(h, W)`` takes each layer's product (the training programs of a
    search lay it out otherwise, see ``_model.by_model_product``).

    Examples
    --------
    >>> import numpy as np
    >>> params = [(np.array([[2.0]]), np.array([1.0]))]
    >>> raw_output(params, np.array([[3.0]]), "relu")
    array([[7.]])
    """
    h = X
    for W, b in params[:-1]:
        h = ACTIVATIONS[hidden_activation](matmul(h, W) + b, xp)
    W, b = params[-1]
    return matmul(h, W) + b


def forward(params, X, hidden_activation, output_activation, xp=np):
    """Return the predictions ``f(z)``, shape ``(n_samples, n_outputs)``.

    Examples
    --------
    >>> import numpy as np
    >>> params = [(np.array([[0.0]]), np.array([0.0]))]
    >>> forward(params, np.array([[3.0]]), "relu", "logistic")
    array([[0.5]])
    """
    z = raw_output(params, X, hidden_activation, xp)
    return ACTIVATIONS[output_activation](z, xp)
