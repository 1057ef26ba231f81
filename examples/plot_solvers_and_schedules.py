"""
Solvers and learning-rate schedules on a least-squares problem
==============================================================

A linear neuron trained with the squared error and no penalty solves
ordinary least squares, so :class:`~sklearn.linear_model.LinearRegression`
gives the answer every solver of :class:`~sknn_neuron.NeuronRegressor` is
heading for. This example fits the same standardized problem with

* ``lbfgs``, full batch, a few iterations to the exact answer;
* ``sgd`` (Nesterov momentum) and ``adam`` on minibatches of 200 rows;
* ``sgd`` with each learning-rate schedule: ``"constant"``,
  ``"invscaling"`` and ``"adaptive"``;

and compares their loss curves with the least-squares loss.
"""

# %%
# The problem
# -----------
# 2,000 rows, 8 standardized features, a linear target with Gaussian noise.
# The least-squares objective is ``mean((y - X w - b) ** 2) / 2``, the loss
# ``NeuronRegressor`` minimizes with ``loss="squared_error"`` and ``alpha=0``.
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression

from sknn_neuron import NeuronRegressor

if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt

rng = np.random.RandomState(0)
X = rng.normal(size=(2000, 8))
y = X @ rng.uniform(-2, 2, size=8) + 0.5 + 0.5 * rng.normal(size=2000)

ols = LinearRegression().fit(X, y)
ols_loss = 0.5 * np.mean((y - ols.predict(X)) ** 2)
print(f"least-squares loss: {ols_loss:.6f}")

# %%
# Fitting each configuration
# --------------------------
# Each configuration's first fit in a process compiles its training program;
# later fits reuse it. ``first_fit_seconds`` measures that first fit in a new
# Python process, so that no program compiled earlier (by this script, or by
# another example run in the same process) makes it look free. The fits
# below then run here, where the second fit of each is timed: the training
# alone. ``"invscaling"`` divides the step by ``(t + 1) ** power_t`` with
# ``t`` the samples seen: with its defaults (0.01, 0.5) the step is already 45
# times smaller after one epoch of 2,000 rows, so it starts larger and decays
# slower.
CONFIGURATIONS = {
    "lbfgs": {"solver": "lbfgs"},
    "sgd": {"solver": "sgd"},
    "adam": {"solver": "adam"},
    "sgd, invscaling": {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.1, "power_t": 0.25},
    "sgd, adaptive": {"solver": "sgd", "learning_rate": "adaptive"},
}
COMMON = {"alpha": 0.0, "max_iter": 200, "random_state": 0}

FIRST_FIT = """
import json, sys, time, warnings
import numpy as np
from sknn_neuron import NeuronRegressor
data = np.load(sys.argv[1])
model = NeuronRegressor(**json.loads(sys.argv[2]))
warnings.simplefilter("ignore")
start = time.perf_counter()
model.fit(data["X"], data["y"])
print(time.perf_counter() - start)
"""


def first_fit_seconds(params, data_path):
    """Seconds of a first fit, compilation included, in a new Python process."""
    command = [sys.executable, "-c", FIRST_FIT, str(data_path), json.dumps(params)]
    return float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


fits, first_times, times = {}, {}, {}
with tempfile.TemporaryDirectory() as folder:
    data_path = Path(folder) / "data.npz"
    np.savez(data_path, X=X, y=y)
    for name, params in CONFIGURATIONS.items():
        first_times[name] = first_fit_seconds({**COMMON, **params}, data_path)
for name, params in CONFIGURATIONS.items():
    reg = NeuronRegressor(**COMMON, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the sgd runs stop at max_iter
        reg.fit(X, y)
        start = time.perf_counter()
        reg.fit(X, y)
        times[name] = time.perf_counter() - start
    fits[name] = reg

# %%
# Epochs, final loss and distance to the least-squares weights
# ------------------------------------------------------------
# ``lbfgs`` counts iterations, the stochastic solvers epochs. The distance is
# the largest absolute difference of a weight or the bias from
# :class:`~sklearn.linear_model.LinearRegression`'s. "1st fit s" is the first
# fit in a new process (compilation included), "refit s" a fit that reuses
# the compiled program.
print(f"{'solver':<16} {'epochs':>6} {'final loss':>11} {'to OLS':>9} {'1st fit s':>9} {'refit s':>8}")
for name, reg in fits.items():
    distance = max(np.abs(reg.coef_ - ols.coef_).max(), abs(reg.intercept_ - ols.intercept_))
    print(
        f"{name:<16} {reg.n_iter_:>6d} {reg.loss_:>11.6f} {distance:>9.2e} "
        f"{first_times[name]:>9.2f} {times[name]:>8.3f}"
    )

# %%
# Loss curves
# -----------
# Top: the training loss of each epoch (``lbfgs``: iteration) against the
# least-squares loss. Bottom: how far above it, on a log scale. The stochastic
# solvers report the mean loss of each epoch's minibatches, which stays a
# little above the least-squares loss while the step size is large.
# ``"adaptive"`` follows ``"constant"`` (hidden under it) until the loss
# stalls, then divides the step by 5 instead of stopping and gets closer;
# ``lbfgs`` lands on it in a few iterations.
fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex="col", sharey="row")
panels = [("Solvers", ["lbfgs", "sgd", "adam"]), ("sgd schedules", ["sgd", "sgd, invscaling", "sgd, adaptive"])]
for column, (title, names) in enumerate(panels):
    top, bottom = axes[:, column]
    for name in names:
        curve = np.asarray(fits[name].loss_curve_)
        epochs = np.arange(1, len(curve) + 1)
        style = {"label": name, "marker": "." if len(curve) < 20 else None}
        top.plot(epochs, curve, **style)
        bottom.plot(epochs, np.maximum(curve - ols_loss, 1e-16), **style)
    top.axhline(ols_loss, color="black", linestyle="--", linewidth=1, label="least squares")
    top.set(title=title, xscale="log", yscale="log")
    bottom.set(xlabel="epoch (lbfgs: iteration)", yscale="log")
    top.legend()
axes[0, 0].set_ylabel("training loss")
axes[1, 0].set_ylabel("loss - least-squares loss")
fig.tight_layout()

# Sphinx-gallery collects the figure itself; a plain run saves it beside the script.
if __name__ == "__main__" and "sphinx_gallery" not in sys.modules:
    fig.savefig(Path(__file__).with_suffix(".png"), dpi=100)
if matplotlib.get_backend().lower() != "agg":
    plt.show()
