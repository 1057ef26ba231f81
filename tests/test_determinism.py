"""Same ``random_state``, bitwise the same fit: across processes, threads and
parallel grid searches, with JAX's global settings left as they were."""

import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

import sknn_neuron
from sknn_neuron import NeuronRegressor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(40, 3))
Y = X @ [1.0, -2.0, 0.5] + 0.1 * RNG.normal(size=40)

# name: (parameters, dtype of X)
CONFIGURATIONS = {
    "sgd_hidden": ({"hidden_layer_sizes": (4,), "solver": "sgd", "batch_size": 8, "max_iter": 5}, np.float32),
    "sgd_hidden_float64": ({"hidden_layer_sizes": (4,), "solver": "sgd", "batch_size": 8, "max_iter": 5}, np.float64),
}


def _fit(name, random_state=0):
    params, dtype = CONFIGURATIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NeuronRegressor(random_state=random_state, **params).fit(X.astype(dtype), Y)


def _weights(estimator):
    return estimator.coefs_ + estimator.intercepts_


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for wa, wb in zip(a, b):
        assert wa.dtype == wb.dtype
        assert wa.tobytes() == wb.tobytes()


_SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    from sknn_neuron import NeuronRegressor

    X, Y = np.load(sys.argv[1])["X"], np.load(sys.argv[1])["Y"]
    warnings.simplefilter("ignore")
    est = NeuronRegressor(hidden_layer_sizes=(4,), solver="sgd", batch_size=8, max_iter=5, random_state=0)
    est.fit(X.astype(np.float32), Y)
    np.savez(sys.argv[2], *est.coefs_, *est.intercepts_)
    """
)


@pytest.mark.slow
def test_same_seed_gives_bitwise_identical_weights_in_two_processes(tmp_path):
    root = str(Path(sknn_neuron.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    }
    np.savez(tmp_path / "data.npz", X=X, Y=Y)
    outputs = [tmp_path / f"process{i}.npz" for i in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, str(tmp_path / "data.npz"), str(out)],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        for out in outputs
    ]  # fmt: skip
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
    first, second = ([archive[f"arr_{i}"] for i in range(4)] for archive in map(np.load, outputs))
    assert_same_weights(first, second)
    # ... and the same as this process.
    assert_same_weights(first, _weights(_fit("sgd_hidden")))


def test_another_seed_gives_other_weights():
    """The comparisons above can fail: the seed does change the weights."""
    a, b = _fit("sgd_hidden", random_state=0), _fit("sgd_hidden", random_state=1)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


def _jax_settings():
    return {
        "x64": jax.config.jax_enable_x64,
        "default_device": jax.config.jax_default_device,
        "ones_dtype": jnp.ones(1).dtype,
        "ones_devices": jnp.ones(1).devices(),
    }


def test_eight_threads_fitting_at_once_match_a_sequential_fit():
    """float32 and float64 fits run side by side; x64 is thread-local."""
    settings = _jax_settings()
    params, _ = CONFIGURATIONS["sgd_hidden"]
    dtypes = [np.float32, np.float64] * 4

    def fit(dtype):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return NeuronRegressor(random_state=0, **params).fit(X.astype(dtype), Y)

    reference = {dtype: _weights(fit(dtype)) for dtype in (np.float32, np.float64)}
    results, errors = [None] * len(dtypes), []
    barrier = threading.Barrier(len(dtypes))

    def work(i):
        try:
            barrier.wait()
            results[i] = _weights(fit(dtypes[i]))
        except Exception as error:  # noqa: BLE001 (reported below, in the main thread)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(dtypes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for dtype, weights in zip(dtypes, results):
        assert all(w.dtype == dtype for w in weights)
        assert_same_weights(weights, reference[dtype])
    assert _jax_settings() == settings
    assert jnp.ones(1).dtype == jnp.float32


def test_float64_fit_leaves_jax_global_settings_unchanged():
    settings = _jax_settings()
    _fit("sgd_hidden_float64")
    assert _jax_settings() == settings
    assert not jax.config.jax_enable_x64
    assert jnp.ones(1).dtype == jnp.float32


@pytest.fixture(scope="module")
def searches():
    """Two small searches: 16 rows, so every fold and the refit share a shape bucket."""
    grid = {"alpha": [1e-4, 1e-1], "learning_rate_init": [0.01, 0.05]}
    estimator = NeuronRegressor(hidden_layer_sizes=(4,), solver="sgd", batch_size=8, max_iter=5, random_state=0)
    out = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(estimator, grid, cv=KFold(2), n_jobs=n_jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[n_jobs] = search.fit(X[:16], Y[:16])
    return out


@pytest.mark.slow
def test_grid_search_scores_match_between_one_and_two_jobs(searches):
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        assert searches[1].cv_results_[key].tobytes() == searches[2].cv_results_[key].tobytes(), key


def test_grid_search_best_estimators_match_between_one_and_two_jobs(searches):
    assert searches[1].best_params_ == searches[2].best_params_
    assert_same_weights(_weights(searches[1].best_estimator_), _weights(searches[2].best_estimator_))
