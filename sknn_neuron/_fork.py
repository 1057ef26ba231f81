"""Refuse to train in a forked copy of a process whose JAX runtime had started.

JAX's runtime keeps worker threads. ``os.fork()`` copies a process without
its threads, so in the child the first JAX computation waits for threads that
do not exist, forever (JAX only warns, in the parent, that a deadlock is
likely). joblib's ``"multiprocessing"`` backend forks on Linux, so a search
run with it after the parent has fitted a model would hang; ``fit`` raises a
``RuntimeError`` instead. ``predict`` runs in NumPy and works in any process.
"""

import os
import sys

# The process whose JAX runtime this process may use: this one, or the parent
# it was forked from once JAX had started there.
_runtime_pid = None


def _jax_started():
    # JAX's registry of started runtimes, if JAX was imported at all: private,
    # so read defensively, and without JAX's lock (a fork handler must never
    # wait on a lock).
    xla_bridge = sys.modules.get("jax._src.xla_bridge")
    return bool(getattr(xla_bridge, "_backends", None))


def _before_fork():
    """Note, before any fork, that JAX started here without ``fit``."""
    global _runtime_pid
    if _runtime_pid is None and _jax_started():
        _runtime_pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)


def claim_jax_runtime(estimator_name="NeuronRegressor"):
    """Claim JAX for this process, or raise if it is a fork of one that used it.

    Parameters
    ----------
    estimator_name : str, default="NeuronRegressor"
        Named in the error message.

    Raises
    ------
    RuntimeError
        In a process forked from one in which JAX had started: training there
        would never finish.

    Examples
    --------
    >>> claim_jax_runtime()  # the process that imported sknn_neuron: fine
    """
    global _runtime_pid
    pid = os.getpid()
    if _runtime_pid is None:
        _runtime_pid = pid
    elif _runtime_pid != pid:
        raise RuntimeError(
            f"{estimator_name} cannot train in process {pid}: it was forked from process "
            f"{_runtime_pid} after JAX had started there, and JAX does not survive os.fork() "
            "(its computations would wait forever). Start workers without fork: joblib's "
            "default 'loky' backend or its 'threading' backend, or multiprocessing's 'spawn' "
            "or 'forkserver' start method. predict works in forked processes."
        )
