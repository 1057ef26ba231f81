"""L-BFGS as scipy's L-BFGS-B runs it without bounds, in pure JAX.

``MLPRegressor(solver="lbfgs")`` calls scipy's L-BFGS-B; this module follows
the same algorithm step for step, so that a compiled fit is as strong as
scipy's on the same objective:

- the direction is ``-H g``, ``H`` the limited-memory BFGS inverse Hessian of
  the last ``memory_size`` pairs, scaled by ``s.y / y.y`` (the two-loop
  recursion, equal to L-BFGS-B's compact form without bounds);
- the first step has unit length; every later search starts at 1;
- the line search is Moré and Thuente's ``dcsrch`` (MINPACK-2, as ported in
  ``scipy/optimize/_dcsrch.py``) with scipy's constants: sufficient decrease
  1e-3, curvature 0.9, interval tolerance 0.1, at most 20 evaluations;
- a pair is skipped when ``s.y <= eps * (-s.g)``;
- a failed line search clears the memory and retries along the gradient;
  failing again there ends the run.

The run also ends after ``STALLS`` (10) steps in a row that decrease neither the
objective (beyond its rounding) nor the smallest gradient seen: the rounding
floor, where no ``tol`` below it can be met.

Two rules differ, both in the direction of more accuracy: the run does not
stop on a small relative decrease of the objective (scipy's ``ftol``), only
on ``max |g| <= tol``, on its budgets, or when no step is found; and a step
is accepted only if it decreases the objective.

``line_search="backtracking"`` replaces Moré-Thuente by Armijo backtracking
from the unit step: enough for a single layer in whitened coordinates, whose
Newton step is the unit step, and its program compiles in a fraction of the
time (every scalar operation of ``dcsrch`` becomes a kernel of its own). It
also accepts steps by Hager and Zhang's approximate Wolfe test once the
objective's value stops resolving the decrease, so that the gradient, not the
value, sets the attainable precision.

Everything is a pure function of arrays, traced into the caller's program.
"""

from typing import Any, NamedTuple

import jax.numpy as jnp
from jax import lax

FTOL, GTOL, XTOL = 1e-3, 0.9, 0.1  # scipy's dcsrch constants for L-BFGS-B
MAX_LINESEARCH = 20
STALLS = 10  # steps in a row at the rounding level that improve nothing: the end
STPMAX = 1e10
_P5, _P66, _XTRAPL, _XTRAPU = 0.5, 0.66, 1.1, 4.0


class Result(NamedTuple):
    x: Any
    f: Any  # objective at x
    losses: Any  # (history_size,) objective after each iteration, NaN beyond
    n_iter: Any
    n_fun: Any
    grad_max: Any  # largest gradient entry at x
    finite: Any


def minimize(value_and_grad, x0, *, tol, max_iter, max_fun, history_size, memory_size=10, line_search="more_thuente"):
    """Minimize a smooth function of a flat vector.

    Parameters
    ----------
    value_and_grad : callable
        ``x -> (f, g)``, traceable.
    x0 : array of shape (n,)
    tol : traced float
        Stop when ``max |g| <= tol``.
    max_iter, max_fun : traced int
        Most iterations (accepted steps), and the evaluations after which no
        iteration starts (scipy's ``maxfun``: at least one iteration runs).
    history_size : int
        Static length of the returned loss history (``>= max_iter``).
    memory_size : int, default=10
        Pairs kept (scipy's ``maxcor``).
    line_search : {"more_thuente", "backtracking"}, default="more_thuente"
        Static: scipy's search, or Armijo backtracking from the unit step.

    Returns
    -------
    Result

    Examples
    --------
    >>> import jax
    >>> import jax.numpy as jnp
    >>> f = jax.value_and_grad(lambda x: jnp.sum((x - jnp.arange(3.0)) ** 2) + x[0] ** 4)
    >>> res = minimize(f, jnp.zeros(3), tol=1e-6, max_iter=50, max_fun=200, history_size=64)
    >>> jnp.round(res.x, 4), int(res.n_iter) < 10
    (Array([0., 1., 2.], dtype=float32), True)
    """
    dtype = x0.dtype
    n, m = x0.shape[0], memory_size
    f0, g0 = value_and_grad(x0)
    eps = jnp.finfo(dtype).eps

    class State(NamedTuple):
        x: Any
        f: Any
        g: Any
        S: Any
        Y: Any
        rho: Any
        n_pairs: Any  # pairs stored since the last restart
        best_grad: Any  # smallest max |g| so far
        stalls: Any  # steps in a row that decreased neither f nor the best max |g|
        it: Any
        n_fun: Any
        losses: Any
        done: Any
        finite: Any

    def attempt(st):
        newest = (st.n_pairs - 1) % m
        d = -_two_loop(st.g, st.S, st.Y, st.rho, jnp.minimum(st.n_pairs, m), newest)
        gd = jnp.vdot(st.g, d)
        if line_search == "more_thuente":
            stp0 = jnp.where(st.it == 0, jnp.minimum(1.0 / jnp.linalg.norm(d), STPMAX), 1.0).astype(dtype)
            search, decrease = _more_thuente, True
        else:  # a step within the rounding of f may pass (see _backtracking)
            stp0, search, decrease = jnp.ones((), dtype), _backtracking, False
        # Not a descent direction (rounding in the memory): the search takes
        # no step and fails, and the run restarts. (A flag, not lax.cond: a
        # vmapped cond would run the search for every model, on a copy of
        # the data each.)
        ok, stp, f, g, n_evals = search(value_and_grad, st.x, st.f, gd, d, stp0, gd < 0)
        ok = ok & (f < st.f) if decrease else ok
        s, y = stp * d, g - st.g
        sy = jnp.vdot(s, y)
        store = ok & (sy > eps * (-stp * gd))
        slot = st.n_pairs % m
        S = jnp.where(store, st.S.at[slot].set(s), st.S)
        Y = jnp.where(store, st.Y.at[slot].set(y), st.Y)
        rho = jnp.where(store, st.rho.at[slot].set(1.0 / jnp.where(store, sy, 1.0)), st.rho)
        # A failure clears the memory; one from a clear memory ends the run,
        # and so do steps that only wander at the rounding level.
        n_pairs = jnp.where(ok, st.n_pairs + store, 0)
        grad_max = jnp.max(jnp.abs(g))
        wander = (f >= st.f - 100 * eps * jnp.abs(st.f)) & (grad_max >= st.best_grad)
        stalls = jnp.where(ok, jnp.where(wander, st.stalls + 1, 0), st.stalls)
        exhausted = (~ok & (st.n_pairs == 0)) | (stalls >= STALLS)
        best_grad = jnp.where(ok, jnp.minimum(st.best_grad, grad_max), st.best_grad)
        x = jnp.where(ok, st.x + s, st.x)
        f = jnp.where(ok, f, st.f)
        g = jnp.where(ok, g, st.g)
        finite = jnp.isfinite(f) & jnp.all(jnp.isfinite(x))
        converged = jnp.max(jnp.abs(g)) <= tol
        losses = jnp.where(ok, st.losses.at[st.it].set(f), st.losses)
        return State(
            x, f, g, S, Y, rho, n_pairs, best_grad, stalls, st.it + ok, st.n_fun + n_evals, losses,
            converged | exhausted, finite,
        )  # fmt: skip

    def cond(st):
        return (st.it < max_iter) & (st.n_fun <= max_fun) & ~st.done & st.finite

    zeros = jnp.zeros((m, n), dtype)
    grad_max = jnp.max(jnp.abs(g0))
    state = State(
        x0, f0, g0, zeros, zeros, jnp.zeros(m, dtype), 0, grad_max, 0, 0, 1, jnp.full(history_size, jnp.nan, dtype),
        grad_max <= tol, jnp.isfinite(f0) & jnp.all(jnp.isfinite(g0)),
    )  # fmt: skip
    state = lax.while_loop(cond, attempt, state)
    finite = state.finite & jnp.all(jnp.isfinite(state.g))
    return Result(state.x, state.f, state.losses, state.it, state.n_fun, jnp.max(jnp.abs(state.g)), finite)


def _two_loop(g, S, Y, rho, n_valid, newest):
    """``H g`` for the L-BFGS inverse Hessian of the ``n_valid`` newest pairs."""
    m = S.shape[0]
    order = (newest - jnp.arange(m)) % m  # newest first
    valid = jnp.arange(m) < n_valid

    def backward(q, j):
        i = order[j]
        a = jnp.where(valid[j], rho[i] * jnp.vdot(S[i], q), 0.0)
        return q - a * Y[i], a

    q, alphas = lax.scan(backward, g, jnp.arange(m))
    yy = jnp.vdot(Y[newest], Y[newest])
    gamma = jnp.where(n_valid > 0, 1.0 / jnp.where(n_valid > 0, rho[newest] * yy, 1.0), 1.0)

    def forward(r, j):
        i = order[j]
        b = jnp.where(valid[j], rho[i] * jnp.vdot(Y[i], r), 0.0)
        return r + (alphas[j] - b) * S[i], None

    r, _ = lax.scan(forward, gamma * q, jnp.arange(m)[::-1])  # oldest first
    return r


class _Search(NamedTuple):
    """dcsrch's saved state."""

    brackt: Any
    stage: Any
    finit: Any
    ginit: Any
    gtest: Any
    width: Any
    width1: Any
    stx: Any
    fx: Any
    gx: Any
    sty: Any
    fy: Any
    gy: Any
    stmin: Any
    stmax: Any


def _backtracking(value_and_grad, x, f0, g0, d, stp0, descent):
    """Armijo backtracking along ``d``, halving from ``stp0``: ``(ok, stp, f, g, n_evals)``.

    Unless ``descent``: no evaluation, ``ok`` false.

    Near the optimum the objective's decrease falls below its rounding
    while its derivative is still exact: there a step also passes on Hager
    and Zhang's approximate Wolfe test, which is Armijo's condition of a
    quadratic written with derivatives, ``phi'(stp) <= (2 c1 - 1) phi'(0)``,
    for a value within the rounding of ``f0``. This is what takes a linear
    fit past the digits that the objective's value can resolve.
    """
    dtype = x.dtype
    rounding = 100 * jnp.finfo(dtype).eps * jnp.abs(f0)

    def body(carry):
        stp, *_, n_evals, _ = carry
        f, grad = value_and_grad(x + stp * d)
        armijo = f <= f0 + 1e-4 * stp * g0  # NaN fails
        approximate = (f <= f0 + rounding) & (jnp.vdot(grad, d) <= (2e-4 - 1.0) * g0)
        ok = armijo | approximate
        return jnp.where(ok, stp, 0.5 * stp), f, grad, n_evals + 1, ok

    def cond(carry):
        *_, n_evals, ok = carry
        return ~ok & (n_evals < MAX_LINESEARCH) & descent

    stp, f, grad, n_evals, ok = lax.while_loop(cond, body, (stp0, f0, jnp.zeros_like(d), 0, False))
    return ok, stp, f, grad, n_evals


def _more_thuente(value_and_grad, x, f0, g0, d, stp0, descent):
    """Moré-Thuente search along ``d``: ``(ok, stp, f, g, n_evals)``.

    ``ok`` when dcsrch ends with convergence or a warning within
    ``MAX_LINESEARCH`` evaluations, as L-BFGS-B accepts both. Unless
    ``descent``: no evaluation, ``ok`` false.
    """
    dtype = x.dtype
    zero = jnp.zeros((), dtype)
    search = _Search(
        brackt=False, stage=1, finit=f0, ginit=g0, gtest=FTOL * g0, width=jnp.asarray(STPMAX, dtype),
        width1=jnp.asarray(2 * STPMAX, dtype), stx=zero, fx=f0, gx=g0, sty=zero, fy=f0, gy=g0, stmin=zero,
        stmax=stp0 + _XTRAPU * stp0,
    )  # fmt: skip

    def body(carry):
        search, stp, *_, n_evals, _ = carry
        f, grad = value_and_grad(x + stp * d)
        g = jnp.vdot(grad, d)
        updated, new_stp, finished = _dcsrch(search, stp, f, g)
        # A non-finite trial (an overflow far along d): the step is capped
        # below it, and the next trial is much shorter.
        bad = ~(jnp.isfinite(f) & jnp.isfinite(g))
        search = _select_state(bad, search._replace(stmax=stp), updated)
        new_stp = jnp.where(bad, search.stx + 0.1 * (stp - search.stx), new_stp)
        finished = finished & ~bad
        return search, jnp.where(finished, stp, new_stp), f, grad, n_evals + 1, finished

    def cond(carry):
        *_, n_evals, finished = carry
        return ~finished & (n_evals < MAX_LINESEARCH) & descent

    carry = (search, stp0, f0, jnp.zeros_like(d), 0, False)
    _, stp, f, grad, n_evals, finished = lax.while_loop(cond, body, carry)
    return finished & jnp.isfinite(stp), stp, f, grad, n_evals


def _dcsrch(s, stp, f, g):
    """One call of dcsrch after an evaluation at ``stp``: ``(state, next stp, finished)``."""
    ftest = s.finit + stp * s.gtest
    stage = jnp.where((s.stage == 1) & (f <= ftest) & (g >= 0), 2, s.stage)
    warn = (
        (s.brackt & ((stp <= s.stmin) | (stp >= s.stmax)))
        | (s.brackt & (s.stmax - s.stmin <= XTOL * s.stmax))
        | ((stp == STPMAX) & (f <= ftest) & (g <= s.gtest))
        | ((stp == 0) & ((f > ftest) | (g >= s.gtest)))
    )
    converged = (f <= ftest) & (jnp.abs(g) <= GTOL * -s.ginit)
    finished = warn | converged

    # Stage 1 with a lower, but not sufficiently lower, value: the modified function.
    modified = (stage == 1) & (f <= s.fx) & (f > ftest)
    shift = jnp.where(modified, s.gtest, 0.0)
    stx, fx, gx, sty, fy, gy, new_stp, brackt = _dcstep(
        s.stx, s.fx - s.stx * shift, s.gx - shift, s.sty, s.fy - s.sty * shift, s.gy - shift,
        stp, f - stp * shift, g - shift, s.brackt, s.stmin, s.stmax,
    )  # fmt: skip
    fx, fy, gx, gy = fx + stx * shift, fy + sty * shift, gx + shift, gy + shift

    # A bisection step when the interval does not shrink fast enough.
    bisect = brackt & (jnp.abs(sty - stx) >= _P66 * s.width1)
    new_stp = jnp.where(bisect, stx + _P5 * (sty - stx), new_stp)
    width1 = jnp.where(brackt, s.width, s.width1)
    width = jnp.where(brackt, jnp.abs(sty - stx), s.width)
    stmin = jnp.where(brackt, jnp.minimum(stx, sty), new_stp + _XTRAPL * (new_stp - stx))
    stmax = jnp.where(brackt, jnp.maximum(stx, sty), new_stp + _XTRAPU * (new_stp - stx))
    new_stp = jnp.clip(new_stp, 0.0, STPMAX)
    stuck = brackt & ((new_stp <= stmin) | (new_stp >= stmax) | (stmax - stmin <= XTOL * stmax))
    new_stp = jnp.where(stuck, stx, new_stp)

    updated = _Search(brackt, stage, s.finit, s.ginit, s.gtest, width, width1, stx, fx, gx, sty, fy, gy, stmin, stmax)
    state = _select_state(finished, s._replace(stage=stage), updated)
    return state, new_stp.astype(stp.dtype), finished


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """Moré-Thuente's safeguarded step (MINPACK-2 ``dcstep``), branch-free."""
    sgnd = jnp.sign(dp) * jnp.sign(dx)

    def cubic_gamma(theta, a, b, sign_flip, clip_zero=False):
        s = jnp.maximum(jnp.maximum(jnp.abs(theta), jnp.abs(a)), jnp.abs(b))
        s = jnp.where(s > 0, s, 1.0)
        disc = (theta / s) ** 2 - (a / s) * (b / s)
        gamma = s * jnp.sqrt(jnp.maximum(disc, 0.0) if clip_zero else disc)
        return jnp.where(sign_flip, -gamma, gamma)

    theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp

    # Case 1: a higher value; the minimum is bracketed.
    gamma = cubic_gamma(theta, dx, dp, stp < stx)
    r = ((gamma - dx) + theta) / (((gamma - dx) + gamma) + dp)
    stpc = stx + r * (stp - stx)
    stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
    stpf1 = jnp.where(jnp.abs(stpc - stx) <= jnp.abs(stpq - stx), stpc, stpc + (stpq - stpc) / 2.0)

    # Case 2: a lower value and derivatives of opposite signs; bracketed.
    gamma = cubic_gamma(theta, dx, dp, stp > stx)
    r = ((gamma - dp) + theta) / (((gamma - dp) + gamma) + dx)
    stpc = stp + r * (stx - stp)
    stpq = stp + (dp / (dp - dx)) * (stx - stp)
    stpf2 = jnp.where(jnp.abs(stpc - stp) > jnp.abs(stpq - stp), stpc, stpq)

    # Case 3: a lower value, same signs, the derivative's magnitude decreases.
    gamma = cubic_gamma(theta, dx, dp, stp > stx, clip_zero=True)
    r = ((gamma - dp) + theta) / ((gamma + (dx - dp)) + gamma)
    stpc = jnp.where((r < 0) & (gamma != 0), stp + r * (stx - stp), jnp.where(stp > stx, stpmax, stpmin))
    stpq = stp + (dp / (dp - dx)) * (stx - stp)
    near = jnp.where(jnp.abs(stpc - stp) < jnp.abs(stpq - stp), stpc, stpq)
    near = jnp.where(stp > stx, jnp.minimum(stp + _P66 * (sty - stp), near), jnp.maximum(stp + _P66 * (sty - stp), near))
    far = jnp.clip(jnp.where(jnp.abs(stpc - stp) > jnp.abs(stpq - stp), stpc, stpq), stpmin, stpmax)
    stpf3 = jnp.where(brackt, near, far)

    # Case 4: a lower value, same signs, the derivative does not decrease.
    theta4 = 3.0 * (fp - fy) / (sty - stp) + dy + dp
    gamma = cubic_gamma(theta4, dy, dp, stp > sty)
    r = ((gamma - dp) + theta4) / (((gamma - dp) + gamma) + dy)
    stpf4 = jnp.where(brackt, stp + r * (sty - stp), jnp.where(stp > stx, stpmax, stpmin))

    case1 = fp > fx
    case2 = ~case1 & (sgnd < 0)
    case3 = ~case1 & ~case2 & (jnp.abs(dp) < jnp.abs(dx))
    stpf = jnp.where(case1, stpf1, jnp.where(case2, stpf2, jnp.where(case3, stpf3, stpf4)))
    brackt = brackt | case1 | case2

    # The interval: sty takes stp on a higher value; stx on a lower one.
    higher = fp > fx
    swap = ~higher & (sgnd < 0)
    new_sty = jnp.where(higher, stp, jnp.where(swap, stx, sty))
    new_fy = jnp.where(higher, fp, jnp.where(swap, fx, fy))
    new_dy = jnp.where(higher, dp, jnp.where(swap, dx, dy))
    new_stx = jnp.where(higher, stx, stp)
    new_fx = jnp.where(higher, fx, fp)
    new_dx = jnp.where(higher, dx, dp)
    return new_stx, new_fx, new_dx, new_sty, new_fy, new_dy, stpf, brackt


def _select_state(pred, on_true, on_false):
    """Select between two ``NamedTuple`` states by a traced scalar."""
    return type(on_true)(*(jnp.where(pred, a, b) for a, b in zip(on_true, on_false)))
