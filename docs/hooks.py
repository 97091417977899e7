"""MkDocs hook: generate the CLI reference from the Typer app, so it cannot drift."""

from __future__ import annotations

from pathlib import Path

import click
import typer


def cli_reference() -> str:
    from ambidex.cli import app

    group = typer.main.get_command(app)
    ctx = click.Context(group, info_name="ambidex")
    lines = ["# Command line", "", "Generated from the commands themselves at build time.", ""]
    lines += ["```text", group.get_help(ctx), "```", ""]
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        sub = click.Context(cmd, info_name=f"ambidex {name}", parent=ctx)
        lines += [f"## ambidex {name}", "", "```text", cmd.get_help(sub), "```", ""]
    return "\n".join(lines)


def evidence_ledger() -> str:
    """The evidence ledger of the shipped case-firm history calibration."""
    from ambidex.calibrate.ledger import docs_page

    root = Path(__file__).resolve().parents[1]
    return docs_page(root / "scenarios" / "data" / "case_firm_history.toml",
                     root / "scenarios" / "case_firm_history.toml")


def on_pre_build(config, **kwargs):
    for name, make in (("cli.md", cli_reference), ("ledger.md", evidence_ledger)):
        target = Path(config["docs_dir"]) / "reference" / name
        text = make()
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
