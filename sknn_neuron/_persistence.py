"""Save and load the estimators as plain arrays: no pickle, no code.

A pickle runs code when it is loaded, so it must only come from a trusted
source. :func:`save_model` writes an ``.npz`` archive instead: the arrays of
the model (weights, biases, optimizer state) as ``.npy`` members, and one JSON
document describing everything else (the parameters of ``get_params()`` and
the fitted scalars and lists). :func:`load_model` reads it back with
``numpy.load(allow_pickle=False)``, which can only ever build arrays.

Everything the estimator learned is saved, private attributes included, so a
loaded model predicts bitwise as the saved one did and ``partial_fit`` or a
``warm_start`` fit continue exactly as they would have.

The JSON document tags what JSON has no type for: ``{"tuple": [...]}``,
``{"array": "coefs_[0]"}`` (the archive member of that name), ``{"scalar": 1.5, "dtype":
"float32"}`` (a NumPy scalar), ``{"strings": [...]}`` (an object array of
strings, such as ``feature_names_in_``), ``{"dict": [[key, value], ...]}``
and ``{"random_state": ...}`` (a ``RandomState`` instance, by its state).
"""

import json

import numpy as np

FORMAT_VERSION = 1
_META = "__meta__"
_FORMAT_PREFIX = "sknn_neuron."
# scikit-learn's callback machinery (``set_callbacks``): attached, not learned.
_NOT_SAVED = ("_skl_callbacks", "_callback")


def save_model(estimator, file):
    """Write ``estimator`` to an ``.npz`` archive that loads without pickle.

    Parameters
    ----------
    estimator : NeuronRegressor or NeuronClassifier
        The estimator, fitted or not: its parameters and every attribute it
        learned (public ``name_`` and private ``_name`` ones) are written.
        Callbacks attached with ``set_callbacks`` are not.
    file : str, os.PathLike or file-like object
        Where to write. A path is written as given (no ``.npz`` is appended).

    Raises
    ------
    TypeError
        If ``estimator`` is not one of sknn_neuron's estimators, or one of
        its values has a type the format cannot hold (only NumPy arrays and scalars,
        ``RandomState`` instances and plain Python values are supported).

    See Also
    --------
    load_model : Read the archive back.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sknn_neuron import NeuronRegressor
    >>> from sknn_neuron import load_model, save_model
    >>> X = np.arange(8.0).reshape(-1, 1)
    >>> reg = NeuronRegressor(random_state=0).fit(X, 2 * X[:, 0] + 1)
    >>> buffer = io.BytesIO()
    >>> save_model(reg, buffer)
    >>> _ = buffer.seek(0)
    >>> loaded = load_model(buffer)
    >>> bool(np.array_equal(loaded.predict(X), reg.predict(X)))
    True
    """
    if type(estimator).__name__ not in _estimators():
        raise TypeError(
            f"save_model saves {' or '.join(_estimators())}, got {type(estimator).__name__}."
        )
    arrays = {}
    learned = {
        name: value
        for name, value in vars(estimator).items()
        if (name.endswith("_") or name.startswith("_")) and not name.startswith(_NOT_SAVED)
    }
    meta = {
        "format": _FORMAT_PREFIX + type(estimator).__name__,
        "format_version": FORMAT_VERSION,
        "params": _encode(estimator.get_params(deep=False), arrays, "params"),
        "learned": _encode(learned, arrays, ""),
    }
    arrays[_META] = np.array(json.dumps(meta))
    if hasattr(file, "write"):
        np.savez(file, **arrays)
    else:
        with open(file, "wb") as handle:
            np.savez(handle, **arrays)


def load_model(file):
    """Read an estimator written by :func:`save_model`.

    The archive is read with ``numpy.load(allow_pickle=False)``: loading
    never runs code from the file.

    Parameters
    ----------
    file : str, os.PathLike or file-like object
        The archive.

    Returns
    -------
    estimator : NeuronRegressor or NeuronClassifier
        The saved estimator, with the same parameters and learned attributes.

    Raises
    ------
    ValueError
        If the file is not an archive of this format, or of a newer version.

    See Also
    --------
    save_model : Write the archive.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sknn_neuron import NeuronRegressor
    >>> from sknn_neuron import load_model, save_model
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 2)
    >>> reg = NeuronRegressor(solver="sgd", max_iter=5, random_state=0)
    >>> reg = reg.fit(X, X.sum(axis=1))
    >>> buffer = io.BytesIO()
    >>> save_model(reg, buffer)
    >>> _ = buffer.seek(0)
    >>> loaded = load_model(buffer)
    >>> loaded.get_params() == reg.get_params()
    True
    >>> a, b = loaded.partial_fit(X, X.sum(axis=1)), reg.partial_fit(X, X.sum(axis=1))
    >>> bool(np.array_equal(a.coef_, b.coef_))
    True
    """
    with np.load(file, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    if _META not in arrays:
        raise ValueError(f"Not a saved sknn_neuron estimator: the archive has no {_META!r} member.")
    meta = json.loads(str(arrays.pop(_META)))
    name = str(meta.get("format", "")).removeprefix(_FORMAT_PREFIX)
    if not str(meta.get("format", "")).startswith(_FORMAT_PREFIX) or name not in _estimators():
        expected = ", ".join(repr(_FORMAT_PREFIX + n) for n in _estimators())
        raise ValueError(f"Not a saved sknn_neuron estimator: format {meta.get('format')!r}, expected {expected}.")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"The archive has format version {meta['format_version']}; this sknn_neuron reads "
            f"version {FORMAT_VERSION} and older. Upgrade sknn_neuron to load it."
        )
    estimator = _estimators()[name](**_decode(meta["params"], arrays))
    for name, value in _decode(meta["learned"], arrays).items():
        setattr(estimator, name, value)
    return estimator


def _encode(value, arrays, path):
    """JSON-able form of ``value``; arrays go into ``arrays`` by reference."""
    # Before plain types: np.float64 is a float and np.str_ a str.
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        return {"scalar": value.item(), "dtype": value.dtype.str}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            if not all(isinstance(item, str) for item in value.flat):
                raise TypeError(f"{path}: cannot save an object array that holds non-strings.")
            return {"strings": value.tolist()}
        if path in arrays or path == _META:
            raise TypeError(f"{path}: two arrays would share this name in the archive.")
        arrays[path] = value
        return {"array": path}
    if isinstance(value, list):
        return [_encode(item, arrays, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"tuple": [_encode(item, arrays, f"{path}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        items = [(k, v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
        return {"dict": [[_encode(k, arrays, at), _encode(v, arrays, at)] for k, v, at in items]}
    if isinstance(value, np.random.RandomState):
        name, keys, pos, has_gauss, cached = value.get_state()
        return {"random_state": [name, _encode(keys, arrays, path), pos, has_gauss, cached]}
    raise TypeError(
        f"{path}: cannot save a value of type {type(value).__name__}; save_model holds NumPy arrays "
        "and scalars, RandomState instances and plain Python values."
    )


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if not isinstance(value, dict):
        return value
    if "array" in value:
        return arrays[value["array"]]
    if "scalar" in value:
        return np.dtype(value["dtype"]).type(value["scalar"])
    if "strings" in value:
        return np.asarray(value["strings"], dtype=object)
    if "tuple" in value:
        return tuple(_decode(item, arrays) for item in value["tuple"])
    if "dict" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["dict"]}
    if "random_state" in value:
        name, keys, pos, has_gauss, cached = value["random_state"]
        rng = np.random.RandomState()
        rng.set_state((name, _decode(keys, arrays), pos, has_gauss, cached))
        return rng
    raise ValueError(f"Unknown value in a saved sknn_neuron estimator: {value!r}.")


def _estimators():
    """The estimators the format holds, by class name."""
    from ._classifier import NeuronClassifier
    from ._regressor import NeuronRegressor

    return {cls.__name__: cls for cls in (NeuronRegressor, NeuronClassifier)}
