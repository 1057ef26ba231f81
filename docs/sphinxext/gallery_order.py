"""The gallery in teaching order.

sphinx-gallery sorts the examples of a folder with ``within_subsection_order``;
``TeachingOrder`` puts the ones listed in ``ORDER`` first, in that order, and
the others after them by file name.
"""

from pathlib import Path

ORDER = [
    "plot_seed_single_neuron.py",  # the blog's neuron against LinearRegression
    "plot_solvers_and_schedules.py",
    "plot_grid_search_vs_linear_regression.py",
    "plot_classifier_vs_logistic_regression.py",  # the sigmoid neuron against LogisticRegression
]


class TeachingOrder:
    """Sort key of an example file: its place in ``ORDER``, then its name.

    Parameters
    ----------
    src_dir : str
        The folder of the examples (sphinx-gallery passes it).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        return "TeachingOrder"

    def __call__(self, filename):
        name = Path(filename).name
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)
