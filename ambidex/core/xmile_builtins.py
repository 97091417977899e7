"""Stella builtins PySD 3's XMILE translator lacks, rewritten as equivalent XMILE (a pre-pass).

- ``PI`` written as a constant (Stella's way) becomes ``PI()``, the call PySD knows;
- ``MEAN(a, b, ...)`` with two or more arguments (the mean of the arguments) becomes
  ``((a) + (b) + ...) / n``; the one-argument, array form is left alone.

- ``STARTTIME``, ``STOPTIME`` and ``DT`` (the XMILE names of the run's start, stop and time
  step) become ``INITIAL_TIME``, ``FINAL_TIME`` and ``TIME_STEP``, the names PySD gives them.

A model variable named like one of them keeps its meaning (nothing is rewritten then).
"""

from __future__ import annotations

import re

_PI = re.compile(r"(?<![\w.\"])PI\b(?!\s*[(.\"])", re.I)
_MEAN = re.compile(r"(?<![\w.\"])MEAN\s*\(", re.I)
_CONTROL = {"starttime": "INITIAL_TIME", "stoptime": "FINAL_TIME", "dt": "TIME_STEP"}
_CONTROL_RE = re.compile(r"(?<![\w.\"])(STARTTIME|STOPTIME|DT)\b(?!\s*[(.\"])", re.I)


def _split_args(text: str, start: int) -> tuple[list[str], int] | None:
    """The top-level comma-separated arguments of the call whose ``(`` is at ``start - 1``,
    and the index just past its ``)``; None when the parentheses do not balance."""
    depth, args, cur, i, quoted = 0, [], [], start, False
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            if depth == 0:
                args.append("".join(cur))
                return args, i + 1
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            args.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    return None


def _means(eqn: str) -> str:
    out, pos = [], 0
    for m in _MEAN.finditer(eqn):
        if m.start() < pos:
            continue
        split = _split_args(eqn, m.end())
        if split is None or len(split[0]) < 2:
            continue
        args, end = split
        inner = " + ".join(f"({_means(a.strip())})" for a in args)
        out.append(eqn[pos:m.start()] + f"(({inner}) / {len(args)})")
        pos = end
    return "".join(out) + eqn[pos:]


def rewrite(eqn: str, names: set[str]) -> str:
    """One equation with the builtins above rewritten (``names``: the model's variable names,
    canonical lower case with ``_`` for spaces, which shadow builtins)."""
    if "pi" not in names:
        eqn = _PI.sub("PI()", eqn)
    if "mean" not in names:
        eqn = _means(eqn)
    return _CONTROL_RE.sub(lambda m: m.group(0) if m.group(1).lower() in names
                           else _CONTROL[m.group(1).lower()], eqn)


def stella_builtins(text: str) -> str:
    """The XMILE ``text`` with every ``<eqn>`` rewritten as above (unchanged text when it uses
    neither builtin or does not parse as XML)."""
    if not re.search(r"\b(PI|MEAN|STARTTIME|STOPTIME|DT)\b", text, re.I):
        return text
    from lxml import etree

    try:  # recovering, as PySD reads XMILE (Stella writes '--' inside comments)
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(recover=True))
    except etree.XMLSyntaxError:
        return text
    if root is None:
        return text
    ns = root.nsmap.get(None)
    q = f"{{{ns}}}" if ns else ""
    names = {re.sub(r"[\s_]+", "_", (el.get("name") or "").replace("\\n", " ")).strip("_").lower()
             for tag in ("aux", "flow", "stock", "gf") for el in root.iter(f"{q}{tag}")}
    changed = False
    for eqn in root.iter(f"{q}eqn"):
        if eqn.text and re.search(r"\b(PI|MEAN|STARTTIME|STOPTIME|DT)\b", eqn.text, re.I):
            new = rewrite(eqn.text, names)
            changed |= new != eqn.text
            eqn.text = new
    return etree.tostring(root, encoding="unicode") if changed else text
