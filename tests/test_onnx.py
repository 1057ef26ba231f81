"""ONNX export: onnxruntime computes what predict and predict_proba compute.

Each fitted model is a ``make_pipeline(StandardScaler(), model)``: the bare
model is tested on the scaled inputs, the pipeline on the raw ones, and both
agree with NumPy to 1e-5 relative in float32.
"""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_neuron import NeuronClassifier, NeuronRegressor

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
from sknn_neuron.onnx import to_onnx

RNG = np.random.RandomState(0)
X = (RNG.normal(size=(40, 3)) * [1.0, 10.0, 100.0] + [5.0, -3.0, 50.0]).astype(np.float32)
Z = StandardScaler().fit_transform(X) @ [0.8, -0.5, 0.3] + 0.2  # the signal, in standard units

REGRESSORS = {
    "identity, 1-D y": ({}, 3.0 + Z),
    "logistic": ({"hidden_layer_sizes": (4,), "activation": "logistic", "hidden_activation": "logistic"}, 1 / (1 + np.exp(-Z))),
    "tanh": ({"hidden_layer_sizes": (4,), "activation": "tanh", "hidden_activation": "tanh"}, np.tanh(Z)),
    "relu": ({"hidden_layer_sizes": (4,), "activation": "relu", "hidden_activation": "relu"}, np.maximum(Z, 0.0)),
    "exp (poisson)": ({"hidden_layer_sizes": (4,), "hidden_activation": "identity", "loss": "poisson"}, np.round(np.exp(Z))),
    "2-D y, two hidden layers, no intercept": ({"hidden_layer_sizes": (5, 3), "fit_intercept": False}, np.c_[Z, Z**2]),
}  # fmt: skip
CLASSIFIERS = {
    "binary, string labels": ({}, np.where(Z > 0, "spam", "ham")),
    "binary, boolean labels, no intercept": ({"fit_intercept": False}, Z > 0.2),
    "multiclass, hidden layer": (
        {"hidden_layer_sizes": (4,), "hidden_activation": "tanh"},
        np.digitize(Z, [-0.5, 0.5]),
    ),
    "multilabel, hidden layer": ({"hidden_layer_sizes": (4,)}, np.c_[Z > 0, Z > 0.5, X[:, 0] > 5].astype(int)),
}
NO_ZIPMAP = {NeuronClassifier: {"zipmap": False}}


def _fit(estimator, params, y, X=X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few iterations do not converge
        return make_pipeline(StandardScaler(), estimator(solver="sgd", max_iter=20, random_state=0, **params)).fit(X, y)


@pytest.fixture(scope="module", params=list(REGRESSORS))
def regressor(request):
    return _fit(NeuronRegressor, *REGRESSORS[request.param])


@pytest.fixture(scope="module", params=list(CLASSIFIERS))
def classifier(request):
    return _fit(NeuronClassifier, *CLASSIFIERS[request.param])


def run(onnx_model, X):
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})


def assert_matches(actual, desired):
    """Equal to 1e-5 relative in float32 (1e-12 in float64), of the same shape
    and dtype; values near zero to a few roundings of the outputs' scale."""
    assert actual.shape == desired.shape and actual.dtype == desired.dtype
    rtol = 1e-5 if desired.dtype == np.float32 else 1e-12
    atol = 4 * np.finfo(desired.dtype).eps * np.abs(desired).max()
    assert_allclose(actual, desired, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ regressor
def test_regressor_matches_predict(regressor):
    scaler, model = regressor
    X_scaled = scaler.transform(X)
    assert_matches(run(to_onnx(model, X_scaled), X_scaled)[0], model.predict(X_scaled))


def test_regressor_pipeline_matches_predict(regressor):
    assert_matches(run(to_onnx(regressor, X), X)[0], regressor.predict(X))


def test_float64_model_gives_a_double_graph():
    X64 = X.astype(np.float64)
    model = _fit(NeuronRegressor, *REGRESSORS["tanh"], X=X64)
    assert_matches(run(to_onnx(model, X64), X64)[0], model.predict(X64))


# ----------------------------------------------------------------- classifier
def test_classifier_labels_match_predict(classifier):
    scaler, model = classifier
    X_scaled = scaler.transform(X)
    labels, _ = run(to_onnx(model, X_scaled, options=NO_ZIPMAP), X_scaled)
    assert_array_equal(labels, model.predict(X_scaled))


def test_classifier_probabilities_match_predict_proba(classifier):
    scaler, model = classifier
    X_scaled = scaler.transform(X)
    _, proba = run(to_onnx(model, X_scaled, options=NO_ZIPMAP), X_scaled)
    assert_matches(proba, model.predict_proba(X_scaled))


def test_classifier_pipeline_matches_predict_and_predict_proba(classifier):
    labels, proba = run(to_onnx(classifier, X, options=NO_ZIPMAP), X)
    assert_array_equal(labels, classifier.predict(X))
    assert_matches(proba, classifier.predict_proba(X))


def test_zipmap_gives_a_dictionary_of_probabilities_per_row():
    model = _fit(NeuronClassifier, *CLASSIFIERS["binary, string labels"])
    labels, rows = run(to_onnx(model, X), X)
    assert_array_equal(labels, model.predict(X))
    assert all(row.keys() == {"ham", "spam"} for row in rows)
    proba = np.array([[row["ham"], row["spam"]] for row in rows], dtype=np.float32)
    assert_matches(proba, model.predict_proba(X))


def test_nocl_gives_class_indices_as_labels():
    model = _fit(NeuronClassifier, *CLASSIFIERS["binary, string labels"])
    labels, _ = run(to_onnx(model, X, options={NeuronClassifier: {"zipmap": False, "nocl": True}}), X)
    assert_array_equal(labels, np.searchsorted(model.classes_, model.predict(X)))


# ------------------------------------------------------------------- to_onnx
def test_to_onnx_takes_a_dataframe_as_one_input():
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = _fit(NeuronRegressor, *REGRESSORS["identity, 1-D y"], X=frame)
    onnx_model = to_onnx(model, frame)
    assert [input.name for input in onnx_model.graph.input] == ["X"]
    assert_matches(run(onnx_model, X)[0], model.predict(frame))


def test_to_onnx_refuses_an_unfitted_model():
    with pytest.raises(NotFittedError):
        to_onnx(make_pipeline(StandardScaler(), NeuronRegressor()), X)


def test_skl2onnx_converts_the_estimators_once_registered():
    model = _fit(NeuronClassifier, *CLASSIFIERS["multiclass, hidden layer"])
    labels, proba = run(skl2onnx.to_onnx(model, X[:1], options=NO_ZIPMAP), X)
    assert_array_equal(labels, model.predict(X))
    assert_matches(proba, model.predict_proba(X))


def test_only_importing_sknn_neuron_onnx_registers_the_converters():
    script = textwrap.dedent(
        """
        import sys
        import sknn_neuron
        assert not {"skl2onnx", "onnx"} & set(sys.modules), "sknn_neuron imported skl2onnx"
        from skl2onnx._supported_operators import sklearn_operator_name_map as registered
        assert sknn_neuron.NeuronRegressor not in registered
        import sknn_neuron.onnx
        assert {sknn_neuron.NeuronRegressor, sknn_neuron.NeuronClassifier} <= set(registered)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
