"""
=======================================
Serving a fitted model with onnxruntime
=======================================

A fitted :class:`~sknn_neuron.NeuronRegressor` or
:class:`~sknn_neuron.NeuronClassifier`, alone or at the end of a
:class:`~sklearn.pipeline.Pipeline`, exports to ONNX through skl2onnx once
``sknn_neuron.onnx`` is imported. The exported file runs in onnxruntime, in
any language it serves, with neither scikit-learn, JAX nor this package
installed.

This example fits four pipelines on scikit-learn's bundled datasets (a
network regressor, a Poisson regressor, a softmax and a sigmoid classifier),
exports each, loads the files in onnxruntime and compares its outputs with
``predict`` and ``predict_proba``.
"""

# %%
# Fit four pipelines
# ------------------
# The inputs are float32: the models train in float32 (the network to a
# gradient tolerance float32 reaches, ``tol=1e-3``), and the exported graphs
# compute in float32, as ``predict`` does on float32 data. Export with
# float64 inputs for a float64 graph.
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import skl2onnx
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_neuron import NeuronClassifier, NeuronRegressor
from sknn_neuron.onnx import to_onnx

X_diabetes, y_diabetes = load_diabetes(return_X_y=True)
X_iris, y_iris = load_iris(return_X_y=True)
cancer = load_breast_cancer()
y_cancer = cancer.target_names[cancer.target]  # string labels: "benign", "malignant"

models = {
    "regressor, tanh hidden layer": (
        NeuronRegressor((16,), hidden_activation="tanh", alpha=1.0, tol=1e-3, random_state=0),
        X_diabetes,
        y_diabetes,
    ),
    "Poisson regressor (exp output)": (NeuronRegressor(loss="poisson", random_state=0), X_diabetes, y_diabetes),
    "softmax classifier, 3 classes": (NeuronClassifier(random_state=0), X_iris, y_iris),
    "sigmoid classifier, string labels": (NeuronClassifier(alpha=1e-2, random_state=0), cancer.data, y_cancer),
}
fitted = {}
for name, (model, X, y) in models.items():
    X = X.astype(np.float32)
    fitted[name] = make_pipeline(StandardScaler(), model).fit(X, y), X

# %%
# Export, reload and compare
# --------------------------
# ``to_onnx`` takes the pipeline and a sample of its input. Classifiers
# export here with skl2onnx's ``zipmap`` option off, so that their
# probabilities come back as one array. The relative difference is taken to
# the largest output, so that probabilities near zero count at their own
# scale.


def relative_difference(actual, expected):
    return f"{np.max(np.abs(actual - expected)) / np.max(np.abs(expected)):.1e}"


print(f"skl2onnx {skl2onnx.__version__}, onnxruntime {ort.__version__}\n")
print(f"{'pipeline':<34} {'output':<14} {'ONNX type':<26} {'max relative difference':>24}")
folder = Path(tempfile.mkdtemp())
for name, (pipeline, X) in fitted.items():
    path = folder / "model.onnx"
    path.write_bytes(to_onnx(pipeline, X, options={NeuronClassifier: {"zipmap": False}}).SerializeToString())
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    types = {output.name: f"{output.type} {output.shape}" for output in session.get_outputs()}
    outputs = dict(zip(types, session.run(None, {"X": X})))
    if "label" in outputs:
        rows = [
            ("label", f"{np.mean(outputs['label'] == pipeline.predict(X)):.0%} equal"),
            ("probabilities", relative_difference(outputs["probabilities"], pipeline.predict_proba(X))),
        ]
    else:
        rows = [("variable", relative_difference(outputs["variable"], pipeline.predict(X)))]
    for output, comparison in rows:
        print(f"{name:<34} {output:<14} {types[output]:<26} {comparison:>24}")
        name = ""

# %%
# The regressors' outputs have the shape of ``predict``: one dimension for a
# model fitted on a 1-D ``y``. With the ``zipmap`` option on, skl2onnx's
# default, a classifier's probabilities come as a list of dictionaries, one
# per row, keyed by class label, as for scikit-learn's own classifiers.
pipeline, X = fitted["sigmoid classifier, string labels"]
session = ort.InferenceSession(to_onnx(pipeline, X).SerializeToString(), providers=["CPUExecutionProvider"])
labels, probabilities = session.run(None, {"X": X[:2]})
print(labels)
print(probabilities)
