"""Strategy-workshop app in the browser (Dash).

``create_app(model)`` builds the app: levers grouped as the seeds group them, key outcomes
against the baseline redrawn on every change, snapshots compared side by side, the feedback
structure, a year-by-year game mode with a recorded, replayable decision path, and exports
(scenario TOML, HTML report, CSV, netCDF, provenance log).  Each browser tab keeps its own state
in ``sessionStorage``; the server holds none.

``ambidex workshop [--model PATH] [--port N] [--host 127.0.0.1]`` runs it.
"""

from __future__ import annotations

from ..model import load_model

__all__ = ["create_app", "serve"]


def create_app(model=None, warm_up: bool = True, scenario: str | None = None):
    """The Dash app for ``model`` (a :class:`ambidex.Model`, a path, or None for the default)."""
    import dash

    from . import callbacks, layout, runs

    m = model if hasattr(model, "parameters") else load_model(model)
    if warm_up:
        runs.warm_up(m)
    app = dash.Dash(__name__, title="ambidex workshop", update_title=None,
                    suppress_callback_exceptions=False)
    app.layout = layout.build(m, scenario)
    callbacks.register(app, m)
    app.ambidex_model = m
    return app


def serve(app, host: str = "127.0.0.1", port: int = 8050, debug: bool = False) -> None:
    """Run the app's server (blocking)."""
    app.run(host=host, port=port, debug=debug, use_reloader=False)
