"""Shared fixtures, and how the session compiles.

The suite's time is mostly XLA compilation. The session shares one on-disk
JAX compilation cache (a fresh folder per run) between its xdist workers and
the processes its tests start, so that a program compiles once per run; and
each configuration of ``tests/test_common.py`` runs its checks in one
worker, which compiles that configuration's programs.
"""

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION_CACHE = []  # the cache folder this process made, removed at the end

# JAX reads these when it is imported, so they are set before anything here
# imports it. The controller sets them; workers and child processes inherit
# them. For this package a JAX cache folder is the user's setting: the
# training programs are then plain ``jax.jit`` (``tests/test_compilation_cache.py``
# checks the package's own cache of executables in fresh processes).
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _SESSION_CACHE.append(tempfile.mkdtemp(prefix="sknn-neuron-tests-jax-cache-"))
    os.environ["JAX_COMPILATION_CACHE_DIR"] = _SESSION_CACHE[0]
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "-1"
# Many workers on one GPU: none takes most of its memory up front.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

_COUNTER_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "compilations.py"
_spec = importlib.util.spec_from_file_location("_benchmarks_compilations", _COUNTER_PATH)
compilations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compilations)


@pytest.fixture
def count_compilations():
    """``CompilationCounter`` of ``benchmarks/compilations.py``.

    ``with count_compilations() as compiled: ...`` records every XLA
    compilation made inside the block: ``compiled.total`` counts them all,
    ``compiled.training`` only the training programs, ``compiled.names``
    lists the programs. The test starts with no training program compiled,
    so that the bound on them (``_programs.MAX_PROGRAMS``) never drops one in
    the middle of a count.
    """
    from sknn_neuron import _train

    _train.train_epochs.clear_cache()
    _train.train_lbfgs.clear_cache()
    return compilations.CompilationCounter


def pytest_unconfigure(config):
    for folder in _SESSION_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name == "test_common.py" and hasattr(item, "callspec"):
            estimator = item.callspec.params.get("estimator")
            item.add_marker(pytest.mark.xdist_group(repr(estimator)))
