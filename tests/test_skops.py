"""skops.io round trips: a model loads back as it was saved, bit for bit.

skops refuses types it does not know unless the caller trusts them; the
estimators' own classes are the only ones it does not know.
"""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from _assertions import assert_bitwise_equal

from sknn_neuron import NeuronClassifier, NeuronRegressor

sio = pytest.importorskip("skops.io")

TRUSTED = {
    NeuronRegressor: "sknn_neuron._regressor.NeuronRegressor",
    NeuronClassifier: "sknn_neuron._classifier.NeuronClassifier",
}
RNG = np.random.RandomState(0)
X = RNG.normal(size=(30, 3))
NAMES = ["age", "height", "weight"]
TARGETS = {
    "1-D": X @ [1.0, -2.0, 0.5],
    "2-D": np.c_[X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])],
    "strings": np.where(X[:, 0] > 0, "yes", "no"),
    "3 classes": np.digitize(X[:, 1], [-0.5, 0.5]),
    "multilabel": (X > 0).astype(int),
}
CONFIGURATIONS = {
    "regressor, lbfgs": (NeuronRegressor, {}, "float64", "1-D"),
    "regressor, sgd, hidden layer, float32": (
        NeuronRegressor, {"hidden_layer_sizes": (4,), "solver": "sgd", "max_iter": 5}, "float32", "2-D"
    ),
    "regressor, adam, feature names": (
        NeuronRegressor, {"solver": "adam", "early_stopping": True, "max_iter": 5}, "frame", "1-D"
    ),
    "classifier, lbfgs, string classes": (NeuronClassifier, {}, "float64", "strings"),
    "classifier, sgd, feature names": (
        NeuronClassifier, {"solver": "sgd", "max_iter": 5, "class_weight": {0: 1.0, 1: 2.0, 2: 1.0}}, "frame", "3 classes"
    ),
    "classifier, adam, multilabel, RandomState": (
        NeuronClassifier, {"solver": "adam", "max_iter": 5, "random_state": np.random.RandomState(0)}, "float32",
        "multilabel",
    ),
}  # fmt: skip


def _data(kind):
    return pd.DataFrame(X, columns=NAMES) if kind == "frame" else X.astype(kind)


@pytest.fixture(scope="module")
def models():
    fitted = {}
    for name, (estimator, params, kind, target) in CONFIGURATIONS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a few epochs do not converge
            fitted[name] = estimator(**{"random_state": 0, **params}).fit(_data(kind), TARGETS[target])
    return fitted


def _round_trip(model, path):
    sio.dump(model, path)
    return sio.load(path, trusted=[TRUSTED[type(model)]])


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_round_trip_predicts_bitwise(models, name, tmp_path):
    model = models[name]
    loaded = _round_trip(model, tmp_path / "model.skops")
    X_new = _data(CONFIGURATIONS[name][2])
    assert_bitwise_equal(model.predict(X_new), loaded.predict(X_new))
    if isinstance(model, NeuronClassifier):
        assert_bitwise_equal(model.predict_proba(X_new), loaded.predict_proba(X_new))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_round_trip_keeps_every_attribute(models, name, tmp_path):
    model = models[name]
    assert_bitwise_equal(vars(model), vars(_round_trip(model, tmp_path / "model.skops")))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_loaded_model_trains_on_as_the_original(models, name, tmp_path):
    original = copy.deepcopy(models[name])
    loaded = _round_trip(original, tmp_path / "model.skops")
    _, _, kind, target = CONFIGURATIONS[name]
    for model in (original, loaded):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.set_params(warm_start=True).fit(_data(kind), TARGETS[target])
    assert_bitwise_equal(vars(original), vars(loaded))


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_the_estimator_class_is_the_only_untrusted_type(models, name):
    model = models[name]
    assert sio.get_untrusted_types(data=sio.dumps(model)) == [TRUSTED[type(model)]]


def test_loading_without_trusting_the_class_is_refused(models):
    data = sio.dumps(models["regressor, lbfgs"])
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="NeuronRegressor"):
        sio.loads(data)
