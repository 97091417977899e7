"""``python -m ambidex`` runs the CLI."""

from .cli import app

app()
