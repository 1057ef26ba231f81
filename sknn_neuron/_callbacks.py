"""Progress reports to scikit-learn's callbacks, where scikit-learn has them.

scikit-learn 1.9 brought the experimental :mod:`sklearn.callback` API
(``est.set_callbacks(ProgressBar())``). A call of ``fit`` or ``partial_fit``
is one task. Each epoch of ``sgd`` or ``adam`` is a subtask, reported once its
compiled call has returned: the epoch runs inside compiled code, so it begins
and ends for the callbacks together. The L-BFGS solve, a single compiled
program, is a single subtask. With an older scikit-learn nothing is reported.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Without :mod:`sklearn.callback` there are no callbacks to support."""


class FitReport:
    """Reports one call of ``fit`` or ``partial_fit`` to the callbacks of ``est``.

    Creating it sets up the callbacks (scikit-learn tears them down when the
    fit method returns or raises) and begins the fit task.

    Parameters
    ----------
    est : estimator
        The estimator being fitted.
    X, y, sample_weight
        The data of the call, as passed by the caller.
    n_subtasks : int
        Most subtasks the call can report.
    """

    def __init__(self, est, X, y, sample_weight, n_subtasks):
        self._est = est
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._context = None
        if hasattr(est, "_init_callback_context"):
            self._context = est._init_callback_context(max_subtasks=n_subtasks)
            self._context.call_on_fit_task_begin(estimator=est, **self._data)

    @property
    def listening(self):
        """Whether a callback listens: reports per epoch cost one compiled call per epoch."""
        return self._context is not None and bool(getattr(self._est, "_skl_callbacks", None))

    def subtask(self, name, attributes):
        """Report a finished subtask; return whether a callback asks to stop.

        ``attributes`` (a dict, or a function returning one) are the fitted
        attributes of the model as it stands after the subtask; they are
        computed only if a callback asks for the fitted model.
        """
        if self._context is None:
            return False
        context = self._context.subcontext(task_name=name)
        context.call_on_fit_task_begin(estimator=self._est, **self._data)
        return context.call_on_fit_task_end(estimator=self._est, reconstruction_attributes=attributes, **self._data)

    def end(self):
        """End the fit task; the estimator is fitted."""
        if self._context is not None:
            self._context.call_on_fit_task_end(estimator=self._est, reconstruction_attributes={}, **self._data)
