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
    lists the programs.
    """
    return compilations.CompilationCounter
