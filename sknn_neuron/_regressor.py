"""NeuronRegressor: the scikit-learn regressor."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from . import _forward
from ._base import ACTIVATIONS, BaseNeuron, canonical_activation, stochastic_only

_BOUNDED = {"logistic", "tanh", "relu"}  # cannot fit standardized targets


class NeuronRegressor(RegressorMixin, BaseNeuron):
    """A neuron, a layer of neurons or a small dense network, trained with JAX.

    ``y = f(X W + b)``: with no hidden layer this is one neuron per target
    (the linear model of :class:`~sklearn.linear_model.LinearRegression` when
    ``f`` is the identity); ``hidden_layer_sizes`` stacks dense layers in
    front of it. Each solver step runs in a program compiled once with
    :func:`jax.jit` (CPU or GPU); hyperparameters are inputs of that program,
    so refitting with other values compiles nothing.

    The solvers work in preconditioned coordinates (centred and whitened
    inputs, standardized targets) and map the weights back exactly: the
    default, a linear neuron trained by L-BFGS without penalty, returns the
    least-squares fit however ``X`` and ``y`` are scaled.

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
        ``"lbfgs"``: L-BFGS on the full batch, the exact answer for a linear
        neuron in a few iterations (the default: neurons are small problems).
        ``"sgd"`` and ``"adam"``: minibatch optax optimizers, which also
        support ``partial_fit``.
    alpha : float, default=0.0
        Strength of the elastic-net penalty on the weights (not the biases),
        in the units of ``X`` and ``y``:
        ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)``.
        The default fits without penalty, as
        :class:`~sklearn.linear_model.LinearRegression` does (``MLPRegressor``
        defaults to ``1e-4``); raise it to regularize a network.
    l1_ratio : float, default=0.0
        Share of L1 in the penalty.
    fit_intercept : bool, default=True
        Fit the output bias. ``False`` fixes it at zero, as in
        :class:`~sklearn.linear_model.LinearRegression`; hidden layers keep
        their biases.
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
        Initial step size of ``sgd`` and ``adam``, in the preconditioned
        coordinates (standardized inputs and targets), so that one value
        serves data of any scale.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    max_iter : int, default=200
        Most epochs (``sgd``, ``adam``) or iterations (``lbfgs``) of one call
        of ``fit``.
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
        ``lbfgs`` stops when no gradient entry exceeds ``tol``. Losses and
        gradients are those of the preconditioned problem (the loss divided
        by the targets' variance for an identity output), so ``tol`` means
        the same whatever the units of the data.
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
        Epochs (``sgd``, ``adam``) or L-BFGS iterations run by the last call
        of ``fit`` or ``partial_fit``, as in ``MLPRegressor``.
    t_ : float
        Training samples seen by the gradient (sum of their weights).
    loss_ : float
        Objective (loss plus penalty) at the last epoch or iteration.
    loss_curve_ : list of float
        Objective at each epoch (across warm starts and ``partial_fit``
        calls) or L-BFGS iteration.
    learning_rate_curve_ : list of float
        Step size at each epoch (``sgd``, ``adam``).
    best_loss_ : float or None
        Lowest training objective; ``None`` with ``early_stopping``.
    validation_scores_ : list of float or None
        R^2 on the held-out rows at each epoch with ``early_stopping``,
        otherwise ``None``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``, whose weights the model keeps;
        ``None`` without ``early_stopping``.

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

    The optimizer's coordinates: the first layer sees the inputs centred
    and scaled (``sgd``, ``adam``) or whitened (``lbfgs``, up to 256
    features), and an identity output sees the targets standardized. The
    objective is unchanged: ``coefs_`` and ``intercepts_`` are in the units of
    ``X`` and ``y``, and so is the penalty.

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
    >>> reg.coef_.round(4), round(float(reg.intercept_), 4)
    (array([0.0969]), 1.9993)
    >>> reg.predict([[5.0]]).round(1)
    array([2.5])
    """

    _parameter_constraints: dict = {
        **BaseNeuron._parameter_constraints,
        "activation": [ACTIVATIONS],
        "loss": [StrOptions({"squared_error", "huber", "absolute_error", "poisson"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(),
        *,
        activation="identity",
        hidden_activation="relu",
        loss="squared_error",
        solver="lbfgs",
        alpha=0.0,
        l1_ratio=0.0,
        fit_intercept=True,
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
        self.fit_intercept = fit_intercept
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

    @stochastic_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run exactly one epoch over ``X`` and ``y``.

        The weights, the optimizer state (Adam's moments, the momentum) and
        the preconditioner carry over from the previous call or from ``fit``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Predict with the fitted network (NumPy, no compilation).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in ``X``'s float dtype, shaped like the training ``y``.
        """
        return self._predict_raw(self._raw_output(X))

    def _predict_raw(self, z):
        """Predictions from the output layer's pre-activation."""
        with np.errstate(over="ignore"):
            y = _forward.ACTIVATIONS[self.out_activation_](z, np)
        return y.ravel() if self._y_1d else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        tags.regressor_tags.poor_score = self.loss != "poisson" and canonical_activation(self.activation) in _BOUNDED
        return tags

    # ---------------------------------------------------------------- hooks
    def _check_hyperparameters(self):
        if self.loss == "poisson" and canonical_activation(self.activation) != "identity":
            raise ValueError(
                f"loss='poisson' uses a log link (an exp output); activation must be 'identity', "
                f"got activation={self.activation!r}."
            )
        return super()._check_hyperparameters()

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else canonical_activation(self.activation)

    def _loss(self):
        return self.loss

    def _validate_training_data(self, X, y, *, first, incremental, classes):
        X, y = validate_data(
            self, X, y, reset=first, accept_sparse="csr", dtype=[np.float64, np.float32], y_numeric=True,
            multi_output=True,
        )  # fmt: skip
        y_1d = y.ndim == 1
        Y = (y.reshape(-1, 1) if y_1d else y).astype(X.dtype, copy=False)
        if not np.all(np.isfinite(Y)):
            raise ValueError(f"Input y contains infinity or a value too large for dtype('{X.dtype}').")
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError("Some value(s) of y are negative which is not allowed for Poisson regression.")
        if first:
            self._y_1d = y_1d
        return X, Y

    def _weight_attributes(self, params):
        """``coefs_``, ``intercepts_`` and, with no hidden layer, ``coef_``, ``intercept_``."""
        coefs = [np.asarray(W) for W, _ in params]
        intercepts = [np.asarray(b) for _, b in params]
        attributes = {"coefs_": coefs, "intercepts_": intercepts}
        if len(params) == 1:
            W, b = coefs[0], intercepts[0]
            attributes["coef_"] = W[:, 0].copy() if self._y_1d else W.T.copy()
            attributes["intercept_"] = b[0] if self._y_1d else b.copy()
        return attributes

    def _target_divergence_hint(self, Y):
        if _forward.scales_target(self.out_activation_, self.loss) or Y.size == 0:
            return ""  # the targets are standardized inside training
        largest = float(np.max(np.abs(Y)))
        if largest <= 100:
            return ""
        return (
            f"The targets reach {largest:.3g} and a {self.out_activation_!r} output does not standardize them: "
            "wrap the model in TransformedTargetRegressor (e.g. with a StandardScaler or a log transform)."
        )
