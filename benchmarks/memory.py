"""Resident memory over many fits of varying shapes: fitting must not leak.

A warm-up pass fits every configuration once, so each compiled program and
its cache entry exist before the baseline is taken; then ``--fits`` fits (500
by default) of random row counts, feature counts, targets, dtypes and solvers,
each followed by a ``predict`` (and by a ``partial_fit`` for the stochastic
solver), run from that baseline. The script prints the resident set size
(``VmRSS``) before the warm-up, at the baseline and at the end, and fails if
the growth after the baseline exceeds ``--limit-mib`` (50 MiB by default).

The warm-up's own growth is the memory that compiled programs hold: a few
MiB per configuration (shape bucket, feature and target count, dtype,
solver), kept for the life of the process by JAX's compilation cache.

Usage::

    python benchmarks/memory.py [--fits 500] [--limit-mib 50]
"""

import argparse
import gc
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from measure import memory_mib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's sknn_neuron

from sknn_neuron import NeuronRegressor
from sknn_neuron._shapes import bucket_size

ROWS = (5, 24)  # 3 shape buckets: 16, 20, 24
FEATURES = (2, 5)
OUTPUTS = (1, 2)
DTYPES = (np.float32, np.float64)
SOLVERS = {
    "lbfgs": {"max_iter": 5},
    "sgd": {"solver": "sgd", "hidden_layer_sizes": (8,), "max_iter": 3},
}


def fit_once(rng, n_rows, n_features, n_outputs, dtype, solver):
    X = rng.normal(size=(n_rows, n_features)).astype(dtype)
    y = rng.normal(size=(n_rows, n_outputs)) if n_outputs > 1 else rng.normal(size=n_rows)
    estimator = NeuronRegressor(random_state=int(rng.randint(1000)), **SOLVERS[solver]).fit(X, y)
    estimator.predict(X)
    if solver != "lbfgs":
        estimator.partial_fit(X, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=500)
    parser.add_argument("--limit-mib", type=float, default=50.0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)

    start, t0 = memory_mib("VmRSS"), time.perf_counter()
    buckets = {bucket_size(n): n for n in range(ROWS[0], ROWS[1] + 1)}  # one row count per bucket
    configurations = list(itertools.product(buckets.values(), FEATURES, OUTPUTS, DTYPES, SOLVERS))
    for configuration in configurations:
        fit_once(rng, *configuration)
    gc.collect()
    baseline, t1 = memory_mib("VmRSS"), time.perf_counter()

    for _ in range(args.fits):
        n_rows = int(rng.randint(ROWS[0], ROWS[1] + 1))
        n_features, n_outputs = int(rng.choice(FEATURES)), int(rng.choice(OUTPUTS))
        dtype, solver = DTYPES[rng.randint(len(DTYPES))], list(SOLVERS)[rng.randint(len(SOLVERS))]
        fit_once(rng, n_rows, n_features, n_outputs, dtype, solver)
    gc.collect()
    end, t2 = memory_mib("VmRSS"), time.perf_counter()

    growth = end - baseline
    per_program = (baseline - start) / len(configurations)
    print(
        f"warm-up: {len(configurations)} configurations compiled in {t1 - t0:.1f} s, {start:.1f} -> "
        f"{baseline:.1f} MiB ({per_program:.1f} MiB per configuration)"
    )
    print(f"{args.fits} fits of varying shapes in {t2 - t1:.1f} s: {baseline:.1f} -> {end:.1f} MiB")
    print(f"resident memory growth over the {args.fits} fits: {growth:+.1f} MiB (limit {args.limit_mib:.0f} MiB)")
    print(f"peak resident memory (VmHWM): {memory_mib():.1f} MiB")
    assert growth <= args.limit_mib, f"resident memory grew by {growth:.1f} MiB over {args.fits} fits"


if __name__ == "__main__":
    main()
