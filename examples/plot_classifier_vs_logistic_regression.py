"""
========================================================
The sigmoid neuron beside LogisticRegression in a search
========================================================

The blog post's other neuron is ``y_hat = sigmoid(W x + b)``. Trained on the
log loss it is logistic regression, and :class:`~sknn_neuron.NeuronClassifier`
fits exactly that; a hidden layer in front of it bends the boundary.

One :class:`~sklearn.model_selection.GridSearchCV` over one
:class:`~sklearn.pipeline.Pipeline` holds all the candidates:
:class:`~sklearn.linear_model.LogisticRegression`, the sigmoid neuron, and a
neuron with a hidden layer of 16 units, each at a few penalty strengths. The
table gives their cross-validated accuracy and log loss and their fit times;
the plot draws each family's best model on the two moons, with its
probability contours.
"""

# %%
# The search
# ----------
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn_neuron import NeuronClassifier

X, y = make_moons(n_samples=400, noise=0.25, random_state=0)

pipeline = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
families = {
    "LogisticRegression": LogisticRegression(),
    "sigmoid neuron": NeuronClassifier(random_state=0),
    "hidden layer (16,)": NeuronClassifier(hidden_layer_sizes=(16,), hidden_activation="tanh", random_state=0),
}
# C of LogisticRegression is alpha = 1 / (C * n_train) of the neuron (320 rows per training fold).
param_grid = [
    {"model": [families["LogisticRegression"]], "model__C": [0.1, 1.0, 10.0]},
    {"model": [families["sigmoid neuron"]], "model__alpha": [1 / (320 * C) for C in (0.1, 1.0, 10.0)]},
    {"model": [families["hidden layer (16,)"]], "model__alpha": [1e-4, 1e-3, 1e-2]},
]
search = GridSearchCV(
    pipeline, param_grid, cv=StratifiedKFold(5, shuffle=True, random_state=0),
    scoring={"accuracy": "accuracy", "log_loss": "neg_log_loss"}, refit="accuracy",
)  # fmt: skip
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the weakest penalties on the network
    search.fit(X, y)
print(f"{len(search.cv_results_['params'])} candidates x 5 folds in {time.perf_counter() - start:.1f} s\n")

# %%
# Scores and fit times
# --------------------
# The sigmoid neuron matches ``LogisticRegression`` candidate for candidate:
# with ``alpha = 1 / (C * n)`` they minimize the same objective. The hidden
# layer follows the moons' curve and scores higher. (Fit times include the
# neuron's first compilations.)
results = search.cv_results_


def family(model):
    return next(name for name, member in families.items() if member is model)


print(f"{'family':<20} {'penalty':>14} {'accuracy':>9} {'log loss':>9} {'fit ms':>8}")
for i, params in enumerate(results["params"]):
    model = params["model"]
    penalty = f"C={params['model__C']:g}" if "model__C" in params else f"alpha={params['model__alpha']:.2e}"
    print(
        f"{family(model):<20} {penalty:>14} {results['mean_test_accuracy'][i]:9.4f} "
        f"{-results['mean_test_log_loss'][i]:9.4f} {1e3 * results['mean_fit_time'][i]:8.1f}"
    )
print(f"\nbest: {family(search.best_params_['model'])}, accuracy {search.best_score_:.4f}")

# %%
# Decision boundaries and probabilities
# -------------------------------------
# Each family's best candidate, refitted on all the data: the colour is the
# probability of the second class, the black line the decision boundary.
fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, name in zip(axes, families):
    in_family = [i for i, p in enumerate(results["params"]) if family(p["model"]) == name]
    best = max(in_family, key=lambda i: results["mean_test_accuracy"][i])
    model = pipeline.set_params(**results["params"][best])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    DecisionBoundaryDisplay.from_estimator(
        model, X, response_method="predict_proba", cmap="RdBu_r", alpha=0.8, ax=ax, grid_resolution=200
    )
    DecisionBoundaryDisplay.from_estimator(
        model, X, response_method="predict", plot_method="contour", levels=[0.5], colors="black", ax=ax,
        grid_resolution=200,
    )  # fmt: skip
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="black", linewidth=0.5, s=18)
    ax.set_title(f"{name}\naccuracy {results['mean_test_accuracy'][best]:.3f} (5-fold)")
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
fig.tight_layout()
plt.show()

