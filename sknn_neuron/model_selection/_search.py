"""``GridSearchCV`` and ``RandomizedSearchCV`` that train a whole group of fits at once.

The search is scikit-learn's: its candidates, splits, scorers, results
(``_format_results``), best-candidate choice and refit. What differs is how
the C candidates x F folds are fitted. Candidates that differ only in traced
hyperparameters form a group (:mod:`._plan`), and the F x C models of a group
train in one vmapped program (:mod:`sknn_neuron._search_loops`): each model
runs the computation of its own ``fit``. Preceding pipeline steps are fitted
once per fold and setting, on the host. The fitted models are then scored by
the search's scorers exactly as scikit-learn scores its fits.

A search the vectorized path cannot take (see
:func:`._plan.why_not_vectorized`) runs scikit-learn's own ``fit``, and says
so at ``verbose >= 1``.
"""

import copy
import numbers
import time
from traceback import format_exception

import numpy as np
from sklearn import model_selection
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection import check_cv
from sklearn.model_selection._validation import _insert_error_scores, _score, _warn_or_raise_about_fit_failures
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import _safe_split
from sklearn.utils.validation import _check_method_params, _num_samples, indexable

from . import _plan


class _VectorizedSearchMixin:
    """The ``fit`` shared by both searches."""

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **params):
        """Run fit with all sets of parameters: each group of candidates and all folds in one program.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets.
        **params : dict of str -> object
            Parameters passed to the estimator's ``fit``, the scorer and the
            CV splitter (``groups``), as scikit-learn's search takes them.

        Returns
        -------
        self : object
            Instance of fitted estimator.
        """
        candidates = self._candidates()
        reason = _plan.why_not_vectorized(self.estimator, X, candidates, {k: v for k, v in params.items()
                                                                          if k != "groups"})  # fmt: skip
        if reason is not None:
            if self.verbose > 0:
                print(f"[{type(self).__name__}] Not vectorized: {reason}; scikit-learn's search fits one at a time.")
            return super().fit(X, y, **params)

        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._check_input_parameters(X=X, y=y, split_params=routed.splitter.split)
        self.n_splits_ = cv.get_n_splits(X, y, **routed.splitter.split)
        splits = list(cv.split(X, y, **routed.splitter.split))
        if len(splits) != self.n_splits_:
            raise ValueError(
                f"cv.split and cv.get_n_splits return inconsistent results. Expected {self.n_splits_} "
                f"splits, got {len(splits)}"
            )
        if not candidates or not splits:
            raise ValueError("No fits were performed. Was the CV iterator empty? Were there no candidates?")
        if not isinstance(self.error_score, numbers.Number) and self.error_score != "raise":
            raise ValueError(
                "error_score must be the string 'raise' or a numeric value. (Hint: if using 'raise', please "
                "make sure that it has been spelled correctly.)"
            )
        if self.verbose > 0:
            print(
                f"Fitting {len(splits)} folds for each of {len(candidates)} candidates, totalling "
                f"{len(splits) * len(candidates)} fits"
            )
        out = _Evaluation(self, X, y, candidates, splits, scorers, routed).run()
        _warn_or_raise_about_fit_failures(out, self.error_score)
        if callable(self.scoring):
            _insert_error_scores(out, self.error_score)
        results = self._format_results(candidates, self.n_splits_, out)

        first_test_score = out[0]["test_scores"]
        self.multimetric_ = isinstance(first_test_score, dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first_test_score)
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**clone(self.best_params_, safe=False))
            start = time.time()
            if y is None:
                self.best_estimator_.fit(X, **routed.estimator.fit)
            else:
                self.best_estimator_.fit(X, y, **routed.estimator.fit)
            self.refit_time_ = time.time() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        self.scorer_ = scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers
        self.cv_results_ = results
        return self

class _Evaluation:
    """Fit every candidate on every split, group by group, then score each fit."""

    def __init__(self, search, X, y, candidates, splits, scorers, routed):
        self.search, self.X, self.y = search, X, y
        self.candidates, self.splits, self.scorers = candidates, splits, scorers
        self.fit_params, self.score_params = routed.estimator.fit, routed.scorer.score
        self.base = clone(search.estimator)
        _, self.step = _plan.final_neuron(self.base)

    def run(self):
        n_splits = len(self.splits)
        folds = [self._fold(train, test) for train, test in self.splits]
        fitted = [self._unfitted(candidate, n_splits) for candidate in self.candidates]
        errors = [[None] * n_splits for _ in self.candidates]
        fit_times = np.zeros((len(self.candidates), n_splits))
        for members in self._groups(fitted).values():
            start = time.time()
            group_errors, vectorized = self._fit_group(members, fitted, folds)
            seconds = (time.time() - start) / (len(members) * n_splits)
            for c, row in zip(members, zip(*group_errors)):
                errors[c] = list(row)
                fit_times[c] = seconds
            if self.search.verbose > 0:
                how = "in one program" if vectorized else "one at a time"
                print(f"[{type(self.search).__name__}] {len(members)} candidates x {n_splits} folds fitted {how} "
                      f"in {seconds * len(members) * n_splits:.3f} s")  # fmt: skip
        return [
            self._score(c, s, fitted[c][s], folds[s], errors[c][s], fit_times[c, s])
            for c in range(len(self.candidates))
            for s in range(n_splits)
        ]

    def _unfitted(self, candidate, n_splits):
        """The estimator of ``candidate``, once per split."""
        estimator = clone(self.base).set_params(**clone(candidate, safe=False))
        if self.step is not None:  # a pipeline's steps are fitted in place: one clone each
            return [estimator] + [clone(estimator) for _ in range(n_splits - 1)]
        # An unfitted neuron holds only its parameters: a shallow copy is a clone.
        return [estimator] + [copy.copy(estimator) for _ in range(n_splits - 1)]

    def _fold(self, train, test):
        X_train, y_train = _safe_split(self.base, self.X, self.y, train)
        X_test, y_test = _safe_split(self.base, self.X, self.y, test, train)
        return {
            "train": (X_train, y_train), "test": (X_test, y_test),
            "fit_params": _check_method_params(self.X, params=self.fit_params, indices=train),
            "score_train": _check_method_params(self.X, params=self.score_params, indices=train),
            "score_test": _check_method_params(self.X, params=self.score_params, indices=test),
        }  # fmt: skip

    def _neuron(self, estimator):
        return estimator if self.step is None else estimator.steps[-1][1]

    def _groups(self, fitted):
        groups = {}
        for c, candidate in enumerate(self.candidates):
            key = _plan.group_key(self._neuron(fitted[c][0]).get_params(deep=False), candidate, self.step)
            groups.setdefault(key, []).append(c)
        return groups

    def _fit_group(self, members, fitted, folds):
        from .._search_loops import fit_group

        first = self._neuron(fitted[members[0]][0])
        if first.random_state is None:
            # One draw for the group: its models then share one program.
            seed = check_random_state(None).randint(np.iinfo(np.int32).max)
            for c in members:
                for estimator in fitted[c]:
                    self._neuron(estimator).random_state = seed
        data = []
        for s, fold in enumerate(folds):
            X_train, y_train = fold["train"]
            if self.step is not None:
                X_train = self._preceding(fitted, members, s, X_train, y_train)
            data.append((X_train, y_train, fold["fit_params"].get("sample_weight")))
        models = [[self._neuron(fitted[c][s]) for c in members] for s in range(len(folds))]
        # A bare neuron's folds are rows of X, which they then share; a pipeline's are each transformed.
        rows = [_indices(train) for train, _ in self.splits] if self.step is None else None
        return fit_group(models, data, rows)

    def _preceding(self, fitted, members, s, X_train, y_train):
        """Fit the steps before the neuron once per setting on split ``s``; give every pipeline its fitted steps."""
        done = {}
        for c in members:
            pipeline = fitted[c][s]
            key = _plan.preceding_key(self.candidates[c], self.step)
            if key not in done:
                head = pipeline[:-1]
                done[key] = (head.fit_transform(X_train, y_train), head.steps)
            Xt, steps = done[key]
            pipeline.steps[:-1] = steps
        return Xt

    def _score(self, c, s, estimator, fold, error, fit_time):
        search = self.search
        result = {"fit_error": None, "n_test_samples": _num_samples(fold["test"][0]), "fit_time": fit_time}
        if error is not None:
            if search.error_score == "raise":
                raise error
            if isinstance(self.scorers, _MultimetricScorer):
                test_scores = {name: search.error_score for name in self.scorers._scorers}
            else:
                test_scores = search.error_score
            train_scores = test_scores.copy() if isinstance(test_scores, dict) else test_scores
            result["fit_error"] = "".join(format_exception(error))
            result["score_time"] = 0.0
        else:
            start = time.time()
            test_scores = self._score_on(estimator, fold, "test")
            result["score_time"] = time.time() - start
            if search.return_train_score:
                train_scores = self._score_on(estimator, fold, "train")
        result["test_scores"] = test_scores
        if search.return_train_score:
            result["train_scores"] = train_scores
        if search.verbose > 1:
            self._report(c, s, result)
        return result

    def _score_on(self, estimator, fold, part):
        """The search's scores of ``estimator`` on the fold's ``part`` ("test" or "train").

        The default score of a bare neuron (``scoring=None``: R^2 or
        accuracy, as ``estimator.score``) is computed from its output on the
        fold's rows, checked once for all the fold's models: scikit-learn's
        score checks them again for every model, about 0.6 ms a call.
        """
        X, y = fold[part]
        params = fold[f"score_{part}"]
        default = _plan.default_score(estimator) if self.search.scoring is None and not params else None
        if default is not None:
            key = f"checked_{part}"
            if key not in fold:
                try:
                    fold[key] = estimator._check_predict_input(X)
                except Exception:  # noqa: BLE001 (the scorer's own call reports it)
                    fold[key] = None
            if fold[key] is not None:
                score = default(y, estimator._predict_raw(estimator._raw_output(fold[key], checked=True)))
                if score is not None:
                    return score
        return _score(estimator, X, y, self.scorers, params, self.search.error_score)

    def _report(self, c, s, result):
        """scikit-learn's line for a finished fit."""
        params = ", ".join(f"{k}={self.candidates[c][k]}" for k in sorted(self.candidates[c]))
        progress = f" {s + 1}/{len(self.splits)}" if self.search.verbose > 2 else ""
        if self.search.verbose > 9:
            progress += f"; {c + 1}/{len(self.candidates)}"
        message = params + (";" if params else "")
        if self.search.verbose > 2:
            test = result["test_scores"]
            if isinstance(test, dict):
                for name in sorted(test):
                    train = f"train={result['train_scores'][name]:.3f}, " if "train_scores" in result else ""
                    message += f" {name}: ({train}test={test[name]:.3f})"
            elif "train_scores" in result:
                message += f", score=(train={result['train_scores']:.3f}, test={test:.3f})"
            else:
                message += f", score={test:.3f}"
        message += f" total time={result['fit_time'] + result['score_time']:.1f}s"
        start = f"[CV{progress}] END "
        print(start + "." * (80 - len(start) - len(message)) + message)


class GridSearchCV(_VectorizedSearchMixin, model_selection.GridSearchCV):
    """Exhaustive search over a parameter grid, the candidates and folds trained together.

    scikit-learn's :class:`~sklearn.model_selection.GridSearchCV`, with the
    same parameters, attributes and results. For a
    :class:`~sknn_neuron.NeuronRegressor`, a
    :class:`~sknn_neuron.NeuronClassifier` or a pipeline ending in one, the
    candidates that differ only in traced hyperparameters (learning rate,
    alpha, tol, momentum...) and all folds train in one compiled program;
    each model runs the computation of its own ``fit``. Any other search
    runs scikit-learn's own. ``n_jobs`` and ``pre_dispatch`` apply to that
    fallback only: one program already uses every core.

    Parameters
    ----------
    estimator, param_grid, scoring, n_jobs, refit, cv, verbose, pre_dispatch, \
error_score, return_train_score
        As :class:`sklearn.model_selection.GridSearchCV`.

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, \
scorer_, n_splits_, refit_time_, multimetric_, classes_, n_features_in_, \
feature_names_in_
        As :class:`sklearn.model_selection.GridSearchCV`. ``mean_fit_time``
        in ``cv_results_`` is a group's training time shared evenly by its
        fits.

    See Also
    --------
    RandomizedSearchCV : The same, over sampled candidates.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknn_neuron import NeuronRegressor
    >>> from sknn_neuron.model_selection import GridSearchCV
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> search = GridSearchCV(NeuronRegressor(solver="sgd", random_state=0),
    ...                       {"learning_rate_init": [0.001, 0.01], "alpha": [0.0, 0.1]}, cv=3)
    >>> search.fit(X, y).best_params_
    {'alpha': 0.1, 'learning_rate_init': 0.01}
    """

    def _candidates(self):
        return list(model_selection.ParameterGrid(self.param_grid))


class RandomizedSearchCV(_VectorizedSearchMixin, model_selection.RandomizedSearchCV):
    """Randomized search over parameter distributions, the candidates and folds trained together.

    scikit-learn's :class:`~sklearn.model_selection.RandomizedSearchCV`,
    vectorized as :class:`GridSearchCV` is: the sampled candidates that
    differ only in traced hyperparameters train in one program, so that
    hundreds of candidates cost little more than a few.

    Parameters
    ----------
    estimator, param_distributions, n_iter, scoring, n_jobs, refit, cv, \
verbose, pre_dispatch, random_state, error_score, return_train_score
        As :class:`sklearn.model_selection.RandomizedSearchCV`.

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, \
scorer_, n_splits_, refit_time_, multimetric_, classes_, n_features_in_, \
feature_names_in_
        As :class:`sklearn.model_selection.RandomizedSearchCV`.

    See Also
    --------
    GridSearchCV : The same, over a grid.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import make_regression
    >>> from sknn_neuron import NeuronRegressor
    >>> from sknn_neuron.model_selection import RandomizedSearchCV
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> search = RandomizedSearchCV(NeuronRegressor(), {"alpha": loguniform(1e-4, 1e1)},
    ...                             n_iter=20, cv=3, random_state=0)
    >>> bool(search.fit(X, y).best_params_["alpha"] < 1e-2)
    True
    """

    def _candidates(self):
        return list(model_selection.ParameterSampler(self.param_distributions, self.n_iter,
                                                     random_state=self.random_state))  # fmt: skip


def _indices(split):
    """A split's rows as integer indices (a splitter may give a boolean mask, which ``_safe_split`` also takes)."""
    split = np.asarray(split)
    return np.flatnonzero(split) if split.dtype == bool else split
