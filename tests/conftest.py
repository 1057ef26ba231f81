"""Shared fixtures."""

import importlib.util
from pathlib import Path

import pytest

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
    so that the bound on them (``_train.MAX_PROGRAMS``) never drops one in
    the middle of a count.
    """
    from sknn_neuron import _train

    _train.train_epochs.clear_cache()
    _train.train_lbfgs.clear_cache()
    return compilations.CompilationCounter
