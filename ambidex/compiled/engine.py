"""CompiledModel: batched runs of a model compiled from PySD's AbstractModel."""

from __future__ import annotations

import difflib
import os
import time
from pathlib import Path

import numpy as np

from ..core.errors import ModelError, SolverError
from . import pytier
from .cache import load_source, module_path

RPREC = 1e-5  # PySD's relative precision for final and saving times
STATUS = {0: "ok", 1: "produced NaN/inf", 2: "exceeded the maximum number of steps",
          3: "step size became too small"}
METHODS = ("euler", "rk4", "dopri5", "bs3")
#: the adaptive methods: per-run step control, any save times
ADAPTIVE = ("dopri5", "bs3")


class RunResult(dict):
    """``{output name: array (N, T)}`` plus per-run diagnostics.

    ``status[i]`` is 0 for a good run, 1 where run ``i`` produced NaN/inf, 2 where it exceeded
    ``max_steps``, 3 where its step size collapsed; ``failed`` lists those sample indices and
    ``fail_time[i]`` the model time it happened.
    """

    time: np.ndarray
    status: np.ndarray
    fail_time: np.ndarray
    nfev: np.ndarray
    method: str
    #: the (N, V, T) array whose [:, j, :] the outputs are, in the dict's order
    block: np.ndarray

    @property
    def failed(self) -> np.ndarray:
        return np.flatnonzero(self.status != 0)

    @property
    def ok(self) -> np.ndarray:
        return self.status == 0

    def failure_messages(self) -> list[str]:
        return [f"sample {i}: {STATUS.get(int(self.status[i]), 'failed')} at time "
                f"{self.fail_time[i]:g}" for i in self.failed]

    def raise_on_failure(self):
        if self.failed.size:
            msgs = self.failure_messages()
            more = f" (and {len(msgs) - 5} more)" if len(msgs) > 5 else ""
            raise SolverError("; ".join(msgs[:5]) + more)


def _load_abstract(path):
    from ..core.translate import abstract_model  # parsed once per file content, cached on disk

    return abstract_model(path)


def compile_model(model) -> CompiledModel:
    """Compile a ``.mdl``/XMILE path or a PySD ``AbstractModel`` into a :class:`CompiledModel`.

    Raises :class:`~ambidex.core.errors.UnsupportedFunctionError` naming the function and the
    variable for anything the compiled backend does not support.
    """
    if isinstance(model, (str, os.PathLike)):
        am = _load_abstract(model)
        name = Path(model).name
    else:
        am = model
        name = Path(str(getattr(am, "original_path", "model"))).name
    from ..core.ir.translator import Translator

    tr = Translator(am, name)
    cm = CompiledModel(tr)
    path = model if isinstance(model, (str, os.PathLike)) else getattr(am, "original_path", None)
    cm.model_path = Path(path) if path is not None else None
    return cm


class CompiledModel:
    """A model whose equations are compiled (numba) for batched runs.

    Attributes: ``stock_names`` (every state, hidden ones of SMOOTH/DELAY/TREND included,
    named ``'~...'``), ``user_stock_names`` (those of user INTEG stocks), ``param_names``
    (overridable constants by Vensim name; PySD python names are accepted too, see
    ``param_py_names``), ``defaults``, ``initial_time``, ``final_time``, ``time_step``,
    ``saveper``, ``variable_names`` (every output), ``units`` and ``doc``.
    """

    def __init__(self, tr):
        from ..core.ir.scope import subscripted_layout  # the IR's imports: only when building
        from ..core.ir.statefuls import clean
        from .codegen import generate

        self.model_name = tr.model_name
        scope = tr.scope
        self.initial_time = tr.control_value("initial_time")
        self.final_time = tr.control_value("final_time")
        self.time_step = tr.control_value("time_step")
        self.saveper = tr.control_value("saveper")
        if not (self.time_step > 0 and self.saveper > 0 and self.final_time >= self.initial_time):
            raise ModelError(f"model '{self.model_name}': bad control values (INITIAL TIME "
                             f"{self.initial_time}, FINAL TIME {self.final_time}, TIME STEP "
                             f"{self.time_step}, SAVEPER {self.saveper})")
        params = [s for s in tr.slots if s.kind == "param"]
        states = [s for s in tr.slots if s.kind == "state"]
        initcs = [s for s in tr.slots if s.kind == "initc"]
        outputs, self.units, self.doc = [], {}, {}
        self._var_elems: dict[str, list] = {}
        for info in scope.elements.values():
            if info.is_lookup:
                continue
            if info.el.units:
                self.units[info.name] = info.el.units
            if info.el.documentation:
                self.doc[info.name] = info.el.documentation.strip()
            elems = [info.slots[t] for t in info.tuples]
            outputs += elems
            for key in {info.name, info.py, info.name.lower(), clean(info.name)}:
                self._var_elems.setdefault(key, elems)
        self._params, self._states, self._outputs = params, states, outputs
        self.subscripted = subscripted_layout(scope)
        self.stock_names = [s.name for s in states]
        self.user_stock_names = [s.name for s in states if s.user_stock]
        self.param_names = [s.name for s in params]
        self.param_py_names = {s.name: self._py_elem(s) for s in params}
        self.defaults = {s.name: float(s.value) for s in params}
        self.variable_names = [s.name for s in outputs]
        self.py_names = {s.name: self._py_elem(s) for s in outputs}
        self._out_index = {}
        for i, s in enumerate(outputs):
            for key in (s.name, self._py_elem(s), s.name.lower()):
                self._out_index.setdefault(key, i)
        self._param_index = {}
        for i, s in enumerate(params):
            for key in (s.name, self._py_elem(s), s.name.lower()):
                self._param_index.setdefault(key, i)
        self.structural_params = [s.name for s in params if s.structural]
        #: functions whose states step once per TIME STEP (DELAY FIXED, SAMPLE IF TRUE, ...):
        #: methods 'euler' and 'rk4' only
        self.stepped_functions = dict(tr.stepped)
        self._tr_obj = tr
        self._tr_factory = None  # rebuilds the IR for a CompiledModel read from a snapshot
        self._layout = {"params": params, "states": states, "initcs": initcs,
                        "outputs": outputs}
        self._plans: dict = {}
        self.source = generate(tr, self._layout)  # one module for every choice of outputs
        self.model_path = None  # the model file, for the background compile (compile_model)
        self._py = None  # the interpreted module (pytier), built on first need
        self._tier_s = 0.0  # seconds interpreted so far in this process
        self._background: set = set()

    def stepped_reason(self) -> str:
        """Why method 'dopri5' cannot run this model (its once-per-TIME-STEP functions)."""
        fns = ", ".join(f"{f} (in '{v}')" for f, v in self.stepped_functions.items())
        verb = "it steps" if len(self.stepped_functions) == 1 else "they step"
        return (f"model '{self.model_name}' uses {fns}; {verb} once per TIME STEP, so method "
                "'dopri5' cannot run it; use method 'euler' or 'rk4'")

    def _plan(self, out_idx) -> np.ndarray:
        """The save plan ``w`` (see :func:`~ambidex.compiled.codegen.save_plan`) for the
        outputs ``out_idx``: which variables ``_out`` computes and where each output goes.
        Chosen at run time, so a new set of outputs costs no compilation."""
        key = tuple(np.asarray(out_idx, dtype=np.int64).tolist())  # python ints, as stored
        w = self._plans.get(key)
        if w is None:
            from .codegen import save_plan

            w = save_plan(self._tr, self._outputs, list(key))
            self._plans[key] = w
        return w

    @property
    def _tr(self):
        """The model's IR (:class:`~ambidex.core.ir.translator.Translator`); a CompiledModel
        read from a snapshot (:mod:`.snapshot`) rebuilds it on first need."""
        tr = self.__dict__.get("_tr_obj")
        if tr is None:  # rebuilt: adopt its slots, which the IR's readers key dicts by
            fresh = type(self)(self._tr_factory())
            for k in ("_tr_obj", "_params", "_states", "_outputs", "_layout", "_var_elems"):
                self.__dict__[k] = fresh.__dict__[k]
            tr = self.__dict__["_tr_obj"]
        return tr

    def __getstate__(self):
        """Everything but the IR, the loaded modules and this process's tier bookkeeping."""
        state = dict(self.__dict__)
        for k in ("_tr_obj", "_tr_factory", "_mod_obj", "_py", "_background", "_tier_s"):
            state.pop(k, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.update(_tr_obj=None, _tr_factory=None, _py=None, _background=set(),
                             _tier_s=0.0)

    @property
    def _mod(self):
        """The generated module with its numba kernels, imported on first need (this imports
        numba: about 0.7 s, and a kernel's first call loads its machine code, 1-2 s more), so a
        process that only interprets (:mod:`.pytier`) never pays for it."""
        mod = self.__dict__.get("_mod_obj")
        if mod is None:
            mod = self.__dict__["_mod_obj"] = load_source(self.source)
        return mod

    @staticmethod
    def _py_elem(s):
        return s.py + (f"[{','.join(s.subs)}]" if s.subs else "")

    def __repr__(self):
        return (f"CompiledModel({self.model_name!r}, {len(self.stock_names)} states, "
                f"{len(self.param_names)} params, {len(self.variable_names)} variables)")

    # ------------------------------------------------------------------ helpers
    def _unknown(self, what, name, known):
        close = difflib.get_close_matches(str(name), list(known), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return ModelError(f"unknown {what} '{name}' for model '{self.model_name}'{hint}")

    def _param_targets(self, name):
        if name in self._param_index:
            return [self._param_index[name]]
        low = name.lower() if isinstance(name, str) else name
        if low in self._param_index:
            return [self._param_index[low]]
        elems = self._var_elems.get(name) or self._var_elems.get(low)
        if elems and all(s.kind == "param" for s in elems):
            return [self._params.index(s) for s in elems]
        if elems:
            raise ModelError(f"'{name}' of model '{self.model_name}' is not a constant and "
                             "cannot be set as a parameter")
        raise self._unknown("parameter", name, self.param_names)

    def param_matrix(self, params=None, n=None) -> np.ndarray:
        """The (N, n_params) matrix of parameter values for ``params`` (see :meth:`run`)."""
        params = dict(params or {})
        arrays = {}
        for k, v in params.items():
            a = np.asarray(v, dtype=np.float64)
            if a.ndim > 2:
                raise ModelError(f"parameter '{k}': expected a scalar or an array of shape "
                                 f"(N,) or (N, n_elements), got shape {a.shape}")
            arrays[k] = a
        sizes = {a.shape[0] for a in arrays.values() if a.ndim >= 1}
        if n is not None:
            sizes.add(int(n))
        if len(sizes) > 1:
            shapes = {k: a.shape for k, a in arrays.items()}
            raise ModelError(f"parameter arrays disagree on the number of runs: {shapes}"
                             + (f" with n={n}" if n is not None else ""))
        N = sizes.pop() if sizes else 1
        if N < 1:
            raise ModelError("the number of runs must be at least 1")
        P = np.empty((N, len(self._params)))
        P[:] = [s.value for s in self._params]
        for k, a in arrays.items():
            idx = self._param_targets(k)
            if a.ndim == 2:
                if a.shape[1] != len(idx):
                    raise ModelError(f"parameter '{k}' has {len(idx)} elements but the array "
                                     f"has shape {a.shape}")
                P[:, idx] = a
            else:
                for i in idx:
                    P[:, i] = a
            for i in idx:
                s = self._params[i]
                if s.structural and not np.all(P[:, i] == s.value):
                    raise ModelError(f"parameter '{s.name}' fixes the structure (a SMOOTH N/"
                                     "DELAY order or a control variable) of the compiled model "
                                     "and cannot be changed per run")
        return P

    def _out_targets(self, names):
        if names is None:
            return list(range(len(self._outputs)))
        if isinstance(names, str):
            names = [names]
        idx = []
        for nm in names:
            if nm in self._out_index:
                idx.append(self._out_index[nm])
            elif nm.lower() in self._out_index:
                idx.append(self._out_index[nm.lower()])
            elif nm in self._var_elems or nm.lower() in self._var_elems:
                elems = self._var_elems.get(nm) or self._var_elems[nm.lower()]
                idx += [self._outputs.index(s) for s in elems]
            else:
                raise self._unknown("variable", nm, self.variable_names)
        return idx

    def time_grid(self):
        """PySD's Euler grid (time accumulated step by step) and its save flags, built once per
        model (callers must not write to them; not flagged read-only, since numba would
        compile a read-only signature of every kernel anew)."""
        grid = self.__dict__.get("_grid")
        if grid is None:
            grid = self.__dict__["_grid"] = self._time_grid()
        return grid

    def _time_grid(self):
        t0, tf, dt, sp = self.initial_time, self.final_time, self.time_step, self.saveper
        times = [t0]
        t = t0
        while t + dt * RPREC < tf:
            t = t + dt
            times.append(t)
        times = np.array(times)
        prec = dt * RPREC
        delay = times - t0
        save = (np.mod(delay, sp) < prec) | (np.mod(-delay, sp) < prec)
        return times, save

    # ------------------------------------------------------------------ run
    def _serial(self, name, method, P, args, out, tail, status, ftime, nfev) -> None:
        """Run the rows of ``P`` one by one through kernel ``name`` (``fn(P[r], *args,
        out[r], *tail)``): the numba kernel, or its interpreted twin (bitwise the same results)
        when :meth:`_interpreted` says so."""
        slow = self._interpreted(name, method, len(P))
        for r in range(len(P)):
            got = None
            if slow is not None:
                t = time.perf_counter()
                got = pytier.call(slow, P[r], *args, out[r], *tail)
                self._tier_s += time.perf_counter() - t
            if got is None:
                got = getattr(self._mod, name)(P[r], *args, out[r], *tail)
            status[r], ftime[r], nfev[r] = got

    def _interpreted(self, name, method, n):
        """Kernel ``name`` interpreted (:mod:`.pytier`) for ``n`` serial runs, or None for the
        compiled one.  Interpreted: a few runs (``pytier.MAX_RUNS``, at most ``pytier.BUDGET_S``
        seconds per process) when numba has no machine code for the kernel on disk -- then a
        background process compiles it -- or, when the caller prefers it
        (``pytier.preferring_interpreted``: the command line), whenever the kernel is not already
        loaded in this process: an interpreted run costs less than importing numba and loading
        a kernel's machine code."""
        if not (n <= pytier.MAX_RUNS and pytier.enabled() and self._tier_s < pytier.BUDGET_S):
            return None
        if pytier.preferred():
            loaded = self.__dict__.get("_mod_obj")
            if loaded is not None and getattr(getattr(loaded, name), "signatures", None):
                return None
            path = module_path(self.source)
            cached = pytier.index_on_disk(path, name)
        elif pytier.cached_on_disk(getattr(self._mod, name)):
            return None  # the warm path: no hash of the source (0.1-0.2 ms) per call
        else:
            path, cached = module_path(self.source), False
        if self._py is None:
            self._py = pytier.interpreted(self.source)
        if not cached and name not in self._background:
            self._background.add(name)
            pytier.start_background_compile(path, name, self.model_path, method)
        return getattr(self._py, name)

    def run(self, params=None, n=None, method="euler", t_eval=None, rtol=1e-6, atol=1e-9,
            return_vars=None, max_steps=200_000, hmax=None, parallel=None) -> RunResult:
        """Run N parameter sets at once; returns ``{name: array (N, T)}`` (a RunResult).

        ``params`` maps parameter names (Vensim or PySD names; a subscripted constant by
        element ``'Name[a]'`` or whole, with shape (N, n_elements)) to scalars or arrays of
        shape (N,).  ``method``: ``'euler'`` (PySD/Vensim semantics at TIME STEP),
        ``'rk4'`` (fixed TIME STEP), ``'dopri5'`` (Dormand-Prince 5(4)) or ``'bs3'``
        (Bogacki-Shampine 3(2)), adaptive per run with ``rtol``/``atol``.
        ``t_eval`` defaults to the SAVEPER points; for euler/rk4 it must lie on the TIME
        STEP grid.
        """
        if method not in METHODS:
            raise ModelError(f"unknown method '{method}'; choose one of {', '.join(METHODS)}")
        if method in ADAPTIVE and self.stepped_functions:
            raise ModelError(self.stepped_reason())
        P = np.ascontiguousarray(self.param_matrix(params, n))
        N = P.shape[0]
        # each output once, in the order first asked for
        out_idx = np.asarray(list(dict.fromkeys(self._out_targets(return_vars))),
                             dtype=np.int64)
        times, save = self.time_grid()
        prec = self.time_step * RPREC
        if t_eval is None:
            te = times[save]
            sel = save
        else:
            te = np.atleast_1d(np.asarray(t_eval, dtype=np.float64))
            if te.ndim != 1 or te.size == 0 or np.any(np.diff(te) <= 0):
                raise ModelError("t_eval must be a non-empty increasing 1-D array")
            if te[0] < self.initial_time - prec or te[-1] > self.final_time + prec:
                raise ModelError(f"t_eval must lie within [{self.initial_time}, "
                                 f"{self.final_time}]")
            sel = np.zeros(times.shape, dtype=bool)
            if method not in ADAPTIVE:
                pos = np.clip(np.searchsorted(times, te), 0, len(times) - 1)
                for j, t in zip(pos, te):
                    cand = [k for k in (j - 1, j) if 0 <= k < len(times)]
                    k = min(cand, key=lambda k: abs(times[k] - t))
                    if abs(times[k] - t) > prec + 1e-12 * abs(t):
                        raise ModelError(f"t_eval value {t} is not on the TIME STEP grid "
                                         f"({self.time_step}) of method '{method}'")
                    sel[k] = True
        T = int(sel.sum()) if method not in ADAPTIVE else te.size
        out = np.empty((N, out_idx.size, T))
        status = np.zeros(N, dtype=np.int64)
        ftime = np.full(N, np.nan)
        nfev = np.zeros(N, dtype=np.int64)
        par = (N >= 64) if parallel is None else bool(parallel)
        w = self._plan(out_idx)
        if method in ADAPTIVE:
            hm = np.inf if hmax is None else float(hmax)
            args = (self.initial_time, self.final_time, te, float(rtol), float(atol), hm, 0.0,
                    int(max_steps))
            if par:
                fn = self._mod._batch_dopri_p if method == "dopri5" else self._mod._batch_bs3_p
                fn(P, *args, out, status, ftime, nfev, w)
            else:
                self._serial("_dopri1" if method == "dopri5" else "_bs31", method, P, args, out,
                             (w,), status, ftime, nfev)
            tout = te
        else:
            if par:
                m = self._mod
                fn = m._batch_euler_p if method == "euler" else m._batch_rk4_p
                fn(P, times, sel, out, status, ftime, nfev, self.time_step, w)
            else:
                self._serial("_euler1" if method == "euler" else "_rk41", method, P,
                             (times, sel), out, (self.time_step, w), status, ftime, nfev)
            tout = np.round(times[sel], -int(np.log10(self.time_step * RPREC)))
        res = RunResult()
        outs = self._outputs
        # out[:, j, :] for each output j, as views; ``block`` is ``out`` itself, in that order
        res.update(zip([outs[i].name for i in out_idx.tolist()], out.transpose(1, 0, 2)))
        res.block = out
        res.time, res.status, res.fail_time, res.nfev, res.method = (tout, status, ftime, nfev,
                                                                      method)
        return res
