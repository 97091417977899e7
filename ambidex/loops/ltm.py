"""Loops That Matter (LTM): loop dominance along a simulation.

Schoenberg, Davidsen & Eberlein (2020) "Understanding model behavior using the Loops that
Matter method", System Dynamics Review 36(2); flow-to-stock link scores in the form of
Schoenberg, Hayward & Eberlein (2023), System Dynamics Review 39(2).

The run is a forward Euler simulation at the model's TIME STEP (PySD backend), saved at every
step.  For time ``t`` (all changes are over the step ``[t - dt, t]``):

* link ``x -> z`` with ``z = f(x, y, ...)``:
  ``LS = |Δx z / Δz| · sign(Δx z / Δx)``, ``Δz = z(t) - z(t-dt)``,
  ``Δx z = f(x(t), y(t-dt), ...) - z(t-dt)``; 0 where ``Δz = 0`` or ``Δx = 0``;
* link into a stock ``S``: the same formula applied to the stock's net flow ``n = dS/dt``
  (``n(t)`` is the net flow computed from the state at ``t``, which moves ``S`` from ``t`` to
  ``t + dt``).  For an inflow ``i`` this is ``+|Δi / Δn|``, for an outflow ``o``
  ``-|Δo / Δn|``: the 2023 form ``±|Δi / (ΔS(t) - ΔS(t-dt))|`` with ``ΔS`` the stock's change
  per unit time;
* loop score: the product of its link scores; relative loop score: loop score divided by the
  sum of absolute loop scores of the loops in the same cycle partition (strongly connected
  component) at that time; the dominant loops at a time are the fewest loops (largest
  absolute relative score first) that together explain at least 50 %.

At the initial time there is no previous step: all scores are 0 there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np
import xarray as xr

from ..core.model import as_model
from .cycles import DEFAULT_MAX_LOOPS, LoopList, find_loops
from .elements import element_graph, flat_env
from .equations import Equations
from .graph import causal_graph
from .hidden import expand, trajectories
from .polarity import link_polarities

TIME_CONVENTION = ("scores at time t use the changes over the Euler step [t - dt, t] "
                   "(dt = the model's TIME STEP); all scores are 0 at the initial time")
DOMINANCE_THRESHOLD = 0.5


@dataclass
class Structure:
    """Everything the loop analysis of one model needs: the model, its causal graph (edges with
    measured polarity), its equations and its loops."""

    model: object
    graph: nx.DiGraph
    equations: Equations
    loops: LoopList
    named: object = None  # NamedLoops match result, when a loops TOML exists
    hidden: list = None   # node names of the hidden stocks of SMOOTH/DELAY/TREND (hidden.py)

    def env(self, values: dict, time) -> dict:
        """The run ``values`` (py name -> array over ``time``) with the hidden stocks added."""
        return {**values, **trajectories(self.equations, self.hidden or [], values, time)}


def trajectory(model, scenario=None, params: dict | None = None) -> xr.Dataset:
    """Every variable at every TIME STEP: Euler (one scenario) on the compiled engine, or PySD's
    where the compiled engine cannot run it (scheduled interventions)."""
    from ..simulate import simulate

    dt = model.control["time_step"]
    ds = simulate(model, scenarios=scenario, params=params, method="euler", saveper=dt,
                  time_step=dt)
    return ds.isel(scenario=0)


def _env(ds: xr.Dataset) -> dict:
    """One array over time per node: a variable, or one element of a subscripted one."""
    return flat_env(ds)


def analyse(model=None, scenario=None, length_bound: int | None = None,
            max_loops: int = DEFAULT_MAX_LOOPS, loops_toml=None, run: xr.Dataset | None = None):
    """Causal graph, link polarities (measured along the Euler run of ``scenario``) and the
    loops of ``model``, matched to the named loops of ``loops_toml`` (default:
    ``<model>.loops.toml`` beside the model file, when it exists).  Returns
    ``(Structure, run)``."""
    from .naming import match_named_loops, named_loops_path, read_named_loops

    model = as_model(model)
    eq = Equations(model)
    if any(v.subscripts for v in model.variables.values()):  # one node per element
        g, hidden = element_graph(model, eq)
    else:
        g = causal_graph(model)
        hidden = expand(g, eq)  # SMOOTH/DELAY/TREND stocks as nodes
    ds = run if run is not None else trajectory(model, scenario)
    env = _env(ds)
    env.update(trajectories(eq, hidden, env, ds.time.values))
    from .graph import loop_subgraph
    link_polarities(g, eq, env, ds.time.values, edges=list(loop_subgraph(g).edges))
    path = named_loops_path(model) if loops_toml is None else loops_toml
    include = [n.variables for n in read_named_loops(path, model).loops] if path is not None else ()
    loops = find_loops(g, length_bound=length_bound, max_loops=max_loops, include=include)
    st = Structure(model, g, eq, loops, hidden=hidden)
    if path is not None and loops:
        st.named = match_named_loops(st, path)
    return st, ds


def link_scores(st: Structure, env: dict, time, edges) -> dict:
    """LTM link score (array over ``time``) of each edge in ``edges``."""
    time = np.asarray(time, dtype=float)
    cur = {k: (v[1:] if np.ndim(v) else v) for k, v in env.items()}
    prev = {k: (v[:-1] if np.ndim(v) else v) for k, v in env.items()}
    eq = st.equations
    zval: dict = {}
    out = {}
    for x, z in edges:
        if z not in zval:
            zc = eq.evaluate(z, cur, time[1:])
            zp = eq.evaluate(z, prev, time[:-1])
            zval[z] = (zc, zp)
        zc, zp = zval[z]
        dz = zc - zp
        dx = np.asarray(cur[x] - prev[x], dtype=float)
        dxz = eq.evaluate(z, {**prev, x: cur[x]}, time[:-1]) - zp
        tiny = 1e-13 * np.maximum(np.abs(zc), np.abs(zp))
        ok = (np.abs(dz) > tiny) & (dx != 0) & np.isfinite(dxz)
        with np.errstate(all="ignore"):
            ls = np.where(ok, np.abs(dxz / np.where(ok, dz, 1.0)) * np.sign(dxz * dx), 0.0)
        out[(x, z)] = np.concatenate([[0.0], ls])
    return out


def loop_scores(st: Structure, env: dict, time) -> tuple[np.ndarray, np.ndarray]:
    """Loop scores and relative loop scores, arrays (loop, time)."""
    rows, score_rows, rel_rows = live_scores(st, env, time)
    score = np.zeros((len(st.loops), len(time)))
    rel = np.zeros_like(score)
    score[rows] = score_rows
    rel[rows] = rel_rows
    return score, rel


def live_scores(st: Structure, env: dict, time) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of :func:`loop_scores` that are not 0 throughout: ``(rows, score, relative
    score)``, ``rows`` the loops' positions in ``st.loops`` (ascending), the arrays (row, time).
    Most loops have a link without effect (8 of the dual model's 20 k loops score at all), so
    the report reads these instead of two (loop, time) arrays of zeros."""
    loops = st.loops
    edges = sorted({e for lp in loops for e in zip(lp.variables, lp.variables[1:]
                                                    + lp.variables[:1])})
    ls = link_scores(st, env, time, edges)
    rows, score = _live_products(loops, edges, ls, len(time))
    keep = np.any(score != 0, axis=1)  # rows of zeros add nothing to a partition's total
    rows, score = rows[keep], score[keep]
    rel = np.zeros_like(score)
    parts = np.array([lp.partition for lp in loops], dtype=int)[rows]
    for p in np.unique(parts):
        idx = np.flatnonzero(parts == p)
        tot = np.abs(score[idx]).sum(axis=0)
        with np.errstate(all="ignore"):
            rel[idx] = np.where(tot > 0, score[idx] / np.where(tot > 0, tot, 1.0), 0.0)
    return rows, score, rel


def _products(loops, edges, ls: dict, n_t: int) -> np.ndarray:
    """Loop scores (loop, time): the product of each loop's link scores, multiplied in the
    loop's own order (see :func:`_live_products`)."""
    rows, s = _live_products(loops, edges, ls, n_t)
    score = np.zeros((len(loops), n_t))
    score[rows] = s
    return score


def _live_products(loops, edges, ls: dict, n_t: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, products)``: the loop scores of the loops in ``loops`` that can score, the
    product of their link scores multiplied in each loop's own order.  A loop with a link whose
    score is 0 along the whole run scores 0 and is not multiplied out (on the dual model all but
    a few of its 20 k loops); loops of one length are multiplied together as one array, their
    links found by number (variable number x n + number of the next) rather than by name."""
    E = np.stack([ls[e] for e in edges]) if edges else np.zeros((0, n_t))
    dead = ~np.any(E != 0, axis=1)
    names = sorted({v for lp in loops for v in lp.variables})
    num = {v: i for i, v in enumerate(names)}
    n = len(names)
    where = np.full(n * n, -1, dtype=np.int64)
    for k, (a, b) in enumerate(edges):
        where[num[a] * n + num[b]] = k
    by_len: dict = {}
    for i, lp in enumerate(loops):
        by_len.setdefault(lp.length, []).append(i)
    out_rows, out = [], []
    for length, rows in by_len.items():
        rows = np.asarray(rows)
        var = np.fromiter(map(num.__getitem__, itertools.chain.from_iterable(
            loops[i].variables for i in rows)), dtype=np.int64, count=len(rows) * length)
        var = var.reshape(-1, length)
        idx = where[var * n + np.roll(var, -1, axis=1)]
        if (idx < 0).any():
            raise KeyError("a loop's link is not among the scored edges")
        live = ~dead[idx].any(axis=1)
        if not live.any():
            continue
        idx = idx[live]
        s = np.ones((idx.shape[0], n_t))
        for k in range(length):
            s *= E[idx[:, k]]
        out_rows.append(rows[live])
        out.append(s)
    if not out:
        return np.zeros(0, dtype=np.int64), np.zeros((0, n_t))
    rows, s = np.concatenate(out_rows), np.concatenate(out)
    order = np.argsort(rows, kind="stable")
    return rows[order], s[order]


def dominant(rel: np.ndarray, partitions, threshold: float = DOMINANCE_THRESHOLD) -> np.ndarray:
    """Boolean (loop, time): the fewest loops of each partition, largest |relative score|
    first, that together explain at least ``threshold`` of it."""
    rel = np.asarray(rel)
    out = np.zeros(rel.shape, dtype=bool)
    parts = np.asarray(partitions)
    for p in np.unique(parts):
        idx = np.flatnonzero(parts == p)
        idx = idx[np.any(rel[idx] != 0, axis=1)]  # a loop at 0 throughout is never dominant
        if idx.size == 0:
            continue
        a = np.abs(rel[idx])
        order = np.argsort(-a, axis=0, kind="stable")
        cum = np.cumsum(np.take_along_axis(a, order, axis=0), axis=0)
        before = cum - np.take_along_axis(a, order, axis=0)
        take = (before < threshold - 1e-12) & (np.take_along_axis(a, order, axis=0) > 0)
        flags = np.zeros_like(take)
        np.put_along_axis(flags, order, take, axis=0)
        out[idx] = flags
    return out


def _dataset(st: Structure, time, score, rel, attrs) -> xr.Dataset:
    g = st.graph
    loops = st.loops
    coords = {
        "loop": [lp.id for lp in loops],
        "time": np.asarray(time, dtype=float),
        "variables": ("loop", [lp.chain(g) for lp in loops]),
        "polarity": ("loop", [lp.polarity for lp in loops]),
        "name": ("loop", [lp.name for lp in loops]),
        "named_id": ("loop", [lp.named_id for lp in loops]),
        "length": ("loop", np.array([lp.length for lp in loops], dtype=int)),
        "partition": ("loop", np.array([lp.partition for lp in loops], dtype=int)),
        "link_polarities": ("loop", [" ".join(lp.links) for lp in loops]),
    }
    dims = ("loop", "time") if score.ndim == 2 else ("sample", "loop", "time")
    ds = xr.Dataset(
        {"loop_score": (dims, score), "relative_score": (dims, rel)}, coords=coords)
    ds["loop_score"].attrs = {"long_name": "loop score (product of link scores)",
                              "units": "1"}
    ds["relative_score"].attrs = {
        "long_name": "relative loop score (share of the cycle partition's absolute loop "
                     "scores; sign: + reinforcing, - balancing at that time)", "units": "1"}
    if score.ndim == 2:
        ds["dominant"] = (("loop", "time"), dominant(rel, ds["partition"].values))
        ds["dominant"].attrs = {"long_name": "among the fewest loops explaining >= 50 % of "
                                             "their partition at that time"}
    ds["time"].attrs = {"units": st.model.time_units, "long_name": "time"}
    ds.attrs.update({
        "model": str(st.model.path), "model_sha256": st.model.sha256,
        "method": "Loops That Matter (Schoenberg, Davidsen & Eberlein 2020, SDR 36(2)); "
                  "flow-to-stock scores as Schoenberg, Hayward & Eberlein 2023, SDR 39(2)",
        "time_convention": TIME_CONVENTION,
        "time_step": st.model.control["time_step"],
        "loops_truncated": int(bool(st.loops.truncated)),
        "message": st.loops.message,
        **attrs,
    })
    if st.named is not None:
        ds.attrs["named_loops_file"] = str(st.named.path)
        ds.attrs["named_loops_missing"] = ", ".join(st.named.missing)
    return ds
