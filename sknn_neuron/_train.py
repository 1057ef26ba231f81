"""Compiled training programs: the only place that calls ``jax.jit``.

``train_epochs`` runs up to ``config.epochs_per_call`` epochs of minibatch
``sgd`` or ``adam`` as one program: a loop over epochs, each a loop over
contiguous batches taken in a random order. Gradient, optimizer update,
learning-rate schedule, stopping rule, divergence flag and the early-stopping
score all live inside it; Python sees the program once per chunk of epochs.

``train_lbfgs`` runs optax's L-BFGS to convergence as one program.

Programs are cached by their static configuration (a hashable ``NamedTuple``)
and by input shapes; every hyperparameter is a traced input.
"""

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.tree_utils as otu
from jax import lax

from . import _model, _shapes
from ._optim import make_lbfgs, make_optimizer, set_hyperparams

HYPERPARAMETERS = (
    "learning_rate_init", "alpha", "l1_ratio", "huber_delta", "momentum",
    "beta_1", "beta_2", "epsilon", "power_t", "tol", "n_iter_no_change",
)  # fmt: skip


class ModelConfig(NamedTuple):
    """What fixes the model's math (static)."""

    hidden_activation: str
    output_activation: str
    loss: str


class EpochConfig(NamedTuple):
    """What fixes the stochastic program (static)."""

    model: ModelConfig
    solver: str
    nesterov: bool
    schedule: str
    batch_size: int
    early_stopping: bool
    epochs_per_call: int


class TrainState(NamedTuple):
    """Everything an epoch changes; lives on the device between chunks."""

    params: Any
    opt_state: Any
    t: Any  # samples seen (sum of weights), for "invscaling"
    lr_scale: Any  # divided by 5 by "adaptive"
    best_loss: Any
    best_score: Any
    best_params: Any
    no_improvement: Any
    n_iter: Any  # epochs run so far
    finite: Any


def opt_state_placeholder(config, params):
    """Zeros shaped as the optimizer state, made without running or compiling anything.

    ``train_epochs(..., reset_optimizer=True)`` replaces it with the real
    initial state inside the compiled program.
    """
    shapes = jax.eval_shape(make_optimizer(config.solver, config.nesterov).init, params)
    return jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes)


def _all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]))


def _select(pred, on_true, on_false):
    return jax.tree.map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def _data_loss(params, X, y, w, hyper, model):
    return _model.weighted_mean_loss(
        params, X, y, w, model.loss, model.hidden_activation, model.output_activation, hyper["huber_delta"]
    )


def _add_penalty_gradient(grads, params, hyper):
    """Gradient of the elastic-net penalty, by hand: cheaper than through ``jax.grad``."""
    alpha, l1_ratio = hyper["alpha"], hyper["l1_ratio"]
    return [
        (dW + alpha * ((1.0 - l1_ratio) * W + l1_ratio * jnp.sign(W)), db)
        for (dW, db), (W, _) in zip(grads, params)
    ]


def _learning_rate(config, hyper, lr_scale, t):
    rate = hyper["learning_rate_init"] * lr_scale
    if config.schedule == "invscaling":
        rate = rate / (t + 1.0) ** hyper["power_t"]
    return rate


@functools.partial(jax.jit, static_argnames="config")
def train_epochs(config, state, data, validation, hyper, n_epochs, block_orders, reset_optimizer):
    """Run at most ``n_epochs`` epochs (``<= config.epochs_per_call``).

    Parameters
    ----------
    config : EpochConfig
        Static configuration.
    state : TrainState
        State at the start; see :class:`TrainState`.
    data : tuple
        ``(X, y, w, n_batches)``: padded arrays whose row count is a multiple
        of the batch size, and the number of batches holding real rows. Real
        rows have positive weights (the caller drops rows of weight zero), so
        every batch visited is a step.
    validation : tuple or None
        ``(X, y, w)`` scored by R^2 after each epoch when early stopping.
    hyper : dict
        Traced hyperparameters, keyed by ``HYPERPARAMETERS``.
    n_epochs : int
        Traced epoch budget of this call.
    block_orders : int array of shape (epochs_per_call, n_blocks)
        Epoch ``i`` of the call visits the blocks of consecutive batches in
        the order ``block_orders[i]`` (see :func:`_shapes.block_orders`).
    reset_optimizer : bool
        Traced; start from the optimizer's initial state instead of
        ``state.opt_state`` (then a placeholder of the same structure).

    Returns
    -------
    state : TrainState
    history : dict of arrays of shape (epochs_per_call,)
        ``loss``, ``score`` (NaN without early stopping), ``learning_rate``.
    n_done : int array
        Epochs run.
    stopped : bool array
        Whether the stopping rule ended the run.
    """
    X, y, w, n_batches = data
    model, batch = config.model, config.batch_size
    per_block = _shapes.batches_per_block(batch, X.shape[1], X.dtype.itemsize)
    optimizer = make_optimizer(config.solver, config.nesterov)
    total_weight = w.sum()
    initial = optimizer.init(state.params)
    state = state._replace(opt_state=_select(reset_optimizer, initial, state.opt_state))
    grad_fn = jax.value_and_grad(_data_loss, has_aux=True)

    n_in_blocks = n_batches // per_block * per_block  # the rest run in order, after them

    def batch_slot(blocks, j):
        return jnp.where(j < n_in_blocks, blocks[j // per_block] * per_block + j % per_block, j)

    def run_epoch(state, blocks):
        def step(carry):
            j, params, opt_state, t, loss_sum = carry
            start = batch_slot(blocks, j) * batch
            rows = functools.partial(lax.dynamic_slice_in_dim, start_index=start, slice_size=batch)
            (loss, wsum), grads = grad_fn(params, rows(X), rows(y), rows(w), hyper, model)
            grads = _add_penalty_gradient(grads, params, hyper)
            rate = _learning_rate(config, hyper, state.lr_scale, t)
            updates, opt_state = optimizer.update(grads, set_hyperparams(opt_state, rate, hyper), params)
            params = optax.apply_updates(params, updates)
            return j + 1, params, opt_state, t + wsum, loss_sum + loss * wsum

        zero = jnp.zeros((), total_weight.dtype)
        carry = (0, state.params, state.opt_state, state.t, zero)
        # Padding batches sit past n_batches and are never visited.
        _, params, opt_state, t, loss_sum = lax.while_loop(lambda c: c[0] < n_batches, step, carry)
        # The penalty at the epoch's end: its value at every step would cost a reduction each.
        loss = loss_sum / total_weight + _model.penalty(params, hyper["alpha"], hyper["l1_ratio"])
        # NaN and inf propagate: one check per epoch catches a divergence.
        finite = state.finite & jnp.isfinite(loss) & _all_finite(params)
        return state._replace(params=params, opt_state=opt_state, t=t, finite=finite), loss

    def update_stopping(state, loss):
        """``MLPRegressor``'s rule: stop after ``n_iter_no_change`` stalls."""
        tol = hyper["tol"]
        if config.early_stopping:
            score = _model.r2_score(state.params, *validation, model.hidden_activation, model.output_activation)
            stalled = score < state.best_score + tol
            better = score > state.best_score
            state = state._replace(
                best_score=jnp.where(better, score, state.best_score),
                best_params=_select(better, state.params, state.best_params),
            )
        else:
            score = jnp.full((), jnp.nan, loss.dtype)
            stalled = loss > state.best_loss - tol
        no_improvement = jnp.where(stalled, state.no_improvement + 1, 0)
        best_loss = jnp.minimum(state.best_loss, loss)
        exhausted = no_improvement > hyper["n_iter_no_change"]
        lr_scale, stop = state.lr_scale, exhausted
        if config.schedule == "adaptive":
            shrink = exhausted & (hyper["learning_rate_init"] * lr_scale > 1e-6)
            lr_scale = jnp.where(shrink, lr_scale / 5.0, lr_scale)
            no_improvement = jnp.where(shrink, 0, no_improvement)
            stop = exhausted & ~shrink
        state = state._replace(
            best_loss=best_loss, no_improvement=no_improvement, lr_scale=lr_scale, n_iter=state.n_iter + 1
        )
        return state, score, stop

    def epoch(carry):
        i, state, history, _ = carry
        rate = _learning_rate(config, hyper, state.lr_scale, state.t)
        state, loss = run_epoch(state, block_orders[i])
        state, score, stop = update_stopping(state, loss)
        history = {
            "loss": history["loss"].at[i].set(loss),
            "score": history["score"].at[i].set(score),
            "learning_rate": history["learning_rate"].at[i].set(rate),
        }
        return i + 1, state, history, stop

    size = config.epochs_per_call
    history = {name: jnp.full(size, jnp.nan, total_weight.dtype) for name in ("loss", "score", "learning_rate")}
    n_done, state, history, stopped = lax.while_loop(
        lambda c: (c[0] < n_epochs) & ~c[3] & c[1].finite, epoch, (0, state, history, False)
    )
    return state, history, n_done, stopped


@functools.partial(jax.jit, static_argnames=("model", "history_size"))
def train_lbfgs(model, history_size, params, data, hyper, max_iter, max_fun):
    """Minimize the full-batch objective with optax's L-BFGS.

    Stops when the largest gradient entry is ``<= tol`` (scipy's ``gtol``,
    as ``MLPRegressor``), when the objective no longer decreases, or after
    ``max_iter`` iterations or ``max_fun`` evaluations.

    Returns
    -------
    params, losses (history_size,), n_iter, converged, finite
    """
    X, y, w = data

    def value_fn(p):
        return _data_loss(p, X, y, w, hyper, model)[0] + _model.penalty(p, hyper["alpha"], hyper["l1_ratio"])

    optimizer = make_lbfgs(convex=len(params) == 1)
    value_and_grad = optax.value_and_grad_from_state(value_fn)

    def body(carry):
        it, n_fun, params, opt_state, losses, _, _ = carry
        value, grad = value_and_grad(params, state=opt_state)
        updates, new_state = optimizer.update(
            grad, opt_state, params, value=value, grad=grad, value_fn=value_fn
        )
        new_params = optax.apply_updates(params, updates)
        new_value = otu.tree_get(new_state, "value")
        new_grad = otu.tree_get(new_state, "grad")
        n_fun = n_fun + 1 + otu.tree_get(new_state, "num_linesearch_steps")
        # No decrease left to find (a float's precision): keep the better point.
        progress = new_value < value
        params = _select(progress, new_params, params)
        losses = losses.at[it].set(jnp.minimum(new_value, value))
        grad_max = jnp.max(jnp.stack([jnp.max(jnp.abs(g)) for g in jax.tree.leaves(new_grad)]))
        converged = (grad_max <= hyper["tol"]) | ~progress
        finite = jnp.isfinite(new_value) & _all_finite(new_params)
        return it + 1, n_fun, params, new_state, losses, converged, finite

    def cond(carry):
        it, n_fun, _, _, _, converged, finite = carry
        return (it < max_iter) & (n_fun < max_fun) & ~converged & finite

    dtype = X.dtype
    losses = jnp.full(history_size, jnp.nan, dtype)
    carry = (0, 0, params, optimizer.init(params), losses, False, True)
    n_iter, _, params, _, losses, converged, finite = lax.while_loop(cond, body, carry)
    return params, losses, n_iter, converged, finite
