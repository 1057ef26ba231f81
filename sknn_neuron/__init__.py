"""sknn_neuron: a neuron, a layer or a small dense network as a scikit-learn
regressor, trained by JAX-compiled optax solvers."""

from ._display import LossCurveDisplay
from ._regressor import NeuronRegressor

__all__ = ["LossCurveDisplay", "NeuronRegressor"]
__version__ = "0.1.0"
