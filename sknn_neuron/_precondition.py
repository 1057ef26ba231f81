"""Preconditioning: the optimizer works in well-conditioned coordinates.

Training never changes the objective: it is the user's loss of the user's
model, plus the penalty on the weights in the user's units. What changes is
the coordinates the optimizer moves in. The parameters it updates,
``theta``, map to the user's parameters by an exact affine map,
:func:`to_user`, applied inside every loss evaluation:

- the first layer sees centred, whitened inputs ``(X - x_shift) @ x_map``:
  its user weights are ``x_map @ V`` and its bias absorbs ``-x_shift @ W``;
- an identity output sees standardized targets: its user weights and bias
  are ``y_scale`` times the internal ones, plus ``y_shift`` on the bias.

Gradients flow through the map (``jax.vjp``), and the objective is divided by
a constant ``loss_scale`` (``y_scale ** 2`` for the squared error), so that
learning rates and ``tol`` mean the same whatever the units of ``X`` and
``y``. In these coordinates the Hessian of a linear neuron's squared error is
the identity, and L-BFGS reaches the least-squares answer in a few steps.

``x_map`` is either the column scaling ``1 / std`` (``"diagonal"``: an
elementwise map, free at every step) or the symmetric inverse square root of
the weighted covariance of ``X`` (``"full"``): a continuous function of the
data, so data that differ by rounding (integer weights against repeated
rows) get factors that differ by rounding. Its Gram matrix squares the
condition number; when that loses digits, a second pass on the once-whitened
data restores them (CholeskyQR2's idea, with ``eigh``).

Every function here is pure JAX, traced inside the compiled programs.
"""

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import custom_batching, lax

from ._sparse import SparseRows, column_moments

SAMPLE_ROWS = 1 << 16  # rows that estimate the preconditioner


class Preconditioner(NamedTuple):
    """The coordinates of training (arrays in the data's dtype)."""

    x_shift: Any  # (n_features,) weighted column means, or zeros
    x_map: Any  # (n_features, n_features) or (n_features,): internal to user first-layer weights
    x_unmap: Any  # the inverse of x_map
    y_shift: Any  # (n_outputs,) weighted target means, or zeros
    y_scale: Any  # () target scale, or 1
    loss_scale: Any  # () the objective is divided by it


def fit(kind, X, y, w, *, centre_x, centre_y, scale_y, loss, huber_delta, ridge=0.0, batch_size=None):
    """Compute the preconditioner of the weighted data.

    Parameters
    ----------
    kind : {"full", "diagonal"}
        Static: whiten the inputs, or only scale their columns.
    X, y, w : arrays of shape (n, d), (n, k), (n,)
        Padded data; rows of weight zero count for nothing. ``X`` may be
        :class:`~sknn_neuron._sparse.SparseRows` (``kind="diagonal"`` only):
        its column statistics come from its stored entries, and its shift
        is never subtracted from it.
    centre_x, centre_y : traced 0.0 or 1.0
        Whether a bias can absorb the inputs' means (there is a bias in the
        first layer) and the targets' means (``fit_intercept``).
    scale_y : bool
        Static: standardize the targets (see :func:`_forward.scales_target`).
    loss : str
        Static: the loss, which fixes ``loss_scale``.
    huber_delta : traced float
    ridge : traced float, default=0.0
        The L2 penalty's curvature relative to the data's, in the inputs'
        units (see :func:`ridge`): the factor whitens ``Cov(X) + ridge I``,
        the Hessian of a linear neuron's objective, penalty included.
    batch_size : traced number or None, default=None
        The rows of a stochastic solver's minibatch (``"diagonal"``
        only; ``inf`` for one batch of all rows). The scaled columns are then shrunk by one common factor so
        that a minibatch's curvature stays of order one; see
        :func:`_minibatch_factor`. ``None``: full batch (L-BFGS).

    Returns
    -------
    Preconditioner

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> X = jnp.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0], [4.0, 40.0]])
    >>> y = 100.0 * X[:, :1]
    >>> pre = fit("full", X, y, jnp.ones(4), centre_x=1.0, centre_y=1.0,
    ...           scale_y=True, loss="squared_error", huber_delta=1.0)
    >>> Xt = (X - pre.x_shift) @ pre.x_map
    >>> jnp.round(Xt.T @ Xt / 4, 4) + 0.0  # unit covariance
    Array([[1., 0.],
           [0., 1.]], dtype=float32)
    >>> round(float(pre.y_scale), 3), round(float(pre.loss_scale))  # std of y, its square
    (111.803, 12500)
    """
    if isinstance(X, SparseRows):
        # One pass over the stored entries; the shift stays implicit in to_user.
        wn = w / w.sum()
        x_shift, std = column_moments(X, wn, centre_x)
    else:
        # Any shift and scale give an exact reparametrization; only how well
        # they condition the problem depends on them, and evenly strided rows
        # estimate them as well as all rows (X is shuffled or ordered alike).
        stride = -(-X.shape[0] // SAMPLE_ROWS)
        X, y, w = X[::stride], y[::stride], w[::stride]
        wn = w / w.sum()
        x_shift = centre_x * (wn @ X)
        std = _weighted_norm(X - x_shift, wn)  # dropped by XLA where unused ("full")
    if kind == "diagonal":
        std = _usable_scale(std, x_shift)
        x_map = 1.0 / jnp.hypot(std, jnp.sqrt(ridge))  # sqrt(std**2 + ridge), without overflow
        if batch_size is not None:
            x_map = x_map / _minibatch_factor(std * x_map, batch_size)
        x_unmap = 1.0 / x_map
    else:
        x_map, x_unmap = _whitening(jnp.sqrt(wn)[:, None] * (X - x_shift), x_shift, ridge)

    if scale_y:
        y_shift = centre_y * (wn @ y)
        y_scale = jnp.sqrt(jnp.mean(_weighted_norm(y - y_shift, wn) ** 2))
        y_scale = _usable_scale(y_scale, jnp.max(jnp.abs(y_shift)))
    else:
        y_shift, y_scale = jnp.zeros(y.shape[1], y.dtype), jnp.ones((), y.dtype)
    if not scale_y:
        loss_scale = jnp.ones((), y.dtype)
    elif loss == "squared_error":
        loss_scale = y_scale**2
    elif loss == "huber":  # quadratic below delta, linear above
        loss_scale = y_scale * jnp.minimum(y_scale, huber_delta)
    else:  # absolute_error
        loss_scale = y_scale
    return Preconditioner(x_shift, x_map, x_unmap, y_shift, y_scale, loss_scale.astype(y.dtype))


def _minibatch_factor(scaled_std, batch_size):
    """``sqrt(max(1, d / B))``: what keeps a minibatch's curvature of order one.

    In the scaled coordinates a linear neuron's Hessian is the covariance of
    the scaled inputs, whose trace ``d`` is their mean squared row norm. A
    minibatch of ``B`` rows estimates it by a matrix of rank at most ``B``,
    whose largest eigenvalue is therefore at least ``d / B``: about 500 for
    text-like sparse data of 100,000 columns in batches of 200, where a
    learning rate of 0.01 diverges. Dividing every column by this one factor
    bounds it again, and changes nothing while ``d <= B``. One batch of all
    rows is left as it is (``B = inf``): its steps are full gradient steps,
    the same for weighted rows as for repeated ones.
    """
    rows = jnp.sum(scaled_std**2)
    return jnp.sqrt(jnp.maximum(1.0, rows / batch_size)).astype(scaled_std.dtype)


def _weighted_norm(dev, wn):
    """``sqrt(wn @ dev**2)`` per column, without overflow for any finite ``dev``."""
    top = jnp.max(jnp.abs(dev), axis=0)
    top = jnp.where(top > 0, top, 1.0)
    return top * jnp.sqrt(wn @ (dev / top) ** 2)


def _is_constant(std, shift):
    """Whether ``std`` is only the rounding of a constant around ``shift``."""
    return std <= 64 * jnp.finfo(std.dtype).eps * jnp.abs(shift)


def _usable_scale(std, shift):
    """``std``, or 1 where the column is constant."""
    return jnp.where(_is_constant(std, shift), 1.0, std)


def ridge(loss, alpha, l1_ratio):
    """The L2 penalty's curvature over the loss's, per unit of input variance.

    A linear neuron's objective has the Hessian ``kappa Cov(X) + alpha (1 -
    l1_ratio) I`` in the user's units, ``kappa`` the loss's curvature: 1 for
    the squared error (whatever the targets' scale), 1/4 for the log loss at
    a probability of 1/2. Whitening the sum, not ``Cov(X)`` alone, keeps a
    penalty on the weights of badly scaled features (which, in the user's
    units, it is) from ruining the conditioning.

    Examples
    --------
    >>> ridge("log_loss", 0.01, 0.0), ridge("squared_error", 0.01, 0.5)
    (0.04, 0.005)
    """
    kappa = 0.25 if loss == "log_loss" else 1.0
    return alpha * (1.0 - l1_ratio) / kappa


def _whitening(A, x_shift, ridge):
    """``(P, P^-1)`` with ``P^T (A^T A + ridge I) P`` the identity on its range.

    Symmetric inverse square roots of the Gram matrix of the scaled columns.
    Eigenvalues below its rounding level are uncertain after one pass: a
    tiny direction or an empty one. The first pass lifts them to that level,
    so that a second pass on the once-whitened data can tell them apart: it
    whitens the tiny ones (a design of condition number up to about
    ``eps ** -0.75``) and brings the empty ones (constant or repeated
    columns) back to unit scale, so that nothing amplifies rounding noise.
    """
    top = jnp.max(jnp.abs(A), axis=0)
    top = jnp.where(top > 0, top, 1.0)
    A = A / top  # columns of at most 1: no overflow in the Gram matrix
    gram = A.T @ A
    norm = jnp.sqrt(jnp.diagonal(gram))
    # A constant column is only its rounding around the mean: it leaves the
    # problem, and its unit scale stays as it is.
    constant = _is_constant(top * norm, x_shift)
    top, norm = jnp.where(constant, 1.0, top), jnp.where(constant, 1.0, norm)
    A = jnp.where(constant, 0.0, A)
    gram = jnp.where(constant[:, None] | constant[None, :], 0.0, gram)
    # Columns scaled to unit norm of data and penalty together, sqrt(std**2 + ridge):
    # every entry stays at most 1, whatever the columns' scale.
    scale = jnp.hypot(norm, jnp.sqrt(ridge) / top)
    share = norm / scale  # of the data in a column's curvature; 1 - share**2 is the penalty's
    corr = gram / norm[:, None] / norm[None, :] * share[:, None] * share[None, :] + jnp.diag(1.0 - share**2)
    floor = _floor(corr)
    lam, V = jnp.linalg.eigh(corr)
    lam = jnp.where(floor > 0, jnp.maximum(lam, floor), 1.0)  # all zero: nothing to scale
    P, P_inv = _symmetric_powers(V, lam)
    scale = scale * top  # back to the columns' units
    P, P_inv = P / scale[:, None], P_inv * scale[None, :]

    lost_digits = jnp.min(lam) < jnp.sqrt(jnp.finfo(A.dtype).eps) * jnp.max(lam)
    return _refined(lost_digits, A, top, jnp.asarray(ridge, A.dtype), floor, P, P_inv)


@custom_batching.custom_vmap
def _refined(lost_digits, A, top, ridge, floor, P, P_inv):
    """``(P, P_inv)``, refined by a second pass on the once-whitened data if the first lost digits."""
    return lax.cond(lost_digits, _second_pass, lambda *args: args[-2:], A, top, ridge, floor, P, P_inv)


@_refined.def_vmap
def _refined_one_by_one(axis_size, in_batched, *args):
    """:func:`_refined` of many models (a search's), one model at a time.

    ``jax.vmap`` would turn its branch into a select, which computes the
    second pass, and a copy of the rows, for every model; most need neither.
    """
    if not any(in_batched):
        return _refined(*args), (False, False)

    def one(batched):
        slices = iter(batched)
        return _refined(*(next(slices) if b else a for a, b in zip(args, in_batched)))

    return lax.map(one, [a for a, b in zip(args, in_batched) if b]), (True, True)


def _second_pass(A, top, ridge, floor, P, P_inv):
    B = A @ (top[:, None] * P)  # the columns' units again
    gram = B.T @ B + ridge * (P.T @ P)
    lam, V = jnp.linalg.eigh(gram)
    # Rounding noise, lifted by the first pass, stays far below sqrt(eps):
    # those directions are empty, and the first pass's lift is undone.
    empty = lam <= jnp.sqrt(jnp.finfo(A.dtype).eps) * jnp.max(jnp.diagonal(gram))
    lam = jnp.where(empty, 1.0 / floor, lam)
    Q, Q_inv = _symmetric_powers(V, lam)
    return P @ Q, Q_inv @ P_inv


def _floor(G):
    """Rounding level of the eigenvalues of a Gram matrix."""
    top = jnp.max(jnp.diagonal(G))  # within a factor d of the largest eigenvalue
    return G.shape[0] * jnp.finfo(G.dtype).eps * top


def _symmetric_powers(V, lam):
    """``V diag(lam^-1/2) V^T`` and ``V diag(lam^1/2) V^T``."""
    root = jnp.sqrt(lam)
    return (V / root) @ V.T, (V * root) @ V.T


def _first_layer(x_map, W):
    return x_map @ W if x_map.ndim == 2 else x_map[:, None] * W


def to_user(params, pre, fit_intercept):
    """The user's parameters from the internal ones.

    ``fit_intercept`` (traced 0.0 or 1.0) zeroes the output bias.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> pre = Preconditioner(jnp.array([1.0]), jnp.array([0.5]), jnp.array([2.0]),
    ...                      jnp.array([10.0]), jnp.array(3.0), jnp.array(9.0))
    >>> [(W.tolist(), b.tolist()) for W, b in to_user([(jnp.ones((1, 1)), jnp.zeros(1))], pre, 1.0)]
    [([[1.5]], [8.5])]
    """
    params = list(params)
    W, b = params[-1]
    params[-1] = (pre.y_scale * W, fit_intercept * (pre.y_scale * b + pre.y_shift))
    V, c = params[0]
    W = _first_layer(pre.x_map, V)
    params[0] = (W, c - pre.x_shift @ W)
    return params


def to_internal(params, pre):
    """The inverse of :func:`to_user` (the output bias of a model fitted
    without intercept maps to zero).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> pre = Preconditioner(jnp.array([1.0]), jnp.array([0.5]), jnp.array([2.0]),
    ...                      jnp.array([10.0]), jnp.array(3.0), jnp.array(9.0))
    >>> user = to_user([(jnp.ones((1, 1)), jnp.zeros(1))], pre, 1.0)
    >>> [(V.tolist(), c.tolist()) for V, c in to_internal(user, pre)]
    [([[1.0]], [0.0])]
    """
    params = list(params)
    W, b = params[0]
    params[0] = (_first_layer(pre.x_unmap, W), b + pre.x_shift @ W)
    W, b = params[-1]
    params[-1] = (W / pre.y_scale, (b - pre.y_shift) / pre.y_scale)
    return params


def placeholder(kind, n_features, n_outputs, dtype):
    """An identity preconditioner of the right shapes, made with NumPy.

    It stands in for the preconditioner that a compiled program computes
    itself, so that both have one structure.
    """
    eye = np.eye(n_features, dtype=dtype) if kind == "full" else np.ones(n_features, dtype)
    return Preconditioner(
        np.zeros(n_features, dtype), eye, eye.copy(), np.zeros(n_outputs, dtype),
        np.ones((), dtype), np.ones((), dtype),
    )  # fmt: skip

