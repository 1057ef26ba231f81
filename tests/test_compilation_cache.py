"""Compiled programs are cached on disk: a second process reads them back.

Each check fits in fresh interpreters, which count JAX's compilation-cache
events. The test session's own cache (``JAX_COMPILATION_CACHE_DIR``, see
``conftest.py``) is removed from their environment: there it is the user's
setting, which this package leaves alone.
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
import json, sys, warnings
import jax
import numpy as np
from sknn_neuron import NeuronRegressor, set_compilation_cache_dir

events = {}
jax.monitoring.register_event_listener(lambda event, **kw: events.__setitem__(event, events.get(event, 0) + 1))
rng = np.random.RandomState(0)
X = rng.uniform(0, 10, size=(50, 1))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    BEFORE_FIT
    NeuronRegressor(random_state=0).fit(X, 0.1 * X[:, 0] + 2)
print(json.dumps({
    "hits": events.get("/jax/compilation_cache/cache_hits", 0),
    "misses": events.get("/jax/compilation_cache/cache_misses", 0),
    "folder": jax.config.jax_compilation_cache_dir,
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


def test_second_process_reads_the_programs_the_first_compiled(tmp_path):
    folder = tmp_path / "cache"
    first = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=str(folder))
    second = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR=str(folder))
    assert first["misses"] > 0
    assert "jit_train_lbfgs" in _entries(folder)
    assert second["misses"] == 0 and second["hits"] == first["misses"]


def test_default_folder_is_private_in_the_users_cache_folder(tmp_path):
    result = _fit_in_a_new_process(tmp_path)
    folder = tmp_path / "xdg" / "sknn_neuron" / "jax"
    assert result["folder"] == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert "jit_train_lbfgs" in _entries(folder)


def test_off_compiles_in_every_process(tmp_path):
    for _ in range(2):
        result = _fit_in_a_new_process(tmp_path, SKNN_NEURON_CACHE_DIR="off")
        assert result["folder"] is None and result["hits"] == 0
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
    assert "jit_train_lbfgs" in _entries(tmp_path / "first")
    assert "jit_train_lbfgs" in _entries(tmp_path / "second")


def test_users_jax_cache_folder_wins_over_the_environment_variable(tmp_path):
    users = tmp_path / "users"
    result = _fit_in_a_new_process(
        tmp_path, JAX_COMPILATION_CACHE_DIR=str(users), SKNN_NEURON_CACHE_DIR=str(tmp_path / "ours")
    )
    assert result["folder"] == str(users)
    assert result["min_compile_time"] == 1.0  # JAX's default, left as the user has it
    assert not (tmp_path / "ours").exists()


def test_users_jax_config_wins_over_set_compilation_cache_dir(tmp_path):
    before_fit = 'jax.config.update("jax_compilation_cache_dir", "users"); set_compilation_cache_dir("ours")'
    result = _fit_in_a_new_process(tmp_path, before_fit)
    assert result["folder"] == "users"
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
