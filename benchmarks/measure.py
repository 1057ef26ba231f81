"""Data sets and per-epoch timers of the estimators compared.

An epoch is timed inside each estimator's own loop over minibatches, so
that what a fit does once (input validation, copies, transfers) does not
blur a per-epoch number on a noisy machine; our fits report that fixed part
separately.
"""

import contextlib
import io
import re

import numpy as np
from harness import CallTimer, best_of, median_of, quiet


def linear_data(n_samples, n_features, dtype, seed=0):
    """Gaussian ``X`` with shifted, scaled columns; ``y`` linear plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), dtype=np.float32 if dtype == np.float32 else np.float64)
    X *= rng.uniform(0.5, 2.0, n_features).astype(dtype)
    X += rng.uniform(-1.0, 1.0, n_features).astype(dtype)
    w = rng.standard_normal(n_features).astype(dtype) / np.sqrt(n_features)
    y = X @ w + dtype(0.5) + rng.normal(0, 0.1, n_samples).astype(dtype)
    return X, y


def sparse_data(n_samples, n_features, density, seed=0, coef_seed=0):
    """CSR ``X`` of uniform values at uniform places, about ``density`` of them stored; ``y``
    linear in 1 % of the columns (drawn from ``coef_seed``), plus noise.

    Built from its CSR arrays: ``scipy.sparse.random`` draws the places
    without replacement, which on 100,000 x 100,000 costs more memory than
    the fits measured.
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    indptr = np.concatenate([[0], np.cumsum(rng.binomial(n_features, density, n_samples))])
    X = sp.csr_matrix(
        (rng.random(indptr[-1]), rng.integers(0, n_features, indptr[-1], dtype=np.int32), indptr),
        shape=(n_samples, n_features),
    )
    X.sum_duplicates()
    coef_rng = np.random.default_rng(coef_seed)
    coef = np.where(coef_rng.random(n_features) < 0.01, coef_rng.standard_normal(n_features), 0.0)
    signal = X @ coef
    return X, signal + 0.1 * np.sqrt(density * n_features / 30) * rng.standard_normal(n_samples)


def memory_mib(field="VmHWM"):
    """A memory figure of this process from ``/proc/self/status``, in MiB.

    ``VmHWM`` is the peak resident memory, which, unlike ``ru_maxrss``, a
    child does not inherit from the process that started it; ``VmRSS`` the
    current one. Without ``/proc``, the peak from ``getrusage``.
    """
    import resource

    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_data():
    """The blog's data: 50 points on ``y = 0.1 x + 2`` with noise 0.1."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 10, size=(50, 1))
    return X, 0.1 * X[:, 0] + 2 + rng.normal(0, 0.1, size=50)


def memory_pass_seconds(X, repeat=5):
    """One pass over ``X``: NumPy's ``X.sum()`` and a jitted ``jnp.sum``, medians of ``repeat``.

    Medians, not minima: ``X`` may be a little larger than the last-level
    cache, so that a lucky run reads part of it from cache.
    """
    import jax
    import jax.numpy as jnp

    X_device, total = jax.device_put(X), jax.jit(jnp.sum)
    jax.block_until_ready(total(X_device))
    numpy_pass = median_of(X.sum, repeat)
    jax_pass = median_of(lambda: jax.block_until_ready(total(X_device)), repeat)
    return numpy_pass, jax_pass


def ours_epoch(make, X, y, n_epochs, repeat=2):
    """Seconds per epoch of ``make(max_iter).fit(X, y)`` and its fixed seconds per fit.

    The epochs are the time spent in the compiled program ``train_epochs``;
    the rest of the fit (validation, host-side shuffle, padding, transfer) is
    the fixed part. Best of ``repeat`` fits, after one that compiles.
    """
    import sknn_neuron._train

    quiet(lambda: make(1).fit(X, y))
    best = None
    for _ in range(repeat):
        est = make(n_epochs)
        with CallTimer(sknn_neuron._train, "train_epochs") as program:
            total = best_of(lambda est=est: quiet(lambda: est.fit(X, y)), 1)
        epoch = program.seconds / est.n_iter_
        if best is None or epoch < best[0]:
            best = (epoch, total - program.seconds)
    return best


def mlp_epoch(make, X, y, repeat=2):
    """Seconds per epoch of ``make(max_iter=1)``, an ``MLPRegressor`` or ``MLPClassifier``: its minibatch loop."""
    times = []
    for _ in range(repeat):
        est = make(1)
        with CallTimer(est, "_fit_stochastic") as loop:
            quiet(lambda est=est: est.fit(X, y))
        times.append(loop.seconds / est.n_iter_)
        if loop.seconds > 3:  # long enough to be stable
            break
    return min(times)


def sgd_regressor_epoch(X, y, n_epochs):
    """Seconds per epoch of ``SGDRegressor``, from its own verbose timer."""
    from sklearn.linear_model import SGDRegressor

    return sgd_epoch(SGDRegressor(max_iter=n_epochs, tol=None, eta0=0.001, verbose=1, random_state=0), X, y)


def sgd_epoch(estimator, X, y):
    """Seconds per epoch of an ``SGDRegressor`` or ``SGDClassifier`` set to ``verbose=1``.

    Its own timer, reported at the end of each epoch, cumulative.
    """
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        quiet(lambda: estimator.fit(X, y))
    return float(re.findall(r"Total training time: (\S+) seconds", out.getvalue())[-1]) / estimator.max_iter
