"""BaseNeuron: what every estimator of the package shares.

Parameter constraints, the refused-call promise (a call that raises leaves
the estimator exactly as it was), data and weight validation,
initialization, the checks a continued fit must pass, solver dispatch and
progress callbacks. A subclass supplies only what differs: its targets
(``_validate_training_data``, ``_weigh_samples``, ``_stratify``), its output
(``_output_activation``, ``_loss``) and what the fitted weights are called
(``_weight_attributes``).
"""

import functools
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._available_if import _AvailableIfDescriptor
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _forward, _fork
from ._callbacks import CallbackSupportMixin, FitReport

ACTIVATIONS = StrOptions({"identity", "sigmoid", "logistic", "tanh", "relu"})
# Attributes that only some configurations set: a fresh fit drops them.
_LEARNED_BY_SOME_FITS = ("coef_", "intercept_", "loss_", "_opt_state", "_opt_kind", "_preconditioner")
# Hyperparameters of the compiled programs that an estimator may not have.
_PROGRAM_DEFAULTS = {"huber_delta": 1.0}


def canonical_activation(activation):
    """``"sigmoid"`` is ``"logistic"``."""
    return "logistic" if activation == "sigmoid" else activation


class _StochasticOnly(_AvailableIfDescriptor):
    """``available_if`` whose ``AttributeError`` says why, in its own message."""

    def _check(self, obj, owner):
        if obj.solver == "lbfgs":
            raise AttributeError(
                f"This {owner.__name__!r} has no attribute {self.attribute_name!r}: it is available with "
                "solver='sgd' or solver='adam' only, and solver='lbfgs' is not stochastic. Use "
                f"{owner.__name__}(solver='sgd') or solver='adam' to train in increments."
            )


def stochastic_only(method):
    """Decorate ``partial_fit``: present with ``sgd`` and ``adam``, absent with ``lbfgs``."""
    return _StochasticOnly(method, check=None, attribute_name=method.__name__)


@functools.cache
def _param_names(estimator_class):
    return tuple(BaseEstimator._get_param_names.__func__(estimator_class))


class BaseNeuron(CallbackSupportMixin, BaseEstimator):
    """Shared machinery of the neuron estimators; not for direct use."""

    # The "?" of an estimator's HTML display links to its API page.
    _doc_link_module = "sknn_neuron"
    _doc_link_template = (
        "https://sknn-neuron.readthedocs.io/en/stable/gen_modules/{estimator_module}.{estimator_name}.html"
    )

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "hidden_activation": [ACTIVATIONS],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    }

    @classmethod
    def _get_param_names(cls):
        """The constructor's parameter names, read from its signature once per class.

        ``get_params``, ``clone`` and ``set_params`` ask for them on every
        call; scikit-learn inspects the signature each time (about 0.2 ms), a
        cost a search of many candidates pays several times per candidate.
        """
        return list(_param_names(cls))

    # ------------------------------------------------------------------ API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 trains in float32, anything else in float64.
            A sparse matrix trains without being densified.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss; ``None`` weighs all rows equally.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight, classes=None):
        if hasattr(self, "coefs_"):  # _fit_context validates the first call only
            self._validate_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _raw_output(self, X, checked=False):
        """The output layer's pre-activation on ``X`` (NumPy), validated unless ``checked``."""
        if not checked:
            X = self._check_predict_input(X)
        params = list(zip(self.coefs_, self.intercepts_))
        with np.errstate(over="ignore"):
            z = _forward.raw_output(params, X, self.hidden_activation_)
        return z.astype(X.dtype, copy=False)

    def _check_predict_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight, incremental, classes=None):
        # Callbacks are set up before the snapshot: scikit-learn tears them
        # down when fit returns or raises, and must find them then.
        n_subtasks = 1 if incremental or self.solver == "lbfgs" else self.max_iter
        report = FitReport(self, X, y, sample_weight, n_subtasks)
        # A refused or failed call leaves a fitted model exactly as it was.
        snapshot = dict(self.__dict__)
        try:
            self._fit_unguarded(X, y, sample_weight, incremental, classes, report)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise
        report.end()
        return self

    def _fit_unguarded(self, X, y, sample_weight, incremental, classes, report):
        X, Y, sample_weight, init_params = self._begin_fit(X, y, sample_weight, incremental, classes)
        self._run_solver(X, Y, sample_weight, incremental, init_params, report)

    def _begin_fit(self, X, y, sample_weight, incremental=False, classes=None):
        """Validate a fit's inputs and, for a new model, draw its initial parameters.

        Returns the validated ``(X, Y, sample_weight)`` and fresh internal
        parameters, or ``None`` for them when training continues from the
        fitted ones. A vectorized search calls it for each of its models.
        """
        hidden = self._check_hyperparameters()
        first = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        X, Y = self._validate_training_data(X, y, first=first, incremental=incremental, classes=classes)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        sample_weight = self._weigh_samples(sample_weight, Y)
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum; got all zeros.")
        init_params = None
        if first:
            rng = check_random_state(self.random_state)
            units = [X.shape[1], *hidden, Y.shape[1]]
            out = self._output_activation()
            init_params = _forward.init_params(rng, units, self._hidden_activation, out, X.dtype)
            if not self.fit_intercept:
                init_params[-1] = (init_params[-1][0], np.zeros_like(init_params[-1][1]))
            self._reset(units, out, seed=int(rng.randint(np.iinfo(np.int32).max)))
        else:
            self._check_continuation(Y, hidden)
        _fork.claim_jax_runtime(type(self).__name__)
        return X, Y, sample_weight, init_params

    def _check_hyperparameters(self):
        """Rules tying several parameters together (the rest is declarative)."""
        hidden = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, Integral) else list(
            self.hidden_layer_sizes
        )
        if not all(isinstance(h, Integral) and not isinstance(h, bool) and h > 0 for h in hidden):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}.")
        return [int(h) for h in hidden]

    @property
    def _hidden_activation(self):
        return canonical_activation(self.hidden_activation)

    def _reset(self, units, out_activation, seed):
        """Start a new model: drop everything a previous fit learned."""
        for name in _LEARNED_BY_SOME_FITS:
            self.__dict__.pop(name, None)
        self._seed, self._fit_intercept = seed, self.fit_intercept
        self.out_activation_ = out_activation
        self.hidden_activation_ = self._hidden_activation
        self.n_outputs_ = units[-1]
        self.n_layers_ = len(units)
        self.n_iter_, self.t_, self._epochs_seen = 0, 0.0, 0
        self.loss_curve_, self.learning_rate_curve_ = [], []
        self.best_loss_ = np.inf
        self.validation_scores_ = self.best_validation_score_ = None
        self._lr_scale, self._no_improvement_count = 1.0, 0

    def _check_continuation(self, Y, hidden):
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} targets, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_}; refit with warm_start=False to change the number of targets."
            )
        if [W.shape[1] for W in self.coefs_[:-1]] != hidden:
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} differs from the fitted layers "
                f"{[W.shape[1] for W in self.coefs_[:-1]]}; refit with warm_start=False."
            )
        if len(self.coefs_) > 1 and self._hidden_activation != self.hidden_activation_:
            raise ValueError("hidden_activation changed since the model was fitted; refit with warm_start=False.")
        if self._output_activation() != self.out_activation_:
            raise ValueError("activation or loss changed since the model was fitted; refit with warm_start=False.")
        if self.fit_intercept != self._fit_intercept:
            raise ValueError("fit_intercept changed since the model was fitted; refit with warm_start=False.")

    def _set_params(self, params):
        self.__dict__.update(self._weight_attributes(params))

    def _hyperparameters(self, dtype):
        from ._train import HYPERPARAMETERS

        values = {name: getattr(self, name, _PROGRAM_DEFAULTS.get(name)) for name in HYPERPARAMETERS}
        return {name: np.asarray(value, dtype) for name, value in values.items()}

    def _model_config(self):
        from ._train import ModelConfig

        return ModelConfig(self.hidden_activation_, self.out_activation_, self._loss())

    def _run_solver(self, X, Y, sample_weight, incremental, init_params, report):
        # The training layer, and JAX with it, is imported on the first fit:
        # importing the package, loading a model and predicting need NumPy only.
        from ._loops import float_context, run_lbfgs, run_stochastic

        if self.solver == "lbfgs":
            with float_context(X.dtype):
                run_lbfgs(self, X, Y, sample_weight, init_params)
            report.subtask("lbfgs", {})
            return

        def report_epoch(epoch, loss, score, params):
            return report.subtask(
                f"epoch {epoch}", lambda: {**self._weight_attributes(params), "n_iter_": epoch, "loss_": loss}
            )

        on_epoch = report_epoch if report.listening else None
        with float_context(X.dtype):
            run_stochastic(self, X, Y, sample_weight, incremental, init_params, on_epoch=on_epoch)

    # ---------------------------------------------------------------- hooks
    def _weigh_samples(self, sample_weight, Y):
        """Weights of the rows' losses (a classifier multiplies its class weights in)."""
        return sample_weight

    def _stratify(self, Y):
        """Labels that stratify the early-stopping split, or ``None``."""
        return None

    def _target_divergence_hint(self, Y):
        """A sentence on the targets' part in a divergence, or ``""``."""
        return ""
