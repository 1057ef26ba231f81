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


def run_stochastic(est, X, y, sample_weight, incremental, init_params=None, on_epoch=None):
    """Train ``est`` with its stochastic solver; one epoch if ``incremental``.

    ``init_params``, if given, are fresh internal parameters of a new model;
    otherwise training continues from ``est.coefs_``. ``on_epoch(epoch, loss,
    score, params)``, if given, is called after each epoch (the program then
    runs one epoch per call) with the parameters the model would keep if
    training stopped there; a true return value stops it.
    """
    _programs.use_compilation_cache()
    dtype = X.dtype
    early_stopping = est.early_stopping and not incremental
    validation = None
    if early_stopping:
        from sklearn.model_selection import train_test_split  # early stopping only: a slow import

        X, X_val, y, y_val, sample_weight, w_val = train_test_split(
            X, y, sample_weight, random_state=est._seed, test_size=est.validation_fraction,
            stratify=est._stratify(y),
        )  # fmt: skip
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
            )
        validation = _device_data(X_val, y_val, w_val, _shapes.bucket_size(X_val.shape[0]))

    X, y, sample_weight = _shapes.drop_zero_weight(X, y, sample_weight)
    n_samples = X.shape[0]
    batch_size = min(200, n_samples) if est.batch_size == "auto" else est.batch_size
    if est.batch_size != "auto" and est.batch_size > n_samples and not incremental:
        warnings.warn("Got `batch_size` larger than sample size. It is going to be clipped.")
    epochs_seen = est._epochs_seen
    order = np.random.default_rng([est._seed, epochs_seen]).permutation(n_samples) if est.shuffle else None
    n_pad, batch = _shapes.padded_rows(n_samples, batch_size)
    n_batches = -(-n_samples // batch)
    data = (*_device_data(X, y, sample_weight, n_pad, order, batch), np.int32(n_batches))
    per_block = _shapes.batches_per_block(batch, X.shape[1], X.dtype.itemsize)

    config = _train.EpochConfig(
        est._model_config(), "diagonal", est.solver, est.nesterovs_momentum, est.learning_rate, batch,
        early_stopping, EPOCHS_PER_CALL,
    )  # fmt: skip
    optimizer_kind = (est.solver, est.nesterovs_momentum)
    internal = init_params is not None
    params = init_params if internal else list(zip(est.coefs_, est.intercepts_))
    params = [(jax.device_put(W), jax.device_put(b)) for W, b in params]
    placeholder = _train.opt_state_placeholder(config, params)
    restart = internal or getattr(est, "_opt_kind", None) != optimizer_kind
    if restart:
        opt_state = placeholder
        preconditioner = _precondition.placeholder("diagonal", X.shape[1], y.shape[1], dtype)
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
    hyper = est._hyperparameters(dtype)

    _programs.release_programs()
    per_epoch = bool(est.verbose) or on_epoch is not None
    budget = 1 if incremental else est.max_iter
    curves = {"loss": [], "score": [], "learning_rate": []}
    stopped = interrupted = False
    entry = (np.bool_(True), np.bool_(restart), np.bool_(internal))
    while budget > 0 and not (stopped or interrupted):
        n_epochs = 1 if per_epoch else min(EPOCHS_PER_CALL, budget)
        orders = _shapes.block_orders(
            n_pad // batch, n_batches, per_block, EPOCHS_PER_CALL, est.shuffle, est._seed,
            epochs_seen + len(curves["loss"]), n_epochs,
        )  # fmt: skip
        state, history, n_done, stop, (params, best_params) = _train.train_epochs(
            config, state, data, validation, hyper, np.int32(n_epochs), orders, entry
        )
        entry = (np.bool_(False),) * 3
        n_done = int(n_done)
        for name, values in history.items():
            curves[name].extend(float(v) for v in np.asarray(values)[:n_done])
        diverged = not bool(state.finite)
        if diverged and not early_stopping:
            raise _divergence_error(est, X, y)
        epoch = len(curves["loss"])
        if est.verbose:
            print(f"Iteration {epoch}, loss = {curves['loss'][-1]:.8f}")
            if early_stopping:
                print(f"Validation score: {curves['score'][-1]:f}")
        if on_epoch is not None and not diverged:
            score = curves["score"][-1] if early_stopping else None
            interrupted = bool(on_epoch(epoch, curves["loss"][-1], score, best_params if early_stopping else params))
        budget -= n_done
        stopped = (bool(stop) and not incremental) or diverged

    losses = curves["loss"]
    if diverged:
        # As MLPRegressor: keep the best validation epoch's weights, and say so.
        warnings.warn(
            f"{_divergence_error(est, X, y)} Training stopped at epoch {len(losses)}; the model keeps the "
            "weights of its best validation score.",
            ConvergenceWarning,
        )
    elif not (incremental or early_stopping) and losses[-1] > 1e6 * max(losses[0], np.finfo(dtype).tiny):
        # float64 can hold an exploding loss for long; say so rather than stay silent.
        warnings.warn(
            f"Solver {est.solver!r} diverged: the loss grew from {losses[0]:.3g} to {losses[-1]:.3g}. "
            "Lower learning_rate_init.",
            ConvergenceWarning,
        )
    n_epochs = len(losses)
    est._set_params(jax.device_get(best_params if early_stopping else params))
    est._opt_state = [np.asarray(leaf) for leaf in jax.tree.leaves(state.opt_state)]
    est._opt_kind = optimizer_kind
    est._preconditioner = tuple(np.asarray(a) for a in state.preconditioner)
    est.n_iter_ = n_epochs
    est._epochs_seen = epochs_seen + n_epochs
    est.t_ += float(n_epochs * sample_weight.sum())
    est.loss_curve_ = est.loss_curve_ + losses
    est.learning_rate_curve_ = est.learning_rate_curve_ + curves["learning_rate"]
    est.loss_ = losses[-1]
    est._lr_scale = float(state.lr_scale)
    est._no_improvement_count = int(state.no_improvement)
    if early_stopping:
        est.best_loss_ = None
        est.validation_scores_ = (est.validation_scores_ or []) + curves["score"]
        est.best_validation_score_ = float(state.best_score)
    else:
        est.best_loss_ = float(state.best_loss)

    if stopped and not diverged and est.verbose:
        what = "Validation score" if early_stopping else "Training loss"
        print(
            f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} "
            "consecutive epochs. Stopping."
        )
    if not incremental and not (stopped or interrupted):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
        )


def run_lbfgs(est, X, y, sample_weight, init_params=None):
    """Train ``est`` with L-BFGS, full batch, in one compiled call.

    ``init_params``, if given, are fresh internal parameters; otherwise
    training continues from ``est.coefs_`` (``warm_start``).
    """
    _programs.use_compilation_cache()
    X, y, sample_weight = _shapes.drop_zero_weight(X, y, sample_weight)
    n_pad = _shapes.bucket_size(X.shape[0])
    data = _device_data(X, y, sample_weight, n_pad)
    internal = init_params is not None
    params = init_params if internal else list(zip(est.coefs_, est.intercepts_))
    params = [(jax.device_put(W), jax.device_put(b)) for W, b in params]
    # One feature: whitening is scaling, and the diagonal program compiles faster.
    # Sparse data are scaled: whitening them would fill them in.
    whiten = not sparse.issparse(X) and 1 < X.shape[1] <= min(FULL_PRECONDITIONING_MAX_FEATURES, n_pad)
    kind = "full" if whiten else "diagonal"
    config = _train.LbfgsConfig(est._model_config(), kind, 1 << (est.max_iter - 1).bit_length())
    _programs.release_programs()
    params, loss, losses, n_iter, n_fun, grad_max, finite = _train.train_lbfgs(
        config, params, data, est._hyperparameters(X.dtype), est.max_iter, est.max_fun, np.bool_(internal)
    )
    if not bool(finite):
        raise _divergence_error(est, X, y)
    n_iter, n_fun, grad_max = int(n_iter), int(n_fun), float(grad_max)
    curve = [float(v) for v in np.asarray(losses)[:n_iter]]
    est._set_params(jax.device_get(params))
    est._opt_kind = None  # the stochastic optimizer's state belonged to the replaced weights
    est.n_iter_ = n_iter
    est.t_ = float(n_iter * sample_weight.sum())
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
            reason = f"no further decrease found at the precision of {X.dtype}"
            advice = "Fit float64 data for more digits, or raise tol" if X.dtype == np.float32 else "Raise tol"
        warnings.warn(
            f"lbfgs failed to converge after {n_iter} iterations ({reason}): the largest entry of the "
            f"(preconditioned) gradient is {grad_max:.3g}, above tol={est.tol:g}. {advice}.",
            ConvergenceWarning,
        )


def _device_data(X, y, sample_weight, n_pad, order=None, batch=None):
    """``(X, y, sample_weight)`` padded to ``n_pad`` rows (see ``_shapes.pad``), on the device.

    A sparse ``X`` becomes :class:`~sknn_neuron._sparse.SparseRows` whose
    minibatches are ``batch`` rows (``None``: one batch of all rows).
    """
    X_pad, y_pad, w_pad = _shapes.pad(X, y, sample_weight, n_pad, order)
    if sparse.issparse(X):
        entries = _shapes.batch_entries(X_pad[0], X.shape[0], batch or n_pad)
        X_pad = SparseRows(*(jax.device_put(a) for a in X_pad), (n_pad, X.shape[1]), entries)
    else:
        X_pad = jax.device_put(X_pad)
    return X_pad, jax.device_put(y_pad), jax.device_put(w_pad)


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
