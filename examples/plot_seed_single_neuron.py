"""
===============================================
A single neuron against ordinary least squares
===============================================

The experiment that started sknn_neuron: 50 points of ``y = 0.1 x + 2 +
noise`` with ``x`` in ``[0, 10)``, one linear neuron ``y_hat = W x + b``
trained on the squared error, and scikit-learn's
:class:`~sklearn.linear_model.LinearRegression` as the reference.

Trained as in the original Keras experiment (plain SGD, batches of 32, 200
epochs) on the raw ``x``, a neuron stops short of the least-squares answer:
``x`` is not centred, so the slope and the intercept pull against each
other and plain SGD needs far more epochs.
:class:`~sklearn.neural_network.MLPRegressor` without hidden layers shows it
here, as Keras did in the blog. :class:`~sknn_neuron.NeuronRegressor` takes
the same steps in centred and scaled coordinates, where they do not pull
against each other, and gets close; its default, L-BFGS, lands on the
least-squares answer in milliseconds.
"""

# %%
# The data
# --------
import sys
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPRegressor

from sknn_neuron import NeuronRegressor

rng = np.random.RandomState(0)
X = rng.uniform(0, 10, size=(50, 1))
y = 0.1 * X[:, 0] + 2 + rng.normal(0, 0.1, size=50)

# %%
# Four models
# -----------
# The original setting is plain SGD at 0.01 on the mean squared error; the
# loss of both neural estimators here is half the squared error, so the same
# steps take ``learning_rate_init=0.02``. Without a stopping rule
# (``n_iter_no_change``) both run all 200 epochs.
BLOG_SGD = {"solver": "sgd", "learning_rate_init": 0.02, "batch_size": 32, "max_iter": 200, "momentum": 0.0,
            "alpha": 0.0, "random_state": 0}  # fmt: skip
models = {
    "MLPRegressor, blog's SGD": MLPRegressor(hidden_layer_sizes=(), n_iter_no_change=200, **BLOG_SGD),
    "neuron, blog's SGD": NeuronRegressor(n_iter_no_change=np.inf, **BLOG_SGD),
    "neuron, default (L-BFGS)": NeuronRegressor(random_state=0),
    "LinearRegression": LinearRegression(),
}


def timed_fit(model):
    """Fit once to compile, then time a second, warm fit."""
    with warnings.catch_warnings():
        # 200 epochs of plain SGD do not converge here: that is the point.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        start = time.perf_counter()
        model.fit(X, y)
    return time.perf_counter() - start


def weights(model):
    """``W`` and ``b`` of a one-neuron model, whichever estimator fitted it."""
    if isinstance(model, MLPRegressor):
        return float(model.coefs_[0][0, 0]), float(model.intercepts_[0][0])
    return float(model.coef_[0]), float(model.intercept_)


times = {name: timed_fit(model) for name, model in models.items()}
ols = models["LinearRegression"]

# %%
# Side by side
# ------------
# Distance to OLS is the largest gap in ``W`` or ``b``.
print(f"{'model':<26} {'W':>8} {'b':>8} {'to OLS':>9} {'fit (warm)':>11}")
for name, model in models.items():
    W, b = weights(model)
    gap = max(abs(W - ols.coef_[0]), abs(b - ols.intercept_))
    print(f"{name:<26} {W:8.4f} {b:8.4f} {gap:9.2e} {times[name] * 1e3:9.2f} ms")

# %%
# The fitted lines
# ----------------
grid = np.linspace(0, 10, 100).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.scatter(X[:, 0], y, s=14, color="0.4", label="data")
styles = {
    "LinearRegression": ("k", "-", 4),
    "neuron, default (L-BFGS)": ("C1", "--", 2),
    "MLPRegressor, blog's SGD": ("C2", "-.", 2),
}
for name, model in reversed(models.items()):  # the reference first, underneath
    color, line, width = styles.get(name, ("C0", ":", 2))
    ax.plot(grid[:, 0], model.predict(grid), color=color, linestyle=line, linewidth=width, label=name)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("y = 0.1 x + 2 + noise: one neuron against OLS")
ax.legend()
fig.tight_layout()
if __name__ == "__main__" and "sphinx_gallery" not in sys.modules:  # run as a script
    fig.savefig(__file__.replace(".py", ".png"), dpi=100)
    print("saved", __file__.replace(".py", ".png"))
plt.show()
