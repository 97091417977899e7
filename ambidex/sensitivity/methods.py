"""Sampling and analysis through SALib, one method at a time.

Sobol' second-order indices (S2, N (2k + 2) runs) are computed only when the spec asks for
them (``second_order = true``); by default first- and total-order indices (N (k + 2) runs).
Sobol' confidence intervals use SALib's estimators and resamples with the bootstrap done as
matrix products (:mod:`.sobol_boot`), ~40x faster than SALib's own loop.

Sampling happens in the unit cube (SALib's problem with bounds [0, 1]) and is mapped to each
parameter's distribution by :meth:`Spec.to_physical`, so every method sees every distribution
the same way.  :func:`analyze_vector` turns one output vector into a dict of index arrays.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import ScenarioError

#: per method: the per-parameter index variables it produces (besides S2)
VARIABLES = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
    "fast": ("S1", "S1_conf", "ST", "ST_conf"),
    "delta": ("delta", "delta_conf", "S1", "S1_conf"),
    "pawn": ("pawn_minimum", "pawn_mean", "pawn_median", "pawn_maximum", "pawn_CV"),
}


def sample_unit(spec) -> np.ndarray:
    """The method's sample matrix in the unit cube (rows: runs, columns: parameters)."""
    problem = spec.problem()
    n, o, seed = spec.samples, spec.options, spec.seed
    if spec.method == "sobol":
        from SALib.sample import sobol
        return sobol.sample(problem, n, calc_second_order=o.get("second_order", False),
                            scramble=True, seed=seed)
    if spec.method == "morris":
        from SALib.sample import morris
        return morris.sample(problem, n, num_levels=o.get("levels", 4), seed=seed)
    if spec.method == "fast":
        from SALib.sample import fast_sampler
        return fast_sampler.sample(problem, n, M=o.get("M", 4), seed=seed)
    if spec.method in ("delta", "pawn"):
        from SALib.sample import latin
        return latin.sample(problem, n, seed=seed)
    raise ScenarioError(f"{spec.label}: method.name {spec.method!r} is not supported")


def sample(spec) -> np.ndarray:
    """The method's sample matrix in parameter units (rows: runs, columns: parameters)."""
    return spec.to_physical(sample_unit(spec))


def n_runs(spec) -> int:
    """How many model evaluations the spec's method needs."""
    k, n = len(spec.parameters), spec.samples
    if spec.method == "sobol":
        return n * (2 * k + 2 if spec.options.get("second_order", False) else k + 2)
    if spec.method == "morris":
        return n * (k + 1)
    if spec.method == "fast":
        return n * k
    return n


def analyze_vector(spec, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Indices of one output vector ``y`` (one value per row of ``X``)."""
    import warnings

    problem = spec.physical_problem()
    o, seed = spec.options, spec.seed
    y = np.asarray(y, dtype=float).ravel()
    k = len(spec.parameters)
    if not np.all(np.isfinite(y)):
        raise ScenarioError(f"{spec.label}: an output has non-finite values; indices need finite "
                            "outputs for every sample")
    if np.ptp(y) == 0:  # a constant output is influenced by nothing
        z = np.zeros(k)
        out = {v: z.copy() for v in VARIABLES[spec.method]}
        if spec.method == "sobol" and o.get("second_order", False):
            out["S2"] = np.full((k, k), np.nan)
            out["S2_conf"] = np.full((k, k), np.nan)
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            if spec.method == "sobol":
                from . import sobol_boot  # SALib's estimators, its bootstrap as products
                so = o.get("second_order", False)
                r = sobol_boot.analyze(k, y, second_order=so,
                                       num_resamples=o.get("num_resamples", 100),
                                       conf_level=o.get("conf_level", 0.95), seed=seed)
                out = {v: np.asarray(r[v], dtype=float) for v in VARIABLES["sobol"]}
                if so:
                    out["S2"] = np.asarray(r["S2"], dtype=float)
                    out["S2_conf"] = np.asarray(r["S2_conf"], dtype=float)
                return out
            if spec.method == "morris":
                from SALib.analyze import morris
                r = morris.analyze(problem, X, y, num_resamples=o.get("num_resamples", 100),
                                   conf_level=o.get("conf_level", 0.95),
                                   num_levels=o.get("levels", 4), seed=seed)
                return {v: np.asarray(r[v], dtype=float) for v in VARIABLES["morris"]}
            if spec.method == "fast":
                from SALib.analyze import fast
                r = fast.analyze(problem, y, M=o.get("M", 4),
                                 num_resamples=o.get("num_resamples", 100),
                                 conf_level=o.get("conf_level", 0.95), seed=seed)
                return {v: np.asarray(r[v], dtype=float) for v in VARIABLES["fast"]}
            if spec.method == "delta":
                import contextlib
                import io

                from SALib.analyze import delta
                with contextlib.redirect_stderr(io.StringIO()), \
                        contextlib.redirect_stdout(io.StringIO()):  # SALib's bin notices
                    r = delta.analyze(problem, X, y, num_resamples=o.get("num_resamples", 100),
                                      conf_level=o.get("conf_level", 0.95), seed=seed)
                # delta: Plischke's raw estimator (SALib also gives balanced/step variants)
                return {"delta": np.asarray(r["delta_raw"], dtype=float),
                        "delta_conf": np.asarray(r["delta_raw_conf"], dtype=float),
                        "S1": np.asarray(r["S1"], dtype=float),
                        "S1_conf": np.asarray(r["S1_conf"], dtype=float)}
            if spec.method == "pawn":
                from SALib.analyze import pawn
                r = pawn.analyze(problem, X, y, S=o.get("slices", 10), seed=seed)
                return {f"pawn_{s}": np.asarray(r[s], dtype=float)
                        for s in ("minimum", "mean", "median", "maximum", "CV")}
    raise ScenarioError(f"{spec.label}: method.name {spec.method!r} is not supported")
