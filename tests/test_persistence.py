"""A fitted model survives pickle, joblib, clone and the NumPy-only format.

Round trips predict bitwise as the original, in this process and in a fresh
CPU-only one, and a loaded model trains on exactly as the original would.
The estimator holds NumPy arrays and plain Python values only, so its pickle
refers to nothing but NumPy and sknn_neuron.
"""

import copy
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from _assertions import assert_bitwise_equal
from sklearn.base import clone

import sknn_neuron
from sknn_neuron import NeuronRegressor
from sknn_neuron._persistence import load_model, save_model

RNG = np.random.RandomState(0)
X = RNG.normal(size=(30, 3))
Y = np.c_[X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])]
X_NEW = RNG.normal(size=(9, 3))
NAMES = ["age", "height", "weight"]

CONFIGURATIONS = {
    "lbfgs": ({}, np.float64, 1),
    "sgd_hidden_float32": ({"hidden_layer_sizes": (5,), "solver": "sgd", "batch_size": 8, "max_iter": 6}, np.float32, 2),
    "adam_early_stopping": ({"solver": "adam", "early_stopping": True, "max_iter": 6}, np.float64, 1),
    "sgd_feature_names": ({"solver": "sgd", "max_iter": 4}, "frame", 2),
}  # fmt: skip


def _data(kind, n_outputs):
    X_fit = pd.DataFrame(X, columns=NAMES) if kind == "frame" else X.astype(kind)
    X_pred = pd.DataFrame(X_NEW, columns=NAMES) if kind == "frame" else X_NEW.astype(kind)
    return X_fit, Y[:, 0] if n_outputs == 1 else Y, X_pred


def _fit(name):
    params, kind, n_outputs = CONFIGURATIONS[name]
    X_fit, y, _ = _data(kind, n_outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NeuronRegressor(random_state=0, **params).fit(X_fit, y)


@pytest.fixture(scope="module")
def models():
    return {name: _fit(name) for name in CONFIGURATIONS}


def _x_new(name):
    _, kind, n_outputs = CONFIGURATIONS[name]
    return _data(kind, n_outputs)[2]


def _train_data(name):
    _, kind, n_outputs = CONFIGURATIONS[name]
    return _data(kind, n_outputs)[:2]


def assert_predicts_bitwise(a, b, X_pred):
    pa, pb = a.predict(X_pred), b.predict(X_pred)
    assert pa.dtype == pb.dtype and pa.shape == pb.shape
    assert pa.tobytes() == pb.tobytes()


def _npz_round_trip(estimator):
    buffer = io.BytesIO()
    save_model(estimator, buffer)
    buffer.seek(0)
    return load_model(buffer)


ROUND_TRIPS = {
    "pickle": lambda est: pickle.loads(pickle.dumps(est)),
    "joblib": lambda est: _joblib_round_trip(est),
    "npz": _npz_round_trip,
}


def _joblib_round_trip(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


PLAIN_TYPES = (type(None), bool, int, float, str, np.ndarray, np.generic)


def _assert_plain(value, path):
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _assert_plain(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _assert_plain(key, f"{path} key")
            _assert_plain(item, f"{path}.{key}")
    else:
        assert type(value).__module__ in ("builtins", "numpy") and isinstance(value, PLAIN_TYPES), (
            f"{path} is a {type(value).__module__}.{type(value).__qualname__}"
        )
        if isinstance(value, np.ndarray) and value.dtype == object:
            for i, item in enumerate(value.flat):
                _assert_plain(item, f"{path}.flat[{i}]")


class _RecordingUnpickler(pickle.Unpickler):
    def __init__(self, file):
        super().__init__(file)
        self.globals = set()

    def find_class(self, module, name):
        self.globals.add((module, name))
        return super().find_class(module, name)


# ------------------------------------------------------------------ pickle
@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_round_trip_predicts_bitwise(models, name, how):
    loaded = ROUND_TRIPS[how](models[name])
    assert_predicts_bitwise(loaded, models[name], _x_new(name))


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_round_trip_keeps_every_attribute_bitwise(models, name, how):
    loaded = ROUND_TRIPS[how](models[name])
    assert_bitwise_equal(vars(models[name]), vars(loaded))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_clone_refits_to_bitwise_identical_predictions(models, name):
    X_fit, y = _train_data(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refit = clone(models[name]).fit(X_fit, y)
    assert_predicts_bitwise(refit, models[name], _x_new(name))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_clone_drops_the_fitted_state(models, name):
    cloned = clone(models[name])
    assert not [key for key in vars(cloned) if key.endswith("_") or key.startswith("_")]
    assert cloned.get_params() == models[name].get_params()


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("name", ["sgd_hidden_float32", "adam_early_stopping", "sgd_feature_names"])
def test_loaded_model_trains_on_as_the_original(models, name, how):
    X_fit, y = _train_data(name)
    original, loaded = copy.deepcopy(models[name]), ROUND_TRIPS[how](models[name])
    for model in (original, loaded):
        if model.early_stopping:  # partial_fit refuses early stopping, as MLPRegressor's
            model.set_params(warm_start=True, max_iter=3)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X_fit, y)
        else:
            for _ in range(3):
                model.partial_fit(X_fit, y)
    assert_bitwise_equal(vars(original), vars(loaded))


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_loaded_model_continues_a_warm_start_fit_as_the_original(models, how):
    X_fit, y = _train_data("sgd_hidden_float32")
    original = copy.deepcopy(models["sgd_hidden_float32"]).set_params(warm_start=True, max_iter=3)
    loaded = ROUND_TRIPS[how](original)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original.fit(X_fit, y)
        loaded.fit(X_fit, y)
    assert_bitwise_equal(vars(original), vars(loaded))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_estimator_holds_numpy_arrays_and_plain_values_only(models, name):
    _assert_plain(vars(models[name]), "estimator")


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_pickle_refers_to_numpy_and_sknn_neuron_only(models, name):
    unpickler = _RecordingUnpickler(io.BytesIO(pickle.dumps(models[name])))
    unpickler.load()
    foreign = {(m, n) for m, n in unpickler.globals if m.split(".")[0] not in ("numpy", "sknn_neuron", "builtins")}
    assert not foreign
    assert ("sknn_neuron._regressor", "NeuronRegressor") in unpickler.globals


@pytest.mark.slow
def test_round_trips_in_a_fresh_cpu_process(models, tmp_path):
    """Pickle and npz files load and predict bitwise in another process."""
    for name, model in models.items():
        (tmp_path / f"{name}.pkl").write_bytes(pickle.dumps(model))
        save_model(model, tmp_path / f"{name}.npz")
        (tmp_path / f"{name}.x.pkl").write_bytes(pickle.dumps(_x_new(name)))
    script = textwrap.dedent(
        """
        import pickle, sys
        from pathlib import Path
        import numpy as np
        from sknn_neuron._persistence import load_model

        folder = Path(sys.argv[1])
        for name in sys.argv[2:]:
            X_new = pickle.loads((folder / f"{name}.x.pkl").read_bytes())
            model = pickle.loads((folder / f"{name}.pkl").read_bytes())
            np.save(folder / f"{name}.pickle.npy", model.predict(X_new))
            np.save(folder / f"{name}.npz.npy", load_model(folder / f"{name}.npz").predict(X_new))
        import jax
        print(jax.default_backend())
        """
    )
    root = str(Path(sknn_neuron.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *models],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cpu"
    for name, model in models.items():
        expected = model.predict(_x_new(name))
        for how in ("pickle", "npz"):
            got = np.load(tmp_path / f"{name}.{how}.npy")
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), (name, how)


# ------------------------------------------------------------- npz format
@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_saved_archive_loads_without_pickle(models, name, tmp_path):
    path = tmp_path / "model.npz"
    save_model(models[name], path)
    with np.load(path, allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    assert all(array.dtype != object for array in members.values())
    meta = json.loads(str(members["__meta__"]))
    assert meta["format"] == "sknn_neuron.NeuronRegressor"


def test_save_model_writes_the_path_as_given(models, tmp_path):
    path = tmp_path / "model.bin"
    save_model(models["lbfgs"], path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
    assert_predicts_bitwise(load_model(path), models["lbfgs"], X_NEW)


def test_save_model_accepts_a_string_path(models, tmp_path):
    save_model(models["lbfgs"], str(tmp_path / "model.npz"))
    assert_predicts_bitwise(load_model(str(tmp_path / "model.npz")), models["lbfgs"], X_NEW)


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_layer_sizes": (8, 4), "n_iter_no_change": np.inf, "alpha": np.float32(0.5)},
        {"hidden_layer_sizes": [3], "batch_size": 16, "random_state": np.random.RandomState(7)},
        {"hidden_layer_sizes": np.array([2, 2]), "learning_rate": "adaptive"},
    ],
    ids=["tuple-inf-numpy_scalar", "list-random_state_instance", "array"],
)
def test_save_load_keeps_parameters_and_their_types(params, tmp_path):
    estimator = NeuronRegressor(**params)
    save_model(estimator, tmp_path / "model.npz")
    assert_bitwise_equal(estimator.get_params(), load_model(tmp_path / "model.npz").get_params())


def test_loaded_random_state_instance_refits_as_the_original(tmp_path):
    estimator = NeuronRegressor(solver="sgd", max_iter=3, random_state=np.random.RandomState(3))
    save_model(estimator, tmp_path / "model.npz")
    loaded = load_model(tmp_path / "model.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, Y)
        loaded.fit(X, Y)
    assert_predicts_bitwise(loaded, estimator, X_NEW)


def test_save_model_leaves_attached_callbacks_out(tmp_path):
    callback = pytest.importorskip("sklearn.callback")
    estimator = NeuronRegressor(solver="sgd", max_iter=2, random_state=0)
    estimator.set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, Y)
    save_model(estimator, tmp_path / "model.npz")
    loaded = load_model(tmp_path / "model.npz")
    assert not hasattr(loaded, "_skl_callbacks")
    assert_predicts_bitwise(loaded, estimator, X_NEW)


def test_unfitted_model_round_trips_unfitted(tmp_path):
    save_model(NeuronRegressor(solver="adam"), tmp_path / "model.npz")
    loaded = load_model(tmp_path / "model.npz")
    assert loaded.solver == "adam"
    assert not [key for key in vars(loaded) if key.endswith("_") or key.startswith("_")]


def test_load_model_refuses_a_pickled_object_array(tmp_path):
    """A crafted archive holding a pickle is refused, never unpickled."""
    path = tmp_path / "evil.npz"
    meta = json.dumps({"format": "sknn_neuron.NeuronRegressor", "format_version": 1, "params": {}, "learned": {}})
    np.savez(path, __meta__=np.array(meta), a0=np.array([print], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        load_model(path)


def test_load_model_refuses_an_archive_without_metadata(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="Not a saved sknn_neuron estimator"):
        load_model(tmp_path / "other.npz")


def test_load_model_refuses_another_format(tmp_path):
    np.savez(tmp_path / "other.npz", __meta__=np.array(json.dumps({"format": "something.else"})))
    with pytest.raises(ValueError, match="format 'something.else'"):
        load_model(tmp_path / "other.npz")


def test_load_model_refuses_a_newer_format_version(models, tmp_path):
    save_model(models["lbfgs"], tmp_path / "model.npz")
    with zipfile.ZipFile(tmp_path / "model.npz") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with np.load(tmp_path / "model.npz") as archive:
        meta = json.loads(str(archive["__meta__"]))
    meta["format_version"] = 99
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(meta)))
    members["__meta__.npy"] = buffer.getvalue()
    with zipfile.ZipFile(tmp_path / "newer.npz", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="format version 99"):
        load_model(tmp_path / "newer.npz")


def test_save_model_refuses_another_estimator(tmp_path):
    from sklearn.linear_model import LinearRegression

    with pytest.raises(TypeError, match="saves NeuronRegressor or NeuronClassifier, got LinearRegression"):
        save_model(LinearRegression(), tmp_path / "model.npz")


def test_save_model_refuses_a_value_it_cannot_hold(tmp_path):
    estimator = NeuronRegressor(hidden_layer_sizes=(2,))
    estimator.extra_ = lambda: None
    with pytest.raises(TypeError, match="extra_: cannot save a value of type function"):
        save_model(estimator, tmp_path / "model.npz")
