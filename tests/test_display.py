"""LossCurveDisplay draws loss_curve_ and, on a twin axis, validation_scores_."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_neuron import NeuronRegressor
from sknn_neuron import LossCurveDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # no window, whatever the session's default backend
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    return X, X @ [1.0, 2.0, -1.0] + rng.normal(0, 0.2, 120)


@pytest.fixture(scope="module")
def early_stopped():
    params = {"solver": "adam", "early_stopping": True, "max_iter": 15, "random_state": 0}
    return NeuronRegressor(**params).fit(*_data())


@pytest.fixture(scope="module")
def plain():
    return NeuronRegressor(solver="sgd", max_iter=10, random_state=0).fit(*_data())


def test_draws_the_loss_and_the_validation_scores(early_stopped):
    display = LossCurveDisplay.from_estimator(early_stopped)
    assert_array_equal(display.line_.get_xdata(), np.arange(1, early_stopped.n_iter_ + 1))
    assert_allclose(display.line_.get_ydata(), early_stopped.loss_curve_)
    assert_allclose(display.validation_line_.get_ydata(), early_stopped.validation_scores_)
    assert display.validation_line_.axes is display.validation_ax_
    assert display.validation_ax_.get_shared_x_axes().joined(display.ax_, display.validation_ax_)
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "Iteration"
    assert display.ax_.get_ylabel() == "Training loss"
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == ["training loss", "validation score"]


def test_without_validation_scores_there_is_one_axis(plain):
    display = LossCurveDisplay.from_estimator(plain)
    assert display.validation_line_ is None and display.validation_ax_ is None
    assert display.figure_.axes == [display.ax_]
    assert_allclose(display.line_.get_ydata(), plain.loss_curve_)


def test_draws_on_the_given_axes(plain):
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(plain, ax=ax, name="sgd")
    assert display.ax_ is ax
    assert display.line_.get_label() == "sgd: training loss"


def test_style_keywords_override_the_defaults(early_stopped):
    display = LossCurveDisplay.from_estimator(
        early_stopped, line_kwargs={"c": "black"}, validation_line_kwargs={"ls": ":"}
    )
    assert display.line_.get_color() == "black"
    assert display.validation_line_.get_linestyle() == ":"


def test_reads_the_model_at_the_end_of_a_pipeline():
    pipe = make_pipeline(StandardScaler(), NeuronRegressor(solver="sgd", max_iter=5, random_state=0))
    pipe.fit(*_data())
    display = LossCurveDisplay.from_estimator(pipe)
    assert_allclose(display.line_.get_ydata(), pipe[-1].loss_curve_)


def test_plot_draws_again_with_a_new_name(plain):
    display = LossCurveDisplay.from_estimator(plain)
    _, ax = plt.subplots()
    assert display.plot(ax=ax, name="again").ax_ is ax
    assert display.line_.get_label() == "again: training loss"


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(NeuronRegressor())


def test_reads_any_estimator_with_a_loss_curve():
    from sklearn.neural_network import MLPRegressor

    mlp = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(*_data())
    display = LossCurveDisplay.from_estimator(mlp)
    assert_allclose(display.line_.get_ydata(), mlp.loss_curve_)
    assert display.validation_line_ is None
