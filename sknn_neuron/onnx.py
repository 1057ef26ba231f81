"""ONNX export of the fitted estimators, through skl2onnx.

``import sknn_neuron.onnx`` registers a shape calculator and a converter for
:class:`~sknn_neuron.NeuronRegressor` and :class:`~sknn_neuron.NeuronClassifier`
with skl2onnx (``skl2onnx.update_registered_converter``); from then on
``skl2onnx.to_onnx`` converts them, alone or inside a pipeline. The graph
computes what ``predict`` and ``predict_proba`` compute, with the same
formulas: the logistic in its ``tanh`` form, labels decided on the raw
outputs. Importing :mod:`sknn_neuron` alone registers nothing and does not
import skl2onnx.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

try:
    import skl2onnx
    from onnx.helper import np_dtype_to_tensor_dtype
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import check_input_and_output_numbers, check_input_and_output_types
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as error:
    raise ImportError(
        "sknn_neuron.onnx needs skl2onnx and onnx; install them with pip install 'sknn-neuron[onnx]'."
    ) from error

from ._classifier import NeuronClassifier
from ._regressor import NeuronRegressor

__all__ = ["to_onnx"]

_INPUT_TYPES = [FloatTensorType, DoubleTensorType, Int64TensorType, BooleanTensorType]
_ELEMENTWISE = {"identity": "Identity", "tanh": "Tanh", "relu": "Relu", "exp": "Exp"}


def to_onnx(model, X, *, options=None, target_opset=None):
    """Convert a fitted estimator or pipeline to an ONNX model.

    A shortcut for ``skl2onnx.to_onnx`` with one input tensor ``"X"``, whose
    element type is that of ``X``: float32 runs the graph in float32, float64
    in float64 (integers and booleans are cast to float32).

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted :class:`~sknn_neuron.NeuronRegressor`,
        :class:`~sknn_neuron.NeuronClassifier`, or a pipeline of steps that
        skl2onnx converts, such as ``make_pipeline(StandardScaler(), model)``.
    X : array-like of shape (n_samples, n_features)
        Sample input: its dtype and number of columns give the input type.
        A DataFrame counts as its NumPy array.
    options : dict, default=None
        Converter options, as skl2onnx takes them: ``{NeuronClassifier:
        {"zipmap": False}}`` returns the classifier's probabilities as a
        tensor rather than a list of dictionaries.
    target_opset : int, default=None
        ONNX opset of the graph; the latest skl2onnx supports by default.

    Returns
    -------
    onnx_model : onnx.ModelProto
        Its outputs are ``"variable"`` for a regressor (shaped as
        ``predict`` returns it), ``"label"`` and ``"probabilities"`` for a
        classifier.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sknn_neuron import NeuronRegressor
    >>> from sknn_neuron.onnx import to_onnx
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 2.0]], dtype=np.float32)
    >>> reg = NeuronRegressor().fit(X, X @ [2.0, -1.0] + 0.5)
    >>> session = ort.InferenceSession(to_onnx(reg, X).SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> session.run(None, {"X": X})[0].round(3)
    array([-0.5,  2.5,  3.5,  4.5], dtype=float32)
    >>> reg.predict(X).round(3)
    array([-0.5,  2.5,  3.5,  4.5], dtype=float32)
    """
    check_is_fitted(model)
    X = np.asarray(X)
    return skl2onnx.to_onnx(model, X[:1], options=options, target_opset=target_opset)


# ------------------------------------------------------------ shape calculators
def _float_type(operator):
    """The graph's float type: double for a double input, float otherwise."""
    return DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) else FloatTensorType


def _label_type(classes):
    """ONNX labels are int64 for numeric and boolean classes, strings otherwise."""
    return Int64TensorType if classes.dtype.kind in "biuf" else StringTensorType


def _label_values(classes):
    """``classes_`` as ONNX holds them; float classes are whole numbers
    (scikit-learn refuses others as labels)."""
    if _label_type(classes) is Int64TensorType:
        return classes.astype(np.int64)
    return np.array([str(label).encode("utf-8") for label in classes])


def _regressor_shapes(operator):
    """One output, ``(N,)`` or ``(N, n_outputs)`` as ``predict`` returns it."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator)([n] if model._y_1d else [n, model.n_outputs_])


def _classifier_shapes(operator):
    """Labels ``(N,)`` (an int64 indicator ``(N, n_labels)`` for multilabel
    targets) and probabilities ``(N, n_classes)``."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
    model = operator.raw_operator
    n, n_classes = operator.inputs[0].get_first_dimension(), len(model.classes_)
    if model._kind == "multilabel":
        operator.outputs[0].type = Int64TensorType([n, n_classes])
    else:
        operator.outputs[0].type = _label_type(get_label_classes(operator.scope_inst, model))([n])
    operator.outputs[1].type = _float_type(operator)([n, n_classes])


# ------------------------------------------------------------------ converters
class _Graph:
    """Nodes added to a skl2onnx container, each output under a fresh name."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, dtype

    def constant(self, value, dtype=None):
        value = np.asarray(value, self.dtype if dtype is None else dtype)
        name = self.scope.get_unique_variable_name("constant")
        tensor_type = (
            onnx_proto.TensorProto.STRING if value.dtype.kind == "S" else np_dtype_to_tensor_dtype(value.dtype)
        )
        self.container.add_initializer(name, tensor_type, list(value.shape), value.ravel().tolist())
        return name

    def node(self, op_type, *inputs, output=None, **attributes):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type, list(inputs), output, name=self.scope.get_unique_operator_name(op_type), **attributes
        )
        return output

    def half(self, x, output=None):
        return self.node("Mul", x, self.constant(0.5), output=output)

    def tanh_of_half(self, z):
        """``tanh(z / 2)``: ``predict`` computes the logistic as ``0.5 * (1 + tanh(z / 2))``."""
        return self.node("Tanh", self.half(z))

    def logistic(self, z, output=None):
        return self.half(self.node("Add", self.tanh_of_half(z), self.constant(1.0)), output=output)

    def activation(self, name, z, output=None):
        if name == "logistic":
            return self.logistic(z, output=output)
        if name == "softmax":
            return self.node("Softmax", z, axis=1, output=output)
        return self.node(_ELEMENTWISE[name], z, output=output)

    def raw_output(self, X, model):
        """The output layer's pre-activation ``z``, as ``_forward.raw_output``."""
        h = self.node("Cast", X, to=np_dtype_to_tensor_dtype(np.dtype(self.dtype)))
        layers = list(zip(model.coefs_, model.intercepts_))
        for i, (W, b) in enumerate(layers):
            z = self.node("Add", self.node("MatMul", h, self.constant(W)), self.constant(b))
            h = z if i == len(layers) - 1 else self.activation(model.hidden_activation_, z)
        return z


def _graph(scope, operator, container):
    dtype = np.float64 if _float_type(operator) is DoubleTensorType else np.float32
    return _Graph(scope, container, dtype)


def _convert_regressor(scope, operator, container):
    """The graph of ``NeuronRegressor.predict``."""
    model = operator.raw_operator
    graph = _graph(scope, operator, container)
    y = graph.activation(model.out_activation_, graph.raw_output(operator.inputs[0].full_name, model))
    shape = [-1] if model._y_1d else [-1, model.n_outputs_]
    graph.node("Reshape", y, graph.constant(shape, np.int64), output=operator.outputs[0].full_name)


def _convert_classifier(scope, operator, container):
    """The graphs of ``NeuronClassifier.predict`` and ``predict_proba``."""
    model = operator.raw_operator
    graph = _graph(scope, operator, container)
    z = graph.raw_output(operator.inputs[0].full_name, model)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if model._kind == "multiclass":
        graph.node("Softmax", z, axis=1, output=proba)
        index = graph.node("ArgMax", z, axis=1, keepdims=0)
    else:  # labels from the sign of z, as predict decides them
        above_zero = graph.node("Cast", graph.node("Greater", z, graph.constant(0.0)), to=onnx_proto.TensorProto.INT64)
        if model._kind == "multilabel":
            graph.logistic(z, output=proba)
            graph.node("Identity", above_zero, output=label)
            return
        # [logistic(-z), logistic(z)] = 0.5 * [1 - t, t + 1] with t = tanh(z / 2), as predict_proba
        t, one = graph.tanh_of_half(z), graph.constant(1.0)
        graph.node(
            "Concat", graph.half(graph.node("Sub", one, t)), graph.half(graph.node("Add", t, one)), axis=1, output=proba
        )
        index = graph.node("Reshape", above_zero, graph.constant([-1], np.int64))
    labels = _label_values(get_label_classes(scope, model))
    graph.node("Gather", graph.constant(labels, labels.dtype), index, axis=0, output=label)


skl2onnx.update_registered_converter(NeuronRegressor, "SknnNeuronRegressor", _regressor_shapes, _convert_regressor)
skl2onnx.update_registered_converter(
    NeuronClassifier,
    "SknnNeuronClassifier",
    _classifier_shapes,
    _convert_classifier,
    options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
)
