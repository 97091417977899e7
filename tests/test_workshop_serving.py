"""Serving a room: the state a tab sends back is checked like any input (tampered levers, unknown
keys, runaway logs refused with a clear message), request and upload sizes are capped, the log is
capped, the game keeps its path, and waitress serves the page and its script."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request

import pytest

from ambidex.workshop import guard
from ambidex.workshop import state as ws
from ambidex.workshop.callbacks import _decode


@pytest.fixture(scope="module")
def base(model):
    return ws.log(ws.state_from_scenario(model, "baseline_dual"), "run", model=model)


def test_a_good_state_passes(model, base):
    assert guard.check_state(model, json.loads(json.dumps(base))) == base


@pytest.mark.parametrize("tamper,match", [
    (lambda s: s["levers"].update(selectivity=7.0), "outside its range"),
    (lambda s: s["levers"].update(selectivity="x"), "not a number"),
    (lambda s: s["levers"].update(no_such=1.0), "unknown lever"),
    (lambda s: s.update(evil=1), "unknown key"),
    (lambda s: s.update(levers=[1, 2]), "'levers'"),
    (lambda s: s["base"].update(selectivity=float("inf")), "base parameter"),
    (lambda s: s.update(log=[{"x": "y" * 100}] * (guard.MAX_LOG + 1)), "log holds more than"),
    (lambda s: s.update(log=[{"x": "y" * 1000}] * 2000), "MB refused"),
    (lambda s: s.update(game={"t0": 2000, "t1": 2035, "year": 2050, "decisions": []}), "outside"),
])
def test_a_tampered_state_is_refused(model, base, tamper, match):
    st = json.loads(json.dumps(base))
    tamper(st)
    with pytest.raises(ws.WorkshopError, match=match):
        guard.check_state(model, st)


def test_log_is_capped_and_counts_what_it_dropped(model, base):
    st = dict(base, log=[{"event": "run"}] * (guard.MAX_LOG + 25))
    capped = guard.cap_log(st)
    assert len(capped["log"]) == guard.MAX_LOG and capped["log_dropped"] == 25


def test_undo_and_reset(model, base):
    st, _ = ws.set_levers(model, base, {"selectivity": 0.6})
    st = guard.remember(base, st)
    st2, _ = ws.set_levers(model, st, {"network_breadth": 9})
    st2 = guard.remember(st, st2)
    assert guard.undo(st2)["levers"]["network_breadth"] == 4
    assert guard.undo(guard.undo(st2))["levers"]["selectivity"] == 0.3
    with pytest.raises(ws.WorkshopError, match="nothing to undo"):
        guard.undo(base)
    assert guard.reset(model, st2, "selectivity")["levers"]["selectivity"] == 0.3
    assert guard.reset(model, st2)["levers"] == base["levers"]


def test_uploads_are_capped():
    import base64

    big = "data:application/toml;base64," + base64.b64encode(b"x" * (guard.MAX_UPLOAD_BYTES + 1)).decode()
    with pytest.raises(ws.WorkshopError, match="big.toml: .* refused"):
        _decode(big, "big.toml", guard.MAX_UPLOAD_BYTES)


def test_replay_then_end_game_keeps_the_path(model, base):
    st = ws.start_game(model, base)
    st, _ = ws.set_levers(model, st, {"selectivity": 0.5})
    st = ws.play_to(st, 2003)
    assert st["game"]["year"] == 2003 and st["game"]["decisions"][0]["year"] == 2000
    st = ws.restart_replay(st)
    st = ws.stop_game(st)
    assert st["levers"]["selectivity"] == 0.5
    assert [d["year"] for d in st["last_path"]["decisions"]] == [2000]
    with pytest.raises(ws.WorkshopError, match="start the game"):
        ws.play_to(st, 2010)


@pytest.fixture(scope="module")
def served(model):
    from waitress.server import create_server

    from ambidex.workshop import SCRIPT, create_app

    app = create_app(model, warm_up=False)
    srv = create_server(app.server, host="127.0.0.1", port=0, threads=4,
                        max_request_body_size=guard.MAX_REQUEST_BYTES)
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.effective_port}", SCRIPT
    srv.close()


def test_waitress_serves_the_page_and_refuses_a_50_mb_request(served):
    url, script = served
    with urllib.request.urlopen(url + "/", timeout=30) as r:
        page = r.read().decode()
    assert '<html lang="en">' in page and script in page
    with urllib.request.urlopen(url + script, timeout=30) as r:
        js = r.read().decode()
    assert "AmbidexRuntime" in js and "liveState" in js
    # a 50 MB body: refused from its Content-Length with 413, before the server reads it
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
                     + b"{" + b" " * 10000)
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
