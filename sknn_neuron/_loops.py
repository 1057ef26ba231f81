"""The solvers' outer loops, between the estimator and the compiled programs.

``sgd`` and ``adam`` run in chunks of compiled epochs; ``lbfgs`` in one call.

Python prepares the data once per call (host-side shuffle, padding to a shape
bucket, one transfer to the device), then runs the compiled epoch program a
chunk of epochs at a time, and only between chunks reports progress. The
estimator's attributes change only after the whole call succeeded.
"""

import warnings

import jax
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import _shapes, _train

EPOCHS_PER_CALL = 50  # epochs per compiled call when nothing reports per epoch


def run_stochastic(est, X, y, sample_weight, incremental, first, on_epoch=None):
    """Train ``est`` with its stochastic solver; one epoch if ``incremental``.

    ``on_epoch(epoch, loss, score, params)``, if given, is called after each
    epoch (the program then runs one epoch per call) with the parameters the
    model would keep if training stopped there; a true return value stops it.
    """
    dtype = X.dtype
    early_stopping = est.early_stopping and not incremental
    validation = None
    if early_stopping:
        X, X_val, y, y_val, sample_weight, w_val = train_test_split(
            X, y, sample_weight, random_state=est._seed, test_size=est.validation_fraction
        )
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
            )
        n_val = _shapes.bucket_size(X_val.shape[0])
        validation = tuple(jax.device_put(a) for a in _shapes.pad(X_val, y_val, w_val, n_val))

    X, y, sample_weight = _shapes.drop_zero_weight(X, y, sample_weight)
    n_samples = X.shape[0]
    batch_size = min(200, n_samples) if est.batch_size == "auto" else est.batch_size
    if est.batch_size != "auto" and est.batch_size > n_samples and not incremental:
        warnings.warn("Got `batch_size` larger than sample size. It is going to be clipped.")
    order = np.random.default_rng([est._seed, est.n_iter_]).permutation(n_samples) if est.shuffle else None
    n_pad, batch = _shapes.padded_rows(n_samples, batch_size)
    X_pad, y_pad, w_pad = (jax.device_put(a) for a in _shapes.pad(X, y, sample_weight, n_pad, order))
    n_batches = -(-n_samples // batch)
    data = (X_pad, y_pad, w_pad, np.int32(n_batches))
    per_block = _shapes.batches_per_block(batch, X.shape[1], X.dtype.itemsize)

    config = _train.EpochConfig(
        est._model_config(), est.solver, est.nesterovs_momentum, est.learning_rate, batch,
        early_stopping, EPOCHS_PER_CALL,
    )  # fmt: skip
    params = [(jax.device_put(W), jax.device_put(b)) for W, b in zip(est.coefs_, est.intercepts_)]
    optimizer_kind = (est.solver, est.nesterovs_momentum)
    placeholder = _train.opt_state_placeholder(config, params)
    reset_optimizer = first or getattr(est, "_opt_kind", None) != optimizer_kind
    if reset_optimizer:
        opt_state = placeholder
    else:
        opt_state = jax.tree.unflatten(jax.tree.structure(placeholder), est._opt_state)
    best_loss = np.inf if est.best_loss_ is None else est.best_loss_
    # A warm start competes with the best epoch of the earlier calls (whose weights it starts from).
    best_score = -np.inf if first else getattr(est, "best_validation_score_", -np.inf)
    state = _train.TrainState(
        params=params, opt_state=opt_state, t=np.asarray(est.t_, dtype),
        lr_scale=np.asarray(est._lr_scale, dtype), best_loss=np.asarray(best_loss, dtype),
        best_score=np.asarray(best_score, dtype), best_params=params,
        no_improvement=np.int32(est._no_improvement_count), n_iter=np.int32(est.n_iter_),
        finite=np.bool_(True),
    )  # fmt: skip
    hyper = est._hyperparameters(dtype)

    per_epoch = bool(est.verbose) or on_epoch is not None
    budget = 1 if incremental else est.max_iter
    curves = {"loss": [], "score": [], "learning_rate": []}
    stopped = interrupted = False
    while budget > 0 and not (stopped or interrupted):
        n_epochs = 1 if per_epoch else min(EPOCHS_PER_CALL, budget)
        orders = _shapes.block_orders(
            n_pad // batch, n_batches, per_block, EPOCHS_PER_CALL, est.shuffle, est._seed,
            est.n_iter_ + len(curves["loss"]), n_epochs,
        )  # fmt: skip
        state, history, n_done, stop = _train.train_epochs(
            config, state, data, validation, hyper, np.int32(n_epochs), orders, np.bool_(reset_optimizer)
        )
        reset_optimizer = False
        if not bool(state.finite):
            raise _divergence_error(est.solver)
        n_done = int(n_done)
        for name, values in history.items():
            curves[name].extend(float(v) for v in np.asarray(values)[:n_done])
        epoch = est.n_iter_ + len(curves["loss"])
        if est.verbose:
            print(f"Iteration {epoch}, loss = {curves['loss'][-1]:.8f}")
            if early_stopping:
                print(f"Validation score: {curves['score'][-1]:f}")
        if on_epoch is not None:
            score = curves["score"][-1] if early_stopping else None
            kept = state.best_params if early_stopping else state.params
            interrupted = bool(on_epoch(epoch, curves["loss"][-1], score, kept))
        budget -= n_done
        stopped = bool(stop) and not incremental

    losses = curves["loss"]
    if not (incremental or early_stopping) and losses[-1] > 1e6 * max(losses[0], np.finfo(dtype).tiny):
        # float64 can hold an exploding loss for long; say so rather than stay silent.
        warnings.warn(
            f"Solver {est.solver!r} diverged: the loss grew from {losses[0]:.3g} to {losses[-1]:.3g}. "
            "Scale the data (e.g. StandardScaler) or lower learning_rate_init.",
            ConvergenceWarning,
        )
    n_epochs = len(losses)
    est._set_params(state.best_params if early_stopping else state.params)
    est._opt_state = [np.asarray(leaf) for leaf in jax.tree.leaves(state.opt_state)]
    est._opt_kind = optimizer_kind
    est.n_iter_ += n_epochs
    est.t_ += float(n_epochs * sample_weight.sum())
    est.loss_curve_ = est.loss_curve_ + curves["loss"]
    est.learning_rate_curve_ = est.learning_rate_curve_ + curves["learning_rate"]
    est.loss_ = curves["loss"][-1]
    est._lr_scale = float(state.lr_scale)
    est._no_improvement_count = int(state.no_improvement)
    if early_stopping:
        est.best_loss_ = None
        est.validation_scores_ = getattr(est, "validation_scores_", []) + curves["score"]
        est.best_validation_score_ = float(state.best_score)
    else:
        est.best_loss_ = float(state.best_loss)

    if stopped and est.verbose:
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


def run_lbfgs(est, X, y, sample_weight):
    """Train ``est`` with L-BFGS, full batch, in one compiled call."""
    X, y, sample_weight = _shapes.drop_zero_weight(X, y, sample_weight)
    n_pad = _shapes.bucket_size(X.shape[0])
    data = tuple(jax.device_put(a) for a in _shapes.pad(X, y, sample_weight, n_pad))
    params = [(jax.device_put(W), jax.device_put(b)) for W, b in zip(est.coefs_, est.intercepts_)]
    history_size = 1 << (est.max_iter - 1).bit_length()
    params, losses, n_iter, converged, finite = _train.train_lbfgs(
        est._model_config(), history_size, params, data, est._hyperparameters(X.dtype),
        est.max_iter, est.max_fun,
    )  # fmt: skip
    if not bool(finite):
        raise _divergence_error("lbfgs")
    n_iter = int(n_iter)
    curve = [float(v) for v in np.asarray(losses)[:n_iter]]
    est._set_params(params)
    est._opt_kind = None  # the stochastic optimizer's state belonged to the replaced weights
    est.n_iter_ = n_iter
    est.t_ = float(n_iter * sample_weight.sum())
    est.loss_curve_ = curve
    est.loss_ = est.best_loss_ = min(curve)
    if est.verbose:
        for i, loss in enumerate(curve, 1):
            print(f"Iteration {i}, loss = {loss:.8f}")
    if not bool(converged):
        warnings.warn(
            f"lbfgs failed to converge after {n_iter} iterations (max_iter={est.max_iter}, "
            f"max_fun={est.max_fun}). Increase max_iter or scale the data.",
            ConvergenceWarning,
        )

def _divergence_error(solver):
    return ValueError(
        f"Solver {solver!r} produced non-finite parameter weights or loss. The input data may "
        "contain large values and need to be preprocessed (e.g. StandardScaler), or "
        "learning_rate_init may be too large."
    )
