"""What the command line prints and where it may write: one-line errors and warnings, result
tables (rich on a terminal, full width when piped, or CSV / JSON), output paths checked before
any computing starts.  Imports nothing heavy: ``ambidex --help`` stays fast."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import typer

from .core.errors import OutputError

FORMATS = ("table", "csv", "json")


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # a terminal: its width; piped (CI logs, files): never cut a value at 80 columns
    width = None if stream.isatty() else 100_000
    return Console(stderr=stderr, width=width, highlight=False, markup=False, soft_wrap=True)


def say(text: str) -> None:
    """A line for the user on stdout (never parsed as rich markup)."""
    _console().print(text)


def note(text: str) -> None:
    """A status line on stderr (keeps stdout clean for --format csv|json)."""
    _console(stderr=True).print(text)


def fail(exc: Exception, code: int | None = None):
    """Print ``error: <message>`` (one line, brackets kept) and exit with code 2 (or the
    exception's ``exit_code``)."""
    from rich.text import Text

    line = Text("error: ", style="bold red") + Text(str(exc).strip())
    _console(stderr=True).print(line)
    raise typer.Exit(code=code if code is not None else getattr(exc, "exit_code", 2))


def warn(text: str) -> None:
    from rich.text import Text

    _console(stderr=True).print(Text("warning: ", style="yellow") + Text(str(text)))


_SHOWN: set[str] = set()


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the CLI: one ``warning: ...`` line, no source path, each
    message once."""
    text = str(message).strip()
    if text in _SHOWN:
        return
    _SHOWN.add(text)
    warn(text)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise OutputError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def _nearest_existing(p: Path) -> Path:
    p = p.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_out_dir(path: Path, option: str = "--out") -> Path:
    """Raise :class:`OutputError` unless ``path`` is (or can be made) a writable folder.
    Creates nothing."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{option} '{p}' is a file, not a folder; give a folder for the results")
    base = p if p.exists() else _nearest_existing(p)
    if not base.is_dir():
        raise OutputError(f"{option} '{p}': cannot create the folder, '{base}' is a file")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(f"{option} '{p}': no permission to write in '{base}'")
    return p


def check_out_file(path: Path, option: str) -> Path:
    """Raise :class:`OutputError` unless ``path`` can be written as a file.  Creates nothing."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{option} '{p}' is a folder; give a file name such as '{p / 'checks.json'}'")
    check_out_dir(p.parent if str(p.parent) else Path("."), option=f"{option} folder")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"{option} '{p}': no permission to overwrite it")
    return p


def _cell(v, fmt: str) -> str:
    if isinstance(v, float):
        return fmt.format(v)
    return str(v)


def emit(columns: list[str], rows: list[list], title: str, fmt: str = "table",
         number: str = "{:.4g}") -> None:
    """Print a result table: rich on stdout, or CSV / JSON records (full precision)."""
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        sys.stdout.flush()
        return
    if fmt == "json":
        recs = [dict(zip(columns, [_jsonable(v) for v in r])) for r in rows]
        sys.stdout.write(json.dumps(recs, indent=1, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    from rich.table import Table

    t = Table(title=title)
    for i, c in enumerate(columns):
        numeric = i > 0 and rows and all(_numeric(r[i]) for r in rows)
        t.add_column(str(c), justify="right" if numeric else "left", overflow="fold")
    for r in rows:
        t.add_row(*[_cell(v, number) for v in r])
    _console().print(t)


def _numeric(v) -> bool:
    if isinstance(v, (int, float)) or hasattr(v, "item"):
        return True
    try:
        float(str(v).rstrip("%"))
        return True
    except ValueError:
        return False


def _jsonable(v):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def emit_frame(df, title: str, fmt: str = "table", number: str = "{:.4g}") -> None:
    """:func:`emit` for a pandas DataFrame (its index is the first column)."""
    columns = [df.index.name or "scenario", *[str(c) for c in df.columns]]
    rows = [[idx, *row] for idx, row in zip(df.index, df.itertuples(index=False, name=None))]
    emit(columns, rows, title, fmt, number)
