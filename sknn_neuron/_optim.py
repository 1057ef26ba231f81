"""Solver names to optax optimizers whose hyperparameters stay traced.

``optax.inject_hyperparams`` keeps the learning rate, momentum and Adam's
betas in the optimizer *state*, so a compiled program takes them as inputs
and a new value never triggers a new compilation.
"""

import jax.numpy as jnp
import optax

STOCHASTIC_SOLVERS = ("sgd", "adam")

apply_updates = optax.apply_updates  # parameters plus updates, in the parameters' dtype


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

