"""The outer loops of a vectorized search: F folds x C candidates, one program.

A group is C estimators that differ only in traced hyperparameters (clones
with their parameters set, one list per fold) and the F folds' training
data. :func:`fit_group` fits every estimator of the group in place, as its
own ``fit`` would, with the solver's program vmapped over the models:

- each fold's data are prepared once, as a fit prepares them (the same
  shuffle, padding, early-stopping split), stacked to the largest fold and
  transferred once; the candidates of a fold share them;
- each model starts from its own initial state and hyperparameters, stops by
  its own rule, and is finished (fitted attributes, warnings) as its fit
  would finish it.

A model whose start or training fails gets its exception in place of a fit;
the other models of the group are unaffected. Groups whose folds cannot be
stacked (sparse data, folds of different shapes or configurations) fit their
models one by one.
"""

import copy

import jax
import numpy as np
from scipy import sparse

from . import _loops, _programs, _train

# The most bytes of per-candidate copies of the rows that one program's models hold at once.
MAX_GROUP_BYTES = 1 << 30


def fit_group(models, folds, rows=None):
    """Fit ``models[f][c]`` on ``folds[f] = (X, y, sample_weight)``.

    ``rows``, if given, are the rows of one array that each fold's ``X``
    holds (``folds[f][0]`` is ``X_all[rows[f]]``): the folds then share one
    copy of it on the device.

    Returns
    -------
    errors : list of lists
        ``errors[f][c]``: the exception a model's fit raised, or ``None``.
    vectorized : bool
        Whether the group trained in compiled programs of many models (else
        one fit at a time).
    """
    n_candidates = len(models[0])
    errors = [[None] * n_candidates for _ in models]
    begun = [[None] * n_candidates for _ in models]
    invalid = {}  # candidate -> its parameters' error (the same on every fold)
    for f, (X, y, sample_weight) in enumerate(folds):
        started = {}  # fit_intercept -> the fold's first model that began with it
        for c, est in enumerate(models[f]):
            try:
                if c in invalid:
                    raise invalid[c]
                if f == 0:
                    try:
                        est._validate_params()
                    except Exception as error:  # noqa: BLE001
                        invalid[c] = error
                        raise
                if est.fit_intercept in started:
                    begun[f][c] = _begin_as(est, *started[est.fit_intercept])
                else:
                    begun[f][c] = est._begin_fit(X, y, sample_weight)
                    started[est.fit_intercept] = (est, begun[f][c])
            except Exception as error:  # noqa: BLE001 (the search reports it as the fit's failure)
                errors[f][c] = error
    ok = [[error is None for error in row] for row in errors]
    vectorized = False
    if any(map(any, ok)):
        dtype = next(b[0].dtype for row in begun for b in row if b is not None)
        with _loops.float_context(dtype):
            _programs.use_compilation_cache()
            stacked = _stackable(models, begun, ok, rows)
            vectorized = stacked is not None
            if not vectorized:
                _fit_one_by_one(models, begun, ok, errors)
            else:
                fit = _fit_lbfgs if models[0][0].solver == "lbfgs" else _fit_stochastic
                size, n_chunks = _chunks(models, *stacked[:3])
                # Runs have equal numbers of models (one program): the last is
                # padded with copies of its last model, which are not fitted.
                extra = size * n_chunks - n_candidates
                models = [row + row[-1:] * extra for row in models]
                begun = [row + [None] * extra for row in begun]
                ok = [row + [False] * extra for row in ok]
                errors = [row + [None] * extra for row in errors]
                for start in range(0, size * n_chunks, size):
                    cols = slice(start, start + size)
                    part = [row[cols] for row in errors]
                    fit(*([row[cols] for row in grid] for grid in (models, begun, ok)), part, *stacked)
                    for row, done in zip(errors, part):
                        row[cols] = done
    return [row[:n_candidates] for row in errors], vectorized


def _chunks(models, reps, reps_begun, prepared):
    """Candidates per program run, and the number of runs.

    The folds' rows are held once (or once per fold, see
    :func:`_fold_data`); what grows with the candidates is held for
    one fold at a time: an L-BFGS model's activations over the fold's rows,
    and, where the candidates differ in ``fit_intercept``, a model's centred
    copy of the rows while its preconditioner is computed. A run's models
    hold at most ``MAX_GROUP_BYTES`` of them.
    """
    X, Y = reps_begun[0][:2]
    n_rows = max(p.data[1].shape[0] for p in prepared)
    itemsize = np.dtype(X.dtype).itemsize
    per_candidate = 0
    if len({est.fit_intercept for est in models[0]}) > 1:
        per_candidate += n_rows * X.shape[1] * itemsize
    if reps[0].solver == "lbfgs":
        # Activations and their gradients, and the line search's, per layer.
        per_candidate += 4 * n_rows * (sum(reps[0].hidden_layer_sizes) + Y.shape[1]) * itemsize
    most = max(1, MAX_GROUP_BYTES // max(per_candidate, 1))
    n_candidates = len(models[0])
    n_chunks = -(-n_candidates // most)
    return -(-n_candidates // n_chunks), n_chunks


def _begin_as(est, started, begun):
    """``est._begin_fit`` on the data ``started`` began on, which ``est`` shares with it.

    The models of a group and fold differ only in traced hyperparameters,
    none of which a fit's start depends on except ``fit_intercept`` (the
    caller keeps one model per value): validation, the fitted attributes it
    sets and the initial parameters are the same. Copying them saves the
    checks of each model's data (about 0.5 ms each).
    """
    own = frozenset(type(est)._get_param_names())
    for name, value in started.__dict__.items():
        if name not in own:
            setattr(est, name, copy.copy(value))
    return begun


def _stackable(models, begun, ok, rows):
    """Each fold's representative model and prepared data, the static configuration and the shared rows.

    ``None`` if the folds cannot share a program. The shared rows are those
    of ``X`` (numbered from 1: row 0 is zeros, the padding's), or ``None``
    where each fold holds its own rows.
    """
    reps, reps_begun, prepared, configs = [], [], [], set()
    for f, row in enumerate(models):
        if not any(ok[f]):
            return None
        c = ok[f].index(True)
        est, (X, Y, sample_weight, init_params) = row[c], begun[f][c]
        if sparse.issparse(X) or est.verbose or init_params is None:
            return None
        numbers = None if rows is None else np.asarray(rows[f]) + 1
        if est.solver == "lbfgs":
            data = _loops.lbfgs_data(X, Y, sample_weight, put=_host, rows=numbers)
            configs.add((_loops.lbfgs_config(est, data), X.shape[1], Y.shape[1]))
        else:
            data = _loops.stochastic_data(est, X, Y, sample_weight, False, put=_host, rows=numbers)
            configs.add((_loops.stochastic_config(est, data, False), X.shape[1], Y.shape[1]))
        reps.append(est)
        reps_begun.append(begun[f][c])
        prepared.append(data)
    if len(configs) != 1:
        return None
    shared = None
    if rows is not None:
        shared = _numbered_rows([b[0] for b in reps_begun], rows)
    return reps, reps_begun, prepared, next(iter(configs))[0], shared


def _numbered_rows(arrays, rows):
    """One array holding row ``rows[f][i]`` of the folds' ``arrays`` at ``1 + rows[f][i]``, zeros at 0."""
    out = np.zeros((max(np.max(r) for r in rows) + 2, *arrays[0].shape[1:]), arrays[0].dtype)
    for a, r in zip(arrays, rows):
        out[np.asarray(r) + 1] = a
    return out


def _host(a):
    return a


def _fit_one_by_one(models, begun, ok, errors):
    for f, row in enumerate(models):
        for c, est in enumerate(row):
            if ok[f][c]:
                try:
                    X, Y, sample_weight, init_params = begun[f][c]
                    est._run_solver(X, Y, sample_weight, False, init_params, _NoReport())
                except Exception as error:  # noqa: BLE001
                    errors[f][c] = error


class _NoReport:
    listening = False

    def subtask(self, *args, **kwargs):
        return False


# ------------------------------------------------------------------ stacking
def _stack_rows(arrays):
    """Stack host arrays along a new first axis, zero-padding their rows to the longest."""
    n = max(a.shape[0] for a in arrays)
    out = np.zeros((len(arrays), n, *arrays[0].shape[1:]), arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[i, : a.shape[0]] = a
    return out


def _fold_data(prepared, shared):
    """``(X, rows, y, w)`` of the search programs, on the device.

    ``X`` holds the rows the folds train on: the shared ones (N, d), or
    each fold's own, stacked (F, N, d), whose numbers ``rows[f]`` are then
    ``0 .. N - 1``. ``y`` and ``w`` are each fold's, stacked.
    """
    if shared is None:
        X = _stack_rows([p.data[0] for p in prepared])
        rows = np.tile(np.arange(X.shape[1], dtype=np.int32), (len(prepared), 1))
    else:
        X, rows = shared, _stack_rows([p.data[0] for p in prepared]).astype(np.int32)
    return jax.device_put((X, rows, *(_stack_rows([p.data[i] for p in prepared]) for i in (1, 2))))


def _stack_models(trees):
    """Stack F x C pytrees of host arrays into one pytree with leading axes (F, C)."""
    return jax.device_put(jax.tree.map(lambda *leaves: np.stack(leaves).reshape(len(trees), -1, *np.shape(leaves[0])),
                                       *[tree for row in trees for tree in row]))


def _stack_hyper(models, dtype):
    """The candidates' hyperparameters: one value where they share it, else one per candidate."""
    rows = [est._hyperparameters(dtype) for est in models[0]]
    stacked = {}
    for name in rows[0]:
        values = np.stack([row[name] for row in rows])
        stacked[name] = values[0] if np.all(values == values[0]) else values
    return stacked


def _fill(begun, ok, reps_begun):
    """``begun`` with each failed model's slot taken by its fold's representative (its results are dropped)."""
    return [[b if good else reps_begun[f] for b, good in zip(row, ok[f])] for f, row in enumerate(begun)]


def _model(tree, f, c):
    return jax.tree.map(lambda a: a[f, c], tree)


# -------------------------------------------------------------------- solvers
def _fit_lbfgs(models, begun, ok, errors, reps, reps_begun, prepared, config, shared):
    if not any(map(any, ok)):
        return
    rep = reps[0]
    begun = _fill(begun, ok, reps_begun)
    data = _fold_data(prepared, shared)
    params = _stack_models([[b[3] for b in row] for row in begun])
    hyper = _stack_hyper(models, prepared[0].X.dtype)
    _programs.release_programs()
    outputs = jax.device_get(
        _train.search_lbfgs(config, params, data, hyper, rep.max_iter, rep.max_fun, np.bool_(True))
    )
    for f, row in enumerate(models):
        for c, est in enumerate(row):
            if ok[f][c]:
                try:
                    _loops.finish_lbfgs(est, prepared[f], _model(outputs, f, c))
                except Exception as error:  # noqa: BLE001
                    errors[f][c] = error


def _fit_stochastic(models, begun, ok, errors, reps, reps_begun, prepared, config, shared):
    if not any(map(any, ok)):
        return
    begun = _fill(begun, ok, reps_begun)
    n_features, n_outputs = prepared[0].X.shape[1], prepared[0].y.shape[1]
    dtype = prepared[0].X.dtype
    # Fresh models differ only in their initial parameters. (The representatives
    # may have been fitted by an earlier run: one of this run's models starts it.)
    fresh = next(est for row, good in zip(models, ok) for est, g in zip(row, good) if g)
    first, entry = _loops.stochastic_start(fresh, config, n_features, n_outputs, dtype, begun[0][0][3])
    states = [[first._replace(params=b[3], best_params=b[3]) for b in row] for row in begun]
    state = _stack_models(states)
    data = (*_fold_data(prepared, shared), np.array([p.n_batches for p in prepared], np.int32))
    validation = None
    if config.early_stopping:
        validation = jax.device_put(tuple(_stack_rows([p.validation[i] for p in prepared]) for i in range(3)))
    hyper = _stack_hyper(models, dtype)

    _programs.release_programs()
    n_folds, n_candidates = len(models), len(models[0])
    runs = [[_loops.StochasticRun(False) for _ in range(n_candidates)] for _ in range(n_folds)]
    active = np.array(ok)
    budget = np.array([[est.max_iter for est in row] for row in models])
    epochs_done = 0
    while active.any():
        n_epochs = min(_loops.EPOCHS_PER_CALL, int(budget[active].max()))
        orders = _stack_orders([_loops.stochastic_orders(reps[f], p, epochs_done, n_epochs)
                                for f, p in enumerate(prepared)])  # fmt: skip
        chunk = np.where(active, np.minimum(budget, n_epochs), 0).astype(np.int32)
        state, history, n_done, stop, users = _train.search_epochs(
            config, state, data, validation, hyper, chunk, orders, entry
        )
        entry = (np.bool_(False),) * 3
        history, n_done, stop, finite = jax.device_get((history, n_done, stop, state.finite))
        for f, c in zip(*np.nonzero(active)):
            run = runs[f][c]
            run.record(_model(history, f, c), int(n_done[f, c]), bool(stop[f, c]), bool(finite[f, c]), None)
            if run.diverged and not config.early_stopping:
                errors[f][c] = _loops._divergence_error(models[f][c], prepared[f].X, prepared[f].y)
            active[f, c] = not run.stopped
        budget -= n_done
        active &= budget > 0
        epochs_done += n_epochs

    state, users = jax.device_get((state, users))
    for f, row in enumerate(models):
        for c, est in enumerate(row):
            if ok[f][c] and errors[f][c] is None:
                runs[f][c].users = _model(users, f, c)
                _loops.finish_stochastic(est, prepared[f], config, _model(state, f, c), runs[f][c])


def _stack_orders(orders):
    """Stack the folds' block orders, padding each to the most blocks (the padding is never read)."""
    n_blocks = max(o.shape[1] for o in orders)
    out = np.tile(np.arange(n_blocks, dtype=np.int32), (len(orders), orders[0].shape[0], 1))
    for i, o in enumerate(orders):
        out[i, :, : o.shape[1]] = o
    return out
