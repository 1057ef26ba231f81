"""NeuronClassifier: the scikit-learn classifier."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d, validate_data

from . import _forward
from ._base import BaseNeuron, stochastic_only


class NeuronClassifier(ClassifierMixin, BaseNeuron):
    """The sigmoid neuron, a softmax layer or a small network, as a classifier.

    With no hidden layer this is logistic regression: one sigmoid neuron on
    the log loss for two classes, a softmax layer of one neuron per class on
    the cross-entropy for more (multinomial logistic regression), one sigmoid
    per label for a multilabel indicator ``y``. ``hidden_layer_sizes`` stacks
    dense layers in front of it. The output and its loss follow from the
    targets; every solver step runs in a program compiled once with
    :func:`jax.jit` (CPU or GPU), hyperparameters are inputs of that
    program, and training works in preconditioned coordinates (centred and
    whitened or scaled inputs) with the weights mapped back exactly.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=()
        Sizes of the hidden layers; empty for logistic regression.
    hidden_activation : {"identity", "sigmoid", "logistic", "tanh", "relu"}, \
            default="relu"
        ``f`` of the hidden neurons.
    solver : {"lbfgs", "sgd", "adam"}, default="lbfgs"
        ``"lbfgs"``: L-BFGS on the full batch (scipy's algorithm), the
        optimum of a convex problem in a few iterations. ``"sgd"`` and
        ``"adam"``: minibatch optax optimizers, which also support
        ``partial_fit``.
    alpha : float, default=0.0001
        Strength of the elastic-net penalty on the weights (not the biases):
        ``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)``,
        added to the weighted *mean* log loss. It is
        :class:`~sklearn.linear_model.LogisticRegression`'s ``C`` through
        ``alpha = 1 / (C * sum of the sample and class weights)``. The
        default, ``MLPClassifier``'s, keeps the weights finite on separable
        data.
    l1_ratio : float, default=0.0
        Share of L1 in the penalty.
    fit_intercept : bool, default=True
        Fit the output biases. ``False`` fixes them at zero; hidden layers
        keep their biases.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``, as in
        :class:`~sklearn.linear_model.LogisticRegression`: a dict
        ``{label: weight}``, or ``"balanced"`` for
        ``n_samples / (n_classes * np.bincount(y))``. Not ``"balanced"``
        with ``partial_fit``, which sees one chunk at a time. ``"balanced"``
        counts the classes by their sample weights, as ``LogisticRegression``
        does.
    batch_size : int or "auto", default="auto"
        Rows per minibatch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the step size for ``sgd`` and ``adam``, as in
        :class:`NeuronRegressor`.
    learning_rate_init : float, default=0.01
        Initial step size of ``sgd`` and ``adam``, in the preconditioned
        coordinates.
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
    tol : float, default=1e-4
        ``sgd`` and ``adam`` stop when the loss (or the validation accuracy)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        ``lbfgs`` stops when no entry of the preconditioned gradient exceeds
        ``tol``.
    verbose : bool, default=False
        Print the loss of each epoch (and the validation accuracy).
    warm_start : bool, default=False
        Continue from the fitted weights *and* optimizer state; the classes
        must stay the same.
    momentum : float, default=0.9
        Momentum of ``sgd``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``sgd``.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the rows, stop when
        their accuracy stalls and keep the weights of the best epoch
        (``sgd``, ``adam``), as ``MLPClassifier``.
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
    classes_ : ndarray of shape (n_classes,)
        The class labels (for a multilabel ``y``, ``0 .. n_labels - 1``).
    coefs_ : list of ndarray
        Weight matrix of each layer, shape ``(fan_in, fan_out)``.
    intercepts_ : list of ndarray
        Bias vector of each layer; a softmax output's sum to zero.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        With no hidden layer: the weights, shaped as ``LogisticRegression``'s.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        With no hidden layer: the biases, shaped as ``LogisticRegression``'s.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    n_outputs_ : int
        Number of output neurons: 1 for two classes, one per class or label
        otherwise.
    n_layers_ : int
        Number of layers, input and output included.
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``.
    hidden_activation_ : str
        The hidden layers' activation the model was fitted with.
    n_iter_ : int
        Epochs or L-BFGS iterations run by the last call of ``fit`` or
        ``partial_fit``, as in ``MLPClassifier``.
    t_ : float
        Training samples seen by the gradient (sum of their weights).
    loss_ : float
        Objective (mean log loss plus penalty) at the last epoch or iteration.
    loss_curve_ : list of float
        Objective at each epoch or L-BFGS iteration.
    learning_rate_curve_ : list of float
        Step size at each epoch (``sgd``, ``adam``).
    best_loss_ : float or None
        Lowest training objective; ``None`` with ``early_stopping``.
    validation_scores_ : list of float or None
        Accuracy on the held-out rows at each epoch with ``early_stopping``,
        otherwise ``None``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``; ``None`` without ``early_stopping``.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : Logistic regression, solved.
    sklearn.linear_model.SGDClassifier : Linear classifiers trained by SGD.
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron in NumPy.
    NeuronRegressor : The same neurons for regression.

    Notes
    -----
    ``predict_proba`` is computed in NumPy without overflow (a softmax of
    shifted outputs, the logistic in its ``tanh`` form); its rows sum to one
    and ``predict_log_proba`` is its logarithm, ``-inf`` where a probability
    is exactly 0. Training runs in the input's float dtype.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_neuron import NeuronClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), NeuronClassifier(random_state=0)).fit(X, y)
    >>> clf.predict(X[[0, 77]])
    array([0, 1])
    >>> clf.predict_proba(X[[0, 77]]).round(3)  # a clear case, and one near a boundary
    array([[1.   , 0.   , 0.   ],
           [0.   , 0.645, 0.355]])
    >>> round(clf.score(X, y), 2)
    0.98
    """

    _parameter_constraints: dict = {
        **BaseNeuron._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(),
        *,
        hidden_activation="relu",
        solver="lbfgs",
        alpha=0.0001,
        l1_ratio=0.0,
        fit_intercept=True,
        class_weight=None,
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
        self.hidden_activation = hidden_activation
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
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
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run exactly one epoch over ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a multilabel indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            Every class the model will see; required on the first call (as
            ``SGDClassifier``'s), ignored or checked afterwards. Not needed
            for a multilabel ``y``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row's loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit. Compute the weights once, "
                "with compute_class_weight('balanced', classes=classes, y=y) on a large enough sample of "
                "the targets, and pass them as a dict in class_weight."
            )
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def decision_function(self, X):
        """The output layer's raw value (the logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            For two classes, positive values predict ``classes_[1]``.
        """
        z = self._raw_output(X)
        return z.ravel() if self._kind == "binary" else z

    def predict(self, X):
        """Predict class labels (NumPy, no compilation).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``, or an indicator matrix for multilabel
            targets.
        """
        return self._predict_raw(self._raw_output(X))

    def _predict_raw(self, z):
        """Labels from the output layer's pre-activation."""
        if self._kind == "multilabel":
            return (z > 0).astype(int)
        index = (z[:, 0] > 0).astype(int) if self._kind == "binary" else np.argmax(z, axis=1)
        return self.classes_[index]

    def predict_proba(self, X):
        """Probability of each class (or label), summing to one per row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        z = self._raw_output(X)
        if self._kind == "binary":
            logistic = _forward.ACTIVATIONS["logistic"]
            return np.column_stack([logistic(-z[:, 0], np), logistic(z[:, 0], np)])
        return _forward.ACTIVATIONS[self.out_activation_](z, np)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` where it is 0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ---------------------------------------------------------------- hooks
    def _output_activation(self):
        return "softmax" if self._kind == "multiclass" else "logistic"

    def _loss(self):
        return "log_loss"

    def _validate_training_data(self, X, y, *, first, incremental, classes):
        X, y = validate_data(
            self, X, y, reset=first, accept_sparse="csr", dtype=[np.float64, np.float32], multi_output=True
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if first:
            self._set_classes(y, multilabel, incremental, classes)
        else:
            self._check_classes(y, multilabel, incremental, classes)
        if self._kind == "multilabel":
            return X, y.astype(X.dtype)
        index = np.searchsorted(self.classes_, y)
        if self._kind == "binary":
            return X, index.astype(X.dtype).reshape(-1, 1)
        return X, np.eye(len(self.classes_), dtype=X.dtype)[index]

    def _set_classes(self, y, multilabel, incremental, classes):
        if multilabel:
            self.classes_, self._kind = np.arange(y.shape[1]), "multilabel"
            return
        if incremental and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        labels = unique_labels(classes if incremental else y)
        unseen = np.setdiff1d(unique_labels(y), labels)
        if incremental and len(unseen):
            raise ValueError(f"`y` has classes not in `classes`: {unseen}.")
        if len(labels) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data contains only "
                f"one class: {labels[0]!r}."
            )
        self.classes_, self._kind = labels, "binary" if len(labels) == 2 else "multiclass"

    def _check_classes(self, y, multilabel, incremental, classes):
        if multilabel != (self._kind == "multilabel"):
            fitted = "a multilabel indicator" if self._kind == "multilabel" else f"the classes {self.classes_}"
            given = "a multilabel indicator" if multilabel else "class labels"
            raise ValueError(f"y holds {given}, but the model was fitted on {fitted}; refit with warm_start=False.")
        if multilabel:
            return
        if incremental and classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(
                f"`classes={unique_labels(classes)!r}` is not the same as on the last call to partial_fit, "
                f"was: {self.classes_!r}."
            )
        present = unique_labels(y)
        if not incremental and set(present) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous call to fit. "
                f"Previously got {self.classes_}, `y` has {present}."
            )
        if len(np.setdiff1d(present, self.classes_)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. 'y' has {present}."
            )

    def _weigh_samples(self, sample_weight, Y):
        if self.class_weight is None:
            return sample_weight
        if self._kind == "multilabel":
            return sample_weight * compute_sample_weight(self.class_weight, Y.astype(int)).astype(Y.dtype)
        # "balanced" counts the classes by their sample weights, as LogisticRegression
        # does: weighting a row by k is then the same as k copies of it.
        index = self._class_index(Y)
        with np.errstate(divide="ignore"):
            class_weight = compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[index], sample_weight=sample_weight
            )
        # A class of weight zero gets an infinite balanced weight: its rows stay at zero.
        weight = np.where(sample_weight > 0, class_weight[index], 0.0)
        return (sample_weight * weight).astype(Y.dtype)

    def _class_index(self, Y):
        return Y[:, 0].astype(int) if self._kind == "binary" else np.argmax(Y, axis=1)

    def _stratify(self, Y):
        return None if self._kind == "multilabel" else self._class_index(Y)

    def _weight_attributes(self, params):
        """``coefs_``, ``intercepts_`` and, with no hidden layer, ``coef_``, ``intercept_``.

        A softmax is the same for any constant added to its biases: they are
        centred (summing to zero), as ``LogisticRegression``'s.
        """
        coefs = [np.asarray(W) for W, _ in params]
        intercepts = [np.asarray(b) for _, b in params]
        if self._kind == "multiclass":
            intercepts[-1] = intercepts[-1] - intercepts[-1].mean()
        attributes = {"coefs_": coefs, "intercepts_": intercepts}
        if len(params) == 1:
            attributes["coef_"] = coefs[0].T.copy()
            attributes["intercept_"] = intercepts[0].copy()
        return attributes
