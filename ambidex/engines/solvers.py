"""Integrators over a right-hand side f(t, y): fixed-step Euler and RK4, and scipy's solve_ivp.

Fixed-step methods reproduce Vensim/PySD exactly: time advances by repeated addition of the TIME
STEP from the initial time, and states are saved where the time is within 1e-5 TIME STEPs of a
save time.  Adaptive methods integrate piecewise between breakpoints (scheduled interventions), so
a change is never stepped over.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from ..core.errors import SolverError

FIXED = ("euler", "rk4")
ADAPTIVE = ("LSODA", "RK45", "RK23", "DOP853", "Radau", "BDF")


def fixed_step(rhs: Callable, y0: np.ndarray, t0: float, t1: float, dt: float,
               save_times: np.ndarray, method: str = "euler",
               on_step: Callable | None = None) -> np.ndarray:
    """States at ``save_times`` (shape (T, n)) by Euler or classic RK4 at step ``dt``.

    ``on_step(t, y, k, advance)``, when given, is called once per step at the step's start
    (after its derivatives, before the state moves) with ``k`` the index of the save time ``t``
    is (or None), and once at the end with ``advance`` False: the place to record outputs and
    to step discrete states (DELAY FIXED, SAMPLE IF TRUE).
    """
    save_times = np.asarray(save_times, dtype=float)
    out = np.full((len(save_times), len(y0)), np.nan)
    prec = dt * 1e-5
    k = 0
    t, y = t0, np.array(y0, dtype=float)

    def save(t, y, k):
        while k < len(save_times) and save_times[k] < t - prec:
            k += 1
        if k < len(save_times) and abs(save_times[k] - t) <= prec:
            out[k] = y
            k += 1
        return k

    while t + prec < t1:
        k0 = k
        k = save(t, y, k)
        if method == "euler":
            incr = rhs(t, y) * dt
        else:
            k1 = rhs(t, y)
            k2 = rhs(t + dt / 2, y + dt / 2 * k1)
            k3 = rhs(t + dt / 2, y + dt / 2 * k2)
            k4 = rhs(t + dt, y + dt * k3)
            incr = dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if on_step is not None:
            on_step(t, y, k - 1 if k > k0 else None, True)
        y = y + incr
        if not np.all(np.isfinite(y)):
            raise SolverError(f"{method} produced a non-finite state at t={t + dt:g}")
        t = t + dt
    k0 = k
    k = save(t, y, k)
    if on_step is not None and k > k0:
        on_step(t, y, k - 1, False)
    return out


def adaptive(rhs: Callable, y0: np.ndarray, t0: float, t1: float, save_times: np.ndarray,
             method: str = "LSODA", rtol: float = 1e-6, atol: float = 1e-6,
             max_step: float | None = None, breakpoints=(),
             max_evaluations: int = 200_000) -> np.ndarray:
    """States at ``save_times`` by scipy ``solve_ivp``, restarted at every breakpoint."""
    save_times = np.asarray(save_times, dtype=float)
    out = np.full((len(save_times), len(y0)), np.nan)
    edges = [t0] + [b for b in sorted(breakpoints) if t0 < b < t1] + [t1]
    y = np.array(y0, dtype=float)
    done = np.zeros(len(save_times), dtype=bool)
    kwargs = {"rtol": rtol, "atol": atol}
    calls = {"n": 0, "t": t0}

    def guarded(t, y):
        calls["n"] += 1
        calls["t"] = t
        if calls["n"] > max_evaluations:
            raise SolverError(
                f"{method} needed more than {max_evaluations} right-hand-side evaluations and "
                f"reached only t={t:g} of [{t0:g}, {t1:g}]: the solution may escape to infinity or "
                "be too stiff; try method='Radau' or 'BDF', or check the model")
        dy = rhs(t, y)
        if not np.all(np.isfinite(dy)):
            raise SolverError(f"{method}: the model's derivatives are not finite at t={t:g}")
        return dy

    if max_step:
        kwargs["max_step"] = max_step
    for a, b in zip(edges[:-1], edges[1:]):
        idx = np.where(~done & (save_times >= a - 1e-12) & (save_times <= b + 1e-12))[0]
        try:
            sol = solve_ivp(guarded, (a, b), y, method=method, dense_output=True, **kwargs)
        except (ValueError, ArithmeticError) as exc:
            raise SolverError(f"{method} failed between t={a:g} and t={b:g}: {exc}") from exc
        if sol.status < 0:
            raise SolverError(f"{method} failed between t={a:g} and t={b:g}: {sol.message}")
        if len(idx):
            out[idx] = sol.sol(np.clip(save_times[idx], a, b)).T
            done[idx] = True
        y = sol.y[:, -1]
    return out
