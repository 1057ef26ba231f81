"""sknn_neuron: a neuron, a layer or a small dense network as a scikit-learn
regressor or classifier, trained by JAX-compiled solvers."""

from ._classifier import NeuronClassifier
from ._compilation_cache import set_compilation_cache_dir
from ._display import LossCurveDisplay
from ._persistence import load_model, save_model
from ._regressor import NeuronRegressor

__all__ = [
    "LossCurveDisplay", "NeuronClassifier", "NeuronRegressor", "load_model", "save_model",
    "set_compilation_cache_dir",
]  # fmt: skip
__version__ = "0.1.0"
