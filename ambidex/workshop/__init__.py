"""Strategy-workshop app in the browser (Dash).

``create_app(model)`` builds the app: the key charts drawn in the browser by the model itself
(JavaScript generated from the compiled engine, the same as ``ambidex export-simulator``) so they
follow a lever while it is dragged; levers in plain words; reset and undo; presenter mode; snapshots
with difference cards; the named loops; a year-by-year game with goals, a score and a replayable
path; shareable links and session files; exports.  Each browser tab keeps its own state in
``sessionStorage``, checked on every request; the server holds none.

``ambidex workshop [--model PATH] [--port N] [--host 127.0.0.1]`` serves it with waitress.
"""

from __future__ import annotations

from ..core.model import as_model

__all__ = ["create_app", "serve"]
SCRIPT = "/_ambidex/workshop.js"


def page_script(model) -> str:
    """plotly.js, the model runtime, the generated model, the chart views and the page logic."""
    from ..export.simulator import HERE, bundle_js, model_bundle, plotly_js

    parts = [plotly_js(), (HERE / "runtime.js").read_text(), bundle_js(model_bundle(model)),
             (HERE / "views.js").read_text(), _here("live.js")]
    return "\n;\n".join(parts)


def _here(name: str) -> str:
    from pathlib import Path

    return (Path(__file__).parent / name).read_text(encoding="utf-8")


def create_app(model=None, warm_up: bool = True, scenario: str | None = None):
    """The Dash app for ``model`` (a :class:`ambidex.Model`, a path, or None for the default)."""
    import dash
    from flask import Response

    from ..export.simulator import HERE
    from . import callbacks, guard, layout, runs

    m = as_model(model)
    if warm_up:
        runs.warm_up(m)
    app = dash.Dash(__name__, title="ambidex workshop", update_title=None,
                    suppress_callback_exceptions=True)
    script = page_script(m)
    css = (HERE / "views.css").read_text().replace("body {", "body.simulator {", 1) + layout.CSS
    app.index_string = layout.INDEX.replace("__CSS__", css).replace("__SCRIPT__", SCRIPT)
    app.layout = layout.build(m, scenario)
    callbacks.register(app, m)
    app.ambidex_prewarm = None
    if warm_up:  # the Loops tab's first view, for the starting scenario, measured meanwhile
        from .loops_view import prewarm
        from .state import state_from_scenario
        from .tabs import no_horizon

        start = app.layout["scenario"].value
        if start:
            app.ambidex_prewarm = prewarm(m, no_horizon(m, state_from_scenario(m, start)))
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = guard.MAX_REQUEST_BYTES

    @server.route(SCRIPT)
    def _script():
        return Response(script, mimetype="application/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    @server.errorhandler(413)
    def _too_large(_exc):
        return Response(f"request refused: larger than {guard.MAX_REQUEST_BYTES / 1e6:g} MB "
                        "(session state or upload too large)", status=413, mimetype="text/plain")

    app.ambidex_model = m
    return app


def serve(app, host: str = "127.0.0.1", port: int = 8050, threads: int = 8) -> None:
    """Serve the app with waitress (a production WSGI server; blocking)."""
    from waitress import serve as wserve

    from .guard import MAX_REQUEST_BYTES

    wserve(app.server, host=host, port=port, threads=threads,
           max_request_body_size=MAX_REQUEST_BYTES, ident="ambidex-workshop")
