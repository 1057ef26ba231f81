"""A process that fits many shapes keeps a bounded number of compiled programs.

Each compiled XLA program holds hundreds of memory mappings of JIT code, and
a Linux process may have 65,530 (``vm.max_map_count``): without a bound, a
long-running process (or a test session) that compiles a few hundred
programs crashes inside the compiler.
"""

import sys
import warnings

import numpy as np
import pytest

from sknn_neuron import NeuronRegressor, _programs, _train

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")


def _n_maps():
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


@pytest.mark.slow
def test_compiled_programs_stay_bounded_over_many_shapes(monkeypatch):
    monkeypatch.setattr(_programs, "MAX_PROGRAMS", 2)
    rng = np.random.RandomState(0)
    counts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n_features in range(2, 8):  # 6 shapes, 6 programs
            X = rng.normal(size=(40, n_features))
            NeuronRegressor(max_iter=2).fit(X, X[:, 0])
            assert _train.train_lbfgs._cache_size() + _train.train_epochs._cache_size() <= 2 + 1
            counts.append(_n_maps())
    # The mappings stop growing with the number of shapes.
    assert max(counts[3:]) < counts[1] + 1_000, counts
