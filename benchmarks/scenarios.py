"""The benchmark scenarios; each returns its Markdown section.

``SIZES`` holds the full and the ``--quick`` problem sizes. Functions named
``child_*`` run inside a fresh interpreter (see ``harness.run_child``).
"""

import gc
import sys
import time

import numpy as np
from harness import best_of, markdown_table, ms, quiet, ratio, run_child
from measure import (
    linear_data, memory_pass_seconds, mlp_epoch, ours_epoch, memory_mib, seed_data, sgd_epoch, sgd_regressor_epoch,
    sparse_data,
)  # fmt: skip

SIZES = {
    "full": {
        "epochs": [(1_000_000, 100), (100_000, 20)],
        "epoch_batches": (32, 64, 256, 1024),
        "epochs_large": 5,
        "epochs_small": 10,
        "grid": (10_000, 20),
        "exact": (100_000, 20),
        "hidden": (100_000, 20),
        "hidden_batches": (32, 200),
        "classifier": [(1_000_000, 100), (100_000, 20)],
        "sparse": (100_000, 100_000, 1e-3),
        "repeat": 5,
    },
    "quick": {
        "epochs": [(50_000, 20)],
        "epoch_batches": (32, 256),
        "epochs_large": 2,
        "epochs_small": 4,
        "grid": (2_000, 10),
        "exact": (10_000, 20),
        "hidden": (10_000, 20),
        "hidden_batches": (200,),
        "classifier": [(50_000, 20)],
        "sparse": (10_000, 10_000, 1e-3),
        "repeat": 2,
    },
}
GRID_LEARNING_RATES = [0.0003, 0.001, 0.003, 0.01]
GRID_ALPHAS = [1e-5, 1e-3, 1e-1]


# --------------------------------------------------------------- 1. seed
SEED_ESTIMATORS = {
    "NeuronRegressor(solver='sgd'), blog settings": "neuron-sgd",
    "NeuronRegressor() (lbfgs)": "neuron-lbfgs",
    "SGDRegressor (constant eta0=0.02, 200 epochs)": "sgd-regressor",
    "MLPRegressor((), solver='sgd'), blog settings": "mlp",
    "Keras Dense(1), SGD(0.01), batch 32, 200 epochs": "keras",
    "LinearRegression": "linear",
}
# Keras' SGD at 0.01 on the mean squared error takes the same steps as 0.02 on
# half the squared error, the loss of NeuronRegressor, MLPRegressor and SGDRegressor.
BLOG = {"learning_rate_init": 0.02, "batch_size": 32, "max_iter": 200, "momentum": 0.0, "alpha": 0.0, "tol": 0.0}


def _seed_estimator(kind):
    if kind == "keras":
        import keras

        class KerasDense:
            def fit(self, X, y):
                model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
                model.compile(loss="mean_squared_error", optimizer=keras.optimizers.SGD(learning_rate=0.01))
                model.fit(X, y, epochs=200, batch_size=32, verbose=0)
                W, b = model.layers[-1].get_weights()
                self.coef_, self.intercept_, self.n_iter_ = W[:, 0], b[0], 200
                return self

        return KerasDense()
    from sklearn.linear_model import LinearRegression, SGDRegressor
    from sklearn.neural_network import MLPRegressor

    from sknn_neuron import NeuronRegressor

    return {
        "neuron-sgd": lambda: NeuronRegressor(solver="sgd", random_state=0, **BLOG),
        "neuron-lbfgs": lambda: NeuronRegressor(random_state=0),
        "sgd-regressor": lambda: SGDRegressor(
            penalty=None, learning_rate="constant", eta0=0.02, max_iter=200, tol=None, random_state=0
        ),
        "mlp": lambda: MLPRegressor(hidden_layer_sizes=(), solver="sgd", random_state=0, n_iter_no_change=200, **BLOG),
        "linear": LinearRegression,
    }[kind]()


def child_seed(kind, repeat):
    """Cold first fit (after the imports) and best warm fit of one estimator."""
    start = time.perf_counter()
    try:
        import sklearn  # noqa: F401

        import sknn_neuron  # noqa: F401

        if kind == "keras":
            import importlib.util
            import os

            if importlib.util.find_spec("tensorflow") is None:  # Keras 3 runs on JAX too
                os.environ.setdefault("KERAS_BACKEND", "jax")
            import keras  # noqa: F401
    except ImportError:
        return {"missing": True}
    import_s = time.perf_counter() - start
    X, y = seed_data()
    start = time.perf_counter()
    est = quiet(lambda: _seed_estimator(kind).fit(X, y))
    cold = time.perf_counter() - start
    warm = best_of(lambda: quiet(lambda: _seed_estimator(kind).fit(X, y)), repeat)
    coef, intercept = (est.coefs_[0], est.intercepts_[0]) if hasattr(est, "coefs_") else (est.coef_, est.intercept_)
    n_iter = getattr(est, "n_iter_", None)
    n_iter = None if n_iter is None else int(np.max(n_iter))
    return {"import": import_s, "cold": cold, "warm": warm, "coef": float(np.ravel(coef)[0]),
            "intercept": float(np.ravel(intercept)[0]),
            "n_iter": n_iter, "backend": sys.modules["keras"].backend.backend() if kind == "keras" else None}  # fmt: skip


def seed(size):
    results = {name: run_child("seed", kind=kind, repeat=size["repeat"]) for name, kind in SEED_ESTIMATORS.items()}
    base = results["NeuronRegressor(solver='sgd'), blog settings"]
    rows = []
    for name, r in results.items():
        if r.get("missing"):
            rows.append([name, "not installed", "", "", "", "", "", ""])
            continue
        if r.get("backend"):
            name = f"{name} ({r['backend']} backend)"
        rows.append([
            name, ms(r["import"]), ms(r["cold"]), ms(r["warm"]), ratio(r["warm"], base["warm"]),
            f"{r['coef']:.4f}", f"{r['intercept']:.4f}", r["n_iter"] if r["n_iter"] is not None else "",
        ])  # fmt: skip
    table = markdown_table(
        ["estimator", "import ms", "cold fit ms", "warm fit ms", "warm / ours (sgd) warm", "coef", "intercept",
         "epochs"],
        rows,
    )  # fmt: skip
    return (
        "## 1. Seed: 50 x 1, y = 0.1 x + 2 + N(0, 0.1)\n\n"
        "Each estimator in a fresh interpreter: imports, then the first fit (cold: compiles), then the best "
        f"of {size['repeat']} fits of new estimators (warm).\n\n" + table
    )


# --------------------------------------------------------- 2. epoch throughput
def epochs(size):
    from sklearn.neural_network import MLPRegressor

    from sknn_neuron import NeuronRegressor

    common = {"learning_rate_init": 0.001, "random_state": 0}
    rows = []
    for n, d in size["epochs"]:
        X, y = linear_data(n, d, np.float32)
        n_epochs = size["epochs_large"] if n * d >= 10**7 else size["epochs_small"]
        sgd_epoch = sgd_regressor_epoch(X, y, n_epochs)
        for b in size["epoch_batches"]:
            ours = lambda e, b=b: NeuronRegressor(solver="sgd", batch_size=b, max_iter=e, tol=0.0, **common)
            epoch, fixed = ours_epoch(ours, X, y, n_epochs)
            numpy_pass, memory_pass = memory_pass_seconds(X)
            mlp = mlp_epoch(
                lambda e, b=b: MLPRegressor(hidden_layer_sizes=(), solver="sgd", batch_size=b, max_iter=e, **common),
                X,
                y,
            )
            rows.append([
                f"{n:,} x {d}", b, ms(numpy_pass), ms(memory_pass), ms(epoch), ratio(epoch, memory_pass), ms(fixed),
                ms(sgd_epoch), ratio(sgd_epoch, epoch), ms(mlp), ratio(mlp, epoch),
            ])  # fmt: skip
        del X, y
        gc.collect()
    table = markdown_table(
        ["data (float32)", "batch", "X.sum() ms", "jnp.sum(X) ms", "ours ms/epoch", "ours / jnp.sum(X)",
         "ours fixed ms/fit", "SGDRegressor ms/epoch", "SGDRegressor / ours", "MLPRegressor ms/epoch",
         "MLPRegressor / ours"],
        rows,
    )  # fmt: skip
    return (
        "## 2. Epoch throughput: minibatch SGD (momentum 0.9), one linear neuron\n\n"
        f"ours: time inside the compiled epoch program per epoch ({size['epochs_large']} epochs on the large data, "
        f"{size['epochs_small']} on the small; best of 2 fits after a compiling one); 'fixed' is the rest of a fit "
        "(validation, host-side shuffle, padding, transfer). SGDRegressor: its own epoch timer (one row per step, "
        "no batches). MLPRegressor: its minibatch loop over one epoch. Memory pass: NumPy's X.sum() and a jitted "
        "jnp.sum(X) on the device copy (the streaming floor the ratio uses), medians of 5, measured "
        "beside each row.\n\n" + table
    )


# ----------------------------------------------------------- 3. grid search
def child_grid(n_samples, n_features, max_iter):
    import compilations
    from sklearn.linear_model import SGDRegressor
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPRegressor

    from sknn_neuron import NeuronRegressor

    X, y = linear_data(n_samples, n_features, np.float64)
    candidates = {
        "NeuronRegressor(solver='sgd')": (
            NeuronRegressor(solver="sgd", max_iter=max_iter, random_state=0),
            {"learning_rate_init": GRID_LEARNING_RATES, "alpha": GRID_ALPHAS},
        ),
        "SGDRegressor": (
            SGDRegressor(max_iter=max_iter, random_state=0),
            {"eta0": GRID_LEARNING_RATES, "alpha": GRID_ALPHAS},
        ),
        "MLPRegressor((), solver='sgd')": (
            MLPRegressor(hidden_layer_sizes=(), solver="sgd", max_iter=max_iter, random_state=0),
            {"learning_rate_init": GRID_LEARNING_RATES, "alpha": GRID_ALPHAS},
        ),
    }
    results = {}
    for name, (estimator, grid) in candidates.items():
        runs = []
        for _ in range(2):  # cold, then the same search again
            search = GridSearchCV(estimator, grid, cv=5)
            with compilations.CompilationCounter() as compiled:
                start = time.perf_counter()
                quiet(lambda search=search: search.fit(X, y))
                wall = time.perf_counter() - start
            runs.append({"wall": wall, "total": compiled.total, "training": compiled.training,
                         "summary": compiled.summary(), "score": float(search.best_score_)})  # fmt: skip
        results[name] = runs
    return results


def grid(size):
    n, d = size["grid"]
    max_iter = 200 if n >= 10_000 else 50
    results = run_child("grid", n_samples=n, n_features=d, max_iter=max_iter)
    ours = results["NeuronRegressor(solver='sgd')"]
    rows = []
    for name, (cold, warm) in results.items():
        rows.append([
            name, f"{cold['wall']:.2f}", f"{warm['wall']:.2f}", ratio(cold["wall"], ours[0]["wall"]),
            ratio(warm["wall"], ours[1]["wall"]), f"{cold['total']} ({cold['training']})",
            f"{warm['total']} ({warm['training']})", f"{cold['score']:.4f}",
        ])  # fmt: skip
    table = markdown_table(
        ["estimator", "1st search s", "2nd search s", "1st / ours", "2nd / ours", "XLA compiles 1st (training)",
         "XLA compiles 2nd (training)", "best R^2"],
        rows,
    )  # fmt: skip
    notes = "\n".join(
        f"- {name}, 1st search compiled: {runs[0]['summary'] or 'nothing'}; 2nd search: "
        f"{runs[1]['summary'] or 'nothing'}"
        for name, runs in results.items()
        if runs[0]["total"]
    )
    return (
        f"## 3. GridSearchCV: 5 folds x 12 candidates (learning rate x alpha) on {n:,} x {d} float64, "
        f"max_iter={max_iter}, default tol\n\n"
        "In a fresh interpreter: the first search compiles, the second (identical) one shows the warm cost. "
        "'training' counts compilations of train_epochs / train_lbfgs; the total counts every XLA program.\n\n"
        + table
        + ("\n\n" + notes if notes else "")
    )


# -------------------------------------------------------- 4. exact answer
def _preconditioner_seconds(X, y, repeat):
    """Seconds of the whitening factor alone, as the L-BFGS program computes it."""
    import jax

    from sknn_neuron import _precondition

    def factor(X, y, w):
        return _precondition.fit("full", X, y, w, centre_x=1.0, centre_y=1.0, scale_y=True,
                                 loss="squared_error", huber_delta=1.0)  # fmt: skip

    with jax.enable_x64(X.dtype == np.float64):
        args = [jax.device_put(a) for a in (X, y[:, None], np.ones(len(y), X.dtype))]
        compiled = jax.jit(factor)
        jax.block_until_ready(compiled(*args))
        return best_of(lambda: jax.block_until_ready(compiled(*args)), repeat)


def _nist_table():
    """Correct digits of the fitted values on NIST's certified problems."""
    import nist
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknn_neuron import NeuronRegressor

    problems = nist.load()
    if problems is None:
        return f"(NIST StRD data not found at {nist.NIST_PATH}: table skipped.)"
    rows = []
    for problem in problems:
        X, y = problem.float_data()
        intercept = problem.intercept

        def qr_predict(Z, X=X, y=y, intercept=intercept):
            design = (lambda M: np.column_stack([np.ones(len(M)), M]) if intercept else M)
            Q, R = np.linalg.qr(design(X))
            return design(Z) @ np.linalg.solve(R, Q.T @ y)

        scaled = [
            quiet(lambda seed=seed: make_pipeline(
                StandardScaler(with_mean=intercept),
                NeuronRegressor(alpha=0.0, tol=1e-12, fit_intercept=intercept, random_state=seed),
            ).fit(X, y))
            for seed in range(3)
        ]  # fmt: skip
        default = quiet(lambda: NeuronRegressor(fit_intercept=intercept, random_state=0).fit(X, y))
        ols = LinearRegression(fit_intercept=intercept).fit(X, y)
        digits = [min(nist.fitted_digits(m.predict, problem) for m in scaled), nist.fitted_digits(default.predict, problem),
                  nist.fitted_digits(ols.predict, problem), nist.fitted_digits(qr_predict, problem)]  # fmt: skip
        rows.append([problem.name, problem.difficulty, *(f"{v:.1f}" for v in digits)])
    return (
        "Correct digits (NIST's log relative error, fewest over the fitted values) against the exact "
        "least-squares fit in rational arithmetic. Scaled neuron: `StandardScaler` (no centring without "
        "intercept) then `NeuronRegressor(alpha=0, tol=1e-12)`, worst of 3 seeds; default: "
        "`NeuronRegressor()` on the raw data; float64 QR: NumPy's Householder QR and a triangular solve.\n\n"
        + markdown_table(
            ["problem", "difficulty", "scaled neuron", "default neuron", "LinearRegression", "float64 QR"], rows
        )
    )


def exact(size):
    from sklearn.linear_model import LinearRegression

    from sknn_neuron import NeuronRegressor

    n, d = size["exact"]
    X, y = linear_data(n, d, np.float64)
    ols = LinearRegression().fit(X, y)
    ols_time = best_of(lambda: LinearRegression().fit(X, y), size["repeat"])
    factor = _preconditioner_seconds(X, y, size["repeat"])
    rows = []
    for tol in (1e-4, 1e-6):
        start = time.perf_counter()
        est = quiet(lambda tol=tol: NeuronRegressor(alpha=0.0, tol=tol).fit(X, y))
        cold = time.perf_counter() - start
        warm = best_of(lambda tol=tol: quiet(lambda: NeuronRegressor(alpha=0.0, tol=tol).fit(X, y)), size["repeat"])
        error = max(np.max(np.abs(est.coef_ - ols.coef_)), abs(est.intercept_ - ols.intercept_))
        rows.append([
            f"NeuronRegressor(alpha=0, tol={tol:g})", ms(cold), ms(warm), ms(factor), ratio(warm, ols_time),
            est.n_iter_, f"{error:.1e}", "yes" if error <= 1e-4 else "no",
        ])  # fmt: skip
    rows.append(["LinearRegression", "", ms(ols_time), "", "1.0x", "", "0", "yes"])
    table = markdown_table(
        ["estimator", "first fit ms (compiles)", "warm fit ms", "of which whitening ms", "warm / LinearRegression",
         "iterations", "max abs diff to OLS", "within 1e-4"],
        rows,
    )  # fmt: skip
    return (
        f"## 4. Exact answer: L-BFGS against OLS on {n:,} x {d} float64\n\n" + table
        + "\n\n### Certified problems (NIST StRD)\n\n" + _nist_table()
    )


# -------------------------------------------------------- 5. hidden layers
def hidden(size):
    from sklearn.neural_network import MLPRegressor

    from sknn_neuron import NeuronRegressor

    n, d = size["hidden"]
    X, _ = linear_data(n, d, np.float32)
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] / 4 + 0.1 * X[:, 3]
    rows = []
    for b in size["hidden_batches"]:
        params = {"hidden_layer_sizes": (64, 64), "solver": "sgd", "batch_size": b, "learning_rate_init": 0.001,
                  "random_state": 0}  # fmt: skip
        ours = lambda e, params=params: NeuronRegressor(max_iter=e, tol=0.0, **params)
        epoch, fixed = ours_epoch(ours, X, y, size["epochs_small"])
        mlp = mlp_epoch(lambda e, params=params: MLPRegressor(max_iter=e, **params), X, y)
        rows.append([b, ms(epoch), ms(fixed), ms(mlp), ratio(mlp, epoch)])
    table = markdown_table(
        ["batch", "ours ms/epoch", "ours fixed ms/fit", "MLPRegressor ms/epoch", "MLPRegressor / ours"], rows
    )
    return (
        f"## 5. Hidden layers (64, 64), relu, sgd with momentum 0.9, on {n:,} x {d} float32\n\n"
        "ms/epoch measured as in scenario 2.\n\n" + table
    )


# ------------------------------------------------------------ 6. classifier
def _labels(X, y):
    """Three classes from a linear score: a multinomial problem."""
    return np.digitize(y, np.quantile(y, [0.3, 0.7]))


def classifier(size):
    import warnings

    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    from sknn_neuron import NeuronClassifier

    n_epochs, batch = 5, 200
    rows = []
    for n, d in size["classifier"]:
        X, y = linear_data(n, d, np.float32)
        y = _labels(X, y)
        params = {"solver": "sgd", "batch_size": batch, "learning_rate_init": 0.01, "momentum": 0.9, "random_state": 0}
        ours = lambda e: NeuronClassifier(max_iter=e, tol=0.0, **params)  # noqa: E731
        epoch, fixed = ours_epoch(ours, X, y, n_epochs)
        mlp_params = {**params, "hidden_layer_sizes": (), "learning_rate_init": 0.001}
        mlp = mlp_epoch(lambda e: MLPClassifier(max_iter=e, **mlp_params), X, y)
        sgd = sgd_epoch(SGDClassifier(loss="log_loss", max_iter=n_epochs, tol=None, verbose=1, random_state=0), X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            reference = LogisticRegression(max_iter=1000).fit(X, y)
            lbfgs = time.perf_counter() - start
            losses = {
                "ours": ours(n_epochs).fit(X, y),
                "MLPClassifier": MLPClassifier(max_iter=n_epochs, **mlp_params).fit(X, y),
                "SGDClassifier": SGDClassifier(loss="log_loss", max_iter=n_epochs, tol=None, random_state=0).fit(X, y),
            }
        losses = {name: log_loss(y, est.predict_proba(X)) for name, est in losses.items()}
        rows.append([
            f"{n:,} x {d}", ms(epoch), ms(fixed), ms(sgd), ratio(sgd, epoch), ms(mlp), ratio(mlp, epoch), ms(lbfgs),
            f"{losses['ours']:.4f}", f"{losses['SGDClassifier']:.4f}", f"{losses['MLPClassifier']:.4f}",
            f"{log_loss(y, reference.predict_proba(X)):.4f}",
        ])  # fmt: skip
        del X, y
        gc.collect()
    table = markdown_table(
        ["data (float32, 3 classes)", "ours ms/epoch", "ours fixed ms/fit", "SGDClassifier ms/epoch",
         "SGDClassifier / ours", "MLPClassifier ms/epoch", "MLPClassifier / ours", "LogisticRegression fit ms",
         f"log loss ours ({n_epochs} ep.)", "SGDClassifier", "MLPClassifier", "LogisticRegression optimum"],
        rows,
    )  # fmt: skip
    grid_line = run_child("classifier_grid")
    return (
        f"## 6. Classifier: softmax neuron, minibatch SGD (batch {batch}, momentum 0.9)\n\n"
        "ms/epoch measured as in scenario 2 (SGDClassifier: one-vs-rest, its own timer). Log loss on the "
        f"training data after {n_epochs} epochs for every SGD; LogisticRegression (lbfgs, C=1) is solved to its "
        "optimum.\n\n" + table + "\n\n" + grid_line + "\n\n" + _digits_network_line()
    )


def _digits_network_line():
    """Hidden layer (64,), adam, 50 epochs on ``load_digits``: ms/epoch and test accuracy beside MLPClassifier."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from sknn_neuron import NeuronClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0, stratify=y)
    settings = {"hidden_layer_sizes": (64,), "solver": "adam", "random_state": 0}
    ours = lambda e: NeuronClassifier(max_iter=e, **settings)  # noqa: E731
    theirs = lambda e: MLPClassifier(max_iter=e, learning_rate_init=0.001, **settings)  # noqa: E731
    epoch, _ = ours_epoch(ours, X_train, y_train, 50)
    mlp = mlp_epoch(theirs, X_train, y_train, repeat=5)
    accuracy = {name: quiet(lambda make=make: make(50).fit(X_train, y_train)).score(X_test, y_test)
                for name, make in (("ours", ours), ("MLPClassifier", theirs))}  # fmt: skip
    return (
        f"load_digits, hidden (64,), adam, batch 200, 50 epochs: ours {ms(epoch)} ms/epoch, MLPClassifier "
        f"{ms(mlp)} ms/epoch ({ratio(mlp, epoch)}); test accuracy {accuracy['ours']:.4f} against "
        f"{accuracy['MLPClassifier']:.4f}."
    )


def child_classifier_grid():
    import warnings

    import compilations
    from sklearn.model_selection import GridSearchCV

    from sknn_neuron import NeuronClassifier

    X, y = linear_data(10_000, 20, np.float64)
    y = _labels(X, y)
    search = GridSearchCV(
        NeuronClassifier(solver="sgd", max_iter=50, random_state=0),
        {"learning_rate_init": GRID_LEARNING_RATES, "alpha": GRID_ALPHAS}, cv=5,
    )  # fmt: skip
    with compilations.CompilationCounter() as compiled, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    return (
        f"GridSearchCV(NeuronClassifier(solver='sgd'), 5 folds x 12 candidates) on 10,000 x 20: {wall:.2f} s, "
        f"{compiled.total} XLA compilations ({compiled.training} of training programs)."
    )


# ---------------------------------------------------------------- 7. startup
def child_import():
    """Seconds to import scikit-learn, then sknn_neuron; whether JAX came with it."""
    start = time.perf_counter()
    import sklearn  # noqa: F401

    middle = time.perf_counter()
    import sknn_neuron  # noqa: F401

    return {"sklearn": middle - start, "ours": time.perf_counter() - middle, "jax": "jax" in sys.modules}


def child_first_fit():
    """The first default fit on the seed data, after importing JAX; where its time goes."""
    import sknn_neuron

    start = time.perf_counter()
    import jax

    jax_import = time.perf_counter() - start
    seconds = {}
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **_: seconds.__setitem__(event, seconds.get(event, 0.0) + duration)
    )
    X, y = seed_data()
    start = time.perf_counter()
    quiet(lambda: sknn_neuron.NeuronRegressor(random_state=0).fit(X, y))
    phase = lambda name: seconds.get(f"/jax/core/compile/{name}_duration", 0.0)  # noqa: E731
    return {
        "jax_import": jax_import, "fit": time.perf_counter() - start, "trace": phase("jaxpr_trace"),
        "lower": phase("jaxpr_to_mlir_module"), "compile": phase("backend_compile"),
    }  # fmt: skip


def child_grid_workers(n_samples, n_features, max_iter, folder):
    """A serial GridSearchCV, then the same search on two fresh loky workers."""
    from pathlib import Path

    import compilations
    from sklearn.model_selection import GridSearchCV

    from sknn_neuron import NeuronRegressor

    X, y = linear_data(n_samples, n_features, np.float64)
    search = lambda n_jobs: GridSearchCV(  # noqa: E731
        NeuronRegressor(solver="sgd", max_iter=max_iter, random_state=0),
        {"learning_rate_init": GRID_LEARNING_RATES, "alpha": GRID_ALPHAS}, cv=5, n_jobs=n_jobs,
    )  # fmt: skip
    entries = lambda: len(list(Path(folder).iterdir())) if folder else None  # noqa: E731
    with compilations.CompilationCounter() as compiled:
        serial = best_of(lambda: quiet(lambda: search(1).fit(X, y)), 1)
    before = entries()
    parallel = best_of(lambda: quiet(lambda: search(2).fit(X, y)), 1)
    after = entries()
    return {"serial": serial, "serial_compiled": compiled.total, "parallel": parallel,
            "worker_compiled": None if folder is None else after - before}  # fmt: skip


def startup(size):
    import tempfile

    repeat = size["repeat"]
    imports = sorted((run_child("import") for _ in range(repeat)), key=lambda r: r["ours"])
    median = imports[len(imports) // 2]
    with tempfile.TemporaryDirectory() as folder:
        cache = {"SKNN_NEURON_CACHE_DIR": folder}
        run_child("first_fit", env=cache)  # compiles into the cache
        fits = {
            "off": [run_child("first_fit") for _ in range(repeat)],
            "on, second process": [run_child("first_fit", env=cache) for _ in range(repeat)],
        }
    rows = []
    for name, runs in fits.items():
        r = sorted(runs, key=lambda r: r["fit"])[len(runs) // 2]
        rows.append([name, ms(r["jax_import"]), ms(r["fit"]), ms(r["trace"]), ms(r["lower"]), ms(r["compile"])])
    fit_table = markdown_table(
        ["cache", "JAX import ms", "first fit ms", "tracing ms", "lowering ms", "compiling ms"], rows
    )
    n, d = size["grid"]
    max_iter = 200 if n >= 10_000 else 50
    grids = {}
    for name in ("off", "on"):
        with tempfile.TemporaryDirectory() as folder:
            env = {"SKNN_NEURON_CACHE_DIR": folder} if name == "on" else None
            grids[name] = run_child("grid_workers", env=env, n_samples=n, n_features=d, max_iter=max_iter,
                                    folder=folder if name == "on" else None)  # fmt: skip
    grid_rows = [
        [name, f"{r['serial']:.2f}", r["serial_compiled"], f"{r['parallel']:.2f}",
         "n/a" if r["worker_compiled"] is None else r["worker_compiled"]]
        for name, r in grids.items()
    ]  # fmt: skip
    grid_table = markdown_table(
        ["cache", "serial search s", "XLA compiles (serial)", "n_jobs=2 search s", "programs the workers compiled"],
        grid_rows,
    )  # fmt: skip
    return (
        "## 7. Startup: import, and the first fit of a new process\n\n"
        f"`import sknn_neuron` after `import sklearn`, each in a fresh interpreter (median of {repeat}): "
        f"{ms(median['ours'])} ms beyond scikit-learn's {ms(median['sklearn'])} ms; JAX imported: "
        f"{'yes' if median['jax'] else 'no'}.\n\n"
        f"The first `NeuronRegressor().fit` on the seed data in a fresh interpreter (median of {repeat}), after "
        "importing JAX (the fit imports the training layer), with the compilation cache off, and on in a second "
        "process (a first one compiled into the cache, which the second loads the executable from); the phases "
        "are JAX's monitoring durations.\n\n" + fit_table + "\n\n"
        f"GridSearchCV of section 3 ({n:,} x {d}, max_iter={max_iter}) in a fresh interpreter: serial, then on "
        "two fresh loky workers (n_jobs=2). With the cache on, the workers load the serial search's programs; "
        "'programs the workers compiled' counts the executables they added to the cache.\n\n"
        + grid_table
    )


# ---------------------------------------------------------- 8. sparse input
SPARSE_ESTIMATORS = {
    "NeuronRegressor() (lbfgs)": "NeuronRegressor()",
    # Ridge's alpha=1 on the summed squared error is alpha=1/n on the mean, half-squared one.
    "NeuronRegressor(alpha=1e-5)": "NeuronRegressor(alpha=1e-5)",
    "NeuronRegressor(solver='sgd')": "NeuronRegressor(solver='sgd', random_state=0)",
    "SGDRegressor()": "SGDRegressor(random_state=0)",
    "Ridge(solver='sparse_cg')": "Ridge(solver='sparse_cg')",
}


def child_sparse(estimator, n_samples, n_features, density):
    """Fit and predict one estimator in a fresh interpreter: seconds, peak memory, held-out R^2."""
    from sklearn.linear_model import Ridge, SGDRegressor  # noqa: F401 (named by SPARSE_ESTIMATORS)

    from sknn_neuron import NeuronRegressor  # noqa: F401

    X, y = sparse_data(n_samples, n_features, density)
    X_test, y_test = sparse_data(n_samples // 10, n_features, density, seed=1)
    data_mib = memory_mib()
    model = eval(SPARSE_ESTIMATORS[estimator])
    start = time.perf_counter()
    try:
        quiet(lambda: model.fit(X, y))
    except ValueError as error:  # a diverging step size, reported in the table
        return {"error": str(error).split(".")[0], "nnz": int(X.nnz)}
    fit = time.perf_counter() - start
    start = time.perf_counter()
    score = model.score(X_test, y_test)
    return {
        "fit": fit, "predict": time.perf_counter() - start, "r2": float(score), "nnz": int(X.nnz),
        "data_mib": data_mib, "peak_mib": memory_mib(),
        "n_iter": int(np.max(getattr(model, "n_iter_", 0) or 0)),
    }  # fmt: skip


def sparse(size):
    n, d, density = size["sparse"]
    results = {name: run_child("sparse", estimator=name, n_samples=n, n_features=d, density=density)
               for name in SPARSE_ESTIMATORS}  # fmt: skip
    ours = results["NeuronRegressor() (lbfgs)"]
    rows = [
        [name, f"{r['fit']:.2f}", ratio(r["fit"], ours["fit"]), ms(r["predict"]), r["n_iter"] or "n/a",
         f"{r['peak_mib']:.0f}", f"{r['peak_mib'] - r['data_mib']:.0f}", f"{r['r2']:.4f}"]
        if "error" not in r else [name, r["error"], "", "", "", "", "", ""]
        for name, r in results.items()
    ]  # fmt: skip
    table = markdown_table(
        ["estimator", "fit s", "fit / ours (lbfgs)", "score ms", "iterations", "peak MiB",
         "peak - data MiB", "held-out R^2"],
        rows,
    )  # fmt: skip
    return (
        f"## 8. Sparse input: CSR {n:,} x {d:,} float64, {ours['nnz']:,} non-zeros (density {density:g})\n\n"
        f"Each estimator in a fresh interpreter (the first fit compiles), default settings; y is linear in 1 % of "
        f"the columns plus noise; R^2 on {n // 10:,} held-out rows drawn alike. Peak: the process's peak resident memory (VmHWM) after fit "
        f"and score; 'data' is the peak once the data were made (what X and y take, with the interpreter and "
        f"imports); dense, X alone would take {n * d * 8 / 2**30:,.0f} GiB.\n\n" + table
    )


# --------------------------------------------------- 9. vectorized searches
SEARCH_ESTIMATORS = {
    "NeuronRegressor(solver='sgd')": "NeuronRegressor(solver='sgd', random_state=0)",
    "NeuronRegressor() (lbfgs)": "NeuronRegressor(random_state=0)",
    "NeuronClassifier(solver='sgd')": "NeuronClassifier(solver='sgd', random_state=0)",
    "SGDRegressor()": "SGDRegressor(random_state=0)",
}


def child_search(estimator, library, n_samples, n_features, n_iter=None):
    """One search in a fresh interpreter, twice: seconds, training compilations, scores.

    ``library`` is ``"sklearn"`` or ``"sknn_neuron"`` (whose ``model_selection``
    is imported); ``n_iter`` makes it a ``RandomizedSearchCV``.
    """
    import importlib
    import warnings

    import compilations
    from scipy.stats import loguniform
    from sklearn.linear_model import SGDRegressor  # noqa: F401 (named by SEARCH_ESTIMATORS)

    from sknn_neuron import NeuronClassifier, NeuronRegressor  # noqa: F401

    module = importlib.import_module("sklearn.model_selection" if library == "sklearn" else "sknn_neuron.model_selection")
    X, y = linear_data(n_samples, n_features, np.float64)
    if "Classifier" in estimator:
        y = _labels(X, y)
    model = eval(SEARCH_ESTIMATORS[estimator])
    rate = "eta0" if estimator.startswith("SGD") else "learning_rate_init"
    if n_iter is None:
        search = lambda: module.GridSearchCV(model, {rate: GRID_LEARNING_RATES, "alpha": GRID_ALPHAS}, cv=5)  # noqa: E731
    else:
        space = {rate: loguniform(GRID_LEARNING_RATES[0], GRID_LEARNING_RATES[-1]), "alpha": loguniform(1e-5, 1e-1)}
        search = lambda: module.RandomizedSearchCV(model, space, n_iter=n_iter, cv=5, random_state=0)  # noqa: E731
    runs = []
    for _ in range(2):  # cold (compiling, cache off), then warm
        with compilations.CompilationCounter() as compiled, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            fitted = search().fit(X, y)
            wall = time.perf_counter() - start
        runs.append({"wall": wall, "training": compiled.training, "summary": compiled.summary(),
                     "scores": fitted.cv_results_["mean_test_score"].tolist(), "best": fitted.best_params_})  # fmt: skip
    return runs


def search(size):
    n, d = size["grid"]
    grid_rows, notes = [], []
    for estimator in SEARCH_ESTIMATORS:
        libraries = ("sklearn",) if estimator.startswith("SGD") else ("sklearn", "sknn_neuron")
        runs = {lib: run_child("search", estimator=estimator, library=lib, n_samples=n, n_features=d)
                for lib in libraries}  # fmt: skip
        theirs = runs["sklearn"]
        for lib, (cold, warm) in runs.items():
            differs = max(abs(a - b) for a, b in zip(cold["scores"], theirs[0]["scores"]))
            grid_rows.append([
                f"{lib}: GridSearchCV({estimator})", f"{cold['wall']:.2f}", f"{warm['wall']:.3f}",
                ratio(theirs[0]["wall"], cold["wall"]), ratio(theirs[1]["wall"], warm["wall"]),
                f"{cold['training']} / {warm['training']}", f"{differs:.1e}" if lib != "sklearn" else "",
                "yes" if cold["best"] == theirs[0]["best"] else "no",
            ])  # fmt: skip
            if lib != "sklearn":
                notes.append(f"- {estimator}, ours, 1st search compiled: {cold['summary'] or 'nothing'}")
    sgd = run_child("search", estimator="SGDRegressor()", library="sklearn", n_samples=n, n_features=d)
    ours = run_child("search", estimator="NeuronRegressor(solver='sgd')", library="sknn_neuron", n_samples=n,
                     n_features=d)  # fmt: skip
    notes.append(f"- Warm: ours {ours[1]['wall']:.3f} s against GridSearchCV(SGDRegressor()) {sgd[1]['wall']:.3f} s "
                 f"({ratio(sgd[1]['wall'], ours[1]['wall'])}).")  # fmt: skip
    random_rows = []
    for estimator in ("NeuronRegressor(solver='sgd')", "NeuronRegressor() (lbfgs)"):
        theirs = run_child("search", estimator=estimator, library="sklearn", n_samples=n, n_features=d, n_iter=20)
        ours = run_child("search", estimator=estimator, library="sknn_neuron", n_samples=n, n_features=d, n_iter=200)
        # Both draw from one random_state: our first 20 candidates are scikit-learn's 20.
        differs = max(abs(a - b) for a, b in zip(ours[0]["scores"], theirs[0]["scores"]))
        for lib, n_iter, (cold, warm) in (("sklearn", 20, theirs), ("sknn_neuron", 200, ours)):
            random_rows.append([
                f"{lib}: RandomizedSearchCV({estimator}, n_iter={n_iter})", f"{cold['wall']:.2f}",
                f"{warm['wall']:.2f}", f"{5 * n_iter / warm['wall']:.0f}", ratio(theirs[1]["wall"], warm["wall"]),
                f"{differs:.1e}" if lib != "sklearn" else "",
            ])  # fmt: skip
    grid_table = markdown_table(
        ["search", "1st s", "warm s", "sklearn / this, 1st", "sklearn / this, warm", "training compiles 1st / warm",
         "max |mean_test_score - sklearn's|", "same best_params_"],
        grid_rows,
    )  # fmt: skip
    random_table = markdown_table(
        ["search", "1st s", "warm s", "fits per second, warm", "sklearn's 20 / this, warm",
         "max |mean_test_score - sklearn's| (its 20 candidates)"],
        random_rows,
    )  # fmt: skip
    return (
        f"## 9. Vectorized searches: sknn_neuron.model_selection against sklearn.model_selection on {n:,} x {d} "
        "float64\n\n"
        "5 folds x 12 candidates (learning rate x alpha), default estimator settings otherwise. Each search in a "
        "fresh interpreter with the package's executable cache off: the 1st search compiles what it needs "
        "(ours: one program for the group, one for the refit), the 2nd is warm. Ratios above 1x: ours is faster. "
        "The score difference is against scikit-learn's search over the same estimator.\n\n"
        + grid_table + "\n\n" + "\n".join(notes) + "\n\nRandomizedSearchCV over log-uniform learning rate and "
        "alpha, 5 folds: ours with 200 candidates, scikit-learn's with 20.\n\n" + random_table
    )


SCENARIOS = {
    "seed": seed, "epochs": epochs, "grid": grid, "exact": exact, "hidden": hidden, "classifier": classifier,
    "startup": startup, "sparse": sparse, "search": search,
}  # fmt: skip
CHILDREN = {
    "seed": child_seed, "grid": child_grid, "classifier_grid": child_classifier_grid, "import": child_import,
    "first_fit": child_first_fit, "grid_workers": child_grid_workers, "sparse": child_sparse,
    "search": child_search,
}  # fmt: skip
