"""Compiled programs are kept on disk: a second process loads them back.

Each check fits in fresh interpreters, which count JAX's compilations and
compilation-cache events. The test session's own JAX cache
(``JAX_COMPILATION_CACHE_DIR``, see ``conftest.py``) is removed from their
environment: there it is the user's setting, which this package leaves alone.
"""

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sknn_neuron

pytestmark = pytest.mark.slow  # fresh processes

_FIT = """
import json, os, sys, warnings
import jax
import numpy as np
from sknn_neuron import NeuronRegressor, _programs, set_compilation_cache_dir

events = {}
count = lambda event, *args, **kw: events.__setitem__(event, events.get(event, 0) + 1)
jax.monitoring.register_event_listener(count)
jax.monitoring.register_event_duration_secs_listener(count)
rng = np.random.RandomState(0)
X = rng.uniform(0, 10, size=(50, int(os.environ.get("FEATURES", 1))))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    BEFORE_FIT
    reg = NeuronRegressor(solver=os.environ.get("SOLVER", "lbfgs"), random_state=0).fit(X, 0.1 * X[:, 0] + 2)
print(json.dumps({
    "coef": [float(c).hex() for c in [*reg.coef_, reg.intercept_]],
    "compilations": events.get("/jax/core/compile/backend_compile_duration", 0),
    "hits": events.get("/jax/compilation_cache/cache_hits", 0),
    "misses": events.get("/jax/compilation_cache/cache_misses", 0),
    "folder": _programs._our_cache_dir,
    "jax_folder": jax.config.jax_compilation_cache_dir,
    "min_compile_time": jax.config.jax_persistent_cache_min_compile_time_secs,
    "warnings": [str(w.message) for w in caught if w.category is RuntimeWarning],
}))
"""


def _fit_in_a_new_process(tmp_path, before_fit="", **env):
    """Fit the blog's 50 x 1 problem in a fresh interpreter; its cache events and JAX's cache settings."""
    root = str(Path(sknn_neuron.__file__).resolve().parents[1])
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "SKNN_NEURON_"))}
    env = {
        **inherited, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]), **env,
    }  # fmt: skip
    code = _FIT.replace("BEFORE_FIT", before_fit or "pass")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _entries(folder):
    return sorted(path.name.split("-")[0] for path in Path(folder).iterdir()) if Path(folder).exists() else []


# Five features are whitened, with LAPACK's eigendecomposition inside the program.
@pytest.mark.parametrize("solver, features", [("lbfgs", "5"), ("sgd", "5")])
def test_executables_fit_bitwise_as_jax_jit(tmp_path, solver, features):
    folder = str(tmp_path / "cache")
    jitted = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR="off", SOLVER=solver, FEATURES=features)
    compiled = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=folder, SOLVER=solver, FEATURES=features)
    loaded = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=folder, SOLVER=solver, FEATURES=features)
    # The executable itself is loaded: nothing is traced or compiled again.
    assert compiled["compilations"] > 0 and loaded["compilations"] == 0
    assert jitted["coef"] == compiled["coef"] == loaded["coef"]
    assert _entries(folder) == ["train_lbfgs" if solver == "lbfgs" else "train_epochs"]
    # JAX's own cache is not involved, and JAX's configuration is untouched.
    assert compiled["jax_folder"] is None and compiled["hits"] == compiled["misses"] == 0


def test_an_executable_that_cannot_be_loaded_is_compiled_again(tmp_path):
    folder = tmp_path / "cache"
    first = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=str(folder))
    for path in folder.iterdir():
        path.write_bytes(b"not an executable")
    second = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=str(folder))
    assert second["compilations"] > 0 and second["coef"] == first["coef"]
    third = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=str(folder))
    assert third["compilations"] == 0 and third["coef"] == first["coef"]


def test_default_folder_is_private_in_the_users_cache_folder(tmp_path):
    result = _fit_in_a_new_process(tmp_path)
    folder = tmp_path / "xdg" / "sknn_neuron" / "jax"
    assert result["folder"] == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert _entries(folder) == ["train_lbfgs"]


def test_off_keeps_nothing(tmp_path):
    result = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR="off")
    assert result["folder"] is None and result["compilations"] > 0
    assert not (tmp_path / "xdg").exists()


def test_set_compilation_cache_dir_none_turns_the_cache_off(tmp_path):
    result = _fit_in_a_new_process(tmp_path, before_fit="set_compilation_cache_dir(None)")
    assert result["folder"] is None
    assert not (tmp_path / "xdg").exists()


def test_set_compilation_cache_dir_moves_the_cache_between_fits(tmp_path):
    before_fit = textwrap.dedent(
        """
        NeuronRegressor(max_iter=3).fit(X, X[:, 0])
        set_compilation_cache_dir("second")
        """
    ).replace("\n", "\n    ")
    result = _fit_in_a_new_process(tmp_path, before_fit, SKNN_NEURON_CACHE_DIR=str(tmp_path / "first"))
    assert result["folder"] == "second"
    assert _entries(tmp_path / "first") == ["train_lbfgs"]
    assert _entries(tmp_path / "second") == ["train_lbfgs"]


def test_users_jax_cache_folder_wins_over_the_environment_variable(tmp_path):
    users = tmp_path / "users"
    result = _fit_in_a_new_process(
        tmp_path, JAX_COMPILATION_CACHE_DIR=str(users), SKNN_NEURON_CACHE_DIR=str(tmp_path / "ours")
    )
    assert result["folder"] is None and result["jax_folder"] == str(users)
    assert result["min_compile_time"] == 1.0  # JAX's default, left as the user has it
    assert not (tmp_path / "ours").exists()


def test_users_jax_config_wins_over_set_compilation_cache_dir(tmp_path):
    before_fit = 'jax.config.update("jax_compilation_cache_dir", "users"); set_compilation_cache_dir("ours")'
    result = _fit_in_a_new_process(tmp_path, before_fit)
    assert result["folder"] is None and result["jax_folder"] == "users"
    assert not (tmp_path / "ours").exists() and not (tmp_path / "xdg").exists()


def test_folder_others_can_write_to_is_refused(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    result = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=str(folder))
    assert result["folder"] is None and _entries(folder) == []
    assert any("others can write to it" in message for message in result["warnings"])


def test_set_compilation_cache_dir_sets_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("SKNN_NEURON_CACHE_DIR", raising=False)
    sknn_neuron.set_compilation_cache_dir(tmp_path)
    assert os.environ["SKNN_NEURON_CACHE_DIR"] == str(tmp_path)
    sknn_neuron.set_compilation_cache_dir(None)
    assert os.environ["SKNN_NEURON_CACHE_DIR"] == "off"
