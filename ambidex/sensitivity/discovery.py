"""Scenario discovery: which parameter ranges lead to the cases of interest (an output below or
above a threshold)?  PRIM from ``ema_workbench`` (peeling trajectory: coverage, density, mass,
restricted dimensions, box limits) or CART from scikit-learn (one box per leaf)."""

from __future__ import annotations

import numpy as np


def _cases(spec, y):
    d = spec.discovery
    thr = float(d["threshold"])
    return (y < thr) if d.get("direction", "below") == "below" else (y > thr)


def _dataset(spec, cov, dens, mass, lower, upper, chosen, method, note="", restricted=None):
    import xarray as xr

    lower, upper = np.asarray(lower, dtype=float).reshape(-1, len(spec.names)), \
        np.asarray(upper, dtype=float).reshape(-1, len(spec.names))
    sup = np.array([p.support() for p in spec.parameters])
    if restricted is None:
        restricted = ((lower > sup[:, 0] + 1e-12 * np.abs(sup[:, 0]).clip(1)) |
                      (upper < sup[:, 1] - 1e-12 * np.abs(sup[:, 1]).clip(1))).sum(axis=1)
    restricted = np.asarray(restricted)
    ds = xr.Dataset(
        {"box_coverage": ("box", np.asarray(cov, dtype=float)),
         "box_density": ("box", np.asarray(dens, dtype=float)),
         "box_mass": ("box", np.asarray(mass, dtype=float)),
         "box_restricted": ("box", restricted.astype(np.int64)),
         "box_lower": (("box", "parameter"), lower),
         "box_upper": (("box", "parameter"), upper)},
        coords={"box": np.arange(len(cov)), "parameter": spec.names})
    d = spec.discovery
    ds.attrs["_discovery"] = {"method": method, "output": d["output"],
                              "threshold": float(d["threshold"]),
                              "direction": d.get("direction", "below"),
                              "chosen_box": int(chosen), "note": note}
    return ds


def discover(spec, X, y):
    """PRIM or CART over the sample ``X`` and scalar output ``y``; a Dataset over ``box``."""
    X = np.asarray(X, dtype=float)
    cases = _cases(spec, np.asarray(y, dtype=float))
    method = spec.discovery.get("method", "prim")
    if cases.all() or not cases.any():
        sup = np.array([p.support() for p in spec.parameters])
        return _dataset(spec, [float(cases.any())], [float(cases.mean())], [1.0], sup[:, 0],
                        sup[:, 1], 0, method,
                        note=f"{int(cases.sum())} of {cases.size} samples are cases: nothing to "
                             "discover")
    if method == "prim":
        try:
            return _prim(spec, X, cases)
        except ImportError as exc:
            ds = _cart(spec, X, cases)
            ds.attrs["_discovery"]["note"] = f"ema_workbench unavailable ({exc}); CART used"
            return ds
    return _cart(spec, X, cases)


def _prim(spec, X, cases):
    import logging
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    d = spec.discovery
    df = pd.DataFrame(X, columns=spec.names)
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(df, cases.astype(int), threshold=0.8,
                      peel_alpha=float(d.get("peel_alpha", 0.05)),
                      mass_min=float(d.get("min_mass", 0.05)))
        box = p.find_box()
    traj = box.peeling_trajectory
    lims = box.box_lims
    lower = np.array([[float(b[n].iloc[0]) for n in spec.names] for b in lims])
    upper = np.array([[float(b[n].iloc[1]) for n in spec.names] for b in lims])
    # chosen box: the densest one keeping at least half the coverage of the densest overall
    cov, dens = traj["coverage"].to_numpy(), traj["density"].to_numpy()
    ok = np.flatnonzero(cov >= 0.5 * cov.max())
    chosen = int(ok[np.argmax(dens[ok])])
    return _dataset(spec, cov, dens, traj["mass"].to_numpy(), lower, upper, chosen, "prim",
                    restricted=traj["res_dim"].to_numpy())


def _cart(spec, X, cases):
    from sklearn.tree import DecisionTreeClassifier

    d = spec.discovery
    n = X.shape[0]
    tree = DecisionTreeClassifier(max_depth=int(d.get("max_depth", 3)),
                                  min_samples_leaf=max(5, int(float(d.get("min_mass", 0.05)) * n)),
                                  random_state=spec.seed or 0).fit(X, cases)
    t = tree.tree_
    sup = np.array([p.support() for p in spec.parameters], dtype=float)
    boxes = {}

    def walk(node, lo, hi):
        if t.children_left[node] == -1:
            boxes[node] = (lo.copy(), hi.copy())
            return
        f, thr = t.feature[node], t.threshold[node]
        h = hi.copy()
        h[f] = min(h[f], thr)
        walk(t.children_left[node], lo, h)
        lo2 = lo.copy()
        lo2[f] = max(lo2[f], thr)
        walk(t.children_right[node], lo2, hi)

    walk(0, sup[:, 0].copy(), sup[:, 1].copy())
    leaf = tree.apply(X)
    rows = []
    for node, (lo, hi) in boxes.items():
        inside = leaf == node
        rows.append((cases[inside].sum() / cases.sum(), cases[inside].mean(), inside.mean(), lo, hi))
    rows.sort(key=lambda r: -r[1])
    cov, dens, mass, lo, hi = zip(*rows)
    return _dataset(spec, cov, dens, mass, np.array(lo), np.array(hi), 0, "cart")
