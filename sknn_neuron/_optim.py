"""Solver names to optax optimizers whose hyperparameters stay traced.

``optax.inject_hyperparams`` keeps the learning rate, momentum and Adam's
betas in the optimizer *state*, so a compiled program takes them as inputs
and a new value never triggers a new compilation.
"""

import jax.numpy as jnp
import optax

STOCHASTIC_SOLVERS = ("sgd", "adam")


def make_optimizer(solver, nesterov=False):
    """Return the optax optimizer of a stochastic solver.

    Parameters
    ----------
    solver : {"sgd", "adam"}
        ``"sgd"`` is ``optax.sgd`` with (possibly Nesterov) momentum,
        ``"adam"`` is ``optax.adam``.
    nesterov : bool, default=False
        Nesterov momentum, for ``"sgd"``: it changes the program, so it is
        static.

    Returns
    -------
    optimizer : optax.GradientTransformation
        Its state holds the hyperparameters; set them with
        :func:`set_hyperparams`.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> opt = make_optimizer("adam")
    >>> sorted(opt.init(jnp.zeros(2)).hyperparams)
    ['b1', 'b2', 'eps', 'eps_root', 'learning_rate']
    """
    if solver == "sgd":
        return optax.inject_hyperparams(optax.sgd, static_args=("nesterov",))(
            learning_rate=0.0, momentum=0.0, nesterov=nesterov
        )
    if solver == "adam":
        return optax.inject_hyperparams(optax.adam)(learning_rate=0.0)
    raise ValueError(f"Unknown stochastic solver {solver!r}; expected one of {STOCHASTIC_SOLVERS}.")


def set_hyperparams(opt_state, learning_rate, hyper):
    """Return ``opt_state`` with this step's traced hyperparameters.

    ``hyper`` maps the estimator's names (``momentum``, ``beta_1``,
    ``beta_2``, ``epsilon``) to values; only those the solver has are used.
    """
    current = opt_state.hyperparams
    names = {"learning_rate": learning_rate}
    if "momentum" in current:
        names["momentum"] = hyper["momentum"]
    if "b1" in current:
        names.update(b1=hyper["beta_1"], b2=hyper["beta_2"], eps=hyper["epsilon"])
    values = {k: jnp.asarray(v, current[k].dtype) for k, v in names.items()}
    return opt_state._replace(hyperparams={**current, **values})


def make_lbfgs(convex, memory_size=10):
    """Return optax's L-BFGS with a line search fit for the problem.

    Parameters
    ----------
    convex : bool
        A neuron without hidden layers has a convex objective: Armijo
        backtracking keeps every curvature pair positive there and its
        program compiles about 3x faster than the zoom line search. A network
        needs the zoom search's strong Wolfe conditions so that the L-BFGS
        memory stays positive definite.
    memory_size : int, default=10
        Number of past updates kept.

    Returns
    -------
    optimizer : optax.GradientTransformationExtraArgs

    Examples
    --------
    >>> import jax
    >>> import jax.numpy as jnp
    >>> import optax
    >>> f = lambda w: jnp.sum((w - 3.0) ** 2)
    >>> opt = make_lbfgs(convex=True)
    >>> w = jnp.zeros(2)
    >>> state = opt.init(w)
    >>> for _ in range(3):
    ...     value, grad = jax.value_and_grad(f)(w)
    ...     updates, state = opt.update(grad, state, w, value=value, grad=grad, value_fn=f)
    ...     w = optax.apply_updates(w, updates)
    >>> w
    Array([3., 3.], dtype=float32)
    """
    if convex:
        linesearch = optax.scale_by_backtracking_linesearch(max_backtracking_steps=30, store_grad=True)
    else:
        linesearch = optax.scale_by_zoom_linesearch(max_linesearch_steps=20)
    return optax.lbfgs(memory_size=memory_size, linesearch=linesearch)
