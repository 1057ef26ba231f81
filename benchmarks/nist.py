"""Certified least-squares problems and their exact answers.

NIST's Statistical Reference Datasets for linear least squares (Norris,
Pontius, NoInt1/2, Filip, Longley, Wampler1-5) are read from
``../shared/data/nist_strd.json`` beside the checkout, with every number as
printed. The least-squares fit of each is solved exactly in rational
arithmetic (``fractions``): it reproduces the certified coefficients, and
gives the exact fitted values that a float64 fit is scored against by NIST's
log relative error (LRE, the number of correct digits).

Used by ``tests/test_exact.py`` and by the ``exact`` benchmark scenario.
"""

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np

NIST_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "nist_strd.json"
MAX_DIGITS = 15.0  # NIST certifies 15 significant digits


class Problem(NamedTuple):
    name: str
    difficulty: str  # "lower", "average" or "higher"
    intercept: bool
    X: list  # rows of Fractions: the design without the constant column
    y: list  # Fractions
    certified: list  # certified coefficients (intercept first when there is one), as Fractions

    def float_data(self):
        """``X`` and ``y`` as float64 arrays, what an estimator is given."""
        X = np.array([[float(v) for v in row] for row in self.X])
        return X, np.array([float(v) for v in self.y])


def load(path=NIST_PATH):
    """The problems of the JSON file, or ``None`` when it is absent."""
    path = Path(path)
    if not path.exists():
        return None
    document = json.loads(path.read_text(), parse_float=Decimal)
    return [_problem(entry) for entry in document["datasets"]]


def _problem(entry):
    model = entry["model"]
    y = [Fraction(v) for v in entry["y"]]
    if model["kind"] == "polynomial":
        x = [Fraction(v) for v in entry["x"]]
        X = [[xi**k for k in range(1, model["degree"] + 1)] for xi in x]
    else:
        X = [[Fraction(v) for v in row] for row in entry["x"]]
    certified = [Fraction(v) for v in entry["certified"]["coefficients"]]
    return Problem(entry["name"], entry["difficulty"], bool(model["intercept"]), X, y, certified)


def exact_coefficients(X, y, intercept):
    """Least-squares coefficients (intercept first, if any) in exact arithmetic.

    Solves the normal equations ``A^T A b = A^T y`` by Gaussian elimination on
    Fractions: exact, whatever their condition number.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> exact_coefficients([[F(0)], [F(1)], [F(2)]], [F(1), F(3), F(5)], True)
    [Fraction(1, 1), Fraction(2, 1)]
    """
    A = [([Fraction(1)] if intercept else []) + list(row) for row in X]
    p = len(A[0])
    normal = [[sum(a[i] * a[j] for a in A) for j in range(p)] + [sum(a[i] * t for a, t in zip(A, y))] for i in range(p)]
    for col in range(p):
        pivot = next(r for r in range(col, p) if normal[r][col] != 0)
        normal[col], normal[pivot] = normal[pivot], normal[col]
        for r in range(p):
            if r != col and normal[r][col] != 0:
                factor = normal[r][col] / normal[col][col]
                normal[r] = [a - factor * b for a, b in zip(normal[r], normal[col])]
    return [normal[i][p] / normal[i][i] for i in range(p)]


def exact_fitted_values(problem):
    """Exact fitted values of the problem's own model (Fractions)."""
    coef = exact_coefficients(problem.X, problem.y, problem.intercept)
    shift, slopes = (coef[0], coef[1:]) if problem.intercept else (0, coef)
    return [shift + sum(b * x for b, x in zip(slopes, row)) for row in problem.X]


def log_relative_error(approx, exact):
    """NIST's LRE of each value, capped at 15 digits: ``-log10(|a - e| / |e|)``.

    Computed in exact arithmetic from the float ``approx``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> log_relative_error([1.0001], [F(1)]).round(6)
    array([4.])
    """
    digits = []
    for a, e in zip(np.ravel(approx), exact):
        error = abs(Fraction(float(a)) - e)
        scale = abs(e) if e != 0 else Fraction(1)
        digits.append(MAX_DIGITS if error == 0 else min(MAX_DIGITS, -math.log10(error / scale)))
    return np.array(digits)


def fitted_digits(predict, problem):
    """Fewest correct digits among the fitted values ``predict(X)``."""
    X, _ = problem.float_data()
    return float(log_relative_error(predict(X), exact_fitted_values(problem)).min())
