"""The solvers' outer loops, between the estimator and the compiled programs.

``sgd`` and ``adam`` run in chunks of compiled epochs; ``lbfgs`` in one call.

Python prepares the data once per call (host-side shuffle, padding to a shape
bucket, one transfer to the device), then runs the compiled epoch program a
chunk of epochs at a time, and only between chunks reports progress. The
estimator's attributes change only after the whole call succeeded.

Training starts either from fresh internal parameters (a new model, drawn in
the preconditioned coordinates) or from the user's fitted parameters (a warm
start, ``partial_fit``).
"""

import contextlib
import warnings
from typing import Any, NamedTuple

import jax
import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from . import _precondition, _programs, _shapes, _train
from ._sparse import SparseRows

EPOCHS_PER_CALL = 50  # epochs per compiled call when nothing reports per epoch
# Whitening costs n d^2 once and d^2 per layer unit and loss evaluation:
# worth it for full-batch L-BFGS on up to this many features.
FULL_PRECONDITIONING_MAX_FEATURES = 256


def float_context(dtype):
    """float64 data trains in float64 without touching JAX's global flag."""
    return jax.enable_x64(True) if dtype == np.float64 else contextlib.nullcontext()


class StochasticData(NamedTuple):
    """The data of one stochastic fit, prepared once per call."""

    X: Any  # host arrays the run trains on (after the early-stopping split), for messages and t_
    y: Any
    sample_weight: Any
    data: tuple  # (X, y, w, n_batches) on the device, rows in training order, padded
    validation: Any  # (X, y, w) on the device, or None
    n_slots: int  # batches the padded rows hold
    n_batches: int  # batches holding real rows
    per_block: int  # batches visited together (see _shapes.batches_per_block)
    batch: int
    epochs_seen: int  # epochs of earlier calls: they seed this call's shuffles


def stochastic_data(est, X, y, sample_weight, incremental, put=jax.device_put, rows=None):
    """Split off the early-stopping rows, shuffle, pad and transfer: :class:`StochasticData`.

    ``put`` transfers each padded array (a search stacks its folds' host arrays first).
    ``rows``, if given, numbers the rows of ``X`` (positive integers): the
    training rows of ``data`` are then these numbers, padded with zeros, in
    place of a copy of ``X`` (a search's folds read one shared copy).
    """
    early_stopping = est.early_stopping and not incremental
    validation = None
    if early_stopping:
        from sklearn.model_selection import train_test_split  # early stopping only: a slow import

        X, X_val, y, y_val, sample_weight, w_val, *rows = train_test_split(
            X, y, sample_weight, *([] if rows is None else [rows]), random_state=est._seed,
            test_size=est.validation_fraction, stratify=est._stratify(y),
        )  # fmt: skip
        rows = rows[0] if rows else None
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
            )
        validation = _device_data(X_val, y_val, w_val, _shapes.bucket_size(X_val.shape[0]), put=put)

    rows = _drop_zero_weight_rows(rows, sample_weight)
    X, y, sample_weight = _shapes.drop_zero_weight(X, y, sample_weight)
    n_samples = X.shape[0]
    batch_size = min(200, n_samples) if est.batch_size == "auto" else est.batch_size
    if est.batch_size != "auto" and est.batch_size > n_samples and not incremental:
        warnings.warn("Got `batch_size` larger than sample size. It is going to be clipped.")
    epochs_seen = est._epochs_seen
    order = np.random.default_rng([est._seed, epochs_seen]).permutation(n_samples) if est.shuffle else None
    n_pad, batch = _shapes.padded_rows(n_samples, batch_size)
    n_batches = -(-n_samples // batch)
    data = (*_device_data(X if rows is None else rows, y, sample_weight, n_pad, order, batch, put), np.int32(n_batches))
    per_block = _shapes.batches_per_block(batch, X.shape[1], X.dtype.itemsize)
    return StochasticData(X, y, sample_weight, data, validation, n_pad // batch, n_batches, per_block, batch, epochs_seen)


def stochastic_config(est, prepared, incremental):
    """The static configuration of the epoch program."""
    early_stopping = est.early_stopping and not incremental
    return _train.EpochConfig(
        est._model_config(), "diagonal", est.solver, est.nesterovs_momentum, est.learning_rate, prepared.batch,
        early_stopping, EPOCHS_PER_CALL,
    )  # fmt: skip


def stochastic_start(est, config, n_features, n_outputs, dtype, init_params):
    """The state a stochastic call starts from, and its ``entry`` flags.

    ``init_params``: fresh internal parameters of a new model, or ``None``
    to continue from ``est.coefs_``.
    """
    optimizer_kind = (est.solver, est.nesterovs_momentum)
    internal = init_params is not None
    params = init_params if internal else list(zip(est.coefs_, est.intercepts_))
    placeholder = _train.opt_state_placeholder(config, params)
    restart = internal or getattr(est, "_opt_kind", None) != optimizer_kind
    if restart:
        opt_state = placeholder
        preconditioner = _precondition.placeholder("diagonal", n_features, n_outputs, dtype)
    else:
        opt_state = jax.tree.unflatten(jax.tree.structure(placeholder), est._opt_state)
        preconditioner = _precondition.Preconditioner(*est._preconditioner)
    best_loss = np.inf if est.best_loss_ is None else est.best_loss_
    # A warm start competes with the best epoch of the earlier calls (whose weights it starts from).
    best_score = est.best_validation_score_ if not internal and est.best_validation_score_ is not None else -np.inf
    state = _train.TrainState(
        params=params, opt_state=opt_state, preconditioner=preconditioner, t=np.asarray(est.t_, dtype),
        lr_scale=np.asarray(est._lr_scale, dtype), best_loss=np.asarray(best_loss, dtype),
        best_score=np.asarray(best_score, dtype), best_params=params,
        no_improvement=np.int32(est._no_improvement_count), n_iter=np.int32(0), finite=np.bool_(True),
    )  # fmt: skip
    return state, (np.bool_(True), np.bool_(restart), np.bool_(internal))


def stochastic_orders(est, prepared, epochs_done, n_epochs):
    """Block orders of the next chunk of ``n_epochs`` epochs."""
    return _shapes.block_orders(
        prepared.n_slots, prepared.n_batches, prepared.per_block, EPOCHS_PER_CALL, est.shuffle, est._seed,
        prepared.epochs_seen + epochs_done, n_epochs,
    )  # fmt: skip


def run_stochastic(est, X, y, sample_weight, incremental, init_params=None, on_epoch=None):
    """Train ``est`` with its stochastic solver; one epoch if ``incremental``.

    ``init_params``, if given, are fresh internal parameters of a new model;
    otherwise training continues from ``est.coefs_``. ``on_epoch(epoch, loss,
    score, params)``, if given, is called after each epoch (the program then
    runs one epoch per call) with the parameters the model would keep if
    training stopped there; a true return value stops it.
    """
    _programs.use_compilation_cache()
    prepared = stochastic_data(est, X, y, sample_weight, incremental)
    config = stochastic_config(est, prepared, incremental)
    if init_params is not None:
        init_params = [(jax.device_put(W), jax.device_put(b)) for W, b in init_params]
    state, entry = stochastic_start(est, config, X.shape[1], y.shape[1], X.dtype, init_params)
    state = jax.device_put(state)
    hyper = est._hyperparameters(X.dtype)

    _programs.release_programs()
    per_epoch = bool(est.verbose) or on_epoch is not None
    budget = 1 if incremental else est.max_iter
    run = StochasticRun(incremental)
    while budget > 0 and not (run.stopped or run.interrupted):
        n_epochs = 1 if per_epoch else min(EPOCHS_PER_CALL, budget)
        orders = stochastic_orders(est, prepared, len(run.curves["loss"]), n_epochs)
        state, history, n_done, stop, users = _train.train_epochs(
            config, state, prepared.data, prepared.validation, hyper, np.int32(n_epochs), orders, entry
        )
        entry = (np.bool_(False),) * 3
        run.record(history, int(n_done), bool(stop), bool(state.finite), users)
        if run.diverged and not config.early_stopping:
            raise _divergence_error(est, prepared.X, prepared.y)
        epoch = len(run.curves["loss"])
        if est.verbose:
            print(f"Iteration {epoch}, loss = {run.curves['loss'][-1]:.8f}")
            if config.early_stopping:
                print(f"Validation score: {run.curves['score'][-1]:f}")
        if on_epoch is not None and not run.diverged:
            score = run.curves["score"][-1] if config.early_stopping else None
            params, best_params = users
            run.interrupted = bool(
                on_epoch(epoch, run.curves["loss"][-1], score, best_params if config.early_stopping else params)
            )
        budget -= int(n_done)
    finish_stochastic(est, prepared, config, state, run)


class StochasticRun:
    """What the chunks of one stochastic call have done so far."""

    def __init__(self, incremental):
        self.incremental = incremental
        self.curves = {"loss": [], "score": [], "learning_rate": []}
        self.stopped = self.interrupted = self.diverged = False
        self.users = None  # the user's (params, best_params) after the last chunk

    def record(self, history, n_done, stop, finite, users):
        """Take in one chunk's results (NumPy values)."""
        for name, values in history.items():
            self.curves[name].extend(float(v) for v in np.asarray(values)[:n_done])
        self.diverged = not finite
        self.stopped = (stop and not self.incremental) or self.diverged
        self.users = users


def finish_stochastic(est, prepared, config, state, run):
    """Warn as ``MLPRegressor`` does and set ``est``'s fitted attributes from the run."""
    losses = run.curves["loss"]
    early_stopping = config.early_stopping
    if run.diverged:
        # As MLPRegressor: keep the best validation epoch's weights, and say so.
        warnings.warn(
            f"{_divergence_error(est, prepared.X, prepared.y)} Training stopped at epoch {len(losses)}; the "
            "model keeps the weights of its best validation score.",
            ConvergenceWarning,
        )
    elif not (run.incremental or early_stopping) and losses[-1] > 1e6 * max(losses[0], np.finfo(prepared.X.dtype).tiny):
        # float64 can hold an exploding loss for long; say so rather than stay silent.
        warnings.warn(
            f"Solver {est.solver!r} diverged: the loss grew from {losses[0]:.3g} to {losses[-1]:.3g}. "
            "Lower learning_rate_init.",
            ConvergenceWarning,
        )
    n_epochs = len(losses)
    params, best_params = run.users
    est._set_params(jax.device_get(best_params if early_stopping else params))
    est._opt_state = [np.asarray(leaf) for leaf in jax.tree.leaves(state.opt_state)]
    est._opt_kind = (est.solver, est.nesterovs_momentum)
    est._preconditioner = tuple(np.asarray(a) for a in state.preconditioner)
    est.n_iter_ = n_epochs
    est._epochs_seen = prepared.epochs_seen + n_epochs
    est.t_ += float(n_epochs * prepared.sample_weight.sum())
    est.loss_curve_ = est.loss_curve_ + losses
    est.learning_rate_curve_ = est.learning_rate_curve_ + run.curves["learning_rate"]
    est.loss_ = losses[-1]
    est._lr_scale = float(state.lr_scale)
    est._no_improvement_count = int(state.no_improvement)
    if early_stopping:
        est.best_loss_ = None
        est.validation_scores_ = (est.validation_scores_ or []) + run.curves["score"]
        est.best_validation_score_ = float(state.best_score)
    else:
        est.best_loss_ = float(state.best_loss)

    if run.stopped and not run.diverged and est.verbose:
        what = "Validation score" if early_stopping else "Training loss"
        print(
            f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} "
            "consecutive epochs. Stopping."
        )
    if not run.incremental and not (run.stopped or run.interrupted):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
        )


class LbfgsData(NamedTuple):
    """The data of one L-BFGS fit."""

    X: Any  # host arrays without the rows of weight zero
    y: Any
    sample_weight: Any
    data: tuple  # (X, y, w) on the device, padded
    precondition: str  # "full" or "diagonal"


def lbfgs_data(X, y, sample_weight, put=jax.device_put, rows=None):
    """Drop the rows of weight zero, pad, transfer with ``put``, and choose the preconditioner: :class:`LbfgsData`.

    ``rows``: as in :func:`stochastic_data`.
    """
    rows = _drop_zero_weight_rows(rows, sample_weight)
    X, y, sample_weight = _shapes.drop_zero_weight(X, y, sample_weight)
    n_pad = _shapes.bucket_size(X.shape[0])
    # One feature: whitening is scaling, and the diagonal program compiles faster.
    # Sparse data are scaled: whitening them would fill them in.
    whiten = not sparse.issparse(X) and 1 < X.shape[1] <= min(FULL_PRECONDITIONING_MAX_FEATURES, n_pad)
    data = _device_data(X if rows is None else rows, y, sample_weight, n_pad, put=put)
    return LbfgsData(X, y, sample_weight, data, "full" if whiten else "diagonal")


def lbfgs_config(est, prepared):
    """The static configuration of the L-BFGS program."""
    return _train.LbfgsConfig(est._model_config(), prepared.precondition, 1 << (est.max_iter - 1).bit_length())


def run_lbfgs(est, X, y, sample_weight, init_params=None):
    """Train ``est`` with L-BFGS, full batch, in one compiled call.

    ``init_params``, if given, are fresh internal parameters; otherwise
    training continues from ``est.coefs_`` (``warm_start``).
    """
    _programs.use_compilation_cache()
    prepared = lbfgs_data(X, y, sample_weight)
    internal = init_params is not None
    params = init_params if internal else list(zip(est.coefs_, est.intercepts_))
    params = [(jax.device_put(W), jax.device_put(b)) for W, b in params]
    _programs.release_programs()
    outputs = _train.train_lbfgs(
        lbfgs_config(est, prepared), params, prepared.data, est._hyperparameters(X.dtype), est.max_iter,
        est.max_fun, np.bool_(internal),
    )  # fmt: skip
    finish_lbfgs(est, prepared, outputs)


def finish_lbfgs(est, prepared, outputs):
    """Set ``est``'s fitted attributes from ``train_lbfgs``'s outputs; warn if it stopped above ``tol``."""
    params, loss, losses, n_iter, n_fun, grad_max, finite = outputs
    if not bool(finite):
        raise _divergence_error(est, prepared.X, prepared.y)
    n_iter, n_fun, grad_max = int(n_iter), int(n_fun), float(grad_max)
    curve = [float(v) for v in np.asarray(losses)[:n_iter]]
    est._set_params(jax.device_get(params))
    est._opt_kind = None  # the stochastic optimizer's state belonged to the replaced weights
    est.n_iter_ = n_iter
    est.t_ = float(n_iter * prepared.sample_weight.sum())
    est.loss_curve_ = curve
    est.loss_ = est.best_loss_ = float(loss)  # the run keeps its lowest value
    if est.verbose:
        for i, loss in enumerate(curve, 1):
            print(f"Iteration {i}, loss = {loss:.8f}")
    if not grad_max <= est.tol:
        if n_iter >= est.max_iter:
            reason, advice = f"max_iter={est.max_iter} reached", "Increase max_iter"
        elif n_fun > est.max_fun:
            reason, advice = f"max_fun={est.max_fun} reached", "Increase max_fun"
        else:
            dtype = prepared.X.dtype
            reason = f"no further decrease found at the precision of {dtype}"
            advice = "Fit float64 data for more digits, or raise tol" if dtype == np.float32 else "Raise tol"
        warnings.warn(
            f"lbfgs failed to converge after {n_iter} iterations ({reason}): the largest entry of the "
            f"(preconditioned) gradient is {grad_max:.3g}, above tol={est.tol:g}. {advice}.",
            ConvergenceWarning,
        )


def _device_data(X, y, sample_weight, n_pad, order=None, batch=None, put=jax.device_put):
    """``(X, y, sample_weight)`` padded to ``n_pad`` rows (see ``_shapes.pad``), on the device.

    ``put`` transfers each array.
    A sparse ``X`` becomes :class:`~sknn_neuron._sparse.SparseRows` whose
    minibatches are ``batch`` rows (``None``: one batch of all rows).
    """
    X_pad, y_pad, w_pad = _shapes.pad(X, y, sample_weight, n_pad, order)
    if sparse.issparse(X):
        entries = _shapes.batch_entries(X_pad[0], X.shape[0], batch or n_pad)
        X_pad = SparseRows(*(put(a) for a in X_pad), (n_pad, X.shape[1]), entries)
    else:
        X_pad = put(X_pad)
    return X_pad, put(y_pad), put(w_pad)


def _drop_zero_weight_rows(rows, sample_weight):
    return rows if rows is None else rows[sample_weight > 0]


def _divergence_error(est, X, y):
    """``ValueError`` naming the likely cause of non-finite weights."""
    message = "Solver produced non-finite parameter weights or loss."
    largest = float(abs(X).max()) if X.size else 0.0  # X.size: stored entries if sparse
    if largest > 1e15 or (X.dtype == np.float32 and largest > 1e9):
        message += (
            f" The input data reach {largest:.3g}, too large for {X.dtype} arithmetic: preprocess them "
            "(e.g. StandardScaler)."
        )
    hint = est._target_divergence_hint(y)
    if hint:
        message += " " + hint
    if est.solver != "lbfgs":
        message += f" learning_rate_init={est.learning_rate_init!r} may be too large: lower it."
    return ValueError(message)
