"""The training programs, compiled by ``_programs`` (the only place that calls ``jax.jit``).

``train_epochs`` runs up to ``config.epochs_per_call`` epochs of minibatch
``sgd`` or ``adam`` as one program: a loop over epochs, each a loop over
contiguous batches taken in a random order. Gradient, optimizer update,
learning-rate schedule, stopping rule, divergence flag and the early-stopping
score all live inside it; Python sees the program once per chunk of epochs.

``train_lbfgs`` runs L-BFGS (``_lbfgs``, scipy's algorithm) to convergence
as one program.

Both train internal parameters in preconditioned coordinates (see
``_precondition``); the preconditioner is computed inside the program that
needs it, so a fit still compiles one program. They take and return the
user's parameters.

Programs are cached by their static configuration (a hashable ``NamedTuple``)
and by input shapes; every hyperparameter is a traced input.
"""

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.flatten_util import ravel_pytree

from . import _forward, _lbfgs, _model, _precondition, _programs, _shapes
from ._sparse import slice_rows

HYPERPARAMETERS = (
    "learning_rate_init", "alpha", "l1_ratio", "huber_delta", "momentum",
    "beta_1", "beta_2", "epsilon", "power_t", "tol", "n_iter_no_change", "fit_intercept",
)  # fmt: skip


class ModelConfig(NamedTuple):
    """What fixes the model's math (static)."""

    hidden_activation: str
    output_activation: str
    loss: str
    by_model: bool = False  # a search's program: the loss laid out model by model (see _model.by_model_product)


class EpochConfig(NamedTuple):
    """What fixes the stochastic program (static)."""

    model: ModelConfig
    precondition: str  # "full" or "diagonal"
    solver: str
    nesterov: bool
    schedule: str
    batch_size: int
    early_stopping: bool
    epochs_per_call: int


class LbfgsConfig(NamedTuple):
    """What fixes the L-BFGS program (static)."""

    model: ModelConfig
    precondition: str
    history_size: int


class TrainState(NamedTuple):
    """Everything an epoch changes; lives on the device between chunks.

    ``params`` and ``best_params`` are internal (preconditioned) parameters,
    except on entry to a call, where ``params`` may be the user's.
    """

    params: Any
    opt_state: Any
    preconditioner: Any
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

    ``train_epochs(..., restart=True)`` replaces it with the real initial
    state inside the compiled program.
    """
    import numpy as np

    from . import _optim

    shapes = jax.eval_shape(_optim.make_optimizer(config.solver, config.nesterov).init, params)
    return jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes)


def _all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]))


def _select(pred, on_true, on_false):
    return jax.tree.map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def _data_loss(params, X, y, w, hyper, model):
    return _model.weighted_mean_loss(
        params, X, y, w, model.loss, model.hidden_activation, model.output_activation, hyper["huber_delta"],
        by_model=model.by_model,
    )  # fmt: skip


def _add_penalty_gradient(grads, params, hyper):
    """Gradient of the elastic-net penalty, by hand: cheaper than through ``jax.grad``."""
    alpha, l1_ratio = hyper["alpha"], hyper["l1_ratio"]
    return [
        (dW + alpha * ((1.0 - l1_ratio) * W + l1_ratio * jnp.sign(W)), db)
        for (dW, db), (W, _) in zip(grads, params)
    ]


def _fit_preconditioner(kind, model, X, y, w, hyper, n_layers, batch_size=None):
    fit_intercept = hyper["fit_intercept"]
    return _precondition.fit(
        kind, X, y, w,
        centre_x=1.0 if n_layers > 1 else fit_intercept,  # a hidden bias absorbs the means
        centre_y=fit_intercept,
        scale_y=_forward.scales_target(model.output_activation, model.loss),
        loss=model.loss, huber_delta=hyper["huber_delta"],
        ridge=_precondition.ridge(model.loss, hyper["alpha"], hyper["l1_ratio"]), batch_size=batch_size,
    )  # fmt: skip


def _to_user(theta, pre, hyper):
    return _precondition.to_user(theta, pre, hyper["fit_intercept"])


def _learning_rate(config, hyper, lr_scale, t):
    rate = hyper["learning_rate_init"] * lr_scale
    if config.schedule == "invscaling":
        rate = rate / (t + 1.0) ** hyper["power_t"]
    return rate


@_programs.program
def train_epochs(config, state, data, validation, hyper, n_epochs, block_orders, entry):
    """Run at most ``n_epochs`` epochs (``<= config.epochs_per_call``).

    Parameters
    ----------
    config : EpochConfig
        Static configuration.
    state : TrainState
        State at the start; see :class:`TrainState`.
    data : tuple
        ``(X, y, w, n_batches)``: padded arrays whose row count is a multiple
        of the batch size, and the number of batches holding real rows.
        ``X`` may be :class:`~sknn_neuron._sparse.SparseRows`. Real
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
    entry : tuple of three traced bools
        ``(enter, restart, internal)``. ``enter``: this is the first chunk of
        a call, whose ``state.params`` are the user's (or, if ``internal``,
        fresh internal ones) and whose best parameters start there.
        ``restart``: compute the preconditioner from ``data`` and start the
        optimizer afresh (``state.opt_state`` and ``state.preconditioner``
        are then placeholders of the same structure).

    Returns
    -------
    state : TrainState
    history : dict of arrays of shape (epochs_per_call,)
        ``loss``, ``score`` (NaN without early stopping), ``learning_rate``.
    n_done : int array
        Epochs run.
    stopped : bool array
        Whether the stopping rule ended the run.
    user : tuple
        The user's parameters of ``state.params`` and ``state.best_params``.
    """
    X, y, w, n_batches = data
    optimizer = _optimizer(config)
    total_weight = w.sum()
    state = lax.cond(entry[0], functools.partial(_enter, config, optimizer, data, hyper, entry), lambda s: s, state)
    slot = _batch_slot(config, X)

    def run_epoch(state, blocks):
        def step(carry):
            j, *model = carry
            batch_data = tuple(slice_rows(a, slot(blocks, j, n_batches) * config.batch_size, config.batch_size) for a in (X, y, w))
            return j + 1, *_minibatch_step(config, optimizer, hyper, state, batch_data, *model)

        carry = (0, state.params, state.opt_state, state.t, jnp.zeros((), total_weight.dtype))
        # Padding batches sit past n_batches and are never visited.
        _, *model = lax.while_loop(lambda c: c[0] < n_batches, step, carry)
        return _end_epoch(config, hyper, validation, state, total_weight, *model)

    def epoch(carry):
        i, state, history, _ = carry
        rate = _learning_rate(config, hyper, state.lr_scale, state.t)
        state, loss, score, stop = run_epoch(state, block_orders[i])
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
    return state, history, n_done, stopped, _users(state, hyper)


def _optimizer(config):
    # optax is imported when a stochastic program is traced, not with this
    # module: an L-BFGS fit that loads its executable from disk never needs it.
    from . import _optim

    return _optim.make_optimizer(config.solver, config.nesterov)


def _users(state, hyper):
    """The user's parameters of ``state.params`` and ``state.best_params``."""
    pre = state.preconditioner
    return _to_user(state.params, pre, hyper), _to_user(state.best_params, pre, hyper)


def _batch_slot(config, X):
    """``slot(blocks, j, n_batches)``: the place of an epoch's ``j``-th batch in the padded rows."""
    per_block = _shapes.batches_per_block(config.batch_size, X.shape[-1], X.dtype.itemsize)

    def slot(blocks, j, n_batches):
        n_in_blocks = n_batches // per_block * per_block  # the rest run in order, after them
        return jnp.where(j < n_in_blocks, blocks[j // per_block] * per_block + j % per_block, j)

    return slot


def _minibatch_step(config, optimizer, hyper, state, batch_data, theta, opt_state, t, loss_sum):
    """One step of one model on one minibatch; ``state`` gives the coordinates and the rate's scale."""
    from . import _optim

    pre = state.preconditioner
    params, pullback = jax.vjp(lambda p: _to_user(p, pre, hyper), theta)
    (loss, wsum), grads = jax.value_and_grad(_data_loss, has_aux=True)(params, *batch_data, hyper, config.model)
    (grads,) = pullback(_add_penalty_gradient(grads, params, hyper))
    grads = jax.tree.map(lambda g: g / pre.loss_scale, grads)
    rate = _learning_rate(config, hyper, state.lr_scale, t)
    updates, opt_state = optimizer.update(grads, _optim.set_hyperparams(opt_state, rate, hyper), theta)
    return _optim.apply_updates(theta, updates), opt_state, t + wsum, loss_sum + loss * wsum


def _end_epoch(config, hyper, validation, state, total_weight, theta, opt_state, t, loss_sum):
    """Close one model's epoch: its loss, divergence flag and ``MLPRegressor``'s stopping rule.

    The training loss is compared in standardized units (divided by
    ``loss_scale``), so that ``tol`` does not depend on the units of y.
    Returns ``(state, loss, score, stop)``.
    """
    pre, model = state.preconditioner, config.model
    # The penalty at the epoch's end: its value at every step would cost a reduction each.
    params = _to_user(theta, pre, hyper)
    loss = loss_sum / total_weight + _model.penalty(params, hyper["alpha"], hyper["l1_ratio"])
    # NaN and inf propagate: one check per epoch catches a divergence.
    finite = state.finite & jnp.isfinite(loss) & _all_finite(theta)
    state = state._replace(params=theta, opt_state=opt_state, t=t, finite=finite)
    tol = hyper["tol"]
    if config.early_stopping:
        score = _model.validation_score(model.loss, params, *validation, model.hidden_activation, model.output_activation)
        stalled = score < state.best_score + tol
        better = score > state.best_score
        state = state._replace(
            best_score=jnp.where(better, score, state.best_score),
            best_params=_select(better, state.params, state.best_params),
        )
    else:
        score = jnp.full((), jnp.nan, loss.dtype)
        stalled = loss > state.best_loss - tol * pre.loss_scale
    no_improvement = jnp.where(stalled, state.no_improvement + 1, 0)
    exhausted = no_improvement > hyper["n_iter_no_change"]
    lr_scale, stop = state.lr_scale, exhausted
    if config.schedule == "adaptive":
        shrink = exhausted & (hyper["learning_rate_init"] * lr_scale > 1e-6)
        lr_scale = jnp.where(shrink, lr_scale / 5.0, lr_scale)
        no_improvement = jnp.where(shrink, 0, no_improvement)
        stop = exhausted & ~shrink
    state = state._replace(
        best_loss=jnp.minimum(state.best_loss, loss), no_improvement=no_improvement, lr_scale=lr_scale,
        n_iter=state.n_iter + 1,
    )  # fmt: skip
    return state, loss, score, stop


def _enter(config, optimizer, data, hyper, entry, state):
    """The first chunk of a call: internal parameters, preconditioner, optimizer state."""
    _, restart, internal = entry
    X, y, w, n_batches = data
    n_layers = len(state.params)
    pre = lax.cond(
        restart,
        lambda: _fit_preconditioner(
            config.precondition, config.model, X, y, w, hyper, n_layers,
            # Minibatches only: one batch of all rows is the full objective,
            # whose curvature the column scaling already bounds.
            jnp.where(n_batches > 1, config.batch_size, jnp.inf),
        ),  # fmt: skip
        lambda: state.preconditioner,
    )
    theta = _select(internal, state.params, _precondition.to_internal(state.params, pre))
    opt_state = _select(restart, optimizer.init(theta), state.opt_state)
    return state._replace(params=theta, best_params=theta, preconditioner=pre, opt_state=opt_state)


@_programs.program
def train_lbfgs(config, params, data, hyper, max_iter, max_fun, internal):
    """Minimize the full-batch objective with L-BFGS, in preconditioned coordinates.

    The L-BFGS of ``_lbfgs`` (scipy's L-BFGS-B, unconstrained) stops when the
    largest entry of the preconditioned gradient is ``<= tol``, after
    ``max_iter`` iterations or ``max_fun`` evaluations, or when no decrease
    is left even along the gradient.

    Parameters
    ----------
    params : list of (W, b)
        The user's parameters, or (``internal``) fresh internal ones.

    Returns
    -------
    params, loss, losses (history_size,), n_iter, n_fun, grad_max, finite
        The user's parameters, the objective at the end and after each
        iteration in the user's units, the counts of iterations and
        evaluations, and the largest gradient entry at the end.
    """
    X, y, w = data
    model = config.model
    pre = _fit_preconditioner(config.precondition, model, X, y, w, hyper, len(params))
    theta = _select(internal, params, _precondition.to_internal(params, pre))
    flat, unravel = ravel_pytree(theta)

    def objective(flat):
        params = _to_user(unravel(flat), pre, hyper)
        value = _data_loss(params, X, y, w, hyper, model)[0] + _model.penalty(params, hyper["alpha"], hyper["l1_ratio"])
        return value / pre.loss_scale

    result = _lbfgs.minimize(
        jax.value_and_grad(objective), flat, tol=hyper["tol"], max_iter=max_iter, max_fun=max_fun,
        history_size=config.history_size, line_search="backtracking" if len(params) == 1 else "more_thuente",
    )  # fmt: skip
    params = _to_user(unravel(result.x), pre, hyper)
    losses = result.losses * pre.loss_scale
    return params, result.f * pre.loss_scale, losses, result.n_iter, result.n_fun, result.grad_max, result.finite



# ------------------------------------------------ searches: many models, one program
# A search trains C candidates on F folds. The candidates of one program
# differ only in traced hyperparameters; the folds in their rows. Each model
# runs the very computation of its own fit (same batches in the same order,
# same stopping rule), vmapped over the models; a model that has stopped is
# carried unchanged while the others go on.


@_programs.program
def search_epochs(config, state, data, validation, hyper, n_epochs, block_orders, entry):
    """:func:`train_epochs` of F folds x C candidates, in lockstep.

    ``data`` is ``(X, rows, y, w, n_batches)``: fold ``f`` trains on the
    rows ``rows[f]`` of ``X``, in the order and padding of its fit, where
    ``X`` of shape (N, d) holds the rows of every fold (the folds share it)
    or ``X`` of shape (F, N, d) those of each fold (see :func:`_fold_rows`);
    ``y``, ``w``, ``n_batches``, ``validation`` and ``block_orders`` have a
    leading fold axis; ``state`` and ``n_epochs`` leading axes (F, C);
    ``hyper`` a candidate axis where the candidates differ (see
    :func:`_over_models`); ``entry`` is shared. Epochs and batches are
    counted once for all models, so that a fold's candidates read one
    minibatch and their products with it are one matrix product; a model
    takes the steps of its own fit (its batches, in its order, until its own
    stopping rule or budget ends it) and is carried unchanged through the
    others. Returns what :func:`train_epochs` returns, with leading axes (F, C).
    """
    X, rows, y, w, n_batches = data
    config = _by_model(config)
    optimizer = _optimizer(config)
    total_weight = w.sum(axis=1)
    per_model = functools.partial(_over_models, hyper)
    take = _fold_rows(X)

    def enter_fold(X_f, rows_f, y_f, w_f, n_batches_f, state_f):
        fold = (X_f[rows_f], y_f, w_f, n_batches_f)  # the rows of its fit, one fold at a time
        one = functools.partial(_enter, config, optimizer, fold)
        return jax.vmap(lambda h, s: one(h, entry, s), in_axes=(_candidate_axes(hyper), 0))(hyper, state_f)

    state = lax.cond(entry[0], lambda s: _fold_by_fold(enter_fold, X, rows, y, w, n_batches, s), lambda s: s, state)
    slot = jax.vmap(_batch_slot(config, X), in_axes=(0, None, 0))  # a slot per fold

    def run_epoch(state, blocks, running):
        def step(carry):
            j, *model = carry
            starts = slot(blocks, j, n_batches) * config.batch_size
            batch_rows, batch_y, batch_w = (
                jax.vmap(lambda a, start: slice_rows(a, start, config.batch_size))(a, starts) for a in (rows, y, w)
            )
            one = functools.partial(_minibatch_step, config, optimizer)
            new = per_model(lambda b, h, s, *m: one(h, s, b, *m), (take(batch_rows), batch_y, batch_w))(state, *model)
            live = running & (j < n_batches)[:, None]
            return j + 1, *_select_models(live, tuple(new), tuple(model))

        carry = (0, state.params, state.opt_state, state.t, jnp.zeros_like(state.t))
        _, *model = lax.while_loop(lambda c: c[0] < jnp.max(n_batches), step, carry)
        end = functools.partial(_end_epoch, config)
        return per_model(lambda v, tw, h, s, *m: end(h, v, s, tw, *m), validation, total_weight)(
            state, *model
        )

    def epoch(carry):
        i, state, history, running, n_done, stopped = carry
        rate = per_model(lambda h, s: _learning_rate(config, h, s.lr_scale, s.t))(state)
        new, loss, score, stop = run_epoch(state, block_orders[:, i], running)
        state = _select_models(running, new, state)
        history = {
            name: history[name].at[:, :, i].set(jnp.where(running, value, history[name][:, :, i]))
            for name, value in (("loss", loss), ("score", score), ("learning_rate", rate))
        }
        n_done = n_done + running
        stopped = jnp.where(running, stop, stopped)
        running = running & ~stop & state.finite & (n_done < n_epochs)
        return i + 1, state, history, running, n_done, stopped

    shape = (*n_epochs.shape, config.epochs_per_call)
    history = {name: jnp.full(shape, jnp.nan, total_weight.dtype) for name in ("loss", "score", "learning_rate")}
    running = (n_epochs > 0) & state.finite
    zeros = jnp.zeros(n_epochs.shape, jnp.int32)
    carry = (0, state, history, running, zeros, jnp.zeros(n_epochs.shape, bool))
    _, state, history, _, n_done, stopped = lax.while_loop(
        lambda c: (c[0] < config.epochs_per_call) & jnp.any(c[3]), epoch, carry
    )
    return state, history, n_done, stopped, per_model(lambda h, s: _users(s, h))(state)


def _by_model(config):
    """``config`` with the model's loss laid out for many models (see :func:`_model.by_model_product`)."""
    return config._replace(model=config.model._replace(by_model=True))


def _shared(X):
    """Whether a search's ``X`` holds the rows of every fold (N, d), not those of each (F, N, d)."""
    return X.ndim == 2


def _fold_rows(X):
    """``take(rows)``: each fold's rows ``rows[f]`` (leading fold axis) of a search's ``X``."""
    gather = jax.vmap(lambda X_f, rows_f: X_f[rows_f], in_axes=(None if _shared(X) else 0, 0))
    return functools.partial(gather, X)


def _fold_by_fold(fun, X, *per_fold):
    """``fun(X_f, *per_fold_f)`` for each fold, one after another: one fold's copy of its rows at a time.

    ``X_f`` is the search's ``X`` if the folds share it, else fold ``f``'s.
    """
    if _shared(X):
        return lax.map(lambda args: fun(X, *args), per_fold)
    return lax.map(lambda args: fun(*args), (X, *per_fold))


def _over_models(hyper, fun, *per_fold):
    """``over(state, *rest)``: ``fun(*per_fold, hyper, state, *rest)`` for each of F folds x C candidates.

    ``per_fold`` arguments have a leading fold axis (a fold's candidates
    share them), ``state`` and ``rest`` leading axes (F, C). A hyperparameter
    of ``hyper`` has a candidate axis where the candidates differ and none
    where they share it: what depends only on shared values and a fold's
    data (its column moments, its Gram matrix) is then computed once per
    fold, not once per model.
    """
    hyper_axes = _candidate_axes(hyper)

    def over(state, *rest):
        both = (0,) * (1 + len(rest))
        inner = jax.vmap(fun, in_axes=(*(None for _ in per_fold), hyper_axes, *both))
        outer = jax.vmap(inner, in_axes=(*(0 for _ in per_fold), None, *both))
        return outer(*per_fold, hyper, state, *rest)

    return over


def _candidate_axes(hyper):
    """``0`` for the hyperparameters given per candidate (1-D), ``None`` for shared ones (0-D)."""
    return {name: 0 if jnp.ndim(value) else None for name, value in hyper.items()}


def _select_models(pred, on_true, on_false):
    """:func:`_select` with ``pred`` of shape (F, C) over trees with leading axes (F, C)."""

    def pick(a, b):
        return jnp.where(pred.reshape(pred.shape + (1,) * (a.ndim - pred.ndim)), a, b)

    return jax.tree.map(pick, on_true, on_false)


@_programs.program
def search_lbfgs(config, params, data, hyper, max_iter, max_fun, internal):
    """:func:`train_lbfgs` of F folds x C candidates: ``params`` (F, C), ``hyper`` as in :func:`_over_models`.

    ``data`` is ``(X, rows, y, w)`` as in :func:`search_epochs`. The folds
    run one after another, each on a copy of its rows, its candidates
    vmapped: a fold's objective sums its rows in the order of its fit.
    """
    X, rows, y, w = data
    one = functools.partial(train_lbfgs.__wrapped__, _by_model(config))
    over_candidates = jax.vmap(one, in_axes=(0, None, _candidate_axes(hyper), None, None, None))

    def fold(X_f, rows_f, y_f, w_f, params_f):
        return over_candidates(params_f, (X_f[rows_f], y_f, w_f), hyper, max_iter, max_fun, internal)

    return _fold_by_fold(fold, X, rows, y, w, params)
