"""Searches whose candidates and folds train together, in one compiled program.

:class:`GridSearchCV` and :class:`RandomizedSearchCV` are scikit-learn's,
with the same arguments, attributes and results; only the import changes.
"""

from ._search import GridSearchCV, RandomizedSearchCV

__all__ = ["GridSearchCV", "RandomizedSearchCV"]
