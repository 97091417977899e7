"""``python -m ambidex`` runs the CLI (Ctrl-C at any point: ``interrupted``, exit code 130)."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # pragma: no cover - while the CLI itself imports
    sys.stderr.write("\ninterrupted\n")
    sys.exit(130)

main()
