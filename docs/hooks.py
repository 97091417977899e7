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


def on_pre_build(config, **kwargs):
    target = Path(config["docs_dir"]) / "reference" / "cli.md"
    text = cli_reference()
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
