"""Names for loops: match the loops found to ``sd_models/<model>.loops.toml``.

The file lists named loops as ``[[loop]]`` tables with ``id`` (e.g. 'R1'), ``name``,
``polarity`` ('R' or 'B') and ``variables`` (model names in causal order around the loop).
A named loop matches the found loop with exactly these variables in this cyclic order; failing
that, the shortest found loop that passes through all of them in this cyclic order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ModelError
from ..core.model import normalise
from ..core.tomlio import read_toml


@dataclass
class NamedLoop:
    id: str
    name: str
    polarity: str
    variables: tuple[str, ...]  # py names
    loop: object = None          # the matched Loop, or None
    exact: bool = False          # the variables are exactly the found loop's


@dataclass
class NamedLoops:
    path: Path
    loops: list[NamedLoop] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Ids of the named loops not found among the model's loops."""
        return [n.id for n in self.loops if n.loop is None]

    @property
    def polarity_mismatches(self) -> list[str]:
        return [f"{n.id}: documented {n.polarity}, measured {n.loop.polarity}"
                for n in self.loops if n.loop is not None and n.loop.polarity != n.polarity]


def named_loops_path(model) -> Path | None:
    """``<model file stem>.loops.toml`` beside the model file, if it exists."""
    p = Path(model.path).with_suffix(".loops.toml")
    return p if p.is_file() else None


def read_named_loops(path, model) -> NamedLoops:
    """Parse a loops TOML; raise :class:`ModelError` naming the file and key on bad input."""
    path = Path(path)
    try:
        data = read_toml(path, ModelError)  # malformed TOML: one line naming the file
    except OSError as exc:
        raise ModelError(f"{path}: cannot read named loops: {exc}") from exc
    out = NamedLoops(path)
    for k, entry in enumerate(data.get("loop", [])):
        where = f"{path}: [[loop]] #{k + 1}"
        for key in ("id", "variables"):
            if key not in entry:
                raise ModelError(f"{where} lacks '{key}'")
        pol = str(entry.get("polarity", "")).strip().upper()[:1]
        pys = []
        for v in entry["variables"]:
            py = model._index.get(normalise(v))
            if py is None:
                raise ModelError(f"{where} ({entry['id']}): {model.unknown_message(v, 'variable')}")
            pys.append(py)
        out.loops.append(NamedLoop(id=str(entry["id"]), name=str(entry.get("name", "")),
                                   polarity=pol, variables=tuple(pys)))
    return out


def _in_cyclic_order(sub: tuple, cyc: tuple) -> bool:
    """``sub``'s variables all lie on ``cyc`` in ``sub``'s cyclic order."""
    if not set(sub) <= set(cyc) or len(set(sub)) != len(sub):
        return False
    pos = [cyc.index(v) for v in sub]
    k = pos.index(min(pos))
    rot = pos[k:] + pos[:k]
    return all(a < b for a, b in zip(rot, rot[1:]))


def match_named_loops(st, path) -> NamedLoops:
    """Match the named loops of ``path`` to ``st.loops``; set the matched loops' ``name`` and
    ``named_id``."""
    named = read_named_loops(path, st.model)
    for n in named.loops:
        exact = [lp for lp in st.loops
                 if len(lp.variables) == len(n.variables) and _in_cyclic_order(n.variables, lp.variables)]
        if exact:
            n.loop, n.exact = exact[0], True
        else:
            cands = [lp for lp in st.loops if _in_cyclic_order(n.variables, lp.variables)]
            if cands:
                n.loop = min(cands, key=lambda lp: (lp.length, lp.id))
        if n.loop is not None and not n.loop.named_id:
            n.loop.named_id, n.loop.name = n.id, n.name
    return named
