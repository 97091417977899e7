"""Serving a room: the state a tab sends back is checked like any input (tampered levers, unknown
keys, runaway logs refused with a clear message), request and upload sizes are capped, the log is
capped, the game keeps its path, and waitress serves the page and its script."""

from __future__ import annotations

import json
import re
import socket
import threading
import urllib.request

import pytest

from ambidex.workshop import game, guard
from ambidex.workshop import state as ws
from ambidex.workshop.central import decode_upload


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
        decode_upload(big, "big.toml", guard.MAX_UPLOAD_BYTES)


def test_replay_then_end_game_keeps_the_path(model, base):
    st = game.start_game(model, base)
    st, _ = ws.set_levers(model, st, {"selectivity": 0.5})
    st = game.play_to(st, 2003)
    assert st["game"]["year"] == 2003 and st["game"]["decisions"][0]["year"] == 2000
    st = game.restart_replay(st)
    st = game.stop_game(st)
    assert st["levers"]["selectivity"] == 0.5
    assert [d["year"] for d in st["last_path"]["decisions"]] == [2000]
    with pytest.raises(ws.WorkshopError, match="start the game"):
        game.play_to(st, 2010)


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


def _req(state, commit=None, **kw):
    a = {"stored": json.loads(json.dumps(state)), "commit": commit, "num": {}, "scenario": "baseline_dual",
         "upload": None, "filename": None, "session": None, "session_name": None, "snap": None,
         "years": None, "search": "", "optin": [], "team": None}
    a.update(kw)
    return a


def test_a_lever_commit_is_applied_once_and_before_a_later_event(model, base):
    from ambidex.workshop import central

    st, msg, _ = central.handle(model, "lever-commit", _req(base, {"levers": {"selectivity": 0.45}, "seq": 3}))
    assert st["levers"]["selectivity"] == 0.45 and st["commit"] == 3 and msg == ""
    assert st["undo"][-1]["selectivity"] == 0.3 and st["log"][-1]["changes"]
    # the same commit again (carried by a later request) changes nothing
    again, _, _ = central.handle(model, "lever-commit", _req(st, {"levers": {"selectivity": 0.45}, "seq": 3}))
    assert again is None
    # a reset whose request also carries a commit the server never saw (Dash dropped the
    # commit's own request): the move is applied first, then reset, and undo brings it back
    st2, msg, _ = central.handle(model, "reset", _req(base, {"levers": {"network_breadth": 9}, "seq": 1}))
    assert st2["levers"]["network_breadth"] == 4 and st2["commit"] == 1 and "back to the scenario" in msg
    undone, _, _ = central.handle(model, "undo", _req(st2, {"levers": {"network_breadth": 9}, "seq": 1}))
    assert undone["levers"]["network_breadth"] == 9


@pytest.mark.parametrize("commit,match", [
    ({"levers": {"no_such": 1.0}, "seq": 1}, "unknown lever 'no_such'"),
    ({"levers": {"selectivity": 7.0}, "seq": 1}, "outside its range"),
    ({"levers": [0.4], "seq": 1}, "malformed request"),
])
def test_a_bad_lever_commit_is_refused_and_the_state_kept(model, base, commit, match):
    from ambidex.workshop import central

    st, msg, cls = central.handle(model, "lever-commit", _req(base, commit))
    assert cls == central.BAD and re.search(match, msg), msg
    assert st["levers"] == base["levers"] and st["commit"] == 1  # seen: the page drops it
