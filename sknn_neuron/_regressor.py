"""NeuronRegressor: the scikit-learn estimator."""

import contextlib
from numbers import Integral, Real

import jax
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _fork, _model, _train
from ._callbacks import CallbackSupportMixin, FitReport
from ._loops import run_lbfgs, run_stochastic

_ACTIVATIONS = StrOptions({"identity", "sigmoid", "logistic", "tanh", "relu"})
_BOUNDED = {"logistic", "tanh", "relu"}  # cannot fit standardized targets
# Attributes that only some configurations set: a fresh fit drops them.
_LEARNED_BY_SOME_FITS = ("coef_", "intercept_", "loss_", "validation_scores_", "best_validation_score_", "_opt_state")


def _check_stochastic(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. lbfgs is not stochastic."
        )
    return True


def _float_context(dtype):
    """float64 data runs in float64 without touching JAX's global flag."""
    return jax.enable_x64(True) if dtype == np.float64 else contextlib.nullcontext()


class NeuronRegressor(CallbackSupportMixin, RegressorMixin, BaseEstimator):
    """A neuron, a layer of neurons or a small dense network, trained with JAX.

    ``y = f(X W + b)``: with no hidden layer this is one neuron per target
    (the linear model of :class:`~sklearn.linear_model.LinearRegression` when
    ``f`` is the identity); ``hidden_layer_sizes`` stacks dense layers in
    front of it. Each solver step runs in a program compiled once with
    :func:`jax.jit` (CPU or GPU); hyperparameters are inputs of that program,
    so refitting with other values compiles nothing.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=()
        Sizes of the hidden layers; empty for the single layer of output
        neurons.
    activation : {"identity", "sigmoid", "logistic", "tanh", "relu"}, \
            default="identity"
        The output neurons' ``f``. ``"sigmoid"`` is ``"logistic"``.
    hidden_activation : {"identity", "sigmoid", "logistic", "tanh", "relu"}, \
            default="relu"
        ``f`` of the hidden neurons.
    loss : {"squared_error", "huber", "absolute_error", "poisson"}, \
            default="squared_error"
        Loss per sample, averaged over targets. ``"poisson"`` is the half
        Poisson deviance with a log link: its output activation is ``exp``,
        so ``activation`` must be ``"identity"``.
    solver : {"lbfgs", "sgd", "adam"}, default="lbfgs"
        ``"lbfgs"``: optax's L-BFGS on the full batch, the exact answer for a
        linear neuron in a few iterations (the default: neurons are small
        problems). ``"sgd"`` and ``"adam"``: minibatch optax optimizers,
        which also support ``partial_fit``.
    alpha : float, default=0.0001
        Strength of the elastic-net penalty on the weights (not the biases):
        ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)``.
    l1_ratio : float, default=0.0
        Share of L1 in the penalty.
    huber_delta : float, default=1.0
        Threshold of the Huber loss between its quadratic and linear parts.
    batch_size : int or "auto", default="auto"
        Rows per minibatch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the step size for ``sgd`` and ``adam``: ``"invscaling"``
        is ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples
        seen; ``"adaptive"`` divides it by 5 each time the stopping rule
        fires, and stops once it is below 1e-6.
    learning_rate_init : float, default=0.01
        Initial step size of ``sgd`` and ``adam``.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    max_iter : int, default=200
        Epochs for ``sgd`` and ``adam`` (per ``fit``); iterations for
        ``lbfgs``.
    max_fun : int, default=15000
        Most loss evaluations of ``lbfgs`` (line searches included).
    shuffle : bool, default=True
        Shuffle the rows once per call and the order of the batches every
        epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffles and the early-stopping split.
        Pass an int for results that are the same, bit for bit, on a device.
    tol : float, default=1e-4
        ``sgd`` and ``adam`` stop when the loss (or the validation score)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        ``lbfgs`` stops when no gradient entry exceeds ``tol``.
    verbose : bool, default=False
        Print the loss of each epoch (and the validation score).
    warm_start : bool, default=False
        Continue from the fitted weights *and* optimizer state.
    momentum : float, default=0.9
        Momentum of ``sgd``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``sgd``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when their R^2
        stalls and keep the weights of the best epoch (``sgd``, ``adam``).
    validation_fraction : float, default=0.1
        Share of rows held out by ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moments.
    epsilon : float, default=1e-8
        Adam's numerical stability constant.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.

    Attributes
    ----------
    coefs_ : list of ndarray
        Weight matrix of each layer, shape ``(fan_in, fan_out)``.
    intercepts_ : list of ndarray
        Bias vector of each layer.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        With no hidden layer: the weights, shaped as ``LinearRegression``'s.
    intercept_ : float or ndarray of shape (n_targets,)
        With no hidden layer: the bias, shaped as ``LinearRegression``'s.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    n_outputs_ : int
        Number of targets.
    n_layers_ : int
        Number of layers, input and output included.
    out_activation_ : str
        The output activation in use (``"exp"`` for the Poisson loss).
    hidden_activation_ : str
        The hidden layers' activation the model was fitted with.
    n_iter_ : int
        Epochs run (``sgd``, ``adam``) or L-BFGS iterations.
    t_ : float
        Training samples seen by the gradient (sum of their weights).
    loss_ : float
        Objective (loss plus penalty) at the last epoch or iteration.
    loss_curve_ : list of float
        Objective at each epoch or iteration.
    learning_rate_curve_ : list of float
        Step size at each epoch (``sgd``, ``adam``).
    best_loss_ : float or None
        Lowest training objective; ``None`` with ``early_stopping``.
    validation_scores_ : list of float
        R^2 on the held-out rows at each epoch, with ``early_stopping``.
    best_validation_score_ : float
        Best of ``validation_scores_``, whose weights the model keeps.

    See Also
    --------
    sklearn.linear_model.LinearRegression : Ordinary least squares, solved.
    sklearn.linear_model.SGDRegressor : Linear model trained by SGD.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron in NumPy.

    Notes
    -----
    Training runs in the input's float dtype: float32 stays float32, float64
    runs inside ``jax.enable_x64`` without changing JAX's global setting.
    Rows are padded with zero-weight rows up to a shape bucket, so data of
    nearby sizes (cross-validation folds) share one compiled program.
    ``predict`` is a NumPy forward pass and never compiles.

    With scikit-learn 1.9 or later, ``set_callbacks`` attaches callbacks of
    the experimental :mod:`sklearn.callback` API (such as ``ProgressBar``):
    each epoch of ``sgd`` or ``adam`` is reported when it has run, the L-BFGS
    solve once when it ends.

    JAX does not survive ``os.fork()``: ``fit`` raises a ``RuntimeError`` in
    a process forked from one where JAX had started (joblib's
    ``"multiprocessing"`` backend on Linux) rather than wait forever. joblib's
    default ``"loky"`` backend and its ``"threading"`` backend work.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_neuron import NeuronRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 10, size=(50, 1))
    >>> y = 0.1 * X[:, 0] + 2 + rng.normal(0, 0.1, size=50)
    >>> reg = NeuronRegressor(random_state=0).fit(X, y)
    >>> reg.coef_.round(2), round(float(reg.intercept_), 1)
    (array([0.1]), 2.0)
    >>> reg.predict([[5.0]]).round(1)
    array([2.5])
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [_ACTIVATIONS],
        "hidden_activation": [_ACTIVATIONS],
        "loss": [StrOptions(set(_model.LOSSES))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
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

    def __init__(
        self,
        hidden_layer_sizes=(),
        *,
        activation="identity",
        hidden_activation="relu",
        loss="squared_error",
        solver="lbfgs",
        alpha=0.0001,
        l1_ratio=0.0,
        huber_delta=1.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=200,
        max_fun=15000,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.hidden_activation = hidden_activation
        self.loss = loss
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.huber_delta = huber_delta
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # ------------------------------------------------------------------ API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 trains in float32, anything else in float64.
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

    @available_if(_check_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run exactly one epoch over ``X`` and ``y``.

        The weights and the optimizer state (Adam's moments, the momentum)
        carry over from the previous call or from ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if hasattr(self, "coefs_"):  # _fit_context validates the first call only
            self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict with the fitted network (NumPy, no compilation).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in ``X``'s float dtype, shaped like the training ``y``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        params = list(zip(self.coefs_, self.intercepts_))
        with np.errstate(over="ignore"):
            y = _model.forward(params, X, self.hidden_activation_, self.out_activation_, xp=np)
        y = y.astype(X.dtype, copy=False)
        return y.ravel() if self._y_1d else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        tags.regressor_tags.poor_score = self.loss != "poisson" and _canonical(self.activation) in _BOUNDED
        return tags

    # -------------------------------------------------------------- fitting
    @property
    def _hidden_activation(self):
        return _canonical(self.hidden_activation)

    def _fit(self, X, y, sample_weight, incremental):
        # Callbacks are set up before the snapshot: scikit-learn tears them
        # down when fit returns or raises, and must find them then.
        n_subtasks = 1 if incremental or self.solver == "lbfgs" else self.max_iter
        report = FitReport(self, X, y, sample_weight, n_subtasks)
        # A refused or failed call leaves a fitted model exactly as it was.
        snapshot = dict(self.__dict__)
        try:
            self._fit_unguarded(X, y, sample_weight, incremental, report)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise
        report.end()
        return self

    def _fit_unguarded(self, X, y, sample_weight, incremental, report):
        hidden = self._check_hyperparameters()
        first = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        X, y = validate_data(
            self, X, y, reset=first, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True
        )
        y_1d = y.ndim == 1
        y = (y.reshape(-1, 1) if y_1d else y).astype(X.dtype, copy=False)
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains infinity or a value too large for dtype('%s')." % X.dtype)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum; got all zeros.")
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("Some value(s) of y are negative which is not allowed for Poisson regression.")
        if first:
            rng = check_random_state(self.random_state)
            units = [X.shape[1], *hidden, y.shape[1]]
            out = self._output_activation()
            params = _model.init_params(rng, units, self._hidden_activation, out, X.dtype)
            self._reset(params, y_1d, out, seed=int(rng.randint(np.iinfo(np.int32).max)))
        else:
            self._check_continuation(X, y, y_1d, hidden)
        _fork.claim_jax_runtime(type(self).__name__)
        with _float_context(X.dtype):
            self._run_solver(X, y, sample_weight, incremental, first, report)

    def _check_hyperparameters(self):
        """Rules tying several parameters together (the rest is declarative)."""
        hidden = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, Integral) else list(
            self.hidden_layer_sizes
        )
        if not all(isinstance(h, Integral) and not isinstance(h, bool) and h > 0 for h in hidden):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}.")
        if self.loss == "poisson" and _canonical(self.activation) != "identity":
            raise ValueError(
                f"loss='poisson' uses a log link (an exp output); activation must be 'identity', "
                f"got activation={self.activation!r}."
            )
        return [int(h) for h in hidden]

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else _canonical(self.activation)

    def _reset(self, params, y_1d, out_activation, seed):
        """Start a new model: drop everything a previous fit learned."""
        for name in _LEARNED_BY_SOME_FITS:
            self.__dict__.pop(name, None)
        self._y_1d, self._seed = y_1d, seed
        self._set_params(params)
        self.out_activation_ = out_activation
        self.hidden_activation_ = self._hidden_activation
        self.n_outputs_ = params[-1][1].shape[0]
        self.n_layers_ = len(params) + 1
        self.n_iter_, self.t_ = 0, 0.0
        self.loss_curve_, self.learning_rate_curve_ = [], []
        self.best_loss_ = np.inf
        self._lr_scale, self._no_improvement_count = 1.0, 0

    def _check_continuation(self, X, y, y_1d, hidden):
        if y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} targets, but {type(self).__name__} was fitted with "
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

    def _set_params(self, params):
        self.__dict__.update(_layer_attributes(params, self._y_1d))

    def _hyperparameters(self, dtype):
        values = {name: getattr(self, name) for name in _train.HYPERPARAMETERS}
        return {name: np.asarray(value, dtype) for name, value in values.items()}

    def _model_config(self):
        return _train.ModelConfig(self.hidden_activation_, self.out_activation_, self.loss)

    def _run_solver(self, X, y, sample_weight, incremental, first, report):
        if self.solver == "lbfgs":
            run_lbfgs(self, X, y, sample_weight)
            report.subtask("lbfgs", {})
            return

        def report_epoch(epoch, loss, score, params):
            return report.subtask(
                f"epoch {epoch}", lambda: {**_layer_attributes(params, self._y_1d), "n_iter_": epoch, "loss_": loss}
            )

        on_epoch = report_epoch if report.listening else None
        run_stochastic(self, X, y, sample_weight, incremental, first, on_epoch=on_epoch)


def _canonical(activation):
    return "logistic" if activation == "sigmoid" else activation


def _layer_attributes(params, y_1d):
    """Fitted attributes of the weights: ``coefs_``, ``intercepts_`` (and ``coef_``, ``intercept_``)."""
    coefs = [np.asarray(W) for W, _ in params]
    intercepts = [np.asarray(b) for _, b in params]
    attributes = {"coefs_": coefs, "intercepts_": intercepts}
    if len(params) == 1:
        W, b = coefs[0], intercepts[0]
        attributes["coef_"] = W[:, 0].copy() if y_1d else W.T.copy()
        attributes["intercept_"] = b[0] if y_1d else b.copy()
    return attributes
