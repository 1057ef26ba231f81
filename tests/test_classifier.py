"""NeuronClassifier: logistic regression as a neuron, and beyond.

The exact reference is scikit-learn's ``LogisticRegression`` solved by
Newton-CG at a tight tolerance, with ``alpha = 1 / (C * sum of the sample
and class weights)``; networks are compared with ``MLPClassifier``.
"""

import copy
import io
import pickle
import warnings

import numpy as np
import pytest
from _assertions import assert_bitwise_equal
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from sknn_neuron import NeuronClassifier, load_model, save_model


def _relative(a, b):
    """Largest difference over the largest entry."""
    return np.abs(a - b).max() / np.abs(b).max()


# ------------------------------------------------ LogisticRegression, exactly
@pytest.mark.parametrize(
    "data, scaled, class_weight",
    [
        ("breast_cancer", True, None),
        ("breast_cancer", False, None),  # raw: columns from 0.003 to 350 in standard deviation
        ("wine", True, None),
        ("breast_cancer", True, "balanced"),
        ("wine", True, "balanced"),
    ],
    ids=["binary", "binary-raw", "multinomial", "binary-balanced", "multinomial-balanced"],
)
def test_lbfgs_neuron_is_logistic_regression(data, scaled, class_weight):
    X, y = (load_breast_cancer if data == "breast_cancer" else load_wine)(return_X_y=True)
    if scaled:
        X = StandardScaler().fit_transform(X)
    C = 1.0
    reference = LogisticRegression(C=C, solver="newton-cg", tol=1e-10, max_iter=10_000, class_weight=class_weight)
    reference.fit(X, y)
    total_weight = compute_sample_weight(class_weight, y).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neuron = NeuronClassifier(alpha=1 / (C * total_weight), tol=1e-10, max_iter=1000, class_weight=class_weight)
        neuron.fit(X, y)
    assert neuron.coef_.shape == reference.coef_.shape and neuron.intercept_.shape == reference.intercept_.shape
    assert _relative(neuron.coef_, reference.coef_) <= 1e-6
    assert _relative(neuron.intercept_, reference.intercept_) <= 1e-6
    assert_allclose(neuron.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    assert_array_equal(neuron.predict(X), reference.predict(X))


def test_multinomial_intercepts_sum_to_zero():
    X, y = load_wine(return_X_y=True)
    clf = NeuronClassifier(hidden_layer_sizes=(4,), random_state=0).fit(StandardScaler().fit_transform(X), y)
    assert abs(clf.intercepts_[-1].sum()) < 1e-12


# ------------------------------------------------------------ networks
def test_hidden_layers_score_at_least_as_mlp_classifier_on_digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0, stratify=y)
    settings = {"hidden_layer_sizes": (64,), "solver": "adam", "max_iter": 50, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(learning_rate_init=0.001, **settings).fit(X_train, y_train)
        ours = NeuronClassifier(**settings).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= mlp.score(X_test, y_test) - 0.01


# ------------------------------------------------------------ probabilities
@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_sum_to_one_and_never_overflow(n_classes):
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=n_classes, random_state=0)
    clf = NeuronClassifier(random_state=0).fit(X, y)
    extreme = np.vstack([X, 1e6 * X[:5], -1e6 * X[:5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or divide warning
        proba = clf.predict_proba(extreme)
        log_proba = clf.predict_log_proba(extreme)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all((proba >= 0) & (proba <= 1))
    assert not np.isnan(log_proba).any()
    with np.errstate(divide="ignore"):
        assert_array_equal(log_proba, np.log(proba))  # -inf exactly where a probability is 0
    assert np.isneginf(log_proba).any()  # the extreme rows reach a probability of exactly 0


def test_decision_function_is_the_raw_output():
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    clf = NeuronClassifier(random_state=0).fit(X, y)
    scores = clf.decision_function(X)
    assert scores.shape == (120,)
    assert_allclose(scores, X @ clf.coef_[0] + clf.intercept_[0], rtol=1e-12)
    assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])


# ------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    "labels",
    [np.array(["cat", "dog", "emu"]), np.array([-3, 10, 7]), np.array([False, True]), np.array([1.0, 3.0])],
    ids=["strings", "integers", "booleans", "floats"],
)
def test_labels_of_any_type_round_trip(labels):
    X, y_index = make_classification(n_samples=90, n_features=4, n_informative=3, n_redundant=0,
                                     n_classes=len(labels), random_state=1)  # fmt: skip
    y = labels[y_index]
    clf = NeuronClassifier(random_state=0).fit(X, y)
    assert_array_equal(clf.classes_, np.sort(labels))
    predicted = clf.predict(X)
    assert predicted.dtype == y.dtype
    assert set(predicted) <= set(labels)
    assert clf.score(X, y) > 0.8


def test_multilabel_indicator_targets_get_one_sigmoid_each():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    clf = NeuronClassifier(random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict(X).shape == (200, 3)
    assert clf.predict_proba(X).shape == (200, 3)
    assert clf.score(X, Y) > 0.9  # subset accuracy


# ------------------------------------------------------------- partial_fit
def test_partial_fit_needs_classes_on_the_first_call():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = NeuronClassifier(solver="sgd")
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_partial_fit_takes_every_class_from_the_first_call():
    X, y = make_classification(n_samples=90, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)  # fmt: skip
    clf = NeuronClassifier(solver="sgd", random_state=0)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # a chunk without class 2
    clf.partial_fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    # MLPClassifier's keyword order works too.
    NeuronClassifier(solver="adam").partial_fit(X, y, sample_weight=np.ones(90), classes=[0, 1, 2])


def test_partial_fit_refuses_balanced_class_weight():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit"):
        NeuronClassifier(solver="sgd", class_weight="balanced").partial_fit(X, y, classes=[0, 1])


# ------------------------------------------------- refused calls, nothing lost
def _fitted_state(estimator):
    return copy.deepcopy({k: v for k, v in vars(estimator).items() if not k.startswith("_skl")})


def _three_class_data():
    X, y = make_classification(n_samples=90, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)  # fmt: skip
    return X, y


@pytest.mark.parametrize(
    "call",
    [
        lambda clf, X, y: clf.partial_fit(X, np.where(y == 2, 5, y)),  # an unseen label
        lambda clf, X, y: clf.partial_fit(X, y, classes=[0, 1, 2, 3]),  # other classes
        lambda clf, X, y: clf.set_params(warm_start=True).fit(X[y < 2], y[y < 2]),  # labels that change
        lambda clf, X, y: clf.fit(X, np.zeros_like(y)),  # a single class
        lambda clf, X, y: clf.partial_fit(X, np.column_stack([y == 0, y == 1]).astype(int)),  # multilabel now
    ],
    ids=["unseen-label", "other-classes", "warm-start-labels-change", "single-class", "kind-changes"],
)
def test_a_refused_call_leaves_the_fitted_classifier_as_it_was(call):
    X, y = _three_class_data()
    clf = NeuronClassifier(solver="sgd", random_state=0).fit(X, y)
    before, predictions = _fitted_state(clf), clf.predict_proba(X)
    with pytest.raises(ValueError, match="class"):
        call(clf, X, y)
    clf.set_params(warm_start=False)
    assert_bitwise_equal(before, _fitted_state(clf))
    assert clf.predict_proba(X).tobytes() == predictions.tobytes()


def test_a_single_class_is_refused_with_logistic_regressions_words():
    X, _ = _three_class_data()
    with pytest.raises(ValueError, match="at least 2 classes in the data, but the data contains only one class"):
        NeuronClassifier().fit(X, np.full(len(X), "only"))


@pytest.mark.parametrize("how", ["pickle", "npz"])
@pytest.mark.parametrize("labels", [np.array(["a", "b", "c"]), np.array([3, 1, 2])], ids=["strings", "integers"])
def test_persistence_round_trips_the_classifier(how, labels):
    X, y = _three_class_data()
    clf = NeuronClassifier(solver="sgd", class_weight={labels[0]: 2.0}, random_state=0).fit(X, labels[y])
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(clf))
    else:
        buffer = io.BytesIO()
        save_model(clf, buffer)
        buffer.seek(0)
        loaded = load_model(buffer)
    assert type(loaded) is NeuronClassifier
    assert_bitwise_equal(vars(clf), vars(loaded))
    assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.predict_proba(X).tobytes() == clf.predict_proba(X).tobytes()


# ------------------------------------------------------------ early stopping
def test_early_stopping_scores_accuracy_on_a_stratified_split():
    X, y = make_classification(n_samples=300, n_features=6, weights=[0.8, 0.2], random_state=0)
    clf = NeuronClassifier(hidden_layer_sizes=(16,), solver="adam", early_stopping=True, max_iter=300,
                           random_state=0).fit(X, y)  # fmt: skip
    _, X_val, _, y_val = train_test_split(X, y, random_state=clf._seed, test_size=0.1, stratify=y)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)
    assert all(0 <= s <= 1 for s in clf.validation_scores_)


# ------------------------------------------------------------- ecosystem
def test_calibration_log_loss_and_roc_auc_work():
    X, y = load_breast_cancer(return_X_y=True)
    scoring = ["neg_log_loss", "roc_auc", "accuracy"]
    # C=1 on folds of 379 or 380 rows is alpha = 1 / 379.3.
    model = make_pipeline(StandardScaler(), NeuronClassifier(alpha=1 / 379.3, random_state=0))
    ours = cross_validate(model, X, y, cv=3, scoring=scoring)
    reference = cross_validate(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=3, scoring=scoring)
    for name in scoring:
        assert_allclose(ours[f"test_{name}"], reference[f"test_{name}"], atol=2e-3)
    calibrated = CalibratedClassifierCV(model, cv=3).fit(X, y)
    assert_allclose(calibrated.predict_proba(X).sum(axis=1), 1.0)
    assert calibrated.score(X, y) > 0.97
