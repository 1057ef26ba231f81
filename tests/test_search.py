"""The vectorized searches give scikit-learn's searches' results.

Every test runs the same search through ``sklearn.model_selection`` and
through ``sknn_neuron.model_selection`` and compares ``cv_results_``: the
vectorized fit of a candidate on a fold is the computation of its own fit,
so the scores agree to rounding.
"""

import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn import model_selection as sk
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_neuron import NeuronClassifier, NeuronRegressor, model_selection
from sknn_neuron.model_selection._plan import TRACED

LEARNING_RATES = [0.0003, 0.001, 0.003, 0.01]
ALPHAS = [1e-5, 1e-3, 1e-1]


def _regression(n_samples, n_features=20, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n_samples, n_features)) * rng.uniform(0.5, 2.0, n_features) + 3.0).astype(dtype)
    y = X @ rng.uniform(-1, 1, n_features) + 0.5 * rng.standard_normal(n_samples) + 10.0
    return X, y.astype(dtype)


def _classification(n_samples, n_features=20, seed=0):
    X, y = _regression(n_samples, n_features, seed=seed)
    return X, np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))  # three classes


def _both(search_class, estimator, grid, X, y, **kwargs):
    """The same search through scikit-learn and through sknn_neuron."""
    ours_class = getattr(model_selection, search_class)
    theirs_class = getattr(sk, search_class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        params = kwargs.pop("fit_params", {})
        ours = ours_class(estimator, grid, **kwargs).fit(X, y, **params)
        theirs = theirs_class(estimator, grid, **kwargs).fit(X, y, **params)
    return ours, theirs


def _assert_same_results(ours, theirs, atol):
    assert ours.cv_results_.keys() == theirs.cv_results_.keys()
    for key, value in theirs.cv_results_.items():
        mine = ours.cv_results_[key]
        if key.startswith(("mean_test", "std_test", "split", "mean_train", "std_train")) and "time" not in key:
            np.testing.assert_allclose(mine, value, rtol=0, atol=atol, err_msg=key)
        elif key.startswith("rank"):
            np.testing.assert_array_equal(mine, value, err_msg=key)
        elif key.startswith("param"):
            assert type(mine) is type(value), key
            assert mine.dtype == value.dtype if hasattr(value, "dtype") else True, key
            assert list(mine) == list(value), key
        if hasattr(value, "dtype"):
            assert mine.dtype == value.dtype, key
    assert ours.n_splits_ == theirs.n_splits_
    assert ours.multimetric_ == theirs.multimetric_
    if hasattr(theirs, "best_params_"):
        assert ours.best_params_ == theirs.best_params_
        assert ours.best_index_ == theirs.best_index_


@pytest.mark.slow  # 10,000 rows, and scikit-learn's 61 fits
@pytest.mark.parametrize(
    "estimator, data",
    [
        (NeuronRegressor(solver="sgd", random_state=0), _regression),
        (NeuronRegressor(random_state=0), _regression),
        (NeuronClassifier(solver="sgd", max_iter=50, random_state=0), _classification),
    ],
    ids=["sgd", "lbfgs", "classifier"],
)
def test_five_folds_by_twelve_candidates_match_scikit_learn_in_float64(estimator, data):
    X, y = data(10_000)
    ours, theirs = _both("GridSearchCV", estimator, {"learning_rate_init": LEARNING_RATES, "alpha": ALPHAS}, X, y, cv=5)
    _assert_same_results(ours, theirs, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X[:50]), theirs.predict(X[:50]), rtol=1e-12)


@pytest.mark.parametrize("solver", ["sgd", "lbfgs", "adam"])
def test_float32_matches_scikit_learn_to_float32_precision(solver):
    X, y = _regression(600, dtype=np.float32)
    ours, theirs = _both(
        "GridSearchCV", NeuronRegressor(solver=solver, random_state=0),
        {"learning_rate_init": [0.001, 0.01], "alpha": [1e-5, 1e-1]}, X, y, cv=4,
    )  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-5)


def test_multimetric_scoring_groups_refit_callable_and_train_scores():
    X, y = _regression(1200)
    groups = np.repeat(np.arange(12), 100)

    def lowest_rank_then_smallest_alpha(results):
        return int(np.argmin(results["rank_test_r2"]))

    ours, theirs = _both(
        "GridSearchCV", NeuronRegressor(solver="sgd", random_state=0),
        {"learning_rate_init": [0.001, 0.01], "alpha": [1e-5, 1e-2]}, X, y,
        cv=GroupKFold(n_splits=4), scoring=["r2", "neg_mean_absolute_error"],
        refit=lowest_rank_then_smallest_alpha, return_train_score=True, fit_params={"groups": groups},
    )  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-8)
    assert "split3_train_neg_mean_absolute_error" in ours.cv_results_
    assert ours.best_index_ == theirs.best_index_
    assert set(ours.scorer_) == {"r2", "neg_mean_absolute_error"}


def test_pipeline_grid_fits_the_scaler_per_fold_and_matches():
    X, y = _regression(1500)
    pipeline = make_pipeline(StandardScaler(), NeuronRegressor(solver="sgd", random_state=0))
    grid = {"neuronregressor__learning_rate_init": [0.001, 0.01], "neuronregressor__alpha": [1e-5, 1e-2],
            "standardscaler__with_mean": [True, False]}  # fmt: skip
    ours, theirs = _both("GridSearchCV", pipeline, grid, X, y, cv=3)
    _assert_same_results(ours, theirs, atol=1e-8)


@pytest.mark.slow  # two groups' programs, and scikit-learn's search fits one by one
def test_two_static_groups_compile_one_program_each_and_match(count_compilations):
    X, y = _regression(300, n_features=7)
    grid = {"hidden_layer_sizes": [(3,), (5,)], "alpha": [1e-4, 1e-2], "learning_rate_init": [0.003, 0.01]}
    estimator = NeuronRegressor(solver="adam", max_iter=10, random_state=0)
    with count_compilations() as compiled, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = model_selection.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    assert compiled.count("search_epochs") == 2, compiled.summary()
    assert compiled.count("train_epochs") <= 1, compiled.summary()  # the refit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = sk.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    _assert_same_results(ours, theirs, atol=1e-8)


def test_a_lbfgs_search_compiles_one_program_and_the_refit(count_compilations):
    X, y = _regression(700, n_features=11)
    with count_compilations() as compiled:
        model_selection.GridSearchCV(NeuronRegressor(), {"alpha": list(np.logspace(-5, 1, 10))}, cv=5).fit(X, y)
    assert compiled.count("search_lbfgs") == 1, compiled.summary()
    assert compiled.count("train_lbfgs") <= 1, compiled.summary()
    assert compiled.count("search_epochs") + compiled.count("train_epochs") == 0


def test_randomized_search_matches_scikit_learn():
    X, y = _regression(800)
    distributions = {"alpha": loguniform(1e-5, 1e0), "learning_rate_init": loguniform(1e-4, 1e-2)}
    ours, theirs = _both(
        "RandomizedSearchCV", NeuronRegressor(solver="sgd", random_state=0), distributions, X, y, cv=3,
        n_iter=20, random_state=0,
    )  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-8)


def test_early_stopping_and_adaptive_rate_match():
    X, y = _classification(1500)
    estimator = NeuronClassifier(solver="sgd", early_stopping=True, learning_rate="adaptive", random_state=0)
    ours, theirs = _both("GridSearchCV", estimator, {"learning_rate_init": [0.001, 0.03], "tol": [1e-4, 1e-2]},
                         X, y, cv=3)  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-8)


def test_sample_weight_is_split_with_the_folds():
    X, y = _regression(900)
    weights = np.random.default_rng(1).uniform(0.1, 2.0, len(y))
    ours, theirs = _both("GridSearchCV", NeuronRegressor(solver="sgd", random_state=0), {"alpha": [1e-5, 1e-1]},
                         X, y, cv=3, fit_params={"sample_weight": weights})  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-8)


def _program_inputs(monkeypatch, name):
    """Record the ``data`` argument of each call of the search program ``name``."""
    from sknn_neuron import _train

    program, seen = getattr(_train, name), []

    def recording(config, *args):
        seen.append(args[1])  # search_epochs(config, state, data, ...), search_lbfgs(config, params, data, ...)
        return program(config, *args)

    monkeypatch.setattr(_train, name, recording)
    return seen


@pytest.mark.parametrize("solver, program", [("sgd", "search_epochs"), ("lbfgs", "search_lbfgs")])
def test_the_folds_of_a_bare_neuron_share_one_copy_of_x(monkeypatch, solver, program):
    pd = pytest.importorskip("pandas")
    X, y = _regression(1000, n_features=7)
    weights = np.random.default_rng(2).uniform(0.0, 2.0, len(y))
    weights[::10] = 0.0  # rows of weight zero leave each fold's fit
    seen = _program_inputs(monkeypatch, program)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(7)])
    ours, theirs = _both("GridSearchCV", NeuronRegressor(solver=solver, random_state=0), {"alpha": [1e-5, 1e-1]},
                         frame, y, cv=5, fit_params={"sample_weight": weights})  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-8)
    (data,) = seen
    arrays = [a for a in data if np.ndim(a) >= 2 and np.shape(a)[-1] == 7]
    assert [a.shape for a in arrays] == [(1001, 7)]  # the rows of X, once, and a row of zeros for padding


def test_splits_given_as_boolean_masks_match():
    X, y = _regression(300, n_features=4)
    folds = np.arange(300) % 3
    cv = [(folds != k, folds == k) for k in range(3)]
    ours, theirs = _both("GridSearchCV", NeuronRegressor(solver="sgd", random_state=0), {"alpha": [1e-5, 1e-1]},
                         X, y, cv=cv)  # fmt: skip
    _assert_same_results(ours, theirs, atol=1e-8)


def test_the_folds_of_a_pipeline_hold_their_own_rows(monkeypatch):
    X, y = _regression(500, n_features=7)
    seen = _program_inputs(monkeypatch, "search_epochs")
    pipeline = make_pipeline(StandardScaler(), NeuronRegressor(solver="sgd", random_state=0))
    ours, theirs = _both("GridSearchCV", pipeline, {"neuronregressor__alpha": [1e-5, 1e-1]}, X, y, cv=4)
    _assert_same_results(ours, theirs, atol=1e-8)
    assert seen[0][0].shape[:1] == (4,) and seen[0][0].shape[2] == 7  # each fold's scaled rows


def test_runs_in_chunks_of_candidates_match(monkeypatch):
    from sknn_neuron import _search_loops

    X, y = _regression(400, n_features=5)
    # A fit_intercept grid: each model centres its own copy of the rows, and
    # the six candidates run two by two, each run from fresh models.
    monkeypatch.setattr(_search_loops, "MAX_GROUP_BYTES", 2 * 400 * 5 * 8)
    grid = {"alpha": [1e-5, 1e-3, 1e-1], "fit_intercept": [True, False]}
    ours, theirs = _both("GridSearchCV", NeuronRegressor(solver="sgd", random_state=0), grid, X, y, cv=3)
    _assert_same_results(ours, theirs, atol=1e-8)


def test_ill_conditioned_lbfgs_search_refines_the_models_that_need_it():
    rng = np.random.default_rng(3)
    X, y = _regression(600, n_features=6)
    X[:, 1] = X[:, 0] + 1e-7 * rng.standard_normal(600)  # the first pass loses digits without a penalty
    ours, theirs = _both("GridSearchCV", NeuronRegressor(random_state=0), {"alpha": [0.0, 1e-9, 1.0]}, X, y, cv=3)
    _assert_same_results(ours, theirs, atol=1e-8)


def test_a_failing_candidate_scores_error_score_and_the_others_are_kept():
    X, y = _regression(600)
    grid = {"learning_rate_init": [0.01, 1e6]}  # the second diverges on every fold
    with pytest.warns(FitFailedWarning, match="5 fits failed out of a total of 10"), pytest.warns(
        UserWarning, match="test scores are non-finite"
    ):
        ours = model_selection.GridSearchCV(NeuronRegressor(solver="sgd", random_state=0), grid, cv=5).fit(X, y)
    assert np.isnan(ours.cv_results_["mean_test_score"][1])
    assert np.isfinite(ours.cv_results_["mean_test_score"][0])
    assert ours.best_params_ == {"learning_rate_init": 0.01}
    with pytest.raises(ValueError, match="non-finite"):
        model_selection.GridSearchCV(NeuronRegressor(solver="sgd", random_state=0), grid, error_score="raise").fit(
            X, y
        )


def test_other_estimators_run_scikit_learns_search_and_say_so(capsys):
    X, y = _regression(300)
    ours = model_selection.GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3, verbose=1).fit(X, y)
    assert "Not vectorized: Ridge is not a NeuronRegressor" in capsys.readouterr().out
    theirs = sk.GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3).fit(X, y)
    _assert_same_results(ours, theirs, atol=0)


def test_verbose_reports_each_group(capsys):
    X, y = _regression(300)
    search = model_selection.GridSearchCV(NeuronRegressor(), {"alpha": [0.1, 1.0]}, cv=3, verbose=1, refit=False)
    search.fit(X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 2 candidates, totalling 6 fits" in out
    assert "2 candidates x 3 folds fitted in one program" in out


def test_traced_names_are_the_programs_hyperparameters():
    from sknn_neuron._train import HYPERPARAMETERS

    assert TRACED == set(HYPERPARAMETERS)


def test_delegation_and_clone():
    from sklearn.base import clone

    X, y = _classification(400)
    search = model_selection.GridSearchCV(NeuronClassifier(), {"alpha": [1e-3, 1e-1]}, cv=3).fit(X, y)
    assert search.predict_proba(X[:5]).shape == (5, 3)
    assert search.score(X, y) == search.best_estimator_.score(X, y)
    assert set(search.classes_) == {0, 1, 2}
    assert clone(search).get_params()["param_grid"] == {"alpha": [1e-3, 1e-1]}
