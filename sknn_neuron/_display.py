"""LossCurveDisplay: the training loss per iteration, and the validation score."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted


class LossCurveDisplay:
    """Loss curve visualization: the objective at each iteration of a fit.

    With early stopping, the validation R^2 of each epoch is drawn on a second
    y axis sharing the iterations. Create it with :meth:`from_estimator`; all
    parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_iter,)
        Objective (loss plus penalty) at each epoch or L-BFGS iteration.
    validation_scores : array-like of shape (n_iter,), default=None
        Score on the held-out rows at each epoch, if any.
    name : str, default=None
        Name of the estimator, prefixed to the legend's labels.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The loss curve.
    validation_line_ : matplotlib Line2D or None
        The validation scores, or ``None`` without them.
    ax_ : matplotlib Axes
        Axes of the loss curve.
    validation_ax_ : matplotlib Axes or None
        Twin axes (same x, own y) of the validation scores.
    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training samples.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from sknn_neuron import NeuronRegressor
    >>> from sknn_neuron import LossCurveDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, 2.0, 3.0] + rng.normal(0, 0.1, size=200)
    >>> reg = NeuronRegressor(solver="adam", early_stopping=True, max_iter=300,
    ...                       random_state=0).fit(X, y)
    >>> ax = Figure().subplots()  # or leave ax=None: plt.subplots()
    >>> display = LossCurveDisplay.from_estimator(reg, ax=ax)
    >>> len(display.line_.get_xdata()) == reg.n_iter_
    True
    >>> display.validation_ax_.get_ylabel()
    'Validation score'
    """

    def __init__(self, *, loss_curve, validation_scores=None, name=None):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.name = name

    def plot(self, ax=None, *, name=None, line_kwargs=None, validation_line_kwargs=None):
        """Plot the loss curve, and the validation scores on a twin y axis.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        name : str, default=None
            Overrides the ``name`` given at construction.
        line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the loss curve.
        validation_line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the scores.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the attributes of the drawing set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name
        prefix = "" if name is None else f"{name}: "

        loss = np.asarray(self.loss_curve, dtype=float)
        default = {"color": "tab:blue", "label": f"{prefix}training loss"}
        line_kwargs = _validate_style_kwargs(default, line_kwargs or {})
        (self.line_,) = ax.plot(np.arange(1, loss.size + 1), loss, **line_kwargs)
        ax.set(xlabel="Iteration", ylabel="Training loss")
        lines = [self.line_]

        self.validation_line_ = self.validation_ax_ = None
        if self.validation_scores is not None:
            scores = np.asarray(self.validation_scores, dtype=float)
            default = {"color": "tab:orange", "linestyle": "--", "label": f"{prefix}validation score"}
            validation_line_kwargs = _validate_style_kwargs(default, validation_line_kwargs or {})
            self.validation_ax_ = ax.twinx()
            (self.validation_line_,) = self.validation_ax_.plot(
                np.arange(1, scores.size + 1), scores, **validation_line_kwargs
            )
            self.validation_ax_.set_ylabel("Validation score")
            lines.append(self.validation_line_)

        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, line_kwargs=None, validation_line_kwargs=None):
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~sknn_neuron.NeuronRegressor` (or any estimator
            with ``loss_curve_``, such as ``MLPRegressor``), or a fitted
            :class:`~sklearn.pipeline.Pipeline` ending with one.
        ax : matplotlib Axes, default=None
            Axes to plot on; ``None`` creates a figure and axes.
        name : str, default=None
            Prefix of the legend's labels; ``None`` for none.
        line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the loss curve.
        validation_line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the scores.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        check_is_fitted(model)
        if not hasattr(model, "loss_curve_"):
            raise AttributeError(f"{type(model).__name__} has no loss_curve_ to plot.")
        display = cls(
            loss_curve=model.loss_curve_,
            validation_scores=getattr(model, "validation_scores_", None),
            name=name,
        )
        return display.plot(ax=ax, line_kwargs=line_kwargs, validation_line_kwargs=validation_line_kwargs)
