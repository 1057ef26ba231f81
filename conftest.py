"""Collection of the package's doctests.

``sknn_neuron/onnx.py`` imports skl2onnx and its examples run onnxruntime:
where either is missing, its doctests are not collected (the tests of
``tests/test_onnx.py`` skip there).
"""

import importlib.util

collect_ignore = (
    [] if all(importlib.util.find_spec(name) for name in ("skl2onnx", "onnxruntime")) else ["sknn_neuron/onnx.py"]
)
