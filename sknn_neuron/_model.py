"""The training objective as pure JAX functions: losses, penalty, scores.

The forward pass lives in ``_forward`` (NumPy and JAX alike); this module is
imported by the training programs only.
"""

import operator

import jax.numpy as jnp
from jax.scipy.special import xlogy

from ._forward import ACTIVATIONS, forward, raw_output
from ._sparse import SparseRows


def by_model_product(h, W):
    """``h @ W``, taken as ``(W.T @ h.T).T`` for a dense ``h``: a search's layout.

    The same numbers, laid out otherwise when vmapped over the models of a
    search: ``h @ W`` then gives a fold's products row by row, shape
    (rows, models), which XLA transposes on every step to the models'
    layout that the loss, its gradient and the second product read, where
    ``W.T @ h.T`` gives them in that layout. With the loss's weighted sum
    taken as a product too (:func:`weighted_mean_loss`), a step of 1,000
    linear neurons (200 candidates x 5 folds) on 200 rows of 20 features
    takes about 30 % less time on a CPU. A fit keeps ``h @ W``, faster
    there (an epoch on 1,000,000 x 100 in batches of 1,024 takes about a
    third less time). A sparse ``h`` (:class:`_sparse.SparseRows`) is
    multiplied as is.
    """
    if isinstance(h, SparseRows):
        return h @ W
    return (W.T @ h.T).T


def row_losses(loss, output_activation, z, y, huber_delta):
    """Loss of each row from raw outputs ``z``.

    Regression losses are averaged over the outputs. ``"poisson"`` is the
    half Poisson deviance with a log link, computed from ``z`` directly
    (``exp`` is its output activation) so it never overflows through a
    ``log``. ``"log_loss"`` is the cross-entropy from logits: of the softmax
    for a ``"softmax"`` output, summed over independent sigmoids for a
    ``"logistic"`` one (as ``MLPClassifier``'s for several labels).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> row_losses("squared_error", "identity", jnp.array([[3.0]]),
    ...            jnp.array([[1.0]]), 1.0)
    Array([2.], dtype=float32)
    >>> row_losses("log_loss", "logistic", jnp.array([[0.0]]), jnp.array([[1.0]]), 1.0)
    Array([0.6931472], dtype=float32)
    """
    if loss == "log_loss":
        if output_activation == "softmax":
            return jnp.logaddexp.reduce(z, axis=1) - jnp.sum(y * z, axis=1)
        return jnp.sum(jnp.logaddexp(0.0, z) - y * z, axis=1)  # softplus(z) - y z
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
            raise ValueError(f"Unknown loss {loss!r}.")
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


def weighted_mean_loss(params, X, y, w, loss, hidden_activation, output_activation, huber_delta, by_model=False):
    """Sample-weighted mean loss; rows of weight zero contribute nothing.

    Returns the mean and the sum of the weights; an all-zero batch has a mean
    of zero. ``by_model``: laid out for a search's program (see
    :func:`by_model_product`), the weighted sum taken as a product, which
    XLA's CPU backend then runs as one matrix-vector product over the models
    where it runs the reduction ``sum(w * values)`` several times slower.
    """
    z = raw_output(params, X, hidden_activation, jnp, by_model_product if by_model else operator.matmul)
    values = row_losses(loss, output_activation, z, y, huber_delta)
    wsum = w.sum()
    total = jnp.dot(w, values) if by_model else jnp.sum(w * values)
    return total / jnp.where(wsum > 0, wsum, 1.0), wsum


def r2_score(params, X, y, w, hidden_activation, output_activation):
    """Weighted R^2 averaged over outputs, as ``RegressorMixin.score``."""
    pred = forward(params, X, hidden_activation, output_activation, xp=jnp)
    wsum = w.sum()
    mean = (w[:, None] * y).sum(0) / wsum
    ss_res = (w[:, None] * (y - pred) ** 2).sum(0)
    ss_tot = (w[:, None] * (y - mean) ** 2).sum(0)
    safe = jnp.where(ss_tot > 0, ss_tot, 1.0)
    scores = jnp.where(ss_tot > 0, 1.0 - ss_res / safe, jnp.where(ss_res > 0, 0.0, 1.0))
    return scores.mean()


def accuracy_score(params, X, y, w, hidden_activation, output_activation):
    """Weighted accuracy of one-hot or indicator ``y``, as ``ClassifierMixin.score``.

    A row of several labels counts as right only if all its labels are
    (subset accuracy, as ``accuracy_score``).
    """
    z = raw_output(params, X, hidden_activation, xp=jnp)
    if output_activation == "softmax":
        right = jnp.argmax(z, axis=1) == jnp.argmax(y, axis=1)
    else:
        right = jnp.all((z > 0) == (y > 0.5), axis=1)
    n_right = jnp.sum(w * right)
    # ``+ 0 * n_right`` ties the divisor to the model: XLA rewrites a division
    # by a value shared by vmapped models (a search's fold) as a product with
    # its reciprocal, which rounds 41 / 100 differently, and a tie of
    # accuracies against ``tol`` would then break otherwise than in the fit.
    return n_right / (w.sum() + 0.0 * n_right)


def validation_score(loss, params, X, y, w, hidden_activation, output_activation):
    """The early-stopping score: accuracy for a classifier (log loss), else R^2."""
    score = accuracy_score if loss == "log_loss" else r2_score
    return score(params, X, y, w, hidden_activation, output_activation)
