"""Progress reports: verbose lines, and scikit-learn's callbacks, per epoch."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sknn_neuron import NeuronRegressor
from sknn_neuron._callbacks import FitReport


def _data(n_samples=150, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    return X, X @ [1.0, -2.0, 0.5] + 1.0 + rng.normal(0, 0.1, n_samples)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_verbose_prints_the_loss_of_each_iteration(solver, capsys):
    X, y = _data()
    reg = NeuronRegressor(solver=solver, max_iter=12, verbose=True, random_state=0).fit(X, y)
    lines = re.findall(r"^Iteration (\d+), loss = ([0-9.]+)$", capsys.readouterr().out, re.MULTILINE)
    assert [int(i) for i, _ in lines] == list(range(1, reg.n_iter_ + 1))
    assert_allclose([float(loss) for _, loss in lines], reg.loss_curve_, rtol=1e-6)


def test_verbose_prints_the_validation_score_with_early_stopping(capsys):
    X, y = _data()
    reg = NeuronRegressor(solver="adam", early_stopping=True, max_iter=12, verbose=True, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    scores = [float(s) for s in re.findall(r"^Validation score: (-?[0-9.]+)$", out, re.MULTILINE)]
    assert len(re.findall(r"^Iteration \d+, loss = ", out, re.MULTILINE)) == reg.n_iter_
    assert_allclose(scores, reg.validation_scores_, atol=1e-6)


def test_verbose_fit_equals_silent_fit(capsys):
    X, y = _data()
    silent = NeuronRegressor(solver="sgd", max_iter=12, random_state=0).fit(X, y)
    loud = NeuronRegressor(solver="sgd", max_iter=12, random_state=0, verbose=True).fit(X, y)
    assert_array_equal(loud.coef_, silent.coef_)
    assert capsys.readouterr().out


class Recorder:
    """A callback that records the hooks it receives, for the tests."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, metadata=None):
        self.events.append(("end", context.task_name, fitted_estimator, metadata))
        return self.stop_at is not None and context.task_name == f"epoch {self.stop_at}"

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def names(self):
        return [event[:2] for event in self.events]


def _epochs(n):
    return [event for i in range(1, n + 1) for event in (("begin", f"epoch {i}"), ("end", f"epoch {i}"))]


@pytest.fixture
def callbacks_api():
    return pytest.importorskip("sklearn.callback")


@pytest.mark.parametrize("early_stopping", [False, True])
def test_callbacks_get_one_subtask_per_epoch(callbacks_api, early_stopping):
    X, y = _data()
    recorder = Recorder()
    reg = NeuronRegressor(solver="sgd", max_iter=8, early_stopping=early_stopping, random_state=0)
    reg.set_callbacks(recorder).fit(X, y)
    assert reg.n_iter_ == 8
    assert recorder.names() == [("setup", "fit"), ("begin", "fit"), *_epochs(8), ("end", "fit"), ("teardown", "fit")]


def test_callbacks_get_the_model_of_each_epoch(callbacks_api):
    X, y = _data()
    recorder = Recorder()
    reg = NeuronRegressor(solver="adam", max_iter=5, random_state=0).set_callbacks(recorder).fit(X, y)
    ends = [event for event in recorder.events if event[0] == "end" and event[1].startswith("epoch")]
    models = [fitted for _, _, fitted, _ in ends]
    assert [model.n_iter_ for model in models] == [1, 2, 3, 4, 5]
    assert [model.loss_ for model in models] == reg.loss_curve_
    assert_array_equal(models[-1].predict(X), reg.predict(X))
    assert not np.array_equal(models[0].predict(X), reg.predict(X))
    assert not hasattr(reg, "_callback_fit_ctx")


def test_callbacks_get_the_sample_weight(callbacks_api):
    X, y = _data()
    recorder, weights = Recorder(), np.linspace(0.5, 1.5, len(y))
    NeuronRegressor(solver="sgd", max_iter=2, random_state=0).set_callbacks(recorder).fit(X, y, sample_weight=weights)
    assert all(event[3]["sample_weight"] is weights for event in recorder.events if event[0] == "end")


def test_callbacks_get_the_lbfgs_solve_as_one_subtask(callbacks_api):
    X, y = _data()
    recorder = Recorder()
    NeuronRegressor().set_callbacks(recorder).fit(X, y)
    tasks = [("setup", "fit"), ("begin", "fit"), ("begin", "lbfgs"), ("end", "lbfgs"), ("end", "fit")]
    assert recorder.names() == [*tasks, ("teardown", "fit")]


def test_callbacks_get_one_subtask_per_partial_fit(callbacks_api):
    X, y = _data()
    recorder = Recorder()
    reg = NeuronRegressor(solver="sgd", random_state=0).set_callbacks(recorder)
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 3  # n_iter_ counts the last call's epochs
    expected = []
    for _ in range(3):
        expected += [("setup", "fit"), ("begin", "fit"), ("begin", "epoch 1"), ("end", "epoch 1")]
        expected += [("end", "fit"), ("teardown", "fit")]
    assert recorder.names() == expected


def test_a_callback_can_stop_the_fit(callbacks_api):
    X, y = _data()
    reg = NeuronRegressor(solver="sgd", max_iter=50, random_state=0).set_callbacks(Recorder(stop_at=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.n_iter_ == 3
    assert len(reg.loss_curve_) == 3


def test_callbacks_are_torn_down_when_fit_fails(callbacks_api):
    class Failing(Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, metadata=None):
            super().on_fit_task_end(estimator, context)
            if context.task_name == "epoch 2":
                raise KeyboardInterrupt

    X, y = _data()
    recorder = Failing()
    reg = NeuronRegressor(solver="sgd", max_iter=5, random_state=0).set_callbacks(recorder)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y)
    assert recorder.names()[-2:] == [("end", "epoch 2"), ("teardown", "fit")]
    assert not hasattr(reg, "coefs_") and not hasattr(reg, "_callback_fit_ctx")


def test_progress_bar_runs_through_a_fit(callbacks_api, capsys):
    pytest.importorskip("rich")
    X, y = _data()
    reg = NeuronRegressor(solver="sgd", max_iter=5, random_state=0).set_callbacks(callbacks_api.ProgressBar())
    assert reg.fit(X, y).n_iter_ == 5
    assert "NeuronRegressor - fit" in capsys.readouterr().out


def test_callbacks_follow_clones(callbacks_api):
    from sklearn.base import clone

    recorder = Recorder()
    copy = clone(NeuronRegressor(solver="sgd", max_iter=2, random_state=0).set_callbacks(recorder))
    copy.fit(*_data())
    assert ("end", "epoch 2") in recorder.names()


def test_report_without_the_callback_api_reports_nothing():
    class Plain:
        """An estimator as seen with a scikit-learn that has no sklearn.callback."""

    report = FitReport(Plain(), None, None, None, n_subtasks=3)
    assert not report.listening
    assert report.subtask("epoch 1", {}) is False
    report.end()
