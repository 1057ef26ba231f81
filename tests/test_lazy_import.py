"""JAX is imported on the first fit: importing, loading and predicting need NumPy only.

Each check runs in a fresh interpreter, which reports the JAX and optax
modules it imported.
"""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sknn_neuron
from sknn_neuron import NeuronClassifier, NeuronRegressor, save_model

pytestmark = pytest.mark.slow  # fresh processes

_REPORT = """
import sys
print(sorted({name.split(".")[0] for name in sys.modules} & {"jax", "jaxlib", "optax"}))
"""


def _jax_modules_after(code, cwd):
    """The JAX-related packages a fresh interpreter imported running ``code``."""
    root = str(Path(sknn_neuron.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + _REPORT],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A folder with a pickled regressor and classifier, an npz archive of each, and data."""
    folder = tmp_path_factory.mktemp("models")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    reg = NeuronRegressor(random_state=0).fit(X, X @ [1.0, -2.0, 0.5])
    clf = NeuronClassifier(random_state=0).fit(X, X[:, 0] > 0)
    for name, model in {"regressor": reg, "classifier": clf}.items():
        (folder / f"{name}.pkl").write_bytes(pickle.dumps(model))
        save_model(model, folder / f"{name}.npz")
    np.save(folder / "X.npy", X)
    return folder


def test_import_does_not_import_jax(tmp_path):
    assert _jax_modules_after("import sknn_neuron", tmp_path) == "[]"


def test_unpickled_models_predict_without_jax(fitted):
    code = """
    import pickle
    import numpy as np
    X = np.load("X.npy")
    reg = pickle.load(open("regressor.pkl", "rb"))
    clf = pickle.load(open("classifier.pkl", "rb"))
    reg.predict(X), reg.score(X, X @ [1.0, -2.0, 0.5])
    clf.predict(X), clf.predict_proba(X), clf.decision_function(X), clf.score(X, X[:, 0] > 0)
    """
    assert _jax_modules_after(code, fitted) == "[]"


def test_loaded_models_predict_without_jax(fitted):
    code = """
    import numpy as np
    from sknn_neuron import load_model
    X = np.load("X.npy")
    load_model("regressor.npz").predict(X)
    load_model("classifier.npz").predict_proba(X)
    """
    assert _jax_modules_after(code, fitted) == "[]"


@pytest.mark.parametrize(
    "solver, imported", [("lbfgs", "['jax', 'jaxlib']"), ("sgd", "['jax', 'jaxlib', 'optax']")]
)
def test_fit_imports_jax_and_optax_for_the_stochastic_solvers(fitted, solver, imported):
    code = f"""
    import numpy as np
    from sknn_neuron import NeuronRegressor
    X = np.load("X.npy")
    NeuronRegressor(solver="{solver}", max_iter=5).fit(X, X[:, 0])
    """
    assert _jax_modules_after(code, fitted) == imported
