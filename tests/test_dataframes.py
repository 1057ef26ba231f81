"""pandas and polars inputs: X as a DataFrame, y as a Series or a DataFrame."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils.estimator_checks import check_dataframe_column_names_consistency

from sknn_neuron import NeuronRegressor

COLUMNS = ["age", "dose", "weight"]


def _data(n_samples=80, dtype=np.float64):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 3)).astype(dtype)
    Y = np.column_stack([X @ [1.0, 2.0, -1.0] + 0.5, X @ [0.0, -1.0, 3.0]]).astype(dtype)
    return X, Y


def _frame(library, X, columns=COLUMNS):
    lib = pytest.importorskip(library)
    return lib.DataFrame({name: X[:, j] for j, name in enumerate(columns)})


def _series(library, y, name="target"):
    lib = pytest.importorskip(library)
    return lib.Series(name, y) if library == "polars" else lib.Series(y, name=name)


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_dataframe_and_series_fit_as_arrays_do(library):
    X, Y = _data()
    reg = NeuronRegressor(random_state=0).fit(_frame(library, X), _series(library, Y[:, 0]))
    reference = NeuronRegressor(random_state=0).fit(X, Y[:, 0])
    assert_array_equal(reg.feature_names_in_, COLUMNS)
    assert reg.n_features_in_ == 3
    assert_array_equal(reg.coef_, reference.coef_)
    prediction = reg.predict(_frame(library, X))
    assert isinstance(prediction, np.ndarray) and prediction.shape == (80,)
    # A frame's array is column-major: the product rounds in another order.
    assert_allclose(prediction, reference.predict(X), rtol=1e-12)


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_dataframe_target_fits_several_outputs(library):
    X, Y = _data()
    reg = NeuronRegressor(random_state=0).fit(_frame(library, X), _frame(library, Y, columns=["y0", "y1"]))
    assert reg.n_outputs_ == 2
    assert reg.predict(_frame(library, X)).shape == (80, 2)
    assert reg.score(_frame(library, X), _frame(library, Y, columns=["y0", "y1"])) > 0.99


POLARS_FLOAT64 = pytest.mark.xfail(
    reason="scikit-learn's check_array cannot read a polars frame's dtype and converts it to float64",
    strict=True,
)


@pytest.mark.parametrize("library", ["pandas", pytest.param("polars", marks=POLARS_FLOAT64)])
def test_float32_dataframe_trains_in_float32(library):
    X, Y = _data(dtype=np.float32)
    reg = NeuronRegressor(random_state=0).fit(_frame(library, X), _series(library, Y[:, 0]))
    assert reg.coefs_[0].dtype == np.float32
    assert reg.predict(_frame(library, X)).dtype == np.float32
    assert_allclose(reg.coef_, [1.0, 2.0, -1.0], atol=1e-3)


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_predict_checks_the_column_names(library):
    X, Y = _data()
    reg = NeuronRegressor(random_state=0).fit(_frame(library, X), Y[:, 0])
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(_frame(library, X[:, ::-1], columns=COLUMNS[::-1]))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        reg.predict(X)


def test_array_fit_sets_no_feature_names():
    X, Y = _data()
    reg = NeuronRegressor(random_state=0).fit(X, Y[:, 0])
    assert not hasattr(reg, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        reg.predict(_frame("pandas", X))


def test_check_dataframe_column_names_consistency():
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency("NeuronRegressor", NeuronRegressor())
